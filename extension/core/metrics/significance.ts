/**
 * Significance helpers of the slice statistics (FORMULAS.md §E): Student t distribution (CDF and
 * quantile through the regularized incomplete beta function), Welch's two-sample t-test, the
 * Wilson score interval and Benjamini–Hochberg q-values. Checked against scipy/statsmodels
 * values in test/unit/metrics/significance.test.ts.
 */

/** Two-sided 95% normal quantile, scipy.stats.norm.ppf(0.975). */
export const Z_975 = 1.959963984540054;

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0 (Lanczos, g = 7; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(|T| ≥ |t|) for Student t with `df` degrees of freedom (two-sided p-value). */
export function studentTTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / 2, 0.5, df / (df + t * t));
}

/** CDF of Student t. */
export function studentTCdf(t: number, df: number): number {
  const tail = studentTTwoSided(t, df) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student t (bisection on the CDF to full double precision), q ∈ (0, 1). */
export function studentTQuantile(q: number, df: number): number {
  if (!(q > 0 && q < 1) || !(df > 0)) return NaN;
  if (q === 0.5) return 0;
  if (q < 0.5) return -studentTQuantile(1 - q, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < q) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (studentTCdf(mid, df) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface WelchResult { readonly t: number; readonly df: number; readonly p: number }

/**
 * Welch's unequal-variance two-sample t-test (scipy.stats.ttest_ind(equal_var=False)),
 * two-sided, Welch–Satterthwaite df. NaN when a side has fewer than 2 rows; when both variances
 * are 0: p = 1 for equal means (no difference at all) and 0 otherwise.
 */
export function welchTTest(m1: number, v1: number, n1: number, m2: number, v2: number, n2: number): WelchResult {
  if (n1 < 2 || n2 < 2 || Number.isNaN(v1) || Number.isNaN(v2)) return { t: NaN, df: NaN, p: NaN };
  const a = v1 / n1;
  const b = v2 / n2;
  const se2 = a + b;
  if (se2 === 0) return m1 === m2 ? { t: 0, df: NaN, p: 1 } : { t: m1 > m2 ? Infinity : -Infinity, df: NaN, p: 0 };
  const t = (m1 - m2) / Math.sqrt(se2);
  const df = (se2 * se2) / ((a * a) / (n1 - 1) + (b * b) / (n2 - 1));
  return { t, df, p: studentTTwoSided(t, df) };
}

/** Wilson score interval for k successes in n trials (statsmodels proportion_confint 'wilson'). */
export function wilsonInterval(k: number, n: number, z = Z_975): [number, number] {
  if (n <= 0) return [NaN, NaN];
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [center - half, center + half];
}

/** Student t interval of a mean: mean ± t_{0.975, n−1}·√(variance/n) ([NaN, NaN] for n < 2). */
export function tInterval(mean: number, variance: number, n: number, confidence = 0.95): [number, number] {
  if (n < 2) return [NaN, NaN];
  const half = studentTQuantile(0.5 + confidence / 2, n - 1) * Math.sqrt(variance / n);
  return [mean - half, mean + half];
}

/**
 * Benjamini–Hochberg q-values (statsmodels multipletests 'fdr_bh', returned in input order):
 * q_(i) = min_{j ≥ i} p_(j)·m/j, capped at 1, m = the number of non-NaN p-values; NaN stays NaN.
 */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const idx = p.map((_, i) => i).filter((i) => !Number.isNaN(p[i] as number));
  idx.sort((a, b) => (p[a] as number) - (p[b] as number) || a - b);
  const m = idx.length;
  const q = p.map(() => NaN);
  let running = Infinity;
  for (let r = m - 1; r >= 0; r--) {
    const i = idx[r] as number;
    running = Math.min(running, ((p[i] as number) * m) / (r + 1));
    q[i] = Math.min(1, running);
  }
  return q;
}
