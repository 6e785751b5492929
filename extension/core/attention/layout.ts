/**
 * Views over exported attention probabilities. Exporters write them as [B, H, T, T] or with batch
 * and heads merged as [B·H, T, T]; both are the same contiguous order (index (b·H + h)·T² + i·T + j),
 * so a per-sample per-head map is a `subarray`: no copy. float16 outputs (a Uint16Array of bits,
 * as onnxruntime-node returns them) are widened once by `float16ToFloat32`.
 */
import type { AttentionLayout } from '../../protocol/attention';
import { BadInputError } from '../errors';
import { resolvePositions, type Validity } from './positions';
import type { FloatArray } from './entropy';

/** The export layouts, as recorded in the report's `attention.layout` (the protocol's type). */
export type { AttentionLayout };

/** Per-sample, per-head row-major T×T maps of one attention-probability tensor. */
export interface AttentionView {
  readonly layout: AttentionLayout;
  readonly batch: number;
  readonly heads: number;
  /** T: maps are T×T. */
  readonly seqLen: number;
  /** Map of (sample, head): a view into the tensor's data, not a copy. */
  map(sample: number, head: number): FloatArray;
  /** Maps of every head of one sample, head order. */
  maps(sample: number): FloatArray[];
}

/** Where a tensor comes from, for error messages. */
export interface TensorSource {
  /** Graph output name of the tensor. */
  readonly tensor?: string;
  readonly file?: string;
}

/**
 * A view of `data` with shape `dims`: rank 4 is [B, H, T, T] (`heads`, when given, must equal
 * dims[1]); rank 3 is [B·H, T, T] and needs `heads`. Throws BadInputError naming the tensor when the
 * shape does not fit.
 */
export function viewAttention(data: FloatArray, dims: readonly number[], options: { heads?: number } & TensorSource = {}): AttentionView {
  const name = `attention tensor${options.tensor === undefined ? '' : ` '${options.tensor}'`}`;
  const fail = (cause: string): never => {
    throw new BadInputError('attention-shape', `${name} has shape [${dims.join(', ')}]: ${cause}`, fileOption(options));
  };
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) fail('dimensions must be non-negative integers');
  let layout: AttentionLayout;
  let batch: number;
  let heads: number;
  if (dims.length === 4) {
    layout = '[B,H,T,T]';
    batch = dims[0]!;
    heads = dims[1]!;
    if (options.heads !== undefined && options.heads !== heads) fail(`expected ${options.heads} heads on axis 1`);
  } else if (dims.length === 3) {
    layout = '[B*H,T,T]';
    if (options.heads === undefined || !Number.isInteger(options.heads) || options.heads <= 0) {
      return fail('a rank-3 [B*H, T, T] layout needs the number of heads');
    }
    heads = options.heads;
    if (dims[0]! % heads !== 0) fail(`axis 0 (${dims[0]}) is not a multiple of ${heads} heads`);
    batch = dims[0]! / heads;
  } else {
    return fail('expected [B, H, T, T] or [B*H, T, T]');
  }
  const T = dims[dims.length - 1]!;
  if (dims[dims.length - 2] !== T) fail('the last two axes (queries, keys) must be equal');
  const size = T * T;
  if (data.length !== batch * heads * size) fail(`it holds ${data.length} values, the shape needs ${batch * heads * size}`);
  const map = (sample: number, head: number): FloatArray => {
    if (!Number.isInteger(sample) || sample < 0 || sample >= batch || !Number.isInteger(head) || head < 0 || head >= heads) {
      throw new RangeError(`${name}: (sample ${sample}, head ${head}) outside ${batch} samples × ${heads} heads`);
    }
    const start = (sample * heads + head) * size;
    return data.subarray(start, start + size);
  };
  return {
    layout, batch, heads, seqLen: T, map,
    maps: (sample) => Array.from({ length: heads }, (_, h) => map(sample, h)),
  };
}

function fileOption(source: TensorSource): { file?: string } {
  return source.file === undefined ? {} : { file: source.file };
}

/** IEEE half-precision bit patterns to float32 (exact: every half is a float32). */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * fraction * 2 ** -24;
    else if (exponent === 31) out[i] = fraction === 0 ? sign * Infinity : Number.NaN;
    else out[i] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return out;
}

/** The row whose sum over valid keys is farthest from 1. */
export interface WorstRow {
  readonly sample: number;
  readonly head: number;
  readonly row: number;
  readonly sum: number;
  /** |sum − 1|; NaN when the row holds NaN. */
  readonly deviation: number;
}

/** Result of `checkRowSums`: a value, not an exception (the caller decides how to report it). */
export interface RowSumCheck {
  /** Every valid row sums to 1 within the tolerance. */
  readonly ok: boolean;
  readonly rowsChecked: number;
  /** Undefined when no row was checked. */
  readonly worst: WorstRow | undefined;
  readonly tolerance: number;
}

/**
 * Checks that every valid query row of every map sums to 1 within `tolerance` (default 1e-5) over
 * its valid keys, and reports the worst row. `validity[b]` is sample b's validity (absent: all
 * positions valid). A row holding NaN is worse than any finite deviation.
 */
export function checkRowSums(
  view: AttentionView,
  options: { validity?: readonly (Validity | undefined)[]; tolerance?: number } = {},
): RowSumCheck {
  const tolerance = options.tolerance ?? 1e-5;
  const T = view.seqLen;
  let worst: WorstRow | undefined;
  let rowsChecked = 0;
  for (let b = 0; b < view.batch; b++) {
    const { valid } = resolvePositions(T, { validity: options.validity?.[b], where: `sample ${b}` });
    for (let h = 0; h < view.heads; h++) {
      const map = view.map(b, h);
      for (const i of valid) {
        let sum = 0;
        for (const j of valid) sum += map[i * T + j]!;
        const deviation = Math.abs(sum - 1);
        rowsChecked++;
        if (worst === undefined || isWorse(deviation, worst.deviation)) {
          worst = { sample: b, head: h, row: i, sum, deviation };
        }
      }
    }
  }
  return { ok: worst === undefined || worst.deviation <= tolerance, rowsChecked, worst, tolerance };
}

function isWorse(deviation: number, than: number): boolean {
  if (Number.isNaN(than)) return false;
  return Number.isNaN(deviation) || deviation > than;
}
