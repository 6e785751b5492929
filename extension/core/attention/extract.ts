/**
 * Attention extraction (FORMULAS.md §D): the sites found by the one detector (core/onnx
 * attention.ts) exposed as outputs of an in-memory copy of the model (the file is never written);
 * sites the graph could not decide are confirmed or dropped on the first batch; run tensors are
 * mapped to a layout and head count.
 */
import { BadInputError } from '../errors';
import { addGraphOutput, cloneModel, findValueInfo, noAttentionMessage } from '../onnx';
import type { AttentionGraph, AttentionSite, ModelProto } from '../onnx';
import type { AttentionLayout } from './layout';

export type { AdditiveTerm, AttentionGraph, AttentionSite, BlockingNode, RejectedSoftmax } from '../onnx';
export { findAttention, intValues, nodeLabel } from '../onnx';

/**
 * A copy of the model whose main graph also outputs every site's tensor and the `extra` tensors
 * (bias terms to evaluate). MultiHeadAttention nodes get their optional `qk` output named.
 */
export function exposeAttention(model: ModelProto, graph: AttentionGraph, extra: readonly string[] = [], file = 'model'): ModelProto {
  let copy = cloneModel(model);
  const nodes = copy.graph?.node ?? [];
  for (const site of graph.sites) {
    if (site.kind !== 'multihead-qk') continue;
    const node = nodes[site.nodeIndex];
    if (!node) continue;
    while (node.output.length < 4) node.output.push('');
    node.output[3] = site.tensor;
  }
  for (const site of graph.sites) {
    // A renamed optional output has no value info: give it the query's type (float unless known).
    const query = nodes[site.nodeIndex]?.input[0] ?? '';
    const elemType = site.kind === 'multihead-qk' ? findValueInfo(copy, query)?.type?.tensorType?.elemType ?? 1 : undefined;
    copy = addGraphOutput(copy, site.tensor, { file, ...(elemType === undefined ? {} : { elemType }) });
  }
  for (const name of extra) copy = addGraphOutput(copy, name, { file });
  return copy;
}

/** Layout and heads of a run's tensor: rank 4 is [B,H,T,T]; rank 3 needs heads (graph, or axis 0 / batch). */
export function resolveHeads(site: AttentionSite, dims: readonly number[], batch: number, file = 'model'): { layout: AttentionLayout; heads: number } {
  const where = `${file}: attention tensor '${site.tensor}' (layer ${site.layer}, node ${site.node}) has shape [${dims.join(', ')}]`;
  if (dims.length === 4) {
    if (site.heads !== undefined && site.heads !== dims[1]) {
      throw new BadInputError('attention.heads', `${where}, but the graph says ${site.heads} heads (${site.headsFrom})`, { file });
    }
    return { layout: '[B,H,T,T]', heads: dims[1]! };
  }
  if (dims.length === 3) {
    if (site.heads !== undefined) return { layout: '[B*H,T,T]', heads: site.heads };
    if (batch > 0 && dims[0]! % batch === 0) return { layout: '[B*H,T,T]', heads: dims[0]! / batch };
    throw new BadInputError('attention.heads', `${where}: a [B*H, T, T] layout, and the number of heads is neither in the graph (no Reshape target with the batch times a constant) nor axis 0 / batch ${batch}`, { file });
  }
  throw new BadInputError('attention.shape', `${where}: expected [B, H, T, T] or [B*H, T, T]`, { file });
}

/** Softmax over the last axis (length T), in place: MultiHeadAttention's qk logits -> probabilities. */
export function softmaxRows(data: Float32Array, T: number): Float32Array {
  for (let start = 0; start + T <= data.length; start += T) {
    let max = -Infinity;
    for (let j = 0; j < T; j++) max = Math.max(max, data[start + j]!);
    let sum = 0;
    for (let j = 0; j < T; j++) {
      const e = Math.exp(data[start + j]! - max);
      data[start + j] = e;
      sum += e;
    }
    for (let j = 0; j < T; j++) data[start + j]! /= sum;
  }
  return data;
}

/** A decide-'run' site's tensor on the first batch: its dims and values. */
export interface ProbeTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/**
 * Keeps the sites whose tensor on the first batch is attention probabilities: every decide-'graph'
 * site, and a decide-'run' site when its tensor has rank 3 or 4, square-or-not [.., S, T] maps
 * and every row sums to 1 over the last axis (within 1e-3). Dropped sites join `rejected` with
 * the reason read from the run. Throws `attention.none` when no site is left.
 */
export function confirmSites(graph: AttentionGraph, probes: ReadonlyMap<string, ProbeTensor>, file = 'model'): AttentionGraph {
  if (graph.sites.every((s) => s.decide === 'graph')) return graph;
  const kept: AttentionSite[] = [];
  const rejected = [...graph.rejected];
  for (const site of graph.sites) {
    if (site.decide === 'graph') { kept.push(site); continue; }
    const probe = probes.get(site.tensor);
    const reason = probe ? probeReason(probe) : 'the first batch returned no such tensor';
    if (reason) rejected.push({ node: site.node, reason: `${site.undecided ?? 'decided on the first batch'}: ${reason}` });
    else kept.push({ ...site, decide: 'graph', layout: probe!.dims.length === 4 ? '[B,H,T,T]' : '[B*H,T,T]' });
  }
  const confirmed = { sites: kept.map((s, layer) => ({ ...s, layer })), rejected, blocked: graph.blocked };
  if (kept.length === 0) throw new BadInputError('attention.none', noAttentionMessage(file, rejected, graph.blocked), { file });
  return confirmed;
}

/** Why a run tensor is not attention probabilities normalised over the last axis; undefined when it is. */
function probeReason({ dims, data }: ProbeTensor): string | undefined {
  if (dims.length !== 3 && dims.length !== 4) return `on the first batch its output has shape [${dims.join(', ')}], not [B, H, T, T] or [B·H, T, T]`;
  const T = dims[dims.length - 1]!;
  if (T === 0) return `on the first batch its output has shape [${dims.join(', ')}] (no keys)`;
  for (let start = 0; start + T <= data.length; start += T) {
    let sum = 0;
    for (let j = 0; j < T; j++) sum += data[start + j]!;
    if (!(Math.abs(sum - 1) <= 1e-3)) {
      return `on the first batch its output (shape [${dims.join(', ')}]) has a row over the last axis summing to ${sum.toPrecision(6)}, so it does not normalise over the keys`;
    }
  }
  return undefined;
}
