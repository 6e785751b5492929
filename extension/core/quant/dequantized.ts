/**
 * Existing quantized checkpoints (issue 6 item 5): the integer weights of a QDQ model
 * (DequantizeLinear on an int8/uint8/int4/uint4/int32 initializer, per-tensor or per-axis scale
 * and zero point) or a QOperator model (QLinearConv, QLinearMatMul, MatMulInteger weights),
 * dequantized x = (q − zero_point)·scale in float32 (as onnxruntime computes it), matched to a
 * float model's initializers and compared with them (FORMULAS.md §C error metrics).
 *
 * Matching rule: a quantized weight feeds an op (the DequantizeLinear output's consumer, or the
 * QOperator node) that stands for a float op (QLinearConv → Conv, QLinearMatMul/MatMulInteger →
 * MatMul, the same op for QDQ) at a weight input (QOperator: input 1; QDQ: the same index). The
 * float weight is the initializer the float model feeds to that float op at that input, the op
 * being found, in this order, by: (1) the same node name (ORT's `_quant` suffix removed), (2) the
 * same data input (input 0, followed back through QuantizeLinear/DequantizeLinear in both
 * models), (3) the same first output (ORT's `_quantized` suffix removed); failing those,
 * (4) the float initializer named like the quantized one without ORT's `_quantized` suffix. The
 * shapes must be equal. Everything left over is listed as unmatched with the reason.
 */
import { BadInputError, throwIfAborted } from '../errors';
import { dtypeName, readTensorData, tensorToFloat32 } from '../onnx';
import type { GraphProto, LoadedModel, NodeProto, TensorProto } from '../onnx';
import type { QuantCheckpoint, QuantCheckpointTensor } from '../../protocol/quant';
import { DEFAULT_MIN_ELEMENTS } from './analyze';
import { tensorError } from './error';
import { selectWeights } from './select';

/** A quantized weight found in the checkpoint, dequantized. */
export interface DequantizedWeight {
  /** The integer initializer. */
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly axis: number | null;
  readonly values: Float32Array;
  /** The node that consumes it (QDQ: the DequantizeLinear output's consumer). */
  readonly node: NodeProto;
  readonly style: 'qdq' | 'qoperator';
  /** The float op it stands for and the weight's input index there. */
  readonly floatOp: string;
  readonly floatInput: number;
}

const INT_DTYPES = new Set(['int8', 'uint8', 'int4', 'uint4', 'int32']);
/** QOperator ops: weight, scale, zero-point input indices and the float op. */
const QOPERATOR: Readonly<Record<string, { w: number; scale: number | null; zp: number; floatOp: string }>> = {
  QLinearConv: { w: 3, scale: 4, zp: 5, floatOp: 'Conv' },
  QLinearMatMul: { w: 3, scale: 4, zp: 5, floatOp: 'MatMul' },
  MatMulInteger: { w: 1, scale: null, zp: 3, floatOp: 'MatMul' },
};

/** Integer values of an int8/uint8/int4/uint4/int32 tensor. */
export async function readIntTensor(model: LoadedModel, tensor: TensorProto, signal?: AbortSignal): Promise<Int32Array> {
  const dtype = dtypeName(tensor.dataType);
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (tensor.rawData === undefined && tensor.externalData.length === 0) {
    if (dtype === 'int4' || dtype === 'uint4') throw new BadInputError('quant.bad-int-tensor', `${model.path}: tensor '${tensor.name ?? ''}': 4-bit weights stored in int32_data are not supported (raw_data only)`, { file: model.path });
    if (tensor.int32Data.length !== count) throw new BadInputError('quant.bad-int-tensor', `${model.path}: tensor '${tensor.name ?? ''}' holds ${tensor.int32Data.length} values for ${count} elements`, { file: model.path });
    return Int32Array.from(tensor.int32Data);
  }
  const raw = await readTensorData(model, tensor, signal ? { signal } : {});
  const out = new Int32Array(count);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < count; i++) {
    if (dtype === 'int8') out[i] = view.getInt8(i);
    else if (dtype === 'uint8') out[i] = view.getUint8(i);
    else if (dtype === 'int32') out[i] = view.getInt32(i * 4, true);
    else {
      const byte = view.getUint8(i >> 1);
      const nibble = i % 2 === 0 ? byte & 0x0f : byte >> 4;
      out[i] = dtype === 'int4' && nibble >= 8 ? nibble - 16 : nibble;
    }
  }
  return out;
}

