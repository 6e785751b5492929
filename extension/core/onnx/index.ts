/** Public API of the ONNX layer: read, summarise, write and query ONNX models. */
export type { ExternalFileStatus, FileAccess, FileStat, LoadedModel } from './model';
export type * from './proto';
export { DATA_LOCATION_EXTERNAL } from './proto';
export type { SniffResult } from './sniff';
export { sniffOnnx } from './sniff';
export type { DecodeOptions, LoadOptions } from './read';
export { decodeModel, loadModel } from './read';
export type { ExternalizedModel } from './externalize';
export { externalizeInitializers, EXTERNALIZE_MIN_BYTES } from './externalize';
export type { ExternalRef } from './external';
export { checkExternalData, externalRef, nodeFileAccess, readTensorData } from './external';
export {
  bytesPerElement,
  dtypeBits,
  dtypeName,
  elementCount,
  float16ToNumber,
  bfloat16ToNumber,
  isExternal,
  LOW_BIT_DTYPES,
  MAX_DIM,
  packedByteLength,
} from './tensor';
export { tensorToFloat32 } from './values';
export type { AttentionBlock } from './detect';
export { detectAttention, isQuantizationOp } from './detect';
export type { DtypeParameters, LargestTensor, ModelSummary, ValueInfo } from './summary';
export { inspectModel, summarizeModel, valueInfo } from './summary';
export type { WeightDiffOptions } from './weightDiff';
export { diffWeights, PARAMETER_LIST_CAP } from './weightDiff';
export type { GraphSite, NodeRef, WeightSource, WeightTensor } from './graph';
export {
  addGraphOutput,
  allGraphs,
  cloneModel,
  consumers,
  findInitializer,
  findValueInfo,
  producers,
  weightTensors,
} from './graph';
export { encodeModel, saveModel } from './write';
export type {
  AdditiveTerm, AttentionGraph, AttentionSite, BlockingNode, FindAttentionOptions, ProbabilityLayout, RejectedSoftmax,
} from './attention';
export { attentionInGraph, defaultOpset, findAttention, intValues, nodeLabel, noAttentionMessage } from './attention';
export type { FusedBlocked, FusedRewrite, FusedRewriteResult } from './fused';
export { REWRITABLE_ATTENTION, rewriteFusedAttention } from './fused';
