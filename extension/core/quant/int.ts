/**
 * Integer fake quantization with onnxruntime's weight-quantizer semantics (FORMULAS.md §C, INT):
 * the range always includes 0; symmetric or asymmetric; per-tensor or per-channel; ties to even;
 * and the float32/float64 arithmetic order that decides real ties:
 *   dr = fround(rmax − rmin); scale64 = dr / (qmax − qmin); zp = RNE(qmin − rmin/scale64)
 *   (symmetric: RNE((qmin+qmax)/2)); scale32 = fround(scale64); q = clip(RNE(fround(w/scale32)) + zp);
 *   x̂ = fround((q − zp)·scale32). scale64 < float32 tiny → scale 1, zp 0.
 * Non-finite weights (NaN, ±Inf) take no part in rmin/rmax and are copied through unchanged.
 */
import { axisView } from './axis';
import { roundHalfEven } from './minifloat';

/** Which integer quantizer. */
export interface IntSpec {
  bits: 4 | 8;
  symmetric: boolean;
}

/** 1.5·2^52: adding and subtracting it rounds a float64 of magnitude below 2^51 to an integer, ties to even. */
const RNE_SHIFT = 6755399441055744;

/** Smallest normal float32, numpy.finfo(float32).tiny. */
export const FLOAT32_TINY = 1.1754943508222875e-38;

/**
 * The quantized range: int8 symmetric [−127, 127], int8 asymmetric [−128, 127],
 * int4 symmetric and asymmetric [−8, 7] (onnxruntime keeps −8 for symmetric int4).
 */
export function intRange(spec: IntSpec): { qmin: number; qmax: number } {
  if (spec.bits === 8) return spec.symmetric ? { qmin: -127, qmax: 127 } : { qmin: -128, qmax: 127 };
  return { qmin: -8, qmax: 7 };
}

/** Scale (a float32 value) and integer zero point of one channel. */
export interface IntParams {
  scale: number;
  zeroPoint: number;
}

/** onnxruntime's compute_scale_zp for float32 rmin ≤ rmax (the data's min and max; 0 is added to the range here). */
export function computeScaleZeroPoint(rminData: number, rmaxData: number, spec: IntSpec): IntParams {
  const { qmin, qmax } = intRange(spec);
  let rmin = Math.min(rminData, 0);
  let rmax = Math.max(rmaxData, 0);
  if (spec.symmetric) {
    const a = Math.max(Math.abs(rmin), Math.abs(rmax));
    rmin = -a;
    rmax = a;
  }
  const dr = Math.fround(rmax - rmin);
  const scale64 = dr / (qmax - qmin);
  if (!(scale64 >= FLOAT32_TINY)) return { scale: 1, zeroPoint: 0 };
  const zp = spec.symmetric ? roundHalfEven((qmin + qmax) / 2) : roundHalfEven(qmin - rmin / scale64);
  return { scale: Math.fround(scale64), zeroPoint: zp === 0 ? 0 : zp };
}

/** Result of integer fake quantization: dequantized values and per-channel parameters. */
export interface IntQuantResult {
  values: Float32Array;
  /** float32 scales, one per channel (one entry for per-tensor). */
  scales: Float32Array;
  zeroPoints: Int32Array;
}

/**
 * Fake-quantizes `data` (row-major `shape`) with one scale per index of `channelAxis`
 * (normalized, in range), or per tensor when `channelAxis` is null.
 */
