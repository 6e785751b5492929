/**
 * Additive attention bias (logits = scale·QKᵀ + B, FORMULAS.md §D): ALiBi slopes and matrices, T5
 * relative-position buckets, effective rank by energy (FlashBias), and a classifier telling an
 * ALiBi / relative (Toeplitz) bias from other biases and from a mask.
 */
import type { AttentionBiasEntry } from '../../protocol/attention';
import { throwIfAborted } from '../errors';
import { singularValues } from './svd';

/**
 * ALiBi slopes for n heads (Press et al.): for n a power of two m_h = 2^(−8(h+1)/n); otherwise the
 * 2^⌊log2 n⌋ slopes of that rule followed by every other slope (the 1st, 3rd, …) of the rule for
 * 2·2^⌊log2 n⌋, up to n in all.
 */
export function alibiSlopes(n: number): Float64Array {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`alibiSlopes: the number of heads must be a positive integer, got ${n}`);
  const powerOfTwo = (k: number): number[] => Array.from({ length: k }, (_, h) => 2 ** ((-8 * (h + 1)) / k));
  const closest = 2 ** Math.floor(Math.log2(n));
  if (closest === n) return Float64Array.from(powerOfTwo(n));
  const extra = powerOfTwo(2 * closest).filter((_, h) => h % 2 === 0).slice(0, n - closest);
  return Float64Array.from([...powerOfTwo(closest), ...extra]);
}

/**
 * The T×T ALiBi bias of one head, row-major: `causal` −m·(i − j) over the whole matrix (the causal
 * mask, if any, is a separate term), or `symmetric` −m·|i − j| (bidirectional encoders).
 */
export function alibiBias(T: number, slope: number, form: 'causal' | 'symmetric' = 'causal'): Float64Array {
  const out = new Float64Array(T * T);
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) out[i * T + j] = 0 - slope * (form === 'causal' ? i - j : Math.abs(i - j)); // 0 − x: no −0 on the diagonal
  }
  return out;
}

/** Options of T5's relative-position bucketing (defaults as T5 and Hugging Face). */
export interface T5BucketOptions {
  /** Encoder self-attention: separate buckets for keys before and after the query (default true). */
  readonly bidirectional?: boolean;
  readonly numBuckets?: number;
  readonly maxDistance?: number;
}

/**
 * T5's bucket of relative position (key − query), exactly as Hugging Face's
 * `_relative_position_bucket`: bidirectional halves the buckets (keys after the query in the upper
 * half); distances below max_exact = buckets/2 get their own bucket, larger ones are log-spaced up
 * to max_distance and clipped to the last bucket. The log step runs in float32, as the reference
 * does, so that distances on a bucket boundary (16, 32, 64 with the defaults) land where it puts them.
 */
export function t5RelativeBucket(relativePosition: number, options: T5BucketOptions = {}): number {
  const bidirectional = options.bidirectional ?? true;
  let buckets = options.numBuckets ?? 32;
  const maxDistance = options.maxDistance ?? 128;
  let bucket = 0;
  let distance: number;
  if (bidirectional) {
    buckets = Math.floor(buckets / 2);
    if (relativePosition > 0) bucket += buckets;
    distance = Math.abs(relativePosition);
  } else {
    distance = Math.max(-relativePosition, 0);
  }
  const maxExact = Math.floor(buckets / 2);
  if (distance < maxExact) return bucket + distance;
  const f = Math.fround;
  const logRatio = f(Math.log(f(f(distance) / maxExact)));
  const scaled = f(f(logRatio / f(Math.log(maxDistance / maxExact))) * (buckets - maxExact));
  return bucket + Math.min(maxExact + Math.trunc(scaled), buckets - 1);
}

/** Bucket of every (query i, key j) cell, row-major queries×keys: t5RelativeBucket(j − i). */
export function t5BucketMatrix(queries: number, keys: number, options: T5BucketOptions = {}): Int32Array {
  const out = new Int32Array(queries * keys);
  for (let i = 0; i < queries; i++) for (let j = 0; j < keys; j++) out[i * keys + j] = t5RelativeBucket(j - i, options);
  return out;
}

/** energy[R−1] = Σ_{r≤R} σ_r² / Σ σ² for σ sorted descending; all ones for a zero matrix. */
export function energyCurve(sigma: ArrayLike<number>): Float64Array {
  const out = new Float64Array(sigma.length);
  let total = 0;
  for (let r = 0; r < sigma.length; r++) total += sigma[r]! ** 2;
  let running = 0;
  for (let r = 0; r < sigma.length; r++) {
    running += sigma[r]! ** 2;
    out[r] = total > 0 ? running / total : 1;
  }
  return out;
}

