/**
 * Fused attention ops rewritten, in an in-memory copy of the model, into the primitive subgraph
 * their specifications define, so that the attention probabilities become an ordinary Softmax
 * output (FORMULAS.md §D, issue 13):
 *
 *   com.microsoft Attention           packed Q/K/V projection (weights, bias, qkv_hidden_sizes),
 *                                     mask_index [B], [2B], [B,T], [B,S,T], unidirectional,
 *                                     past/present, attention_bias
 *   com.microsoft MultiHeadAttention  separate Q/K/V (3-D, or K/V already [B,N,L,H]: bias on Q only), bias,
 *                                     key_padding_mask [B], [B,T], [B,S,T], attention_bias,
 *                                     past_key/past_value, unidirectional, qk output
 *   com.microsoft GroupQueryAttention grouped KV heads, packed or separate QKV, past, seqlens_k,
 *                                     rotary (cos/sin caches, interleaved or half), softcap,
 *                                     attention_bias
 *   ai.onnx Attention (opset 23)      3-D or 4-D Q/K/V, q/kv_num_heads, attn_mask (bool or
 *                                     additive), is_causal, past, softcap, qk_matmul_output 3
 *
 * Every rewrite computes logits = scale·Q·Kᵀ (+ masks, + bias), Softmax over the keys, ·V with
 * MatMul/Softmax/Add nodes the attention detector recognises. What a rewrite does not cover
 * (an attribute or input) blocks it, and the reason names it. The caller checks on real data
 * that the rewritten model's outputs equal the original's (core/attention/fused-check.ts).
 */
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto } from './proto';
import { cloneModel, isDefaultDomain } from './graph';

/** A fused op replaced by primitives. */
export interface FusedRewrite {
  /** Node name (op#index when the node has none). */
  readonly node: string;
  readonly op: string;
  readonly domain: string;
  /** Heads of the probabilities (query heads). */
  readonly heads: number;
  /** The Softmax output that holds the probabilities in the rewritten graph. */
  readonly probabilities: string;
}

/** A fused op left as it is, and why. */
export interface FusedBlocked {
  readonly node: string;
  readonly op: string;
  readonly domain: string;
  readonly reason: string;
}

export interface FusedRewriteResult {
  /** The rewritten copy (the input model itself when nothing was rewritten). */
  readonly model: ModelProto;
  readonly rewritten: readonly FusedRewrite[];
  readonly blocked: readonly FusedBlocked[];
}

/** The fused attention ops this module rewrites, as `domain/op`. */
export const REWRITABLE_ATTENTION = new Set(['com.microsoft/Attention', 'com.microsoft/MultiHeadAttention', 'com.microsoft/GroupQueryAttention', 'ai.onnx/Attention']);

const FLOAT = 1;
const INT64 = 7;
const INT32 = 6;
const BOOL = 9;
const LOWEST = -3.4028234663852886e38;

class Blocked extends Error {}

function block(reason: string): never {
  throw new Blocked(reason);
}

function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a?.i !== undefined ? Number(a.i) : fallback;
}

function floatAttr(node: NodeProto, name: string): number | undefined {
  return attr(node, name)?.f;
}

function emptyAttribute(name: string): AttributeProto {
  return { name, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] };
}

function tensor(name: string, dataType: number, dims: number[], raw: Uint8Array): TensorProto {
  return {
    name, dataType, dims, rawData: raw,
    floatData: [], int32Data: [], stringData: [], int64Data: [], externalData: [], doubleData: [], uint64Data: [],
  };
}

/** Static facts about tensors of the graph: element type and rank where value info or a producer tells. */
class Facts {
  private readonly elem = new Map<string, number>();
  private readonly dims = new Map<string, (number | undefined)[]>();
  private readonly byOutput = new Map<string, NodeProto>();
  readonly constants = new Map<string, TensorProto>();

  constructor(graph: GraphProto) {
    for (const info of [...graph.input, ...graph.valueInfo, ...graph.output]) {
      const t = info.type?.tensorType;
      if (!info.name || !t) continue;
      if (t.elemType) this.elem.set(info.name, t.elemType);
      if (t.shape) this.dims.set(info.name, t.shape.dim.map((d) => (d.dimValue !== undefined && d.dimValue > 0 ? Number(d.dimValue) : undefined)));
    }
    for (const init of graph.initializer) {
      if (!init.name) continue;
      this.constants.set(init.name, init);
      this.elem.set(init.name, init.dataType ?? 0);
      this.dims.set(init.name, init.dims.map(Number));
    }
    for (const node of graph.node) {
      for (const o of node.output) if (o) this.byOutput.set(o, node);
      if (node.opType === 'Constant' && isDefaultDomain(node.domain) && node.output[0]) {
        const t = attr(node, 'value')?.t;
        if (t) {
          this.constants.set(node.output[0], t);
          this.elem.set(node.output[0], t.dataType ?? 0);
          this.dims.set(node.output[0], t.dims.map(Number));
        }
      }
    }
  }

