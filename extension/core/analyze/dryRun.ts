/**
 * The dry run of a spec (issue #16): validate it, then run the analysis it is for on the first
 * rows only, through the same `run<Analysis>` path a full run takes. A spec that passes runs; one
 * that fails says which step of writing it is wrong (data, columns, inputs, output, label...) with
 * the engine's own located message, so a guided flow can send the user back to that step.
 */
import { CancelledError, InspectorError } from '../errors';
import { resolveSpec, type ResolvedSpec } from '../data';
import type { DryRunAnalysis, DryRunResult, DryRunStep } from '../../protocol/dryRun';
import type { RunOverrides } from '../../protocol/worker';
import { runAttention } from './attention';
import { runGroups } from './groups';
import { runProbe } from './probe';
import { runSlices } from './slices';

export { DRY_RUN_STEPS, type DryRunAnalysis, type DryRunResult, type DryRunStep } from '../../protocol/dryRun';

export interface DryRunOptions extends Omit<RunOverrides, 'maxRows' | 'bootstrap'> {
  readonly analysis?: DryRunAnalysis;
  /** Folder relative paths in the spec are resolved against (the spec file's folder). */
  readonly baseDir: string;
  /** Where the spec is or will be written, for messages ('' when it has no file). */
  readonly specPath?: string;
  /** Rows run through the model (default 32). */
  readonly rows?: number;
  readonly signal?: AbortSignal;
}

const STEP_OF_CODE: Readonly<Record<string, DryRunStep>> = {
  'bad-spec': 'spec', 'bad-spec-json': 'spec',
  'missing-column': 'columns', 'duplicate-column': 'columns',
  'spec.label': 'label', 'label-out-of-task': 'label', 'bad-label': 'label', 'label-count': 'label',
  'spec.groups': 'groups', 'too-many-groups': 'groups',
  'unknown-input': 'inputs', 'input-dtype': 'inputs', 'input-shape': 'inputs', 'unmapped-input': 'inputs', 'npy-rows': 'inputs',
  'not-int-array': 'inputs', 'sequence-too-long': 'inputs', 'not-numeric': 'inputs', 'bad-tokenizer': 'inputs', 'bad-npy': 'inputs',
  'output-shape': 'output', 'spec.output': 'output', 'model.no-output': 'output', 'model.output-missing': 'output',
  'spec.model': 'model',
  'spec.slices': 'slices', 'slices.no-columns': 'slices', 'slices.max-level': 'slices',
  'probe.no-slot': 'templates', 'probe.bad-template': 'templates', 'probe.too-long': 'templates', 'probe.empty-prompt': 'templates', 'probe.short-template': 'templates',
  'lm.vocab-size': 'tokenizer', 'probe.token-range': 'tokenizer', 'lm.no-vocab-axis': 'output', 'spec.outputKind': 'output',
  'csv-parse': 'data', 'empty-data': 'data', 'data.empty': 'data', 'no-usable-rows': 'data', 'unsupported-data': 'data', 'bad-parquet': 'data',
};

/** Which step an engine error is about (by its code; a missing file by the field it is named in). */
export function stepOfError(error: InspectorError, spec?: { readonly model?: string; readonly data?: string }): DryRunStep {
  // "field "probe.answers.yes[0]": ..." names the part of the probe (a schema error, a missing file, the run's own check).
  const probeField = /field "probe\.(\w+)/.exec(error.message)?.[1];
  if (probeField !== undefined && (error.code === 'spec.probe' || error.code === 'bad-spec' || error.code === 'missing-file' || error.code === 'file-not-found')) {
    return probeField === 'tokenizer' ? 'tokenizer' : probeField === 'answers' || probeField === 'yes' || probeField === 'no' ? 'answers' : probeField === 'terms' ? 'terms' : 'templates';
  }
  const known = STEP_OF_CODE[error.code];
  if (known) return known;
  if (error.code.startsWith('onnx.') || error.code.startsWith('model.')) return 'model';
  if (error.code.startsWith('runtime.')) return error.code === 'runtime.input-dtype' ? 'inputs' : 'runtime';
  if (error.code === 'missing-file' || error.code === 'file-not-found') {
    if (/field "data"/.test(error.message) || (error.file !== undefined && error.file === spec?.data)) return 'data';
    if (/field "(model|referenceModel)"/.test(error.message) || (error.file !== undefined && error.file === spec?.model)) return 'model';
    return 'inputs';
  }
  return 'data';
}

/**
 * Validates `value` (a spec as it is or will be written) and runs its analysis on the first rows.
 * Never throws for a problem of the spec, its files or its model: that is the result. Throws
 * CancelledError when the signal fires.
 */
export async function dryRunSpec(value: unknown, options: DryRunOptions): Promise<DryRunResult> {
  const rows = options.rows ?? 32;
  const analysis = options.analysis ?? 'groups';
  let spec: ResolvedSpec | undefined;
  try {
    spec = await resolveSpec(value, { baseDir: options.baseDir, ...(options.specPath ? { specPath: options.specPath } : {}) });
    const { analysis: _analysis, baseDir: _baseDir, specPath: _specPath, rows: _rows, ...run } = options;
    if (analysis === 'probe') {
      const report = await runProbe(spec, { ...run, maxRows: rows, bootstrap: 0 });
      const p = report.probe;
      return { ok: true, rows: report.data.rows, message: `scored ${p.prompts} prompt${p.prompts === 1 ? '' : 's'} of the first ${report.data.rows} template${report.data.rows === 1 ? '' : 's'} with ${spec.model ?? 'the model'}: ${p.byGroup.length} groups` };
    }
    if (analysis === 'slices') {
      const report = await runSlices(spec, { ...run, maxRows: rows, bootstrap: 0 });
      const s = report.slices;
      return { ok: true, rows: s.n, message: `ran ${s.n} row${s.n === 1 ? '' : 's'} through ${spec.model ?? 'the predictions'}: ${s.columns.length} candidate column${s.columns.length === 1 ? '' : 's'} searched` };
    }
    if (analysis === 'attention') {
      const report = await runAttention(spec, { ...run, maxRows: rows, batchSize: Math.min(rows, 32) });
      return { ok: true, rows: report.data.rows, message: `ran ${report.data.rows} row${report.data.rows === 1 ? '' : 's'} through ${spec.model ?? 'the model'}: ${report.attention.layers} layers × ${report.attention.heads} heads of attention found` };
    }
    const report = await runGroups(spec, { ...run, maxRows: rows, batchSize: rows, bootstrap: 0 });
    const n = report.data.rows;
    return { ok: true, rows: n, message: `ran ${n} row${n === 1 ? '' : 's'} through ${spec.model ?? 'the predictions'}: ${report.groups.byGroup.length} group${report.groups.byGroup.length === 1 ? '' : 's'} of ${report.groups.sensitive.join(' × ')} in them` };
  } catch (error) {
    if (error instanceof CancelledError || options.signal?.aborted) throw error instanceof CancelledError ? error : new CancelledError();
    if (error instanceof InspectorError) {
      if (error.kind === 'cancelled') throw error;
      return { ok: false, step: stepOfError(error, spec), code: error.code, message: error.message };
    }
    // onnxruntime's own errors (a shape the graph rejects at run time) come as plain Errors.
    const cause = error instanceof Error ? error.message : String(error);
    return { ok: false, step: 'inputs', code: 'runtime.run', message: `${spec?.model ?? 'the model'}: the model did not run on the first ${rows} rows: ${cause}` };
  }
}
