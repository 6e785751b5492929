/**
 * The one attention detector (FORMULAS.md §D), used by the model summary and the attention
 * analysis alike: find the attention-probability tensors of a graph, the head count of each, its
 * layout, and the additive terms (biases and masks) of its logits.
 *
 * A Softmax is an attention Softmax when its input derives from MatMul(Q, Kᵀ) of two computed
 * tensors (through scale Mul/Div, mask/bias Add, casts and reshapes) and its output feeds a MatMul
 * (with V) through Dropout/Cast/reshapes. When static rank inference cannot tell whether the
 * Softmax normalises over the keys (an opset < 13 Softmax with an explicit axis on a tensor of
 * unknown rank, e.g. PaddleOCR's SVTR exports with weights in Constant nodes), the site is kept
 * with `decide: 'run'`: the analysis exposes it on the first batch and keeps it only when its
 * rows sum to 1 over the last axis (core/attention/extract.ts `confirmSites`).
 * com.microsoft MultiHeadAttention exposes its optional `qk` output (scale·QKᵀ + bias + mask,
 * before the softmax); the other fused kernels are rewritten first (./fused.ts) or blocking.
 */
import { BadInputError } from '../errors';
import { REWRITABLE_ATTENTION } from './fused';
import { consumers, producers, type NodeRef } from './graph';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto } from './proto';

/** Memory layout of a probability tensor (the same strings as protocol/attention.ts). */
export type ProbabilityLayout = '[B,H,T,T]' | '[B*H,T,T]';

/** A dimension as far as the graph tells: a constant, a runtime value times a constant factor, or unknown. */
type Dim = { readonly k: 'const'; readonly v: number } | { readonly k: 'dyn'; readonly factor: number } | { readonly k: 'unknown' };

/** An additive term of the attention logits (one leaf of a sum of Adds). */
export interface AdditiveTerm {
  /** The Add (or Sub, Where) node that brings it into the logits. */
  readonly node: string;
  /** The tensor added. */
  readonly tensor: string;
  /**
   * 'input': derives from a model input by value (a padding mask); 'constant': derives only from
   * initializers, constants and shapes (a bias, or a causal mask: told apart by value).
   */
  readonly source: 'input' | 'constant';
  /** The model inputs it derives from (source 'input'). */
  readonly inputs: readonly string[];
  /** Subtracted rather than added (Sub with the logits on the left). */
  readonly negated: boolean;
}

/** One layer's attention, as found in the graph. */
export interface AttentionSite {
  /** 0-based, in graph order. */
  readonly layer: number;
  readonly kind: 'softmax' | 'multihead-qk';
  /** Node name (op#index when the node has none). */
  readonly node: string;
  readonly nodeIndex: number;
  /**
   * 'graph': decided from the graph. 'run': static rank inference cannot tell whether the Softmax
   * normalises over the keys; the analysis decides on the first batch (rows sum to 1 over the
   * last axis) and drops the site otherwise.
   */
  readonly decide: 'graph' | 'run';
  /** Why the site waits for the run (decide 'run'). */
  readonly undecided?: string;
  /** The tensor to expose: the Softmax output, or the MultiHeadAttention qk output. */
  readonly tensor: string;
  /** Head count when the graph tells it; else found from the run (rank 4: axis 1; rank 3: axis 0 / batch). */
  readonly heads: number | undefined;
  /** Where `heads` came from, for the report and error messages. */
  readonly headsFrom: string;
  /** Rank-derived layout, when the rank is known statically. */
  readonly layout: ProbabilityLayout | undefined;
  /** The exposed tensor holds logits: apply a softmax over the last axis. */
  readonly applySoftmax: boolean;
  readonly terms: readonly AdditiveTerm[];
}

/** A Softmax that is not taken as attention, and why. */
export interface RejectedSoftmax {
  readonly node: string;
  readonly reason: string;
}

/** A fused attention op whose probabilities cannot be read. */
export interface BlockingNode {
  readonly node: string;
  readonly op: string;
  readonly domain: string;
  readonly reason: string;
}