  elemType(name: string): number | undefined {
    return this.elem.get(name);
  }

  /** Dims as far as known (undefined entries: unknown sizes); undefined when the rank is unknown. */
  shape(name: string, depth = 0): (number | undefined)[] | undefined {
    const known = this.dims.get(name);
    if (known) return known;
    const node = this.byOutput.get(name);
    if (!node || depth > 16) return undefined;
    const first = node.input[0] ?? '';
    if (!isDefaultDomain(node.domain)) {
      // onnxruntime's fused normalisations keep their input's shape.
      const sameShape = node.domain === 'com.microsoft' && /^(Skip)?(Simplified)?LayerNormalization$|^BiasGelu$|^FastGelu$|^Gelu$/.test(node.opType ?? '');
      return sameShape && node.output[0] === name ? this.shape(first, depth + 1) : undefined;
    }
    switch (node.opType) {
      case 'MatMul': case 'Add': case 'Sub': case 'Mul': case 'Div': case 'LayerNormalization': {
        // Only the rank is inferred (sizes unknown): the broadcast rank of the operands.
        const shapes = (node.opType === 'LayerNormalization' ? [first] : node.input.slice(0, 2)).map((i) => this.shape(i, depth + 1));
        if (shapes.some((r) => r === undefined)) return undefined;
        const out: (number | undefined)[] = Array.from({ length: Math.max(...shapes.map((r) => r!.length)) }, () => undefined);
        // MatMul by a weight: the last size is the weight's.
        if (node.opType === 'MatMul' && shapes[1]!.length >= 2) out[out.length - 1] = shapes[1]!.at(-1);
        return out;
      }
      case 'Concat': {
        const ranks = node.input.map((i) => this.shape(i, depth + 1)?.length).filter((r) => r !== undefined);
        return ranks.length > 0 ? Array.from({ length: ranks[0]! }, () => undefined) : undefined;
      }
      case 'ArgMax': case 'ArgMin': {
        const source = this.shape(first, depth + 1);
        if (!source) return undefined;
        return Array.from({ length: intAttr(node, 'keepdims', 1) === 1 ? source.length : source.length - 1 }, () => undefined);
      }
      case 'Gather': {
        const data = this.shape(first, depth + 1);
        const indices = this.shape(node.input[1] ?? '', depth + 1);
        if (!data || !indices) return undefined;
        return Array.from({ length: data.length + indices.length - 1 }, () => undefined);
      }
      case 'Cast': case 'Identity': case 'Not': case 'Neg': case 'Abs': case 'Relu': case 'Sigmoid': case 'Tanh': case 'Erf':
        return this.shape(first, depth + 1);
      case 'ReduceSum': case 'ReduceMax': case 'ReduceMin': case 'ReduceMean': {
        const source = this.shape(first, depth + 1);
        const axes = attr(node, 'axes')?.ints.map(Number) ?? (node.input[1] ? this.intValues(node.input[1]) : undefined);
        if (!source || !axes) return undefined;
        const keep = intAttr(node, 'keepdims', 1) === 1;
        const norm = new Set(axes.map((a) => (a < 0 ? a + source.length : a)));
        return keep ? source.map((d, i) => (norm.has(i) ? 1 : d)) : source.filter((_, i) => !norm.has(i));
      }
      case 'Unsqueeze': {
        const source = this.shape(first, depth + 1);
        const axes = attr(node, 'axes')?.ints.map(Number) ?? (node.input[1] ? this.intValues(node.input[1]) : undefined);
        if (!source || !axes) return undefined;
        const rank = source.length + axes.length;
        const norm = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
        const out: (number | undefined)[] = [];
        let s = 0;
        for (let i = 0; i < rank; i++) out.push(norm.has(i) ? 1 : source[s++]);
        return out;
      }
      default:
        return undefined;
    }
  }

