/**
 * The one entry into the engine for the CLI and the VS Code host (lint-enforced: they import core
 * only from here, plus core/onnx for inspection and core/report for export). One
 * `run<Analysis>(spec, options)` per analysis; `resolveRunOptions` decides flags/settings >
 * spec > defaults for all of them; `runInWorker` runs any of them in the analysis worker.
 */
export { runGroups, runGroupsFromPredictions, runGroupsShard, type GroupsRunOptions } from './groups';
export { runCompare, runGroupsWithReference, type CompareRunOptions, type CompareTarget, type CompareReport } from './compare';
export { runCheck, withBudgets, type CheckReport, type CheckOptions } from './budgets';
export { mergeShardStates, readShardStates, SHARDED_ANALYSES, STATE_SCHEMA, stateBudgetResults, withStateBudgets, type GroupsShardState, type ShardPlacement, type ShardStateHeader } from './shards';
export { mergeSlicesStates, runSlicesShard, type SlicesShardState } from './slicesShard';
export { mergeCompareStates, runCompareShard, type CompareShardState } from './compareShard';
export { mergeThresholdsStates, runThresholdsShard, type ThresholdsShardState } from './thresholdsShard';
export { mergeAttentionStates, runAttentionShard, type AttentionShardState } from './attentionShard';
export {
  runAttention, runAttentionSample, AttentionSampler, compareAttentionProviders,
  type AttentionRunOptions, type AttentionSampleOptions, type ProviderComparison,
} from './attention';
export { runQuant, type QuantRunOptions } from './quant';
export { runSlices, type SlicesRunOptions } from './slices';
export { runThresholds, mergeGroupValues, type ThresholdsRunOptions } from './thresholds';
export { runProbe, PROBE_DEFAULTS, type ProbeRunOptions } from './probe';
export { runProbeAttention } from './probe-attention';
export { DEFAULT_BUDGET, DEFAULT_SENSITIVITY_FORMAT, DEFAULT_SENSITIVITY_ROWS } from './quantSensitivity';
export { DEFAULT_MIN_ELEMENTS } from '../quant/analyze';
export {
  resolveRunOptions, replicatesFor, autoReplicates, RUN_DEFAULTS, ATTENTION_DEFAULTS, AUTO_BOOTSTRAP,
  type RunOptions, type RunOverrides,
} from './options';
export { runInWorker, type WorkerRunOptions } from './workerClient';

// What the callers need around a run: errors, the spec, providers, metric names, diagnostics.
export { BadInputError, CancelledError, InspectorError, type ErrorKind, type ProgressFn } from '../errors';
export {
  loadSpec, resolveSpec, writeSpec, openTable, profileColumns, suggestSpec, languageModelOutput, suggestSliceColumns, loadTokenizer, type SliceColumnOption, type TokenEncoder, isNpyMapping, isTextMapping, TASKS, parseShard, type Shard,
  type AnalysisSpec, type ColumnProfile, type InputMapping, type ResolvedSpec, type SpecSuggestions, type SuggestHints, type Task,
} from '../data';
export { dryRunSpec, stepOfError, type DryRunOptions } from './dryRun';
export { filesNextTo, profileData, specFromSuggestions, suggestForFiles, PROFILE_ROWS, type FileSuggestions } from './suggest';
export {
  suggestProbe, probeSpecFrom, parseTerms, termsProblem, answerProblem, templateSources, commonSlots, writeTemplates, DEFAULT_SLOT,
  type AnswerPair, type ProbeChoices, type ProbeSuggestions, type TemplateSource,
} from './probeSuggest';
export { templateProblem } from './probe';
export {
  parseProviderSetting, runForward, syntheticFeeds, maxRelativeDifference, type ForwardResult, type ProviderSetting,
} from '../runtime';
export { higherIsBetter, metricValue, scalarMetricNames } from '../metrics/accumulator';

// Issue 10 (hardening): limits, one-line runtime reasons, terminal-safe text, the CUDA opt-in.
export { checkBootstrap } from '../metrics/groups';
export { checkBiasLength } from './attention';
export { escapeControl, formatCount, terminalSafe } from '../text';
export { asResourceError, ortFailureReason } from '../runtime/session';
export { CUDA_PACKAGE, installCudaProvider, userDataDir } from '../runtime/cuda';
export { bundledRuntime, ortLoaded } from '../runtime/loader';