export interface AttentionGraph {
  readonly sites: readonly AttentionSite[];
  readonly rejected: readonly RejectedSoftmax[];
  readonly blocked: readonly BlockingNode[];
}

const CHAIN_OPS = new Set(['Mul', 'Div', 'Add', 'Sub', 'Where', 'Cast', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'Tanh']);
const PROB_OPS = new Set(['Dropout', 'Cast', 'Reshape', 'Transpose', 'Identity']);
/** Ops whose output depends only on the shape of their input, not on its values. */
const SHAPE_OPS = new Set(['Shape', 'Size', 'ConstantOfShape', 'EyeLike']);
const MAX_DEPTH = 12;


function defaultDomain(domain: string | undefined): boolean {
  return domain === undefined || domain === '' || domain === 'ai.onnx';
}

function domainOf(node: NodeProto): string {
  return defaultDomain(node.domain) ? 'ai.onnx' : node.domain ?? '';
}

/** Display name of a node. */
export function nodeLabel(node: NodeProto, index: number): string {
  return node.name && node.name !== '' ? node.name : `${node.opType ?? 'node'}#${index}`;
}

function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

/** Integer values of a small int32/int64 tensor (initializer or Constant value). */
export function intValues(tensor: TensorProto): number[] | undefined {
  const type = tensor.dataType;
  if (type !== 7 && type !== 6) return undefined;
  if (tensor.rawData && tensor.rawData.byteLength > 0) {
    const raw = tensor.rawData;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const size = type === 7 ? 8 : 4;
    return Array.from({ length: raw.byteLength / size }, (_, i) => (type === 7 ? Number(view.getBigInt64(i * size, true)) : view.getInt32(i * size, true)));
  }
  return type === 7 ? tensor.int64Data.map(Number) : tensor.int32Data.slice();
}

/** Graph queries shared by the walkers below. */
class GraphIndex {
  readonly byOutput: Map<string, NodeRef>;
  readonly readers: Map<string, NodeRef[]>;
  readonly initializers: Map<string, TensorProto>;
  readonly inputs: Set<string>;
  readonly valueDims = new Map<string, Dim[]>();
  readonly opset: number;
  private readonly qkMemo = new Map<string, NodeRef | null>();
  private readonly sourceMemo = new Map<string, Set<string>>();

  constructor(readonly graph: GraphProto, opset: number) {
    this.byOutput = producers(graph);
    this.readers = consumers(graph);
    this.initializers = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
    this.inputs = new Set(graph.input.map((i) => i.name ?? '').filter((n) => !this.initializers.has(n)));
    this.opset = opset;
    for (const info of [...graph.input, ...graph.valueInfo, ...graph.output]) {
      const dims = info.type?.tensorType?.shape?.dim;
      if (info.name && dims) {
        this.valueDims.set(info.name, dims.map((d): Dim => (d.dimValue !== undefined && d.dimValue > 0 ? { k: 'const', v: d.dimValue } : d.dimParam ? { k: 'dyn', factor: 1 } : { k: 'unknown' })));
      }
    }
  }

  producer(name: string): NodeRef | undefined {
    return this.byOutput.get(name);
  }

  constantTensor(name: string): TensorProto | undefined {
    const init = this.initializers.get(name);
    if (init) return init;
    const ref = this.producer(name);
    if (ref && ref.node.opType === 'Constant' && defaultDomain(ref.node.domain)) return attribute(ref.node, 'value')?.t;
    return undefined;
  }

  isConstant(name: string): boolean {
    return this.constantTensor(name) !== undefined;
  }