/** (q − zp)·scale in float32, with one scale/zero point per slice along `axis` (null: per tensor). */
export function dequantize(q: Int32Array, shape: readonly number[], scale: Float32Array, zeroPoint: Int32Array | null, axis: number | null): Float32Array {
  const out = new Float32Array(q.length);
  let inner = 1;
  let channels = 1;
  if (axis !== null) {
    channels = shape[axis] ?? 1;
    for (let d = axis + 1; d < shape.length; d++) inner *= shape[d] as number;
  }
  for (let i = 0; i < q.length; i++) {
    const c = axis === null ? 0 : Math.floor(i / inner) % channels;
    const zp = zeroPoint ? (zeroPoint[c] as number) : 0;
    // Float32 product, as DequantizeLinear computes it (the store rounds it).
    out[i] = ((q[i] as number) - zp) * (scale[c] as number);
  }
  return out;
}

interface GraphIndex {
  graph: GraphProto;
  initializers: Map<string, TensorProto>;
  producers: Map<string, NodeProto>;
  consumers: Map<string, { node: NodeProto; index: number }[]>;
}

function indexGraph(graph: GraphProto): GraphIndex {
  const initializers = new Map(graph.initializer.map((t) => [t.name ?? '', t] as const));
  const producers = new Map<string, NodeProto>();
  const consumers = new Map<string, { node: NodeProto; index: number }[]>();
  for (const node of graph.node) {
    for (const o of node.output) if (o) producers.set(o, node);
    node.input.forEach((input, index) => {
      if (!input) return;
      const list = consumers.get(input) ?? [];
      list.push({ node, index });
      consumers.set(input, list);
    });
  }
  // Constant nodes count as initializers.
  for (const node of graph.node) {
    if (node.opType !== 'Constant') continue;
    const t = node.attribute.find((a) => a.name === 'value')?.t;
    const out = node.output[0];
    if (t && out) initializers.set(out, t);
  }
  return { graph, initializers, producers, consumers };
}

function attrInt(node: NodeProto, name: string): number | undefined {
  return node.attribute.find((a) => a.name === name)?.i;
}

/** The integer initializer behind `name` (through Identity), if any. */
function initializerOf(g: GraphIndex, name: string | undefined): { name: string; tensor: TensorProto } | null {
  let current = name;
  for (let hops = 0; current && hops < 4; hops++) {
    const t = g.initializers.get(current);
    if (t) return { name: current, tensor: t };
    const p = g.producers.get(current);
    if (!p || p.opType !== 'Identity') return null;
    current = p.input[0];
  }
  return null;
}

/** MatMulInteger's weight scale: Mul(·, s) after an optional Cast, s = an initializer or Mul(a_scale, w_scale). */
function matMulIntegerScale(g: GraphIndex, node: NodeProto): TensorProto | null {
  const uses = [...(g.consumers.get(node.output[0] ?? '') ?? [])];
  const cast = uses.find((u) => u.node.opType === 'Cast');
  if (cast) uses.push(...(g.consumers.get(cast.node.output[0] ?? '') ?? []));
  for (const use of uses) {
    if (use.node.opType !== 'Mul') continue;
    const other = use.node.input[1 - use.index];
    const direct = initializerOf(g, other);
    if (direct) return direct.tensor;
    const p = other ? g.producers.get(other) : undefined;
    if (p?.opType !== 'Mul') continue;
    for (const input of p.input) {
      const init = initializerOf(g, input);
      if (init) return init.tensor;
    }
  }
  return null;
}

/**
 * Every quantized weight of the model's main graph, dequantized; weights that cannot be read
 * (no scale, blocked quantization, unsupported type) are returned in `unreadable` with the reason.
 */