  intValues(name: string): number[] | undefined {
    const t = this.constants.get(name);
    if (!t) return undefined;
    if (t.rawData && t.rawData.byteLength > 0) {
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      if (t.dataType === INT64) return Array.from({ length: t.rawData.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
      if (t.dataType === INT32) return Array.from({ length: t.rawData.byteLength / 4 }, (_, i) => view.getInt32(i * 4, true));
      return undefined;
    }
    if (t.dataType === INT64) return t.int64Data.map(Number);
    if (t.dataType === INT32) return t.int32Data.slice();
    return undefined;
  }
}

/** Builds the primitive nodes that replace one fused node. */
class Builder {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private count = 0;

  constructor(private readonly prefix: string, readonly opset: number, private readonly taken: Set<string>) {}

  fresh(base: string): string {
    let name: string;
    do name = `${this.prefix}/${base}_${this.count++}`;
    while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }

  op(type: string, inputs: readonly string[], attributes: AttributeProto[] = [], output?: string): string {
    const out = output ?? this.fresh(type.toLowerCase());
    this.nodes.push({ name: this.fresh(type), opType: type, domain: '', input: [...inputs], output: [out], attribute: attributes });
    return out;
  }

  ints(values: readonly number[], dims: number[] = [values.length]): string {
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    const name = this.fresh('const_i64');
    this.inits.push(tensor(name, INT64, dims, raw));
    return name;
  }

  float(value: number): string {
    const raw = new Uint8Array(4);
    new DataView(raw.buffer).setFloat32(0, value, true);
    const name = this.fresh('const_f32');
    this.inits.push(tensor(name, FLOAT, [], raw));
    return name;
  }

  static attrInt(name: string, value: number): AttributeProto {
    return { ...emptyAttribute(name), type: 2, i: value };
  }

  static attrInts(name: string, values: number[]): AttributeProto {
    return { ...emptyAttribute(name), type: 7, ints: values };
  }

  static attrFloat(name: string, value: number): AttributeProto {
    return { ...emptyAttribute(name), type: 1, f: value };
  }

  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], [Builder.attrInts('perm', perm)]);
  }

  reshape(x: string, shape: string | number[]): string {
    return this.op('Reshape', [x, typeof shape === 'string' ? shape : this.ints(shape)]);
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.ints(axes)]) : this.op('Unsqueeze', [x], [Builder.attrInts('axes', axes)]);
  }

  /** x[..., start:end] along `axis` (ends past the size clamp). */
  slice(x: string, axis: number, start: number | string, end: number | string, step?: number): string {
    const s = typeof start === 'number' ? this.ints([start]) : start;
    const e = typeof end === 'number' ? this.ints([end]) : end;
    const inputs = [x, s, e, this.ints([axis])];
    if (step !== undefined) inputs.push(this.ints([step]));
    return this.op('Slice', inputs);
  }

  /** Dimension `axis` of x as a 1-element int64 tensor. */
  dim(x: string, axis: number): string {
    return this.op('Gather', [this.op('Shape', [x]), this.ints([axis])], [Builder.attrInt('axis', 0)]);
  }

  /** [B,S,N·H] -> [B,N,S,H]. */
  heads(x: string, n: number): string {
    return this.transpose(this.reshape(x, [0, 0, n, -1]), [0, 2, 1, 3]);
  }

  /** [B,N,S,H] -> [B,S,N·H]. */
  merge(x: string, output?: string): string {
    const t = this.transpose(x, [0, 2, 1, 3]);
    return this.op('Reshape', [t, this.ints([0, 0, -1])], [], output);
  }

  /** 0-D → range [0, n) as int64, where n is a 1-element int64 tensor. */
  range(n: string, from?: string): string {
    const limit = this.op('Squeeze', this.opset >= 13 ? [n, this.ints([0])] : [n], this.opset >= 13 ? [] : [Builder.attrInts('axes', [0])]);
    const start = from
      ? this.op('Squeeze', this.opset >= 13 ? [from, this.ints([0])] : [from], this.opset >= 13 ? [] : [Builder.attrInts('axes', [0])])
      : this.ints([0], []);
    return this.op('Range', [start, limit, this.ints([1], [])]);
  }

  /** Additive [S,T] bias: 0 where key j ≤ query i + (T − S), `fill` elsewhere (a causal mask). */
  causal(q4: string, k4: string, fill: number): string {
    const s = this.dim(q4, 2);
    const t = this.dim(k4, 2);
    const offset = this.op('Sub', [t, s]);
    const rows = this.op('Add', [this.unsqueeze(this.range(s), [1]), offset]);
    const cols = this.unsqueeze(this.range(t), [0]);
    return this.op('Where', [this.op('Greater', [cols, rows]), this.float(fill), this.float(0)]);
  }

  /** [B,kvN,T,H] -> [B,kvN·groups,T,H], each KV head repeated `groups` times in a row. */
  repeatHeads(x: string, groups: number, heads: number): string {
    if (groups === 1) return x;
    const shape = this.op('Shape', [x]);
    const target = this.op('Concat', [this.slice(shape, 0, 0, 2), this.ints([groups]), this.slice(shape, 0, 2, 4)], [Builder.attrInt('axis', 0)]);
    const expanded = this.op('Expand', [this.unsqueeze(x, [2]), target]);
    const merged = this.op('Concat', [this.ints([0, heads, -1]), this.slice(shape, 0, 3, 4)], [Builder.attrInt('axis', 0)]);
    return this.reshape(expanded, merged);
  }

  /** 1/sqrt(head size of x [..., H]) as a float scalar tensor (computed from the shape). */
  defaultScale(x: string): string {
    const h = this.op('Cast', [this.dim(x, 3)], [Builder.attrInt('to', FLOAT)]);
    return this.op('Reciprocal', [this.op('Sqrt', [h])]);
  }
}

interface CoreOptions {
  /** A float (constant) or a tensor name (computed scale). */
  readonly scale: number | string;
  readonly softcap?: number;
  /** Additive terms broadcastable to [B,N,S,T]. */
  readonly biases: readonly string[];
  /** Name the pre-softmax logits (scaled, capped, masked) this tensor. */
  readonly logitsOutput?: string;
}

