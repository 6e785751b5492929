/** core/data: dataset readers, the analysis spec, and input mapping to tensors. */
export * from './table';
export { openTable, TABLE_EXTENSIONS } from './open-table';
export { openTableShard, parseShard, rowInShard, shardRows, SHARD_BLOCK_ROWS, type Shard } from './shard';
export { datasetParts, listParquetParts, openParquetDataset, type DatasetOptions, type DatasetPart } from './parquet-dataset';
export { openNpy, readNpy, parseNpyHeader, type NpyArray, type NpyDtype, type NpyFile, type NpyHeader } from './npy';
export { numericCell, groupValue, intArrayCell, type NumericCell } from './cells';
export { hasTypedColumns, type CategoryColumn, type NumericColumn, type TypedColumns } from './csvBytes';
export * from './spec-types';
export { loadSpec, resolveSpec, scoredOutputKind, scoringTask, validateSpec, writeSpec, specToJson, formatSpecIssues, fieldName, type SpecIssue, type ResolveOptions } from './spec';
export { createInputEncoder, type EncodedBatch, type EncoderOptions, type EncoderSummary, type InputEncoder } from './encode';
export { SkipTally, type SkipSummary } from './skips';
export { suggestSpec, acceptSuggestions, profileColumns, languageModelOutput, type ColumnKind, type ColumnProfile, type GroupOption, type InputSuggestion, type ModelFacts, type ModelTask, type Ranked, type SpecSuggestions, type SuggestHints } from './suggest';
export { normalizeDtype, type ModelInputInfo, type TensorArray, type TensorData, type TensorDType } from './tensors';
export { loadTokenizer, type TokenEncoder } from './tokenizer';
export { suggestSliceColumns, type SliceColumnOption } from './suggestSlices';
