/**
 * The engine, loaded on first use: every value of core the host calls (ONNX parsing, the spec and
 * data readers, the worker client, the CUDA installer). esbuild builds this file into its own
 * bundle (dist/engine.js) that `engine()` (loadEngine.ts) requires the first time a model is
 * opened or a command runs; the activation bundle (dist/extension.js) holds only registration.
 * test/unit/architecture/activation-split.test.ts checks that the heavy modules stay out of it.
 * Import this module only as a type (`import type`), or the split is undone.
 */
export {
  runInWorker, CUDA_PACKAGE, bundledRuntime, installCudaProvider, ortLoaded,
  filesNextTo, profileData, specFromSuggestions, suggestSliceColumns, suggestSpec, writeSpec, parseProviderSetting,
  DEFAULT_SLOT, answerProblem, commonSlots, languageModelOutput, loadTokenizer, parseTerms, probeSpecFrom,
  suggestProbe, templateProblem, termsProblem, writeTemplates,
} from '../core/analyze';
export { inspectModel } from '../core/onnx';
export { reportToJson } from '../core/report';