/**
 * Smallest R with energy(R) ≥ threshold (default 0.995, FlashBias); 0 for a zero matrix. A relative
 * slack of 1e-12 keeps a mathematically exact threshold from flipping on rounding.
 */
export function effectiveRank(sigma: ArrayLike<number>, threshold = 0.995): number {
  let total = 0;
  for (let r = 0; r < sigma.length; r++) total += sigma[r]! ** 2;
  if (total === 0) return 0;
  const energy = energyCurve(sigma);
  for (let r = 0; r < energy.length; r++) if (energy[r]! >= threshold - 1e-12) return r + 1;
  return energy.length;
}

/** Cells at or below this value (or −inf) are masked out, not biased. */
export const MASK_VALUE = -1e4;

/** What an additive T×T term of the attention logits is. */
export type AdditiveTermKind = 'mask' | 'alibi' | 'relative' | 'other';

export interface AdditiveTermClass {
  readonly kind: AdditiveTermKind;
  /** Cells ≤ MASK_VALUE or −inf (a mask folded into the bias); they are left out of every fit. */
  readonly maskedCells: number;
  /** ALiBi: the fitted slope m > 0 and the form, −m·(i − j) or −m·|i − j| (plus a per-row constant). */
  readonly slope?: number;
  readonly form?: 'causal' | 'symmetric';
  /** Relative: the value on each diagonal, index (i − j) + T − 1; NaN where every cell is masked. */
  readonly byOffset?: Float64Array;
  /** Largest |residual| of the accepted fit, for kinds alibi and relative. */
  readonly residual?: number;
}

/** Options of classifyAdditiveTerm. */
export interface ClassifyOptions {
  /** A fit holds when every residual ≤ tolerance·max(1, max |B|) (default 1e-5: float32 exports). */
  readonly tolerance?: number;
}

/**
 * Classifies a row-major T×T additive term. A mask holds only 0 and masked values (≤ −1e4, −inf);
 * an all-zero term counts as a mask that masks nothing. Otherwise, over the unmasked cells:
 * "alibi" when B = −m·d(i, j) + c_i for one slope m > 0 with d = i − j or |i − j| (a per-row
 * constant c_i changes no softmax, so BLOOM's m·j form counts); "relative" when B depends only on
 * i − j (Toeplitz, e.g. T5 buckets); else "other". +inf or NaN cells make it "other".
 */
export function classifyAdditiveTerm(matrix: ArrayLike<number>, T: number, options: ClassifyOptions = {}): AdditiveTermClass {
  if (matrix.length !== T * T) throw new RangeError(`classifyAdditiveTerm: ${matrix.length} values are not a ${T}×${T} matrix`);
  const tolerance = options.tolerance ?? 1e-5;
  let maskedCells = 0;
  let onlyZeroOrMask = true;
  let maxAbs = 0;
  for (let c = 0; c < matrix.length; c++) {
    const x = matrix[c]!;
    if (Number.isNaN(x) || x === Infinity) return { kind: 'other', maskedCells };
    if (x <= MASK_VALUE) {
      maskedCells++;
    } else {
      if (x !== 0) onlyZeroOrMask = false;
      maxAbs = Math.max(maxAbs, Math.abs(x));
    }
  }
  if (onlyZeroOrMask) return { kind: 'mask', maskedCells };
  const limit = tolerance * Math.max(1, maxAbs);
  const isUnmasked = (c: number): boolean => matrix[c]! > MASK_VALUE;
  let best: { slope: number; form: 'causal' | 'symmetric'; residual: number } | undefined;
  for (const form of ['causal', 'symmetric'] as const) {
    const fit = fitAlibi(matrix, T, form, isUnmasked);
    if (fit.slope > limit / Math.max(1, T) && fit.residual <= limit && (!best || fit.residual < best.residual)) best = { ...fit, form };
  }
  if (best) return { kind: 'alibi', maskedCells, slope: best.slope, form: best.form, residual: best.residual };
  const toeplitz = diagonalValues(matrix, T, isUnmasked);
  if (toeplitz.residual <= limit) return { kind: 'relative', maskedCells, byOffset: toeplitz.byOffset, residual: toeplitz.residual };
  return { kind: 'other', maskedCells };
}

