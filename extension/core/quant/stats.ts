/**
 * What the quantization view draws besides the error metrics: a compact value histogram of a
 * tensor, its outliers per block, and the representable grid of each per-tensor format.
 */
import type { QuantGrid, QuantHistogram, QuantOutliers } from '../../protocol/quant';
import { axisView } from './axis';
import type { QuantAxes } from './axis';
import { blockOutliers, OUTLIER_K } from './error';
import { FORMATS } from './formats';
import type { FormatId } from './formats';
import { computeScaleZeroPoint } from './int';
import { E4M3, E5M2 } from './minifloat';
import { representableGrid } from './quantize';

/** Bins of the value histogram. */
export const HISTOGRAM_BINS = 64;
/** Blocks listed in `QuantOutliers.byBlockSize[].top`. */
export const TOP_OUTLIER_BLOCKS = 16;

/** Range facts of a tensor's finite values. */
export interface FiniteRange {
  /** min/max of the finite values (0 when there is none). */
  min: number;
  max: number;
  amax: number;
  nonFinite: number;
}

/** One pass: finite min, max, amax and the number of NaN/±Inf values. */
export function finiteRange(data: Float32Array): FiniteRange {
  let lo = Infinity;
  let hi = -Infinity;
  let nonFinite = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i] as number;
    if (x - x !== 0) {
      nonFinite++;
      continue;
    }
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (lo > hi) return { min: 0, max: 0, amax: 0, nonFinite };
  return { min: lo, max: hi, amax: Math.max(-lo, hi), nonFinite };
}

/**
 * Counts of the finite values in `bins` equal bins over [−amax, amax] (the last bin closed);
 * with amax = 0 every value is 0 and falls in the middle bin.
 */
export function valueHistogram(data: Float32Array, amax: number, bins = HISTOGRAM_BINS): QuantHistogram {
  const counts = new Array<number>(bins).fill(0);
  const mid = Math.floor(bins / 2);
  const perUnit = amax > 0 ? bins / (2 * amax) : 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i] as number;
    if (x - x !== 0) continue;
    let b = amax > 0 ? Math.floor((x + amax) * perUnit) : mid;
    if (b >= bins) b = bins - 1;
    else if (b < 0) b = 0;
    counts[b] = (counts[b] ?? 0) + 1;
  }
  return { min: -amax, max: amax, counts };
}

/** Outliers (|x| > k·RMS) per block, for each block size, summarised for the report. */
export function outlierSummary(data: Float32Array, shape: readonly number[], axes: QuantAxes, blockSizes: readonly number[]): QuantOutliers {
  const view = axisView(shape, axes.blockAxis, axes.blockFlattenTrailing);
  let threshold = 0;
  let total = 0;
  const byBlockSize = blockSizes.map((blockSize) => {
    const r = blockOutliers(data, view, blockSize);
    threshold = r.threshold;
    total = r.total;
    let maxInBlock = 0;
    const hits: { block: number; count: number }[] = [];
    r.counts.forEach((count, block) => {
      if (count === 0) return;
      if (count > maxInBlock) maxInBlock = count;
      hits.push({ block, count });
    });
    hits.sort((a, b) => b.count - a.count || a.block - b.block);
    return { blockSize, blocks: r.counts.length, blocksWithOutliers: r.blocksWithOutliers, maxInBlock, top: hits.slice(0, TOP_OUTLIER_BLOCKS) };
  });
  return { k: OUTLIER_K, threshold, total, byBlockSize };
}

/** The block sizes whose outliers are reported for these formats (32 when none is a block format). */
export function outlierBlockSizes(formats: readonly FormatId[]): number[] {
  const sizes = new Set<number>();
  for (const f of formats) {
    const size = FORMATS[f].blockSize;
    if (size !== null) sizes.add(size);
  }
  if (sizes.size === 0) sizes.add(32);
  return [...sizes].sort((a, b) => b - a);
}

/** True for the formats with one scale per tensor (whose grid the histogram can overlay). */
export function isPerTensorFormat(format: FormatId): boolean {
  return FORMATS[format].granularity === 'per-tensor';
}

/**
 * The representable values of a per-tensor format on a tensor with this range: the int
 * formats' (q − zp)·scale with onnxruntime's scale and zero point, FP8's element grid times
 * s = fround(amax/max). Equal to the scales `fakeQuantizeDetailed` uses (pinned by a test).
 */
export function perTensorGrid(name: string, format: FormatId, range: FiniteRange): QuantGrid {
  if (format === 'fp8_e4m3' || format === 'fp8_e5m2') {
    const scale = range.amax === 0 ? 0 : Math.fround(range.amax / (format === 'fp8_e4m3' ? E4M3 : E5M2).max);
    return { name, format, scale, zeroPoint: 0, values: Array.from(dedupe(representableGrid(format, { scale }))) };
  }
  const bits = format.startsWith('int8') ? 8 : 4;
  const { scale, zeroPoint } = computeScaleZeroPoint(range.min, range.max, { bits, symmetric: !format.includes('_asym') });
  return { name, format, scale, zeroPoint, values: Array.from(representableGrid(format, { scale, zeroPoint })) };
}

/** Drops repeated values of an ascending array (a zero scale collapses the grid to 0). */
function dedupe(values: Float32Array): Float32Array {
  const out: number[] = [];
  for (const v of values) if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  return Float32Array.from(out);
}
