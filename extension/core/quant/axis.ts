/**
 * Which axis a weight is quantized along (FORMULAS.md §C), from a plain description of the op
 * that consumes it, and how an axis maps onto the row-major buffer.
 */
import { BadInputError } from '../errors';

/** The consuming op of a weight, without ONNX types: op type, which input the weight is, int attributes. */
export interface ConsumerDescription {
  op: string;
  inputIndex: number;
  attrs: Record<string, number>;
}

/** Axes for one weight. */
export interface QuantAxes {
  /** Per-channel axis of the int formats; null = one channel (per-tensor) for rank ≤ 1. */
  channelAxis: number | null;
  /** Block (reduction) axis of the MX and NVFP4 formats. */
  blockAxis: number;
  /** True when the axes after `blockAxis` are flattened into it before blocking (Conv W: [Co, Ci·kh·kw]). */
  blockFlattenTrailing: boolean;
}

/**
 * Axes of a weight of rank `rank` consumed as described:
 * - MatMul B ([K, N], or batched [..., K, N]): channel = last axis (N; 1 for 2-D), block = K (0 for 2-D).
 *   MatMul A as a weight: channel = rows (rank−2), block = last axis.
 * - Gemm B: channel 0 if transB else 1; block 1 if transB else 0 (transB absent = 0).
 *   Gemm A: block 0 if transA else 1, channel the other.
 * - Conv W [Co, Ci/g, kh, ...]: channel 0; block axis 1 flattened with the kernel ([Co, Ci·kh·kw]),
 *   so blocks never cross output channels.
 * - ConvTranspose W [Ci, Co/g, kh, ...]: channel 1 (onnxruntime's choice); block axis 0.
 * - Anything else (Gather tables, Add biases, …): channel 0, block = last axis.
 * Rank ≤ 1: channelAxis null (per-tensor), block axis 0.
 */
export function quantAxesFor(consumer: ConsumerDescription, rank: number): QuantAxes {
  if (rank <= 1) return { channelAxis: null, blockAxis: 0, blockFlattenTrailing: false };
  const last = rank - 1;
  const { op, inputIndex, attrs } = consumer;
  if (op === 'MatMul' && inputIndex === 1) return { channelAxis: last, blockAxis: rank - 2, blockFlattenTrailing: false };
  if (op === 'MatMul' && inputIndex === 0) return { channelAxis: rank - 2, blockAxis: last, blockFlattenTrailing: false };
  if (op === 'Gemm' && rank === 2 && inputIndex === 1) {
    const transB = (attrs['transB'] ?? 0) !== 0;
    return { channelAxis: transB ? 0 : 1, blockAxis: transB ? 1 : 0, blockFlattenTrailing: false };
  }
  if (op === 'Gemm' && rank === 2 && inputIndex === 0) {
    const transA = (attrs['transA'] ?? 0) !== 0;
    return { channelAxis: transA ? 1 : 0, blockAxis: transA ? 0 : 1, blockFlattenTrailing: false };
  }
  if (op === 'Conv' && inputIndex === 1) return { channelAxis: 0, blockAxis: 1, blockFlattenTrailing: true };
  if (op === 'ConvTranspose' && inputIndex === 1) return { channelAxis: 1, blockAxis: 0, blockFlattenTrailing: false };
  return { channelAxis: 0, blockAxis: last, blockFlattenTrailing: false };
}

/** A tensor seen as [outer, length, inner] around one axis (row-major): element (o, k, i) is at (o·length + k)·inner + i. */
export interface AxisView {
  outer: number;
  length: number;
  inner: number;
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Normalizes a possibly negative axis and checks it against the shape.
 * @throws BadInputError `quant.bad-axis` naming the tensor, the axis and the shape.
 */
export function normalizeAxis(axis: number, shape: readonly number[], what: string, tensor?: string): number {
  const rank = Math.max(1, shape.length);
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    const name = tensor === undefined ? 'tensor' : `tensor "${tensor}"`;
    throw new BadInputError('quant.bad-axis', `${name}: ${what} ${axis} is out of range for shape [${shape.join(', ')}]`);
  }
  return a;
}

/**
 * The [outer, length, inner] view around `axis` (already normalized). With `flattenTrailing`,
 * the axes from `axis` to the end form `length` and inner = 1. A scalar is [1, 1, 1].
 */
export function axisView(shape: readonly number[], axis: number, flattenTrailing = false): AxisView {
  if (shape.length === 0) return { outer: 1, length: 1, inner: 1 };
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d] ?? 1;
  let length = shape[axis] ?? 1;
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d] ?? 1;
  if (flattenTrailing) {
    length *= inner;
    inner = 1;
  }
  return { outer, length, inner };
}
