/**
 * Pattern detection over the graph: attention blocks (fused ops, and the Softmax sites of the
 * attention detector in ./attention.ts) and quantization ops.
 */
import type { GraphProto, ModelProto } from './proto';
import { attentionInGraph, defaultOpset } from './attention';
import { allGraphs, isDefaultDomain } from './graph';

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

/** Domain as shown to users: '' and 'ai.onnx' are both 'ai.onnx'. */
export function domainName(domain: string | undefined): string {
  return isDefaultDomain(domain) ? 'ai.onnx' : (domain ?? '');
}

function graphAttention(graph: GraphProto, path: string, opset: number): AttentionBlock[] {
  // The analysis's detector (./attention.ts), so the summary and the analysis agree: a Softmax
  // whose axis is decided on the first batch (decide 'run') counts here too.
  const softmax = new Set(attentionInGraph(graph, opset).sites.filter((s) => s.kind === 'softmax').map((s) => s.nodeIndex));
  const blocks: AttentionBlock[] = [];
  graph.node.forEach((node, index) => {
    const op = node.opType ?? '';
    const domain = domainName(node.domain);
    const base = { node: node.name ?? '', op, domain, index, graph: path };
    if (FUSED_ATTENTION[domain]?.has(op)) blocks.push({ kind: 'fused', ...base });
    else if (softmax.has(index)) blocks.push({ kind: 'softmax', ...base });
  });
  return blocks;
}

/** Attention blocks of every graph of the model, in graph then node order. */
export function detectAttention(model: ModelProto): AttentionBlock[] {
  const opset = defaultOpset(model);
  return allGraphs(model).flatMap((site) => graphAttention(site.graph, site.path, opset));
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
