/**
 * Feature diversity and the Bias Loss (FORMULAS.md §A.4, Abrahamyan et al. 2021): per-sample
 * unbiased variance of a flattened feature map, its normalisation over the evaluated dataset,
 * the low-diversity share and the bias-loss value of a set.
 */
import { BadInputError } from '../errors';
import { biasLossWeight } from './losses';
import { quantileSorted } from './stats';
import type { DiversityStats } from '../../protocol/groups';

export type { DiversityStats };

/** Unbiased (n−1) variance of `x[offset .. offset+n)` by Welford's update in float64 (NaN for n < 2). */
export function unbiasedVariance(x: ArrayLike<number>, offset: number, n: number): number {
  if (n < 2) return NaN;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[offset + i] as number;
    const d = v - mean;
    mean += d / (i + 1);
    m2 += d * (v - mean);
  }
  return m2 / (n - 1);
}

/**
 * Per-sample variance of a feature tensor [N, …]: each sample's map is flattened. A feature map
 * of one element has no unbiased variance: BadInputError naming the tensor.
 */
export function featureVariances(data: ArrayLike<number>, dims: readonly number[], tensor = 'features'): Float64Array {
  const n = dims[0] ?? 0;
  let size = 1;
  for (let i = 1; i < dims.length; i++) size *= dims[i] as number;
  if (n * size !== data.length) {
    throw new BadInputError('feature-shape', `tensor "${tensor}": shape [${dims.join(', ')}] does not match its ${data.length} values`);
  }
  if (size < 2) {
    throw new BadInputError('feature-shape', `tensor "${tensor}": a feature map of ${size} value(s) per sample has no variance`);
  }
  const out = new Float64Array(n);
  for (let s = 0; s < n; s++) out[s] = unbiasedVariance(data, s * size, size);
  return out;
}

/** Result of the dataset normalisation v̂ = (v − min v)/(max v − min v). */
export interface NormalisedDiversity {
  vHat: Float64Array;
  min: number;
  max: number;
  /** True when max = min (every v̂ is then 0, and the report says so). NaN variances stay NaN. */
  degenerate: boolean;
}

/** Normalises variances over the dataset (NaN entries are ignored for min/max and stay NaN). */
export function normaliseVariances(v: ArrayLike<number>): NormalisedDiversity {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    if (x !== x) continue;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const vHat = new Float64Array(v.length);
  const degenerate = !(max > min);
  const range = max - min;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    vHat[i] = x !== x ? NaN : degenerate ? 0 : (x - min) / range;
  }
  return { vHat, min: min === Infinity ? NaN : min, max: max === -Infinity ? NaN : max, degenerate };
}

/** Bias-loss value of a set: mean(z_i · CE_i), z = exp(α·v̂) − β, over samples where both exist. */
export function biasLossValue(vHat: ArrayLike<number>, ce: ArrayLike<number>, alpha = 0.3, beta = 0.3): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < vHat.length; i++) {
    const t = biasLossWeight(vHat[i] as number, alpha, beta) * (ce[i] as number);
    if (t !== t) continue;
    s += t;
    n++;
  }
  return n === 0 ? NaN : s / n;
}

/** Parameters of the diversity statistics. */
export interface DiversityOptions {
  /** Low-diversity threshold on v̂ (default 0.1). */
  tau?: number;
  alpha?: number;
  beta?: number;
}

/** Quantiles reported for v̂. */
export const DIVERSITY_QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9] as const;

/**
 * Statistics of the samples `rows` (indices; all samples when omitted) given per-sample v̂,
 * cross-entropy and correctness (1/0). Unweighted.
 */
export function diversityStats(
  vHat: ArrayLike<number>,
  ce: ArrayLike<number>,
  correct: ArrayLike<number>,
  rows?: ArrayLike<number>,
  options: DiversityOptions = {},
): DiversityStats {
  const tau = options.tau ?? 0.1;
  const alpha = options.alpha ?? 0.3;
  const beta = options.beta ?? 0.3;
  const m = rows === undefined ? vHat.length : rows.length;
  const values = new Float64Array(m);
  let count = 0;
  let sum = 0;
  let low = 0;
  let lowCorrect = 0;
  let restCorrect = 0;
  let lossSum = 0;
  let lossN = 0;
  for (let j = 0; j < m; j++) {
    const i = rows === undefined ? j : (rows[j] as number);
    const v = vHat[i] as number;
    if (v !== v) continue;
    values[count++] = v;
    sum += v;
    const ok = correct[i] as number;
    if (v <= tau) {
      low++;
      lowCorrect += ok;
    } else {
      restCorrect += ok;
    }
    const t = biasLossWeight(v, alpha, beta) * (ce[i] as number);
    if (t === t) {
      lossSum += t;
      lossN++;
    }
  }
  const sorted = values.subarray(0, count).sort();
  return {
    count,
    meanVHat: count === 0 ? NaN : sum / count,
    quantiles: DIVERSITY_QUANTILES.map((q) => quantileSorted(sorted, q)),
    lowCount: low,
    lowShare: count === 0 ? NaN : low / count,
    lowAccuracy: low === 0 ? NaN : lowCorrect / low,
    restAccuracy: count - low === 0 ? NaN : restCorrect / (count - low),
    biasLoss: lossN === 0 ? NaN : lossSum / lossN,
  };
}