/** softmax(scale·Q·Kᵀ (+ softcap) + biases) · V with Q [B,N,S,H], K [B,N,T,H], V [B,N,T,Hv]. */
function attend(b: Builder, q4: string, k4: string, v4: string, options: CoreOptions): { out: string; probs: string } {
  const kt = b.transpose(k4, [0, 1, 3, 2]);
  const scores = b.op('MatMul', [q4, kt]);
  let logits = b.op('Mul', [scores, typeof options.scale === 'number' ? b.float(options.scale) : options.scale]);
  if (options.softcap !== undefined && options.softcap > 0) {
    const cap = b.float(options.softcap);
    logits = b.op('Mul', [b.op('Tanh', [b.op('Div', [logits, cap])]), cap]);
  }
  for (const bias of options.biases) logits = b.op('Add', [logits, bias]);
  if (options.logitsOutput) b.op('Identity', [logits], [], options.logitsOutput);
  const probs = b.op('Softmax', [logits], [Builder.attrInt('axis', b.opset >= 13 ? -1 : 3)]);
  return { out: b.op('MatMul', [probs, v4]), probs };
}

/** Additive [B,1,1,T] (or [B,1,S,T]) term from a key mask: raw 0/1 (2-D, 3-D) or lengths [B] / end+start [2B]. */
function keyMask(b: Builder, mask: string, rank: number, k4: string, fill: number, what: string): string {
  const zero = b.float(0);
  const filler = b.float(fill);
  if (rank === 2 || rank === 3) {
    const keep = b.op('Greater', [b.op('Cast', [mask], [Builder.attrInt('to', INT32)]), b.op('Cast', [b.ints([0], [])], [Builder.attrInt('to', INT32)])]);
    const additive = b.op('Where', [keep, zero, filler]);
    return b.unsqueeze(additive, rank === 2 ? [1, 2] : [1]);
  }
  if (rank === 1) {
    // [B]: keys at or after the end are masked; [2B]: ends then starts (keys before the start masked).
    const batch = b.dim(k4, 0);
    const m = b.op('Cast', [mask], [Builder.attrInt('to', INT64)]);
    const padded = b.op('Concat', [m, b.op('ConstantOfShape', [batch], [{ ...emptyAttribute('value'), type: 4, t: tensor('zero', INT64, [1], new Uint8Array(8)) }])], [Builder.attrInt('axis', 0)]);
    const end = b.unsqueeze(b.op('Slice', [padded, b.ints([0]), batch, b.ints([0])]), [1]);
    const start = b.unsqueeze(b.op('Slice', [padded, batch, b.op('Add', [batch, batch]), b.ints([0])]), [1]);
    const cols = b.unsqueeze(b.range(b.dim(k4, 2)), [0]);
    const outside = b.op('Or', [b.op('Less', [cols, start]), b.op('Not', [b.op('Less', [cols, end])])]);
    return b.unsqueeze(b.op('Where', [outside, filler, zero]), [1, 2]);
  }
  return block(`${what} of rank ${rank} (the rewrite takes [B], [2·B], [B,T] or [B,S,T])`);
}

function rankOrBlock(facts: Facts, name: string, what: string): number {
  const shape = facts.shape(name);
  if (!shape) block(`the rank of ${what} '${name}' cannot be inferred from the graph`);
  return shape.length;
}

function requireFloat(facts: Facts, name: string, what: string): void {
  const type = facts.elemType(name);
  if (type !== undefined && type !== FLOAT) block(`${what} '${name}' is not float32 (element type ${type}); the rewrite builds float32 subgraphs`);
}

function present(node: NodeProto, index: number): string | undefined {
  const name = node.input[index];
  return name && name !== '' ? name : undefined;
}

function outputName(node: NodeProto, index: number): string | undefined {
  const name = node.output[index];
  return name && name !== '' ? name : undefined;
}

/**
 * K and V with the past prepended along the sequence axis ([B,N,P+T,H]) when the node has past
 * inputs at `pastIndex` and `pastIndex + 1`; the node's present outputs (1 and 2) named on them.
 */
function withPast(b: Builder, node: NodeProto, k4: string, v4: string, pastIndex: number): [string, string] {
  const pastKey = present(node, pastIndex);
  const pastValue = present(node, pastIndex + 1);
  let [k, v] = [k4, v4];
  if (pastKey && pastValue) {
    k = b.op('Concat', [pastKey, k], [Builder.attrInt('axis', 2)]);
    v = b.op('Concat', [pastValue, v], [Builder.attrInt('axis', 2)]);
  }
  const presentKey = outputName(node, 1);
  const presentValue = outputName(node, 2);
  if (presentKey) b.op('Identity', [k], [], presentKey);
  if (presentValue) b.op('Identity', [v], [], presentValue);
  return [k, v];
}

type Rewriter = (b: Builder, node: NodeProto, facts: Facts) => { heads: number; probs: string };

