/**
 * Which stored tensors of a model the quantization analysis covers (FORMULAS.md §C: every float
 * weight with at least `minElements` elements, initializers and Constant-node tensors alike) and
 * the axes each one is quantized along, from the op that consumes it.
 */
import { allGraphs, dtypeName, elementCount, isQuantizationOp, LOW_BIT_DTYPES, weightTensors } from '../onnx';
import type { GraphSite, LoadedModel, NodeProto, TensorProto, WeightSource } from '../onnx';
import { quantAxesFor } from './axis';
import type { QuantAxes } from './axis';
import type { QuantAxisConflict, QuantSkipped } from '../../protocol/quant';

/** Stored dtypes the analysis converts to float32 and quantizes. */
export const FLOAT_WEIGHT_DTYPES: ReadonlySet<string> = new Set(['float32', 'float16', 'bfloat16', 'float64']);

/** Layout ops followed from a weight to the op that really consumes it (input 0 only). */
const PASS_THROUGH = new Set(['Identity', 'Cast', 'Transpose']);
const MAX_HOPS = 4;

/** A weight the analysis will read and quantize. */
export interface WeightCandidate {
  name: string;
  tensor: TensorProto;
  source: WeightSource;
  graphPath: string;
  shape: number[];
  dtype: string;
  elements: number;
  /** Position in `weightTensors` order. */
  weightIndex: number;
  consumer: ResolvedConsumer | null;
  axes: QuantAxes;
  axisConflicts: QuantAxisConflict[];
  graphIndex: number;
}

/** The op whose axes decide a weight's quantization axes. */
export interface ResolvedConsumer {
  op: string;
  node: string;
  inputIndex: number;
  via: string[];
  /** Position of the weight's direct consumer in graph order. */
  graphIndex: number;
}

/** The selection: candidates in `weightTensors` order and the tensors left out before reading. */
export interface WeightSelection {
  candidates: WeightCandidate[];
  skipped: QuantSkipped[];
  /** Float tensors of any size (to explain an empty selection). */
  floatTensors: { name: string; elements: number }[];
  /** Tensors of 8 bits or fewer per element, and the quantization ops found (to recognise a quantized model). */
  lowBitTensors: number;
  quantOps: number;
}

interface GlobalNode {
  node: NodeProto;
  index: number;
  site: GraphSite;
}

/** Every node of every graph with its position in graph order (main graph first). */
function globalNodes(model: LoadedModel): { nodes: GlobalNode[]; byInput: Map<string, GlobalNode[]> } {
  const nodes: GlobalNode[] = [];
  const byInput = new Map<string, GlobalNode[]>();
  for (const site of allGraphs(model.proto)) {
    for (const node of site.graph.node) {
      const entry = { node, index: nodes.length, site };
      nodes.push(entry);
      for (const input of new Set(node.input)) {
        if (input === '') continue;
        const list = byInput.get(input);
        if (list) list.push(entry);
        else byInput.set(input, [entry]);
      }
    }
  }
  return { nodes, byInput };
}

/** True when a node in `inner` can see names of the graph at `outer` (same graph or a subgraph of it). */
function inScope(outer: string, inner: string): boolean {
  return outer === '' || inner === outer || inner.startsWith(`${outer} / `);
}

function intAttrs(node: NodeProto): Record<string, number> {
  const attrs: Record<string, number> = {};
  for (const a of node.attribute) if (a.name !== undefined && a.i !== undefined) attrs[a.name] = a.i;
  return attrs;
}

function isDefaultDomain(domain: string | undefined): boolean {
  return domain === undefined || domain === '' || domain === 'ai.onnx';
}

/** A final consumer with the axis permutation from the weight to that consumer's input. */
interface FinalUse {
  node: NodeProto;
  inputIndex: number;
  via: string[];
  /** perm[j] = the weight's axis that is axis j of the consumed tensor. */
  perm: number[];
  graphIndex: number;
}

/** Follows Identity/Cast/Transpose from `name` to the ops that consume it, depth first in graph order. */
function finalUses(name: string, graphPath: string, byInput: Map<string, GlobalNode[]>, rank: number): FinalUse[] {
  const out: FinalUse[] = [];
  const identity = Array.from({ length: rank }, (_, i) => i);
  const visit = (tensor: string, via: string[], perm: number[], hops: number, first: number | null): void => {
    for (const use of byInput.get(tensor) ?? []) {
      if (!inScope(graphPath, use.site.path)) continue;
      const op = use.node.opType ?? '';
      const graphIndex = first ?? use.index;
      const inputIndex = use.node.input.indexOf(tensor);
      const output = use.node.output[0];
      if (PASS_THROUGH.has(op) && isDefaultDomain(use.node.domain) && inputIndex === 0 && output !== undefined && output !== '' && hops < MAX_HOPS) {
        const next = op === 'Transpose' ? composeTranspose(perm, use.node, rank) : perm;
        visit(output, [...via, op], next, hops + 1, graphIndex);
        continue;
      }
      out.push({ node: use.node, inputIndex, via, perm, graphIndex });
    }
  };
  visit(name, [], identity, 0, null);
  return out;
}