  /** The MatMul(Q, Kᵀ) of two computed tensors that `name` derives from through chain ops, if any. */
  qkOf(name: string, depth = 0): NodeRef | undefined {
    const memo = this.qkMemo.get(name);
    if (memo !== undefined) return memo ?? undefined;
    let found: NodeRef | undefined;
    const ref = this.producer(name);
    if (ref && depth <= MAX_DEPTH && defaultDomain(ref.node.domain) && !this.isConstant(name)) {
      const op = ref.node.opType ?? '';
      if (op === 'MatMul' || op === 'Einsum') {
        const operands = ref.node.input.filter((i) => i !== '');
        if (operands.length === 2 && operands.every((i) => !this.isConstant(i))) found = ref;
      } else if (CHAIN_OPS.has(op)) {
        const inputs = op === 'Where' ? ref.node.input.slice(1) : ref.node.input;
        for (const input of inputs) {
          if (input === '') continue;
          found = this.qkOf(input, depth + 1);
          if (found) break;
        }
      }
    }
    this.qkMemo.set(name, found ?? null);
    return found;
  }

  /** Model inputs that `name` derives from by value (shape-only dependencies do not count). */
  valueSources(name: string): Set<string> {
    const memo = this.sourceMemo.get(name);
    if (memo) return memo;
    const out = new Set<string>();
    this.sourceMemo.set(name, out);
    if (this.inputs.has(name)) {
      out.add(name);
      return out;
    }
    const ref = this.producer(name);
    if (!ref || SHAPE_OPS.has(ref.node.opType ?? '')) return out;
    for (const input of ref.node.input) {
      if (input === '') continue;
      for (const s of this.valueSources(input)) out.add(s);
    }
    return out;
  }

  /** Values of a 1-D integer shape tensor as dims (constant, runtime × factor, unknown). */
  shapeElements(name: string, depth = 0): Dim[] | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const constant = this.constantTensor(name);
    if (constant) return intValues(constant)?.map((v): Dim => ({ k: 'const', v }));
    const ref = this.producer(name);
    if (!ref || !defaultDomain(ref.node.domain)) return undefined;
    const node = ref.node;
    switch (node.opType) {
      case 'Concat': {
        const parts = node.input.map((i) => this.shapeElements(i, depth + 1));
        return parts.every((p) => p !== undefined) ? parts.flat() as Dim[] : undefined;
      }
      case 'Unsqueeze': case 'Squeeze': case 'Cast': case 'Identity':
        return node.input[0] ? this.shapeElements(node.input[0], depth + 1) : undefined;
      case 'Gather': {
        const source = this.producer(node.input[0] ?? '');
        const index = this.constantTensor(node.input[1] ?? '');
        if (source?.node.opType === 'Shape' && index) return (intValues(index) ?? []).map((): Dim => ({ k: 'dyn', factor: 1 }));
        return undefined;
      }
      case 'Mul': {
        const [a, b] = [this.shapeElements(node.input[0] ?? '', depth + 1), this.shapeElements(node.input[1] ?? '', depth + 1)];
        if (!a || !b || a.length !== 1 || b.length !== 1) return undefined;
        return [multiply(a[0]!, b[0]!)];
      }
      default:
        return undefined;
    }
  }

  /** The shape of a tensor as far as the graph tells (value info, Reshape targets, Transpose perms). */
  shapeOf(name: string, depth = 0): Dim[] | undefined {
    const known = this.valueDims.get(name);
    if (known) return known;
    if (depth > MAX_DEPTH) return undefined;
    const ref = this.producer(name);
    if (!ref || !defaultDomain(ref.node.domain)) return undefined;
    const node = ref.node;
    const op = node.opType ?? '';
    const first = node.input[0] ?? '';
    if (op === 'Reshape') {
      const target = this.shapeElements(node.input[1] ?? '');
      if (!target) return undefined;
      const source = target.some((d) => d.k === 'const' && d.v === 0) ? this.shapeOf(first, depth + 1) : undefined;
      return target.map((d, i): Dim => {
        if (d.k !== 'const') return d;
        if (d.v === 0) return source?.[i] ?? { k: 'unknown' };
        return d.v < 0 ? { k: 'unknown' } : d;
      });
    }
    if (op === 'Transpose') {
      const source = this.shapeOf(first, depth + 1);
      const perm = attribute(node, 'perm')?.ints;
      if (!source) return undefined;
      return perm && perm.length === source.length ? perm.map((p) => source[p] ?? { k: 'unknown' }) : [...source].reverse();
    }
    if (op === 'MatMul') {
      const a = this.shapeOf(first, depth + 1);
      return a && a.length >= 2 ? [...a.slice(0, -1), { k: 'unknown' }] : undefined;
    }
    if (op === 'Softmax' || op === 'Dropout' || op === 'Identity' || op === 'Cast') return this.shapeOf(first, depth + 1);
    if (CHAIN_OPS.has(op)) {
      // Elementwise: follow the operand that carries the logits.
      const inputs = op === 'Where' ? node.input.slice(1) : node.input;
      const carrier = inputs.find((i) => i !== '' && this.qkOf(i) !== undefined) ?? inputs.find((i) => i !== '' && !this.isConstant(i));
      return carrier ? this.shapeOf(carrier, depth + 1) : undefined;
    }
    return undefined;
  }
}