/** com.microsoft Attention (ContribOperators.md). */
const msAttention: Rewriter = (b, node, facts) => {
  const heads = intAttr(node, 'num_heads', 0);
  if (heads <= 0) block('attribute num_heads is missing');
  if (intAttr(node, 'do_rotary', 0) !== 0) block('attribute do_rotary = 1 (rotary embedding inside Attention)');
  if (intAttr(node, 'past_present_share_buffer', 0) !== 0) block('attribute past_present_share_buffer = 1');
  if (present(node, 6)) block('input past_sequence_length');
  const input = node.input[0] ?? '';
  const weights = node.input[1] ?? '';
  requireFloat(facts, input, 'input');
  const wShape = facts.shape(weights);
  const sizes = attr(node, 'qkv_hidden_sizes')?.ints.map(Number);
  let dq: number;
  let dv: number;
  if (sizes && sizes.length === 3) {
    if (sizes[0] !== sizes[1]) block(`attribute qkv_hidden_sizes ${JSON.stringify(sizes)}: Q and K sizes differ`);
    [dq, dv] = [sizes[0]!, sizes[2]!];
  } else {
    const total = wShape?.[1];
    if (total === undefined || total % 3 !== 0) block(`input weights '${weights}': its second dimension (Q+K+V hidden sizes) is not known from the graph`);
    dq = dv = total / 3;
  }
  let qkv = b.op('MatMul', [input, weights]);
  const bias = present(node, 2);
  if (bias) qkv = b.op('Add', [qkv, bias]);
  const q4 = b.heads(b.slice(qkv, 2, 0, dq), heads);
  let k4 = b.heads(b.slice(qkv, 2, dq, 2 * dq), heads);
  let v4 = b.heads(b.slice(qkv, 2, 2 * dq, 2 * dq + dv), heads);
  const past = present(node, 4);
  if (past) {
    const gather = (i: number): string => b.op('Squeeze', b.opset >= 13 ? [b.op('Gather', [past, b.ints([i])], [Builder.attrInt('axis', 0)]), b.ints([0])] : [b.op('Gather', [past, b.ints([i])], [Builder.attrInt('axis', 0)])], b.opset >= 13 ? [] : [Builder.attrInts('axes', [0])]);
    k4 = b.op('Concat', [gather(0), k4], [Builder.attrInt('axis', 2)]);
    v4 = b.op('Concat', [gather(1), v4], [Builder.attrInt('axis', 2)]);
  }
  const presentOut = outputName(node, 1);
  if (presentOut) b.op('Concat', [b.unsqueeze(k4, [0]), b.unsqueeze(v4, [0])], [Builder.attrInt('axis', 0)], presentOut);
  const fill = floatAttr(node, 'mask_filter_value') ?? -10000;
  const biases: string[] = [];
  const mask = present(node, 3);
  if (mask) {
    const rank = rankOrBlock(facts, mask, 'input mask_index');
    if (rank === 4) block('input mask_index of rank 4 (Megatron-style [B,1,max,max]), which onnxruntime\'s CPU kernel does not run either');
    biases.push(keyMask(b, mask, rank, k4, fill, 'input mask_index'));
  }
  if (intAttr(node, 'unidirectional', 0) !== 0) biases.push(b.causal(q4, k4, LOWEST));
  const attentionBias = present(node, 5);
  if (attentionBias) biases.push(attentionBias);
  const scale = floatAttr(node, 'scale');
  const { out, probs } = attend(b, q4, k4, v4, { scale: scale !== undefined && scale !== 0 ? scale : 1 / Math.sqrt(dq / heads), biases });
  b.merge(out, node.output[0]);
  return { heads, probs };
};

