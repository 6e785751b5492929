/**
 * Tensor error of a fake quantization (FORMULAS.md §C, error metrics), in float64, and the
 * per-block outlier count.
 */
import { BadInputError } from '../errors';
import type { AxisView } from './axis';

/**
 * Error metrics of x̂ against x, e = x̂ − x, all sums in float64:
 * - mse = Σe²/n; sqnr_db = 10·log10(Σx²/Σe²) (+Infinity when Σe² = 0, −Infinity when Σx² = 0 < Σe²);
 * - rel_fro = ‖e‖/‖x‖ (NaN when both are 0, +Infinity when only ‖x‖ = 0);
 * - max_abs = max|e|; cosine = ⟨x, x̂⟩/(‖x‖·‖x̂‖), NaN when a norm is 0, clamped to [−1, 1] (rounding
 *   gives 1.0000000000000002 for x̂ = x).
 *
 * Non-finite weights: a position whose x is NaN or ±Inf is excluded from every sum and counted in
 * `nonFinite` (the formats copy such values through, so there is no error to measure there);
 * `count` is the number of positions used. With count = 0, mse/max_abs/rel_fro/cosine are NaN and
 * sqnr_db is +Infinity (no error). A finite x with a non-finite x̂ is not excluded: it makes the
 * metrics non-finite, which is the honest answer for a broken quantizer.
 */
export interface TensorError {
  count: number;
  nonFinite: number;
  mse: number;
  sqnr_db: number;
  rel_fro: number;
  max_abs: number;
  cosine: number;
}

/** Computes `TensorError` of `xq` against `x` (same length). */
export function tensorError(x: Float32Array, xq: Float32Array, tensor?: string): TensorError {
  if (x.length !== xq.length) {
    const name = tensor === undefined ? 'tensor' : `tensor "${tensor}"`;
    throw new BadInputError('quant.length-mismatch', `${name}: ${x.length} original values but ${xq.length} quantized values`);
  }
  const sums = errorSums(x, xq);
  const count = sums[0] ?? 0;
  const nonFinite = sums[1] ?? 0;
  const sxx = sums[2] ?? 0;
  const see = sums[3] ?? 0;
  const sqq = sums[4] ?? 0;
  const sxq = sums[5] ?? 0;
  const maxAbs = sums[6] ?? 0;
  if (count === 0) {
    return { count, nonFinite, mse: NaN, sqnr_db: Infinity, rel_fro: NaN, max_abs: NaN, cosine: NaN };
  }
  const normX = Math.sqrt(sxx);
  const normQ = Math.sqrt(sqq);
  return {
    count,
    nonFinite,
    mse: see / count,
    sqnr_db: see === 0 ? Infinity : 10 * Math.log10(sxx / see),
    rel_fro: Math.sqrt(see) / normX,
    max_abs: maxAbs,
    cosine: normX === 0 || normQ === 0 ? NaN : clampUnit(sxq / (normX * normQ)),
  };
}

/** The sums' scratch: count, nonFinite, Σx², Σe², Σx̂², Σx·x̂, max|e| (one per thread, reused). */
const SUMS = new Float64Array(7);

/**
 * The loop of tensorError, alone in its function: V8 optimizes a hot loop while it runs (OSR), and
 * code after the loop without type feedback would throw that away on every call (a deopt back to
 * the interpreter: 4× slower on big tensors). Same operations in the same order as before.
 */
function errorSums(x: Float32Array, xq: Float32Array): Float64Array {
  let count = 0;
  let nonFinite = 0;
  let sxx = 0;
  let see = 0;
  let sqq = 0;
  let sxq = 0;
  let maxAbs = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const a = x[i] ?? 0;
    if (a - a !== 0) {
      nonFinite++;
      continue;
    }
    const b = xq[i] ?? 0;
    const e = b - a;
    count++;
    sxx += a * a;
    see += e * e;
    sqq += b * b;
    sxq += a * b;
    const ae = Math.abs(e);
    if (ae > maxAbs || ae !== ae) maxAbs = ae;
  }
  SUMS[0] = count;
  SUMS[1] = nonFinite;
  SUMS[2] = sxx;
  SUMS[3] = see;
  SUMS[4] = sqq;
  SUMS[5] = sxq;
  SUMS[6] = maxAbs;
  return SUMS;
}

function clampUnit(c: number): number {
  return c > 1 ? 1 : c < -1 ? -1 : c;
}

/** Default outlier multiplier k: outliers are |x| > k·RMS(tensor). */
export const OUTLIER_K = 6;

/** Outliers per block: counts in (outer, block, inner) order, as the MX/NVFP4 scales. */
export interface BlockOutliers {
  /** k·RMS of the tensor's finite values: the threshold |x| must exceed. */
  threshold: number;
  counts: Uint32Array;
  total: number;
  /** Blocks holding at least one outlier. */
  blocksWithOutliers: number;
}

/**
 * Counts outliers per block of `blockSize` along the view's `length` axis. An outlier is a finite
 * element with |x| > k·RMS, RMS = sqrt(mean x²) over the whole tensor's finite values (k = 6 by
 * default: a 6-sigma event, about 2e−9 for Gaussian weights).
 *
 * Why the tensor's RMS and not the block's: within a block of n elements max|x| ≤ √n·RMS_block,
 * and √32 ≈ 5.66 < 6, so a block-local threshold could never fire. A block with an outlier is
 * where MX/NVFP4 lose the most: the outlier sets the shared scale and flushes its small
 * neighbours to zero.
 */
export function blockOutliers(data: Float32Array, view: AxisView, blockSize: number, k = OUTLIER_K): BlockOutliers {
  const { outer, length, inner } = view;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i] ?? 0;
    if (x - x !== 0) continue;
    sum += x * x;
    n++;
  }
  const threshold = n === 0 ? 0 : k * Math.sqrt(sum / n);
  const blocks = Math.ceil(length / blockSize);
  const counts = new Uint32Array(outer * blocks * inner);
  let total = 0;
  for (let o = 0; o < outer; o++) {
    for (let b = 0; b < blocks; b++) {
      const k1 = Math.min(length, (b + 1) * blockSize);
      const base = (o * blocks + b) * inner;
      for (let kk = b * blockSize; kk < k1; kk++) {
        const row = (o * length + kk) * inner;
        for (let i = 0; i < inner; i++) {
          const x = data[row + i] ?? 0;
          if (Math.abs(x) > threshold && x - x === 0) {
            counts[base + i] = (counts[base + i] ?? 0) + 1;
            total++;
          }
        }
      }
    }
  }
  let blocksWithOutliers = 0;
  for (let j = 0; j < counts.length; j++) if ((counts[j] ?? 0) > 0) blocksWithOutliers++;
  return { threshold, counts, total, blocksWithOutliers };
}