function multiply(a: Dim, b: Dim): Dim {
  if (a.k === 'unknown' || b.k === 'unknown') return { k: 'unknown' };
  if (a.k === 'const' && b.k === 'const') return { k: 'const', v: a.v * b.v };
  if (a.k === 'dyn' && b.k === 'const') return { k: 'dyn', factor: a.factor * b.v };
  if (a.k === 'const' && b.k === 'dyn') return { k: 'dyn', factor: b.factor * a.v };
  return { k: 'unknown' };
}

/** Whether the Softmax output reaches a MatMul (with V) through probability ops. */
function feedsMatMul(index: GraphIndex, start: string): boolean {
  let frontier = [start];
  const seen = new Set<string>();
  for (let hop = 0; hop <= MAX_DEPTH && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const name of frontier) {
      if (seen.has(name)) continue;
      seen.add(name);
      for (const { node } of index.readers.get(name) ?? []) {
        if (!defaultDomain(node.domain)) continue;
        if ((node.opType === 'MatMul' || node.opType === 'Einsum') && node.input.filter((i) => i !== '').length === 2) return true;
        if (PROB_OPS.has(node.opType ?? '') && node.output[0]) next.push(node.output[0]);
      }
    }
    frontier = next;
  }
  return false;
}

/** Leaves of a sum: an Add splits into its operands; anything else is a leaf. */
function additiveLeaves(index: GraphIndex, name: string, depth = 0): string[] {
  const ref = index.producer(name);
  if (!ref || depth > MAX_DEPTH || ref.node.opType !== 'Add' || !defaultDomain(ref.node.domain)) return [name];
  return ref.node.input.filter((i) => i !== '').flatMap((i) => additiveLeaves(index, i, depth + 1));
}

function term(index: GraphIndex, node: string, tensor: string, negated: boolean): AdditiveTerm {
  const inputs = [...index.valueSources(tensor)].sort();
  return { node, tensor, source: inputs.length > 0 ? 'input' : 'constant', inputs, negated };
}

/** The additive terms along the logits chain from Softmax input back to the Q·Kᵀ MatMul. */
function chainTerms(index: GraphIndex, start: string): AdditiveTerm[] {
  const terms: AdditiveTerm[] = [];
  let current: string | undefined = start;
  for (let hop = 0; current && hop <= MAX_DEPTH; hop++) {
    const ref = index.producer(current);
    if (!ref) break;
    const node = ref.node;
    const op = node.opType ?? '';
    if (op === 'MatMul' || op === 'Einsum' || !CHAIN_OPS.has(op)) break;
    const label = nodeLabel(node, ref.index);
    const operands = op === 'Where' ? node.input.slice(1) : node.input;
    const carrier = operands.find((i) => i !== '' && index.qkOf(i) !== undefined);
    if (op === 'Add' || op === 'Sub') {
      for (const [position, input] of node.input.entries()) {
        if (input === '' || input === carrier) continue;
        for (const leaf of additiveLeaves(index, input)) terms.push(term(index, label, leaf, op === 'Sub' && position === 1));
      }
    } else if (op === 'Where' && node.input[0]) {
      // Where(condition, logits, fill): a mask whatever the condition derives from.
      const cond = node.input[0];
      const inputs = [...index.valueSources(cond)].sort();
      terms.push({ node: label, tensor: cond, source: inputs.length > 0 ? 'input' : 'constant', inputs, negated: false });
    }
    current = carrier;
  }
  return terms;
}