/** com.microsoft MultiHeadAttention (ContribOperators.md). */
const msMultiHead: Rewriter = (b, node, facts) => {
  const heads = intAttr(node, 'num_heads', 0);
  if (heads <= 0) block('attribute num_heads is missing');
  if (present(node, 8)) block('input past_sequence_length');
  if (present(node, 9)) block('input cache_indirection (beam search)');
  const query = node.input[0] ?? '';
  requireFloat(facts, query, 'input query');
  const key = present(node, 1);
  const value = present(node, 2);
  if (rankOrBlock(facts, query, 'input query') !== 3) block(`input query '${query}' is not [B,S,D] (packed Q/K/V in the query)`);
  if (!key || !value) block('packed key/value (no separate key and value inputs)');
  const keyRank = rankOrBlock(facts, key, 'input key');
  if (keyRank !== 3 && keyRank !== 4) block(`input key '${key}' of rank ${keyRank} (packed K/V)`);
  const bias = present(node, 3);
  let q = query;
  let k = key;
  let v = value;
  if (bias) {
    const biasLength = facts.shape(bias)?.[0];
    const qDim = facts.shape(query)?.[2];
    if (biasLength === undefined || qDim === undefined) block(`input bias '${bias}': its split into Q, K and V biases needs the query's hidden size and the bias length from the graph`);
    q = b.op('Add', [q, b.slice(bias, 0, 0, qDim)]);
    // Key and value already in heads [B,N,L,H] are projected (a cross-attention cache): onnxruntime's
    // kernel adds only the query's part of the bias then (fused-variants.test.ts, mha_kv4d_bias).
    if (keyRank === 3) {
      k = b.op('Add', [k, b.slice(bias, 0, qDim, 2 * qDim)]);
      v = b.op('Add', [v, b.slice(bias, 0, 2 * qDim, biasLength)]);
    }
  }
  const q4 = b.heads(q, heads);
  let k4 = keyRank === 4 ? k : b.heads(k, heads);
  let v4 = keyRank === 4 ? v : b.heads(v, heads);
  [k4, v4] = withPast(b, node, k4, v4, 6);
  const fill = floatAttr(node, 'mask_filter_value') ?? -10000;
  const biases: string[] = [];
  const mask = present(node, 4);
  if (mask) biases.push(keyMask(b, mask, rankOrBlock(facts, mask, 'input key_padding_mask'), k4, fill, 'input key_padding_mask'));
  const attentionBias = present(node, 5);
  if (attentionBias) biases.push(attentionBias);
  if (intAttr(node, 'unidirectional', 0) !== 0) biases.push(b.causal(q4, k4, LOWEST));
  const scale = floatAttr(node, 'scale');
  const qk = outputName(node, 3);
  const { out, probs } = attend(b, q4, k4, v4, {
    scale: scale !== undefined && scale !== 0 ? scale : b.defaultScale(q4), biases, ...(qk ? { logitsOutput: qk } : {}),
  });
  b.merge(out, node.output[0]);
  return { heads, probs };
};

/** Rotary embedding of x [B,N,S,H] at positions (cos/sin [S,R/2] or [B,1,S,R/2]). */
function rotary(b: Builder, x: string, cos: string, sin: string, rotaryDim: number, interleaved: boolean): string {
  const half = rotaryDim / 2;
  const rest = b.slice(x, 3, rotaryDim, 2 ** 31 - 1);
  let rotated: string;
  if (interleaved) {
    const even = b.slice(x, 3, 0, rotaryDim, 2);
    const odd = b.slice(x, 3, 1, rotaryDim, 2);
    const outEven = b.op('Sub', [b.op('Mul', [even, cos]), b.op('Mul', [odd, sin])]);
    const outOdd = b.op('Add', [b.op('Mul', [odd, cos]), b.op('Mul', [even, sin])]);
    const pairs = b.op('Concat', [b.unsqueeze(outEven, [4]), b.unsqueeze(outOdd, [4])], [Builder.attrInt('axis', 4)]);
    rotated = b.reshape(pairs, [0, 0, 0, rotaryDim]);
  } else {
    const x1 = b.slice(x, 3, 0, half);
    const x2 = b.slice(x, 3, half, rotaryDim);
    const out1 = b.op('Sub', [b.op('Mul', [x1, cos]), b.op('Mul', [x2, sin])]);
    const out2 = b.op('Add', [b.op('Mul', [x2, cos]), b.op('Mul', [x1, sin])]);
    rotated = b.op('Concat', [out1, out2], [Builder.attrInt('axis', 3)]);
  }
  return b.op('Concat', [rotated, rest], [Builder.attrInt('axis', 3)]);
}