export async function findQuantizedWeights(model: LoadedModel, signal?: AbortSignal): Promise<{ weights: DequantizedWeight[]; unreadable: { name: string; reason: string }[] }> {
  const graph = model.proto.graph;
  if (!graph) throw new BadInputError('onnx.no-graph', `${model.path}: the model has no graph`, { file: model.path });
  const g = indexGraph(graph);
  const weights: DequantizedWeight[] = [];
  const unreadable: { name: string; reason: string }[] = [];
  const floatOf = async (t: TensorProto): Promise<Float32Array> => tensorToFloat32(model, t, signal ? { signal } : {});
  for (const node of graph.node) {
    throwIfAborted(signal);
    const op = node.opType ?? '';
    if (op === 'DequantizeLinear') {
      const w = initializerOf(g, node.input[0]);
      if (!w) continue; // an activation
      const dtype = dtypeName(w.tensor.dataType);
      if (!INT_DTYPES.has(dtype)) { unreadable.push({ name: w.name, reason: `${dtype} weight: only integer types are dequantized` }); continue; }
      if ((attrInt(node, 'block_size') ?? 0) !== 0) { unreadable.push({ name: w.name, reason: 'blocked DequantizeLinear (block_size) is not supported' }); continue; }
      const scaleT = initializerOf(g, node.input[1]);
      if (!scaleT) { unreadable.push({ name: w.name, reason: 'its scale is computed, not stored' }); continue; }
      const shape = [...w.tensor.dims];
      const scale = await floatOf(scaleT.tensor);
      const zpT = initializerOf(g, node.input[2]);
      const zp = zpT ? await readIntTensor(model, zpT.tensor, signal) : null;
      let axis: number | null = null;
      if (scale.length > 1) {
        const a = attrInt(node, 'axis') ?? 1;
        axis = a < 0 ? a + shape.length : a;
        if ((shape[axis] ?? -1) !== scale.length) { unreadable.push({ name: w.name, reason: `${scale.length} scales do not match axis ${axis} of shape [${shape.join(', ')}]` }); continue; }
      }
      const values = dequantize(await readIntTensor(model, w.tensor, signal), shape, scale, zp, axis);
      const out = node.output[0] ?? '';
      for (const use of followIdentity(g, out)) {
        weights.push({ name: w.name, dtype, shape, axis, values, node: use.node, style: 'qdq', floatOp: use.node.opType ?? '', floatInput: use.index });
      }
      continue;
    }
    const q = QOPERATOR[op];
    if (!q) continue;
    const w = initializerOf(g, node.input[q.w]);
    if (!w) continue;
    const dtype = dtypeName(w.tensor.dataType);
    const shape = [...w.tensor.dims];
    const scaleT = q.scale === null ? matMulIntegerScale(g, node) : initializerOf(g, node.input[q.scale])?.tensor ?? null;
    if (!scaleT) { unreadable.push({ name: w.name, reason: `${op} '${node.name ?? ''}': no stored weight scale found` }); continue; }
    const scale = await floatOf(scaleT);
    const zpT = initializerOf(g, node.input[q.zp]);
    const zp = zpT ? await readIntTensor(model, zpT.tensor, signal) : null;
    // Per-channel: output channels (axis 0) for Conv, columns (last axis) for MatMul.
    const axis = scale.length > 1 ? (op === 'QLinearConv' ? 0 : shape.length - 1) : null;
    if (axis !== null && (shape[axis] ?? -1) !== scale.length) { unreadable.push({ name: w.name, reason: `${scale.length} scales do not match axis ${axis} of shape [${shape.join(', ')}]` }); continue; }
    const values = dequantize(await readIntTensor(model, w.tensor, signal), shape, scale, zp, axis);
    weights.push({ name: w.name, dtype, shape, axis, values, node, style: 'qoperator', floatOp: q.floatOp, floatInput: 1 });
  }
  return { weights, unreadable };
}

function followIdentity(g: GraphIndex, name: string): { node: NodeProto; index: number }[] {
  const out: { node: NodeProto; index: number }[] = [];
  for (const use of g.consumers.get(name) ?? []) {
    if (use.node.opType === 'Identity' && use.node.output[0]) out.push(...followIdentity(g, use.node.output[0]));
    else out.push(use);
  }
  return out;
}

/** The tensor a data input stands for: followed back through QuantizeLinear/DequantizeLinear. */
function dataSource(g: GraphIndex, name: string | undefined): string | undefined {
  let current = name;
  for (let hops = 0; current && hops < 4; hops++) {
    const p = g.producers.get(current);
    if (!p || (p.opType !== 'QuantizeLinear' && p.opType !== 'DequantizeLinear')) return current;
    current = p.input[0];
  }
  return current;
}

