/**
 * Element grids of the small float formats (FP8 E4M3FN/E5M2, FP6 E3M2/E2M3, FP4 E2M1, and the
 * MXINT8 fixed-point grid) and the exact, saturating round-to-grid cast of FORMULAS.md §C.
 *
 * Exactness: exponents are read from the float64 bits (never `Math.log2`), powers of two come
 * from a table built by repeated halving/doubling, and every scaling is by a power of two, so the
 * only rounding is the one the format defines.
 */

/** RNE = round half to even (IEEE default, ONNX QuantizeLinear); RHAZ = half away from zero (microxcaling's default). */
export type Rounding = 'rne' | 'rhaz';

/** A sign-magnitude element grid with subnormals, saturating at ±max (no Inf, NaN passes through). */
export interface ElementGrid {
  readonly name: string;
  readonly expBits: number;
  readonly manBits: number;
  /** Smallest normal binade exponent (1 − bias); also the subnormal binade. */
  readonly emin: number;
  /** Exponent of the largest binade: floor(log2(max)). The MX `emax_elem`. */
  readonly emax: number;
  /** Largest finite magnitude. */
  readonly max: number;
}

const POW2_MIN = -1074;
const POW2_MAX = 1023;
const POW2 = new Float64Array(POW2_MAX - POW2_MIN + 1);
{
  POW2[-POW2_MIN] = 1;
  for (let k = 1; k <= POW2_MAX; k++) POW2[k - POW2_MIN] = (POW2[k - 1 - POW2_MIN] ?? 0) * 2;
  for (let k = -1; k >= POW2_MIN; k--) POW2[k - POW2_MIN] = (POW2[k + 1 - POW2_MIN] ?? 0) / 2;
}

