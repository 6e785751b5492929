/**
 * Attention analysis of FORMULAS.md §D: per-row statistics, views over exported probabilities,
 * streaming per-head/per-group aggregates and additive-bias analysis, pure computation on typed
 * arrays (exported here). Beside them: extract.ts exposes the tensors on a graph copy,
 * session.ts runs that copy, rowFacts.ts reads each row's facts, sink.ts aggregates in a worker,
 * section.ts builds the report section; core/analyze/attention.ts drives them.
 */
export { resolvePositions, type PositionInputs, type ResolvedPositions, type Validity } from './positions';
export { createMapScan, entropy, mapStatistics, normalizedEntropy, scanMap, type FloatArray, type MapScan, type MapStatistics } from './entropy';
export { checkRowSums, float16ToFloat32, viewAttention, type AttentionLayout, type AttentionView, type RowSumCheck, type TensorSource, type WorstRow } from './layout';
export {
  AttentionAggregator, histogramQuantile, type AttentionAggregate, type AttentionAggregatorOptions, type AttentionSample, type EntropyDistribution,
  type GroupDetail, type GroupKey, type GroupSummary, type HeadGroupDifference, type HeadSummary,
} from './aggregate';
export {
  alibiBias, alibiSlopes, analyzeBias, biasReportEntry, classifyAdditiveTerm, effectiveRank, energyCurve, MASK_VALUE, t5BucketMatrix, t5RelativeBucket,
  type AdditiveTermClass, type AdditiveTermKind, type BiasAnalysis, type BiasReportEntry, type ClassifyOptions, type T5BucketOptions,
} from './bias';
export { singularValues } from './svd';