export function intFakeQuantize(data: Float32Array, shape: readonly number[], spec: IntSpec, channelAxis: number | null): IntQuantResult {
  const view = channelAxis === null ? { outer: 1, length: 1, inner: data.length } : axisView(shape, channelAxis);
  const { outer, length: channels, inner } = view;
  const mins = new Float64Array(channels).fill(Infinity);
  const maxs = new Float64Array(channels).fill(-Infinity);
  for (let o = 0, start = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++, start += inner) spanRange(data, start, start + inner, mins, maxs, c);
  }
  const scales = new Float32Array(channels);
  const zeroPoints = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    let lo = mins[c] ?? 0;
    let hi = maxs[c] ?? 0;
    // ±Inf are excluded like NaN: the range is over finite weights only.
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) ({ lo, hi } = finiteRange(data, view, c));
    const p = computeScaleZeroPoint(lo, hi, spec);
    scales[c] = p.scale;
    zeroPoints[c] = p.zeroPoint;
  }
  const { qmin, qmax } = intRange(spec);
  const values = new Float32Array(data.length);
  for (let o = 0, start = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++, start += inner) {
      const scale = scales[c] ?? 1;
      const zp = zeroPoints[c] ?? 0;
      quantizeSpan(data, values, start, start + inner, scale, qmin - zp, qmax - zp);
    }
  }
  return { values, scales, zeroPoints };
}

/**
 * Widens mins[c]/maxs[c] by data[start..end). Two independent min/max chains (about 3x faster
 * under V8 than one); NaN compares false and is skipped. The sign of a zero bound does not
 * matter: 0 joins the range anyway. (The hot loops are small functions of their own: V8
 * optimizes them early and the same way for every tensor.)
 */
function spanRange(data: Float32Array, start: number, end: number, mins: Float64Array, maxs: Float64Array, c: number): void {
  let lo0 = mins[c] ?? Infinity;
  let hi0 = maxs[c] ?? -Infinity;
  let lo1 = Infinity;
  let hi1 = -Infinity;
  let i = start;
  for (; i + 1 < end; i += 2) {
    const a = data[i] ?? 0;
    const b = data[i + 1] ?? 0;
    if (a < lo0) lo0 = a;
    if (a > hi0) hi0 = a;
    if (b < lo1) lo1 = b;
    if (b > hi1) hi1 = b;
  }
  if (i < end) {
    const a = data[i] ?? 0;
    if (a < lo0) lo0 = a;
    if (a > hi0) hi0 = a;
  }
  mins[c] = Math.min(lo0, lo1);
  maxs[c] = Math.max(hi0, hi1);
}

/**
 * values[i] = fround(clip(RNE(fround(w/scale)), lo, hi)·scale) for i in [start, end), with
 * lo = qmin − zp, hi = qmax − zp: clip(RNE(v) + zp, qmin, qmax) − zp = clip(RNE(v), qmin − zp,
 * qmax − zp), so the loop stays in float64 and never forms q. RNE(v) = (v + 1.5·2^52) − 1.5·2^52,
 * exact for |v| < 2^51 (here |v| ≤ 2^8 + 1 when the scale comes from the data, |v| < 2^−126 when
 * it falls back to 1): the float64 addition's own ties-to-even rounding does the work.
 * NaN and ±Inf are passed through.
 */
function quantizeSpan(data: Float32Array, values: Float32Array, start: number, end: number, scale: number, lo: number, hi: number): void {
  for (let i = start; i < end; i++) {
    const w = data[i] ?? 0;
    if (w - w !== 0) {
      values[i] = w;
      continue;
    }
    let r = Math.fround(w / scale) + RNE_SHIFT - RNE_SHIFT;
    if (r < lo) r = lo;
    else if (r > hi) r = hi;
    values[i] = r * scale; // the Float32Array store is the fround
  }
}

/** Min and max of the finite weights of one channel (slow path, only when a channel holds ±Inf; also used by the SIMD kernels). */
export function finiteRange(data: Float32Array, view: { outer: number; length: number; inner: number }, c: number): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let o = 0; o < view.outer; o++) {
    const base = (o * view.length + c) * view.inner;
    for (let i = 0; i < view.inner; i++) {
      const w = data[base + i] ?? 0;
      if (w - w !== 0) continue;
      if (w < lo) lo = w;
      if (w > hi) hi = w;
    }
  }
  return lo <= hi ? { lo, hi } : { lo: 0, hi: 0 };
}