/** 2^k exactly, for integer k in [−1074, 1023] (0 below, Infinity above). */
export function pow2(k: number): number {
  if (k < POW2_MIN) return 0;
  if (k > POW2_MAX) return Infinity;
  return POW2[k - POW2_MIN] ?? 0;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;

/**
 * floor(log2(a)) for finite a > 0, read from the float64 exponent bits (exact, also for
 * subnormals). Used for the MX shared exponent, where a float `log2` misplaces amax just below 2^k.
 */
export function floorLog2(a: number): number {
  F64[0] = a;
  const field = ((U32[HI] ?? 0) >>> 20) & 0x7ff;
  if (field !== 0) return field - 1023;
  F64[0] = a * 18446744073709551616; // 2^64: lifts a subnormal into the normal range exactly
  return (((U32[HI] ?? 0) >>> 20) & 0x7ff) - 1023 - 64;
}

/** 1.5·2^52: x + RNE_MAGIC − RNE_MAGIC is x rounded to an integer, ties to even, for |x| < 2^51. */
export const RNE_MAGIC = 6755399441055744;

/** Round half to even of a float64 (JS has no roundeven; Math.round rounds ties up). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact for |x| < 2^52; larger values are integers (d = 0)
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Round half away from zero. */
export function roundHalfAway(x: number): number {
  const a = Math.abs(x);
  const f = Math.floor(a);
  const r = a - f >= 0.5 ? f + 1 : f;
  return x < 0 ? -r : r;
}

function grid(name: string, expBits: number, manBits: number, bias: number, max: number): ElementGrid {
  return { name, expBits, manBits, emin: 1 - bias, emax: floorLog2(max), max };
}

/** FP8 E4M3FN: bias 7, max 448 (S.1111.111 is NaN, no Inf), min subnormal 2^−9. */
export const E4M3 = grid('E4M3FN', 4, 3, 7, 448);
/** FP8 E5M2: bias 15, max 57344, min subnormal 2^−16 (saturating here: Inf is never produced). */
export const E5M2 = grid('E5M2', 5, 2, 15, 57344);
/** FP6 E3M2: bias 3, max 28. */
export const E3M2 = grid('E3M2', 3, 2, 3, 28);
/** FP6 E2M3: bias 1, max 7.5. */
export const E2M3 = grid('E2M3', 2, 3, 1, 7.5);
/** FP4 E2M1: bias 1, magnitudes {0, 0.5, 1, 1.5, 2, 3, 4, 6}. */
export const E2M1 = grid('E2M1', 2, 1, 1, 6);
/**
 * MXINT8 elements: 8-bit sign-magnitude with an implicit 2^−6, i.e. k/64 with |k| ≤ 127. As a grid
 * it is a single binade (emin = emax = 0) with 6 fraction bits: quantum 2^−6 everywhere.
 */
export const INT8_FIXED: ElementGrid = { name: 'INT8 (k/64)', expBits: 0, manBits: 6, emin: 0, emax: 0, max: 127 / 64 };

/**
 * Rounds v to the grid: nearest value (ties per `rounding`), subnormals included, magnitudes above
 * `max` saturate to ±max (also ±Infinity). NaN stays NaN; the sign of zero is kept.
 * Exact for every float64 v.
 */
export function castToGrid(v: number, g: ElementGrid, rounding: Rounding): number {
  const a = v < 0 ? -v : v;
  if (!(a > 0)) return v; // 0, −0, NaN
  if (a >= g.max) return v < 0 ? -g.max : g.max;
  // A single-binade grid (MXINT8's k/64) has one quantum: no exponent to read.
  let e = g.emin === g.emax ? g.emin : floorLog2(a);
  if (e < g.emin) e = g.emin;
  if (rounding === 'rne') {
    // a + 2^(e−manBits+52) has a float64 ulp of exactly the quantum 2^(e−manBits), so the
    // hardware's round-to-nearest-even does the rounding; subtracting back is exact.
    const c = POW2[e - g.manBits + 52 - POW2_MIN] as number;
    let rr = a + c - c;
    if (rr > g.max) rr = g.max;
    return v < 0 ? -rr : rr;
  }
  const quantum = pow2(e - g.manBits);
  const m = a / quantum; // exact: division by a power of two (m < 2^(manBits+1))
  const f = Math.floor(m);
  const d = m - f;
  let k = f;
  if (d > 0.5 || (d === 0.5 && (rounding === 'rhaz' || f % 2 !== 0))) k = f + 1;
  let r = k * quantum;
  if (r > g.max) r = g.max;
  return v < 0 ? -r : r;
}

/** Every representable value of the grid (both signs, one zero), ascending, as float64. */
export function gridValues(g: ElementGrid): number[] {
  const positive: number[] = [];
  for (let e = g.emin; e <= g.emax; e++) {
    const quantum = pow2(e - g.manBits);
    const kStart = e === g.emin ? 1 : 2 ** g.manBits;
    for (let k = kStart; k < 2 ** (g.manBits + 1); k++) {
      const value = k * quantum;
      if (value <= g.max) positive.push(value);
    }
  }
  return [...positive.map((x) => -x).reverse(), 0, ...positive];
}

/**
 * Largest finite |x| of the data (NaN and ±Inf ignored); 0 when there is none.
 */
export function finiteAbsMax(data: Float32Array, start = 0, end = data.length): number {
  let amax = 0;
  for (let i = start; i < end; i++) {
    const x = data[i] ?? 0;
    const a = x < 0 ? -x : x;
    if (a > amax && a !== Infinity) amax = a;
  }
  return amax;
}

/**
 * Per column i < inner, the largest finite |x| over rows k0 ≤ k < k1 of outer slice `o` of `data`
 * seen as [outer, length, inner] (element (o, k, i) at (o·length + k)·inner + i), written to `amax`
 * (length inner; reset here). The rows are walked contiguously, so a strided axis costs no gather;
 * the MX and NVFP4 block loops call it once per block.
 */
export function finiteAbsMaxColumns(
  data: Float32Array,
  amax: Float64Array,
  o: number,
  length: number,
  inner: number,
  k0: number,
  k1: number,
): void {
  amax.fill(0);
  for (let k = k0; k < k1; k++) {
    const row = (o * length + k) * inner;
    for (let i = 0; i < inner; i++) {
      const x = data[row + i] ?? 0;
      const a = x < 0 ? -x : x;
      if (a > (amax[i] ?? 0) && a !== Infinity) amax[i] = a;
    }
  }
}

/** Result of per-tensor FP8 fake quantization: dequantized values and the float32 scale s. */
export interface Fp8QuantResult {
  values: Float32Array;
  scale: number;
}

/**
 * Per-tensor scaled FP8 (FORMULAS.md §C): s = fround(amax/max), x̂ = fround(s·cast(fround(x/s)))
 * with the saturating RNE cast. amax over finite values; amax = 0 → all zeros (sign kept), s = 0.
 * NaN and ±Inf are copied through unchanged (when the scale underflows to 0,
 * every finite value becomes a signed zero).
 */
export function fp8FakeQuantize(data: Float32Array, g: ElementGrid): Fp8QuantResult {
  const values = new Float32Array(data.length);
  const amax = finiteAbsMax(data);
  if (amax === 0) {
    values.set(data);
    return { values, scale: 0 };
  }
  const scale = Math.fround(amax / g.max);
  if (scale === 0) {
    // amax below max·2^−150: the scale underflows float32; every finite value becomes a (signed) zero.
    for (let i = 0; i < data.length; i++) {
      const x = data[i] ?? 0;
      values[i] = x - x !== 0 ? x : x * 0;
    }
    return { values, scale };
  }
  for (let i = 0; i < data.length; i++) {
    const x = data[i] ?? 0;
    if (x - x !== 0) {
      values[i] = x;
      continue;
    }
    values[i] = scale * castToGrid(Math.fround(x / scale), g, 'rne');
  }
  return { values, scale };
}