function strip(name: string | undefined, suffix: string): string {
  return name && name.endsWith(suffix) ? name.slice(0, -suffix.length) : (name ?? '');
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Matches the checkpoint's dequantized weights to the float model's initializers and measures their error. */
export async function compareCheckpointWeights(quantized: LoadedModel, float: LoadedModel, options: { minElements?: number; signal?: AbortSignal } = {}): Promise<QuantCheckpoint> {
  const { signal } = options;
  const { weights, unreadable } = await findQuantizedWeights(quantized, signal);
  if (weights.length === 0 && unreadable.length === 0) {
    throw new BadInputError('quant.not-quantized', `${quantized.path}: no quantized weights found (no DequantizeLinear on a stored integer tensor, no QLinearConv/QLinearMatMul/MatMulInteger weight)`, { file: quantized.path });
  }
  const fg = float.proto.graph;
  if (!fg) throw new BadInputError('onnx.no-graph', `${float.path}: the model has no graph`, { file: float.path });
  const f = indexGraph(fg);
  const qGraph = quantized.proto.graph;
  const q = qGraph ? indexGraph(qGraph) : f;
  const floatNodes = fg.node;
  const tensors: QuantCheckpointTensor[] = [];
  const unmatchedQ: { name: string; reason: string }[] = [...unreadable];
  const matched = new Set<string>();
  const seen = new Set<string>();
  for (const w of weights) {
    throwIfAborted(signal);
    const key = `${w.name}\u0000${w.node.name ?? ''}\u0000${w.floatInput}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ofOp = floatNodes.filter((n) => n.opType === w.floatOp);
    const weightOf = (n: NodeProto | undefined): { name: string; tensor: TensorProto } | null => (n ? initializerOf(f, n.input[w.floatInput]) : null);
    const source = dataSource(q, w.node.input[0]);
    const byRule = [
      ofOp.find((n) => n.name && (n.name === w.node.name || n.name === strip(w.node.name, '_quant'))),
      ofOp.find((n) => source !== undefined && dataSource(f, n.input[0]) === source),
      ofOp.find((n) => n.output[0] && (n.output[0] === w.node.output[0] || n.output[0] === strip(w.node.output[0], '_quantized'))),
    ];
    let target: { name: string; tensor: TensorProto } | null = null;
    for (const n of byRule) {
      const candidate = weightOf(n);
      if (candidate && sameShape(candidate.tensor.dims, w.shape)) { target = candidate; break; }
    }
    if (!target) {
      const byName = f.initializers.get(strip(w.name, '_quantized'));
      if (byName && sameShape(byName.dims, w.shape)) target = { name: strip(w.name, '_quantized'), tensor: byName };
    }
    if (!target) { unmatchedQ.push({ name: w.name, reason: `no float ${w.floatOp} weight of shape [${w.shape.join(', ')}] found for node '${w.node.name ?? ''}' (by node name, data input, output or initializer name)` }); continue; }
    const dtype = dtypeName(target.tensor.dataType);
    if (!['float32', 'float16', 'bfloat16', 'float64'].includes(dtype)) { unmatchedQ.push({ name: w.name, reason: `matched '${target.name}' is ${dtype}, not float` }); continue; }
    const x = await tensorToFloat32(float, target.tensor, signal ? { signal } : {});
    const e = tensorError(x, w.values, target.name);
    matched.add(target.name);
    tensors.push({
      name: target.name, quantized: w.name, node: w.node.name ?? '', op: w.node.opType ?? '', dtype: w.dtype, axis: w.axis,
      elements: x.length, mse: e.mse, sqnr_db: e.sqnr_db, max_abs: e.max_abs, rel_fro: e.rel_fro, cosine: e.cosine,
    });
  }
  const minElements = options.minElements ?? DEFAULT_MIN_ELEMENTS;
  const floatCandidates = selectWeights(float, minElements).candidates;
  const unmatchedF = floatCandidates.filter((c) => !matched.has(c.name)).map((c) => ({
    name: c.name,
    reason: q.initializers.get(c.name) && ['float32', 'float16', 'bfloat16', 'float64'].includes(dtypeName(q.initializers.get(c.name)?.dataType))
      ? 'kept in float in the quantized model'
      : 'no quantized weight feeds the op that consumes it',
  }));
  const styles = new Set(weights.map((w) => w.style));
  const style = styles.size === 2 ? 'mixed' : styles.has('qoperator') ? 'qoperator' : 'qdq';
  return { float: float.path, style, tensors, unmatched: { float: unmatchedF, quantized: unmatchedQ } };
}
