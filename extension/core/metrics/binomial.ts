/**
 * Exact binomial and multinomial sampling on the bootstrap's seeded generator (docs/BOOTSTRAP.md).
 *
 * Binomial(n, p): inversion (chop-down search from 0) when min(p, 1−p)·n ≤ 30, otherwise BTPE
 * (Kachitvichyanukul & Schmeiser 1988, "Binomial random variate generation", CACM 31(2)), both
 * as NumPy implements them (numpy/random/src/distributions/distributions.c), on uniforms with
 * 53 random bits from xoshiro128**. Multinomial(n; s_1..s_k / S) over integer sizes: sequential
 * conditional binomials, M_j ~ Binomial(n − Σ_{i<j} M_i, s_j / (S − Σ_{i<j} s_i)), the last one
 * takes the rest.
 */
import type { Xoshiro128 } from './stats';

/** One Binomial(n, p) draw (n a non-negative integer, p in [0, 1]). */
export function binomial(rng: Xoshiro128, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p <= 0.5) return p * n <= 30 ? inversion(rng, n, p) : btpe(rng, n, p);
  const q = 1 - p;
  return q * n <= 30 ? n - inversion(rng, n, q) : n - btpe(rng, n, q);
}

/** Inversion for small n·p (p ≤ 0.5): the first X with U ≤ F(X), restarted beyond np + 10·sd. */
function inversion(rng: Xoshiro128, n: number, p: number): number {
  const q = 1 - p;
  const qn = Math.exp(n * Math.log1p(-p));
  const np = n * p;
  const bound = Math.min(n, Math.floor(np + 10 * Math.sqrt(np * q + 1)));
  let x = 0;
  let px = qn;
  let u = rng.nextFloat();
  while (u > px) {
    x++;
    if (x > bound) {
      x = 0;
      px = qn;
      u = rng.nextFloat();
    } else {
      u -= px;
      px = ((n - x + 1) * p * px) / (x * q);
    }
  }
  return x;
}

/** Stirling-series correction terms of BTPE's final acceptance test. */
function stirlingTail(x: number): number {
  const x2 = x * x;
  return (13680 - (462 - (132 - (99 - 140 / x2) / x2) / x2) / x2) / x / 166320;
}

/** BTPE for n·p > 30 (p ≤ 0.5). */
function btpe(rng: Xoshiro128, n: number, p: number): number {
  const r = p;
  const q = 1 - r;
  const fm = n * r + r;
  const m = Math.floor(fm);
  const p1 = Math.floor(2.195 * Math.sqrt(n * r * q) - 4.6 * q) + 0.5;
  const xm = m + 0.5;
  const xl = xm - p1;
  const xr = xm + p1;
  const c = 0.134 + 20.5 / (15.3 + m);
  let a = (fm - xl) / (fm - xl * r);
  const laml = a * (1 + a / 2);
  a = (xr - fm) / (xr * q);
  const lamr = a * (1 + a / 2);
  const p2 = p1 * (1 + 2 * c);
  const p3 = p2 + c / laml;
  const p4 = p3 + c / lamr;
  const nrq = n * r * q;
  for (;;) {
    const u = rng.nextFloat() * p4;
    let v = rng.nextFloat();
    let y: number;
    if (u <= p1) return Math.floor(xm - p1 * v + u); // the triangle: accepted at once
    if (u <= p2) {
      const x = xl + (u - p1) / c;
      v = v * c + 1 - Math.abs(m - x + 0.5) / p1;
      if (v > 1) continue;
      y = Math.floor(x);
    } else if (u <= p3) {
      y = Math.floor(xl + Math.log(v) / laml);
      if (y < 0 || v === 0) continue;
      v = v * (u - p2) * laml;
    } else {
      y = Math.floor(xr - Math.log(v) / lamr);
      if (y > n || v === 0) continue;
      v = v * (u - p3) * lamr;
    }
    const k = Math.abs(y - m);
    if (!(k > 20 && k < nrq / 2 - 1)) {
      // explicit f(y)/f(m) by the recurrence
      const s = r / q;
      const aa = s * (n + 1);
      let f = 1;
      if (m < y) for (let i = m + 1; i <= y; i++) f *= aa / i - s;
      else if (m > y) for (let i = y + 1; i <= m; i++) f /= aa / i - s;
      if (v > f) continue;
      return y;
    }
    // squeeze on log f(y)/f(m), then the Stirling bound
    const rho = (k / nrq) * ((k * (k / 3 + 0.625) + 0.16666666666666666) / nrq + 0.5);
    const t = (-k * k) / (2 * nrq);
    const logV = Math.log(v);
    if (logV < t - rho) return y;
    if (logV > t + rho) continue;
    const x1 = y + 1;
    const f1 = m + 1;
    const z = n + 1 - m;
    const w = n - y + 1;
    const bound = xm * Math.log(f1 / x1) + (n - m + 0.5) * Math.log(z / w) + (y - m) * Math.log((w * r) / (x1 * q))
      + stirlingTail(f1) + stirlingTail(z) + stirlingTail(x1) + stirlingTail(w);
    if (logV > bound) continue;
    return y;
  }
}

/**
 * Multinomial counts of `n` draws over categories of integer sizes (probability size/total),
 * written into `out` (same length as `sizes`): sequential conditional binomials.
 */
export function multinomialBySizes(rng: Xoshiro128, n: number, sizes: ArrayLike<number>, out: Float64Array | Int32Array): void {
  let left = n;
  let rest = 0;
  for (let j = 0; j < sizes.length; j++) rest += sizes[j] as number;
  for (let j = 0; j < sizes.length; j++) {
    const s = sizes[j] as number;
    if (left === 0 || s === 0) {
      out[j] = 0;
    } else if (s >= rest) {
      out[j] = left;
      left = 0;
    } else {
      const m = binomial(rng, left, s / rest);
      out[j] = m;
      left -= m;
    }
    rest -= s;
  }
}