function layoutOfRank(rank: number | undefined): ProbabilityLayout | undefined {
  return rank === 4 ? '[B,H,T,T]' : rank === 3 ? '[B*H,T,T]' : undefined;
}

/** Heads from a shape: rank 4 axis 1; rank 3 axis 0 when it is the batch times a constant. */
function headsFromShape(shape: Dim[] | undefined): number | undefined {
  if (!shape) return undefined;
  if (shape.length === 4) {
    const d = shape[1]!;
    return d.k === 'const' && d.v > 0 ? d.v : undefined;
  }
  if (shape.length === 3) {
    const d = shape[0]!;
    return d.k === 'dyn' && d.factor > 1 ? d.factor : undefined;
  }
  return undefined;
}

function softmaxSite(index: GraphIndex, ref: NodeRef): { site: Omit<AttentionSite, 'layer'> } | { reason: string } {
  const { node } = ref;
  const input = node.input[0] ?? '';
  const output = node.output[0] ?? '';
  const qk = index.qkOf(input);
  if (!qk) return { reason: 'its input does not derive from a MatMul of two computed tensors (Q·Kᵀ) through scale, mask or bias ops' };
  if (!feedsMatMul(index, output)) return { reason: 'its output does not feed a MatMul with V (through Dropout, Cast or reshapes)' };
  const shape = index.shapeOf(input);
  const rank = shape?.length;
  const axisAttr = attribute(node, 'axis');
  const axis = axisAttr?.i ?? (index.opset < 13 ? 1 : -1);
  const last = axis === -1 || (rank !== undefined && axis === rank - 1);
  let undecided: string | undefined;
  if (!last && rank === undefined) {
    undecided = `Softmax (opset ${index.opset}) with axis=${axis}: the rank of its input cannot be inferred from the graph, so whether it normalises over the keys (the last axis) is decided on the first batch`;
  } else if (!last) {
    return {
      reason: index.opset < 13
        ? `Softmax (opset ${index.opset}) with axis=${axis} flattens a rank-${rank} input from axis ${axis} and normalises over axes ${axis}..${(rank ?? 0) - 1} together, not over the keys alone`
        : `Softmax with axis=${axis} normalises a rank-${rank} input over axis ${axis}, not over the keys (the last axis)`,
    };
  }
  let heads = headsFromShape(shape);
  let headsFrom = heads !== undefined ? `shape of ${input}` : '';
  if (heads === undefined) {
    const qOperand = qk.node.input[0] ?? '';
    heads = headsFromShape(index.shapeOf(qOperand));
    if (heads !== undefined) headsFrom = `reshape of the query ${qOperand}`;
  }
  return {
    site: {
      kind: 'softmax', node: nodeLabel(node, ref.index), nodeIndex: ref.index, tensor: output, heads, headsFrom,
      decide: undecided ? 'run' : 'graph', ...(undecided ? { undecided } : {}),
      layout: layoutOfRank(rank), applySoftmax: false, terms: chainTerms(index, input),
    },
  };
}

function multiHeadSite(index: GraphIndex, ref: NodeRef): Omit<AttentionSite, 'layer'> {
  const { node } = ref;
  const label = nodeLabel(node, ref.index);
  const heads = attribute(node, 'num_heads')?.i;
  const terms: AdditiveTerm[] = [];
  const mask = node.input[4];
  if (mask) terms.push(term(index, label, mask, false));
  const bias = node.input[5];
  if (bias) for (const leaf of additiveLeaves(index, bias)) terms.push(term(index, label, leaf, false));
  return {
    kind: 'multihead-qk', node: label, nodeIndex: ref.index, decide: 'graph',
    tensor: node.output[3] && node.output[3] !== '' ? node.output[3] : `${label}/qk_for_attention`,
    heads: heads && heads > 0 ? heads : undefined, headsFrom: 'num_heads attribute',
    layout: '[B,H,T,T]', applySoftmax: true, terms,
  };
}

