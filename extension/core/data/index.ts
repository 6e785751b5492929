/** core/data: dataset readers, the analysis spec, and input mapping to tensors. */
export * from './table';
export { openTable, TABLE_EXTENSIONS } from './open-table';
export { openNpy, readNpy, parseNpyHeader, type NpyArray, type NpyDtype, type NpyFile, type NpyHeader } from './npy';
export { numericCell, groupValue, intArrayCell, type NumericCell } from './cells';
export * from './spec-types';
export { loadSpec, resolveSpec, scoredOutputKind, validateSpec, writeSpec, specToJson, formatSpecIssues, fieldName, type SpecIssue, type ResolveOptions } from './spec';
export { createInputEncoder, type EncodedBatch, type EncoderOptions, type EncoderSummary, type InputEncoder } from './encode';
export { SkipTally, type SkipSummary } from './skips';
export { suggestSpec, profileColumns, type ColumnKind, type ColumnProfile, type SpecSuggestion, type SuggestHints } from './suggest';
export { normalizeDtype, type ModelInputInfo, type TensorArray, type TensorData, type TensorDType } from './tensors';
export { loadTokenizer, type TokenEncoder } from './tokenizer';