/** com.microsoft GroupQueryAttention (ContribOperators.md). */
const msGroupQuery: Rewriter = (b, node, facts) => {
  const heads = intAttr(node, 'num_heads', 0);
  const kvHeads = intAttr(node, 'kv_num_heads', 0);
  if (heads <= 0 || kvHeads <= 0) block('attribute num_heads or kv_num_heads is missing');
  if (heads % kvHeads !== 0) block(`num_heads ${heads} is not a multiple of kv_num_heads ${kvHeads}`);
  if (intAttr(node, 'local_window_size', -1) !== -1) block(`attribute local_window_size = ${intAttr(node, 'local_window_size', -1)} (sliding window)`);
  if (intAttr(node, 'smooth_softmax', 0) !== 0) block('attribute smooth_softmax = 1');
  if (intAttr(node, 'sliding_window_cache', 0) !== 0) block('attribute sliding_window_cache = 1 (window-sized KV cache)');
  const causal = intAttr(node, 'causal', 1) !== 0;
  if (present(node, 11)) block('input head_sink');
  for (const [i, name] of [[12, 'k_scale'], [13, 'v_scale'], [14, 'q_norm_weight'], [15, 'k_norm_weight']] as const) if (present(node, i)) block(`input ${name} (${node.input[i]})`);
  const qkOutput = intAttr(node, 'qk_output', 0);
  if (outputName(node, 3) && qkOutput !== 2) block(`output output_qk with attribute qk_output = ${qkOutput} (only 2, the probabilities, is rewritten)`);
  const query = node.input[0] ?? '';
  requireFloat(facts, query, 'input query');
  const key = present(node, 1);
  const value = present(node, 2);
  let q4: string;
  let k4: string;
  let v4: string;
  if (key && value) {
    q4 = b.heads(query, heads);
    k4 = b.heads(key, kvHeads);
    v4 = b.heads(value, kvHeads);
  } else {
    // Packed [B,S,(N + 2·kvN)·H].
    const width = facts.shape(query)?.[2];
    if (width === undefined) block(`packed input query '${query}': its hidden size is not known from the graph`);
    const h = width / (heads + 2 * kvHeads);
    q4 = b.heads(b.slice(query, 2, 0, heads * h), heads);
    k4 = b.heads(b.slice(query, 2, heads * h, (heads + kvHeads) * h), kvHeads);
    v4 = b.heads(b.slice(query, 2, (heads + kvHeads) * h, width), kvHeads);
  }
  const pastKey = present(node, 3);
  // Key positions of the new tokens: past length + s (position_ids when given).
  const pastLength = pastKey ? b.dim(pastKey, 2) : b.ints([0]);
  if (intAttr(node, 'do_rotary', 0) !== 0) {
    const cosCache = present(node, 7);
    const sinCache = present(node, 8);
    if (!cosCache || !sinCache) block('do_rotary = 1 without cos_cache and sin_cache');
    const cacheWidth = facts.shape(cosCache)?.[1];
    if (cacheWidth === undefined) block(`input cos_cache '${cosCache}': its second dimension (rotary dim / 2) is not known from the graph`);
    const positionIds = present(node, 9);
    let positions: string;
    if (positionIds) positions = positionIds;
    else {
      const s = b.dim(q4, 2);
      positions = b.range(b.op('Add', [pastLength, s]), pastLength);
    }
    const pick = (cache: string): string => {
      const rows = b.op('Gather', [cache, positions], [Builder.attrInt('axis', 0)]);
      return positionIds ? b.unsqueeze(rows, [1]) : rows;
    };
    const cos = pick(cosCache);
    const sin = pick(sinCache);
    const interleaved = intAttr(node, 'rotary_interleaved', 0) !== 0;
    q4 = rotary(b, q4, cos, sin, 2 * cacheWidth, interleaved);
    k4 = rotary(b, k4, cos, sin, 2 * cacheWidth, interleaved);
  }
  [k4, v4] = withPast(b, node, k4, v4, 3);
  // causal = 0 (bidirectional) exists in newer onnxruntime schemas; the default is causal.
  const biases = causal ? [b.causal(q4, k4, LOWEST)] : [];
  const seqlens = present(node, 5);
  if (seqlens) {
    // Keys at or after seqlens_k[b] + 1 (the sequence's total length) are masked.
    const lengths = b.unsqueeze(b.op('Add', [b.op('Cast', [seqlens], [Builder.attrInt('to', INT64)]), b.ints([1], [])]), [1]);
    const cols = b.unsqueeze(b.range(b.dim(k4, 2)), [0]);
    biases.push(b.unsqueeze(b.op('Where', [b.op('Less', [cols, lengths]), b.float(0), b.float(LOWEST)]), [1, 2]));
  }
  const attentionBias = present(node, 10);
  if (attentionBias) biases.push(attentionBias);
  const groups = heads / kvHeads;
  const kFull = b.repeatHeads(k4, groups, heads);
  const vFull = b.repeatHeads(v4, groups, heads);
  const scale = floatAttr(node, 'scale');
  const softcap = floatAttr(node, 'softcap');
  const { out, probs } = attend(b, q4, kFull, vFull, {
    scale: scale !== undefined && scale !== 0 ? scale : b.defaultScale(q4), biases, ...(softcap ? { softcap } : {}),
  });
  const qkOut = outputName(node, 3);
  if (qkOut) b.op('Identity', [probs], [], qkOut);
  b.merge(out, node.output[0]);
  return { heads, probs };
};