/** Options of `findAttention`. */
export interface FindAttentionOptions {
  /** Why a fused op was not rewritten (./fused.ts), by node label: replaces the generic reason. */
  readonly blockedReasons?: ReadonlyMap<string, string>;
}

/** The default-domain opset of a model. */
export function defaultOpset(model: ModelProto): number {
  return model.opsetImport.find((o) => defaultDomain(o.domain))?.version ?? 1;
}

/**
 * The attention of one graph: sites (Softmax of Q·Kᵀ, MultiHeadAttention qk), rejected Softmax
 * nodes with the reason, and fused attention ops that stay fused. Never throws.
 */
export function attentionInGraph(graph: GraphProto, opset: number, options: FindAttentionOptions = {}): AttentionGraph {
  const index = new GraphIndex(graph, opset);
  const sites: Omit<AttentionSite, 'layer'>[] = [];
  const rejected: RejectedSoftmax[] = [];
  const blocked: BlockingNode[] = [];
  graph.node.forEach((node, i) => {
    const ref = { node, index: i };
    const domain = domainOf(node);
    const op = node.opType ?? '';
    if (op === 'Softmax' && domain === 'ai.onnx') {
      const found = softmaxSite(index, ref);
      if ('site' in found) sites.push(found.site);
      else rejected.push({ node: nodeLabel(node, i), reason: found.reason });
    } else if (op === 'MultiHeadAttention' && domain === 'com.microsoft') {
      sites.push(multiHeadSite(index, ref));
    } else if (op.includes('Attention') && (domain === 'com.microsoft' || domain === 'ai.onnx')) {
      const label = nodeLabel(node, i);
      blocked.push({
        node: label, op, domain,
        reason: options.blockedReasons?.get(label) ?? (REWRITABLE_ATTENTION.has(`${domain}/${op}`)
          ? `${domain} ${op} is a fused attention kernel with no probability output; rewrite it into primitive ops first (rewriteFusedAttention, as the attention analysis does)`
          : `${domain} ${op} is a fused attention kernel with no probability output, and no rewrite into primitive ops covers it`),
      });
    }
  });
  return { sites: sites.map((s, layer) => ({ ...s, layer })), rejected, blocked };
}

/**
 * Finds the attention of a model's main graph. Throws BadInputError (`attention.none`) when there
 * is none, listing every Softmax found with the reason it was rejected and every fused op that
 * blocks extraction.
 */
export function findAttention(model: ModelProto, file = 'model', options: FindAttentionOptions = {}): AttentionGraph {
  const graph = model.graph;
  if (!graph) throw new BadInputError('onnx.no-graph', `${file}: the model has no graph`, { file });
  const found = attentionInGraph(graph, defaultOpset(model), options);
  if (found.sites.length === 0) throw new BadInputError('attention.none', noAttentionMessage(file, found.rejected, found.blocked), { file });
  return found;
}

export function noAttentionMessage(file: string, rejected: readonly RejectedSoftmax[], blocked: readonly BlockingNode[]): string {
  const parts = [`${file}: no attention probabilities found in the main graph.`];
  if (rejected.length === 0 && blocked.length === 0) parts.push('The graph has no Softmax node and no fused attention op.');
  if (rejected.length > 0) parts.push(`Softmax nodes found (${rejected.length}), none of them attention: ${rejected.map((r) => `${r.node}: ${r.reason}`).join('; ')}.`);
  if (blocked.length > 0) parts.push(`Blocking fused ops: ${blocked.map((b) => `${b.node} (${b.domain} ${b.op}): ${b.reason}`).join('; ')}.`);
  return parts.join(' ');
}