/** perm of the Transpose's output in terms of the weight's axes. */
function composeTranspose(perm: number[], node: NodeProto, rank: number): number[] {
  const attr = node.attribute.find((a) => a.name === 'perm');
  const p = attr && attr.ints.length === rank ? attr.ints : Array.from({ length: rank }, (_, i) => rank - 1 - i);
  return p.map((axis) => perm[axis] ?? axis);
}

/** Axes of a use, mapped back to the weight's own axes. */
function axesOfUse(use: FinalUse, rank: number): QuantAxes {
  const axes = quantAxesFor({ op: use.node.opType ?? '', inputIndex: use.inputIndex, attrs: intAttrs(use.node) }, rank);
  if (use.perm.every((axis, i) => axis === i)) return axes;
  return {
    channelAxis: axes.channelAxis === null ? null : (use.perm[axes.channelAxis] ?? axes.channelAxis),
    blockAxis: use.perm[axes.blockAxis] ?? axes.blockAxis,
    // Flattening trailing axes is only meaningful in the consumer's layout; after a transpose
    // the blocks run along the single mapped axis.
    blockFlattenTrailing: false,
  };
}

function sameAxes(a: QuantAxes, b: QuantAxes): boolean {
  return a.channelAxis === b.channelAxis && a.blockAxis === b.blockAxis && a.blockFlattenTrailing === b.blockFlattenTrailing;
}

/**
 * Selects the float weights with at least `minElements` elements and resolves their axes: the
 * first consumer in graph order decides (others with different axes are recorded as conflicts);
 * a weight nothing consumes gets the default axes (channel 0, block = last axis).
 */
export function selectWeights(model: LoadedModel, minElements: number): WeightSelection {
  const { nodes, byInput } = globalNodes(model);
  const candidates: WeightCandidate[] = [];
  const skipped: QuantSkipped[] = [];
  const floatTensors: { name: string; elements: number }[] = [];
  let lowBitTensors = 0;
  weightTensors(model.proto).forEach((weight, weightIndex) => {
    const dtype = dtypeName(weight.tensor.dataType);
    const elements = elementCount(weight.tensor, model.path);
    if (LOW_BIT_DTYPES.has(dtype)) lowBitTensors++;
    if (!FLOAT_WEIGHT_DTYPES.has(dtype)) {
      skipped.push({ name: weight.name, code: 'not-float', reason: `${dtype} tensor: only float weights are quantized` });
      return;
    }
    floatTensors.push({ name: weight.name, elements });
    if (elements < minElements) {
      skipped.push({ name: weight.name, code: 'too-small', reason: `${elements} elements, below the minimum of ${minElements}` });
      return;
    }
    const shape = [...weight.tensor.dims];
    const rank = shape.length;
    const uses = finalUses(weight.name, weight.graphPath, byInput, rank);
    const first = uses[0];
    const axes = first ? axesOfUse(first, rank) : quantAxesFor({ op: '', inputIndex: 0, attrs: {} }, rank);
    const axisConflicts: QuantAxisConflict[] = [];
    for (const use of uses.slice(1)) {
      const other = axesOfUse(use, rank);
      if (sameAxes(other, axes)) continue;
      axisConflicts.push({ op: use.node.opType ?? '', node: use.node.name ?? '', inputIndex: use.inputIndex, channelAxis: other.channelAxis, blockAxis: other.blockAxis });
    }
    const consumer: ResolvedConsumer | null = first
      ? { op: first.node.opType ?? '', node: first.node.name ?? '', inputIndex: first.inputIndex, via: first.via, graphIndex: first.graphIndex }
      : null;
    candidates.push({
      name: weight.name,
      tensor: weight.tensor,
      source: weight.source,
      graphPath: weight.graphPath,
      shape,
      dtype,
      elements,
      weightIndex,
      consumer,
      axes,
      axisConflicts,
      graphIndex: consumer ? consumer.graphIndex : nodes.length + weightIndex,
    });
  });
  const quantOps = nodes.filter((n) => isQuantizationOp(n.node.opType ?? '')).length;
  return { candidates, skipped, floatTensors, lowBitTensors, quantOps };
}