/** ONNX Attention (opset 23, Operators.md). */
const onnxAttention: Rewriter = (b, node, facts) => {
  const query = node.input[0] ?? '';
  const key = node.input[1] ?? '';
  const value = node.input[2] ?? '';
  requireFloat(facts, query, 'input Q');
  if (present(node, 6)) block('input nonpad_kv_seqlen');
  for (const name of ['left_window_size', 'right_window_size']) if (intAttr(node, name, -1) !== -1) block(`attribute ${name}`);
  const rank = rankOrBlock(facts, query, 'input Q');
  let q4: string;
  let k4: string;
  let v4: string;
  let heads: number;
  let kvHeads: number;
  if (rank === 3) {
    heads = intAttr(node, 'q_num_heads', 0);
    kvHeads = intAttr(node, 'kv_num_heads', 0);
    if (heads <= 0 || kvHeads <= 0) block('3-D inputs without attributes q_num_heads and kv_num_heads');
    q4 = b.heads(query, heads);
    k4 = b.heads(key, kvHeads);
    v4 = b.heads(value, kvHeads);
  } else if (rank === 4) {
    const qHeads = facts.shape(query)?.[1];
    const kHeads = facts.shape(key)?.[1];
    if (qHeads === undefined || kHeads === undefined) block('4-D Q and K whose head axis (1) is not known from the graph');
    [heads, kvHeads] = [qHeads, kHeads];
    [q4, k4, v4] = [query, key, value];
  } else {
    return block(`input Q of rank ${rank}`);
  }
  if (heads % kvHeads !== 0) block(`${heads} query heads are not a multiple of ${kvHeads} key/value heads`);
  [k4, v4] = withPast(b, node, k4, v4, 4);
  const biases: string[] = [];
  const mask = present(node, 3);
  if (mask) {
    const type = facts.elemType(mask);
    if (type === undefined) block(`input attn_mask '${mask}': its element type (bool or float) is not known from the graph`);
    biases.push(type === BOOL ? b.op('Where', [mask, b.float(0), b.float(-Infinity)]) : mask);
  }
  if (intAttr(node, 'is_causal', 0) !== 0) biases.push(b.causal(q4, k4, -Infinity));
  const qkOut = outputName(node, 3);
  const mode = intAttr(node, 'qk_matmul_output_mode', 0);
  if (qkOut && mode !== 3) block(`output qk_matmul_output with qk_matmul_output_mode = ${mode} (only 3, the probabilities, is rewritten)`);
  const scale = floatAttr(node, 'scale');
  const softcap = floatAttr(node, 'softcap');
  const groups = heads / kvHeads;
  const { out, probs } = attend(b, q4, b.repeatHeads(k4, groups, heads), b.repeatHeads(v4, groups, heads), {
    scale: scale !== undefined && scale !== 0 ? scale : b.defaultScale(q4), biases, ...(softcap ? { softcap } : {}),
  });
  if (qkOut) b.op('Identity', [probs], [], qkOut);
  if (rank === 3) b.merge(out, node.output[0]);
  else b.op('Identity', [out], [], node.output[0]);
  return { heads, probs };
};

const REWRITERS: Record<string, Rewriter> = {
  'com.microsoft/Attention': msAttention,
  'com.microsoft/MultiHeadAttention': msMultiHead,
  'com.microsoft/GroupQueryAttention': msGroupQuery,
  'ai.onnx/Attention': onnxAttention,
};

function domainOf(node: NodeProto): string {
  return isDefaultDomain(node.domain) ? 'ai.onnx' : node.domain ?? '';
}

function label(node: NodeProto, index: number): string {
  return node.name && node.name !== '' ? node.name : `${node.opType ?? 'node'}#${index}`;
}

/**
 * Rewrites every fused attention op of the main graph that this module covers. Ops with an
 * attribute or input the rewrite does not cover stay as they are and are listed in `blocked`.
 * The model passed in is not modified.
 */
export function rewriteFusedAttention(model: ModelProto): FusedRewriteResult {
  const graph = model.graph;
  if (!graph) return { model, rewritten: [], blocked: [] };
  const targets = graph.node.map((node, i) => ({ node, i, key: `${domainOf(node)}/${node.opType ?? ''}` })).filter((t) => REWRITERS[t.key]);
  if (targets.length === 0) return { model, rewritten: [], blocked: [] };
  const opset = model.opsetImport.find((o) => isDefaultDomain(o.domain))?.version ?? 1;
  const copy = cloneModel(model);
  const g = copy.graph!;
  const facts = new Facts(g);
  const taken = new Set<string>();
  for (const node of g.node) {
    if (node.name) taken.add(node.name);
    for (const o of node.output) taken.add(o);
  }
  for (const t of g.initializer) if (t.name) taken.add(t.name);
  for (const i of g.input) if (i.name) taken.add(i.name);
  const rewritten: FusedRewrite[] = [];
  const blocked: FusedBlocked[] = [];
  const replacement = new Map<number, NodeProto[]>();
  for (const { node, i, key } of targets) {
    const name = label(node, i);
    const [domain, op] = key.split('/') as [string, string];
    if (opset < 11) {
      blocked.push({ node: name, op, domain, reason: `the default-domain opset is ${opset}; the rewrite needs opset 11 or later (Range, Slice with inputs)` });
      continue;
    }
    const b = new Builder(name, opset, taken);
    try {
      const { heads, probs } = REWRITERS[key]!(b, g.node[i]!, facts);
      replacement.set(i, b.nodes);
      g.initializer.push(...b.inits);
      rewritten.push({ node: name, op, domain, heads, probabilities: probs });
    } catch (error) {
      if (!(error instanceof Blocked)) throw error;
      blocked.push({ node: name, op, domain, reason: error.message });
    }
  }
  if (rewritten.length === 0) return { model, rewritten, blocked };
  g.node = g.node.flatMap((node, i) => replacement.get(i) ?? [node]);
  // Value info of the replaced outputs may carry shapes the primitives infer anyway; keep it.
  return { model: copy, rewritten, blocked };
}
