/**
 * Pattern detection over the graph: attention blocks (fused ops and unfused
 * MatMul → scale/mask → Softmax → MatMul chains) and quantization ops.
 */
import type { GraphProto, ModelProto, NodeProto } from './proto';
import { allGraphs, consumers, isDefaultDomain, producers } from './graph';

import type { AttentionBlock } from '../../protocol/model';

export type { AttentionBlock };

/** Fused attention ops: ONNX `Attention` (opset 23) and onnxruntime contrib ops. */
const FUSED_ATTENTION: Record<string, ReadonlySet<string>> = {
  'ai.onnx': new Set(['Attention']),
  'com.microsoft': new Set([
    'Attention',
    'MultiHeadAttention',
    'GroupQueryAttention',
    'PackedAttention',
    'PackedMultiHeadAttention',
    'DecoderMaskedMultiHeadAttention',
    'DecoderMaskedSelfAttention',
    'SparseAttention',
    'QAttention',
    'LongformerAttention',
  ]),
};

/** Ops between Q·Kᵀ and Softmax: scaling, masking, bias, casts and reshapes. */
const SCORE_OPS = new Set(['Mul', 'Div', 'Add', 'Sub', 'Where', 'Cast', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze']);
/** Ops between Softmax and the MatMul with V. */
const PROB_OPS = new Set(['Dropout', 'Cast', 'Reshape', 'Transpose', 'Identity']);
const MAX_HOPS = 6;

/** Domain as shown to users: '' and 'ai.onnx' are both 'ai.onnx'. */
export function domainName(domain: string | undefined): string {
  return isDefaultDomain(domain) ? 'ai.onnx' : (domain ?? '');
}

function isOp(node: NodeProto, op: string): boolean {
  return node.opType === op && isDefaultDomain(node.domain);
}

/** Names of tensors that are constants of this graph: initializers and Constant outputs. */
function constantNames(graph: GraphProto): Set<string> {
  const names = new Set(graph.initializer.map((t) => t.name ?? ''));
  for (const node of graph.node) if (isOp(node, 'Constant')) for (const output of node.output) names.add(output);
  return names;
}

/** Whether the Softmax input comes, through score ops, from a MatMul of two computed tensors. */
function scoresFromQK(graph: GraphProto, start: string, byOutput: ReturnType<typeof producers>, constants: Set<string>): boolean {
  const seen = new Set<string>();
  let frontier = [start];
  for (let hop = 0; hop <= MAX_HOPS && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const name of frontier) {
      if (seen.has(name) || constants.has(name)) continue;
      seen.add(name);
      const producer = byOutput.get(name)?.node;
      if (!producer || !isDefaultDomain(producer.domain)) continue;
      if (producer.opType === 'MatMul' || producer.opType === 'Einsum') {
        const operands = producer.input.filter((i) => i !== '');
        const computed = operands.filter((i) => !constants.has(i));
        if (operands.length === 2 && computed.length === 2) return true;
        continue;
      }
      if (SCORE_OPS.has(producer.opType ?? '')) next.push(...producer.input.filter((i) => i !== ''));
    }
    frontier = next;
  }
  return false;
}

/** Whether the Softmax output reaches, through probability ops, a MatMul (with V). */
function probsReachMatMul(start: string, readers: ReturnType<typeof consumers>): boolean {
  let frontier = [start];
  const seen = new Set<string>();
  for (let hop = 0; hop <= MAX_HOPS && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const name of frontier) {
      if (seen.has(name)) continue;
      seen.add(name);
      for (const { node } of readers.get(name) ?? []) {
        if (!isDefaultDomain(node.domain)) continue;
        if (node.opType === 'MatMul' || node.opType === 'Einsum') return true;
        // Dropout's second output is the mask; only its first carries the probabilities.
        if (PROB_OPS.has(node.opType ?? '') && node.output[0]) next.push(node.output[0]);
      }
    }
    frontier = next;
  }
  return false;
}

function graphAttention(graph: GraphProto, path: string): AttentionBlock[] {
  const byOutput = producers(graph);
  const readers = consumers(graph);
  const constants = constantNames(graph);
  const blocks: AttentionBlock[] = [];
  graph.node.forEach((node, index) => {
    const op = node.opType ?? '';
    const domain = domainName(node.domain);
    const base = { node: node.name ?? '', op, domain, index, graph: path };
    if (FUSED_ATTENTION[domain]?.has(op)) {
      blocks.push({ kind: 'fused', ...base });
      return;
    }
    if (!isOp(node, 'Softmax')) return;
    const input = node.input[0];
    const output = node.output[0];
    if (input && output && scoresFromQK(graph, input, byOutput, constants) && probsReachMatMul(output, readers)) {
      blocks.push({ kind: 'softmax', ...base });
    }
  });
  return blocks;
}

/** Attention blocks of every graph of the model, in graph then node order. */
export function detectAttention(model: ModelProto): AttentionBlock[] {
  return allGraphs(model).flatMap((site) => graphAttention(site.graph, site.path));
}

const QUANT_OPS = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'MatMulNBits',
  'MatMulBnb4',
  'DynamicQuantizeMatMul',
  'DynamicQuantizeLSTM',
  'QAttention',
  'QGemm',
  'QOrderedMatMul',
  'GatherBlockQuantized',
]);

/** Whether an op (type only; domain does not matter) is a quantization op: QDQ, QLinear*, integer or n-bit kernels. */
export function isQuantizationOp(op: string): boolean {
  return QUANT_OPS.has(op) || op.startsWith('QLinear');
}
