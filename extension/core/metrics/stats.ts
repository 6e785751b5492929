/**
 * Small statistics helpers shared by the group metrics: numpy's default (linear) quantile and
 * the seeded PRNG of the bootstrap (xoshiro128** seeded through splitmix32).
 */

/** numpy's `_lerp`: a + (b−a)·t, computed from b's side when t ≥ 0.5 (as numpy does). */
function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/**
 * Quantile q ∈ [0, 1] of an ascending-sorted array with numpy's default method ('linear':
 * virtual index q·(n−1), linear interpolation). NaN for an empty array.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return lerp(sorted[lo] as number, sorted[hi] as number, pos - lo);
}

/** Sorted copy of the finite (non-NaN) values. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v === v) out[k++] = v;
  }
  return out.subarray(0, k).sort();
}

/**
 * Percentile interval of bootstrap replicate values: the (1−c)/2 and (1+c)/2 quantiles of the
 * non-NaN values (NaN marks a replicate where the quantity did not exist, e.g. an absent group).
 * [NaN, NaN] when no replicate had a value.
 */
export function percentileInterval(values: ArrayLike<number>, confidence: number): [number, number] {
  const s = sortedFinite(values);
  const tail = (1 - confidence) / 2;
  return [quantileSorted(s, tail), quantileSorted(s, 1 - tail)];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** xoshiro128** (Blackman & Vigna), state seeded by splitmix32 from any number. */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = (Math.trunc(seed) >>> 0) ^ Math.imul(Math.floor(Math.trunc(seed) / 4294967296) >>> 0, 0x9e3779b9);
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.a = splitmix32();
    this.b = splitmix32();
    this.c = splitmix32();
    this.d = splitmix32();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** The next `count` values of nextU32() into out[0, count), the state in locals (a tight loop). */
  fillU32(out: Uint32Array, count: number): void {
    let a = this.a;
    let b = this.b;
    let c = this.c;
    let d = this.d;
    for (let j = 0; j < count; j++) {
      out[j] = Math.imul(rotl(Math.imul(b, 5), 7), 9);
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = rotl(d, 11);
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /** Writes the state (4 × int32) to out[0..3] (a kernel that runs the generator itself: bootstrapKernel.ts). */
  saveState(out: Int32Array): void {
    out[0] = this.a;
    out[1] = this.b;
    out[2] = this.c;
    out[3] = this.d;
  }

  /** Takes the state back from s[0..3] (as `saveState` wrote it, advanced by the kernel). */
  loadState(s: Int32Array): void {
    this.a = s[0] as number;
    this.b = s[1] as number;
    this.c = s[2] as number;
    this.d = s[3] as number;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Uniform integer in [0, n), unbiased: Lemire's multiply-and-reject on one 32-bit draw for
   * n ≤ 2^21 (the product stays exact in float64), 53-bit floats above.
   */
  nextInt(n: number): number {
    if (n > 2097152) return Math.floor(this.nextFloat() * n);
    let m = this.nextU32() * n;
    let lo = m % 4294967296;
    if (lo < n) {
      const threshold = (4294967296 - n) % n;
      while (lo < threshold) {
        m = this.nextU32() * n;
        lo = m % 4294967296;
      }
    }
    return Math.floor(m / 4294967296);
  }
}