/** Least squares fit of B_ij = −m·d_ij + c_i over unmasked cells; returns m and the largest |residual|. */
function fitAlibi(B: ArrayLike<number>, T: number, form: 'causal' | 'symmetric', use: (c: number) => boolean): { slope: number; residual: number } {
  const distance = (i: number, j: number): number => (form === 'causal' ? i - j : Math.abs(i - j));
  const meanB = new Float64Array(T);
  const meanD = new Float64Array(T);
  let num = 0;
  let den = 0;
  for (let i = 0; i < T; i++) {
    let sb = 0;
    let sd = 0;
    let n = 0;
    for (let j = 0; j < T; j++) {
      if (!use(i * T + j)) continue;
      sb += B[i * T + j]!;
      sd += distance(i, j);
      n++;
    }
    if (n === 0) continue;
    meanB[i] = sb / n;
    meanD[i] = sd / n;
    for (let j = 0; j < T; j++) {
      if (!use(i * T + j)) continue;
      const dd = distance(i, j) - meanD[i]!;
      num += (B[i * T + j]! - meanB[i]!) * dd;
      den += dd * dd;
    }
  }
  if (den === 0) return { slope: 0, residual: Infinity };
  const slope = -num / den;
  let residual = 0;
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      if (!use(i * T + j)) continue;
      const predicted = meanB[i]! - slope * (distance(i, j) - meanD[i]!);
      residual = Math.max(residual, Math.abs(B[i * T + j]! - predicted));
    }
  }
  return { slope, residual };
}

/** Mean of each diagonal (offset i − j) over unmasked cells and the largest deviation from it. */
function diagonalValues(B: ArrayLike<number>, T: number, use: (c: number) => boolean): { byOffset: Float64Array; residual: number } {
  const sum = new Float64Array(2 * T - 1);
  const count = new Float64Array(2 * T - 1);
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      if (!use(i * T + j)) continue;
      sum[i - j + T - 1]! += B[i * T + j]!;
      count[i - j + T - 1]!++;
    }
  }
  const byOffset = sum.map((s, o) => (count[o]! > 0 ? s / count[o]! : Number.NaN));
  let residual = 0;
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      if (use(i * T + j)) residual = Math.max(residual, Math.abs(B[i * T + j]! - byOffset[i - j + T - 1]!));
    }
  }
  return { byOffset, residual };
}

/** DESIGN.md §4 `attention.bias` entry, without layer and head. */
export interface BiasAnalysis {
  readonly kind: 'relative' | 'alibi' | 'other';
  /** Smallest R with energy ≥ 0.995. */
  readonly rank: number;
  /** The energy curve: energy[R−1] for R = 1..T. */
  readonly energy: number[];
  readonly slope?: number;
  /** Singular values, descending. */
  readonly singularValues: Float64Array;
  readonly maskedCells: number;
}

/**
 * Kind, effective rank and energy curve of a T×T bias term (not a mask: those return undefined).
 * Masked cells (a causal mask folded into the bias) count as 0 for the rank: FlashBias factorises
 * the bias, the mask is applied apart.
 */
export function analyzeBias(matrix: ArrayLike<number>, T: number, options: ClassifyOptions & { threshold?: number; signal?: AbortSignal } = {}): BiasAnalysis | undefined {
  const cls = classifyAdditiveTerm(matrix, T, options);
  if (cls.kind === 'mask') return undefined;
  throwIfAborted(options.signal);
  const finite = Float64Array.from({ length: T * T }, (_, c) => {
    const x = matrix[c]!;
    return x <= MASK_VALUE || !Number.isFinite(x) ? 0 : x;
  });
  const sigma = singularValues(finite, T, T, options.signal === undefined ? {} : { signal: options.signal });
  return {
    kind: cls.kind,
    rank: effectiveRank(sigma, options.threshold),
    energy: Array.from(energyCurve(sigma)),
    ...(cls.slope === undefined ? {} : { slope: cls.slope }),
    singularValues: sigma,
    maskedCells: cls.maskedCells,
  };
}

/** The report's `attention.bias` entry (DESIGN.md §4) for one head, with exactly the contract's fields. */
export type BiasReportEntry = AttentionBiasEntry;

/** Picks the report fields of an analysis. */
export function biasReportEntry(layer: number, head: number, analysis: BiasAnalysis): BiasReportEntry {
  return {
    layer, head, kind: analysis.kind, rank: analysis.rank, energy: analysis.energy,
    ...(analysis.slope === undefined ? {} : { slope: analysis.slope }),
  };
}
