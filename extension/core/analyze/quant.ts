/**
 * The quantization analysis entry point the CLI and the VS Code host both call: per-tensor
 * error of every float weight (issue 6 item 2), and with a spec the model-level impact per
 * format and group (item 3) and optionally the per-layer sensitivity (item 4); or, with a float
 * model, an existing quantized checkpoint compared with it (item 5).
 */
import { BadInputError } from '../errors';
import type { ProgressFn } from '../errors';
import type { ResolvedSpec } from '../data';
import { loadModel, summarizeModel } from '../onnx';
import type { QuantizationReport, QuantizationSection } from '../../protocol/quant';
import { analyzeWeights, DEFAULT_MIN_ELEMENTS } from '../quant/analyze';
import { compareCheckpoint } from './quantCheckpoint';
import { quantImpact } from './quantImpact';
import type { Rounding } from '../quant/minifloat';
import type { PassResult } from './quantPass';
import { quantizationReport } from './quantReport';
import { DEFAULT_SENSITIVITY_ROWS, layerSensitivity } from './quantSensitivity';
import { resolveRunOptions, type RunOverrides } from './options';

/**
 * Options of a quantization run: the explicit overrides (options.ts; `maxRows` limits the
 * sensitivity passes only, default 2000 rows; the impact uses every row), then what only
 * quantization has.
 */
export interface QuantRunOptions extends RunOverrides {
  /**
   * The model whose weights are quantized (default: the spec's `model`); with `float`, the
   * existing quantized checkpoint. With a spec, the spec's data is run through it.
   */
  readonly model?: string;
  /** The float model an existing quantized checkpoint (`model`) is compared with. */
  readonly float?: string;
  /** Format ids or `all` (default all). */
  readonly formats?: readonly string[] | string;
  /** Also run the per-layer sensitivity (needs a spec). */
  readonly sensitivity?: boolean;
  /** Format of the sensitivity (default int4). */
  readonly sensitivityFormat?: string;
  /** Worst-group loss-delta budget of the mixed-precision suggestion (default 0.01). */
  readonly budget?: number;
  readonly minElements?: number;
  readonly mxRounding?: Rounding;
  /** Quantization worker script for big tensors (the per-tensor analysis). */
  readonly workerPath?: string | URL;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
}

/** Progress of one phase mapped into [from, to) of the whole run. */
function phase(onProgress: ProgressFn | undefined, from: number, to: number, label: string): ProgressFn {
  return (f, m) => onProgress?.(from + (to - from) * f, `${label}: ${m}`);
}

function header(pass: Omit<PassResult, 'variants' | 'baselineMetrics'>, spec: ResolvedSpec): Pick<QuantizationReport, 'runtime' | 'data' | 'spec'> {
  return { runtime: pass.runtime, data: { path: pass.data.path, rows: pass.data.rows, skippedRows: pass.data.skippedRows }, spec: spec.specPath };
}

/**
 * Runs the quantization analysis and returns its report: the per-tensor error of `options.model`
 * (default the spec's model) and, with a spec, the impact over its data and optionally the
 * sensitivity; with `options.float`, the checkpoint `model` compared with that float model.
 * @throws BadInputError (bad model, spec, data, formats, budget; a checkpoint with no quantized
 *   weight; `quant.sensitivity-needs-spec`, `quant.no-model`), CancelledError.
 */
export async function runQuant(spec: ResolvedSpec | undefined, options: QuantRunOptions): Promise<QuantizationReport> {
  const { signal } = options;
  const modelPath = options.model ?? spec?.model;
  if (!modelPath) throw new BadInputError('quant.no-model', `${spec?.specPath || 'the spec'}: field "model": name the model to quantize`, spec?.specPath ? { file: spec.specPath } : undefined);
  const run = resolveRunOptions(spec, options);
  const common = {
    providers: run.providers,
    ...(run.threads ? { threads: run.threads } : {}),
    batchSize: run.batchSize,
    minGroupSize: run.minGroupSize,
    ...(signal ? { signal } : {}),
  };
  const minElements = options.minElements ?? DEFAULT_MIN_ELEMENTS;
  const mxRounding = options.mxRounding ?? 'rne';
  if (options.sensitivity && !spec) {
    throw new BadInputError('quant.sensitivity-needs-spec', 'the layer sensitivity needs data: give a spec (--spec)');
  }
  if (options.float !== undefined) {
    const r = await compareCheckpoint(modelPath, options.float, spec, { ...common, minElements, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    const loaded = await loadModel(modelPath, signal ? { signal } : {});
    const section: QuantizationSection = {
      formats: [], tensors: [], tensorInfo: [], grids: [], skipped: [], summaryByFormat: [],
      settings: { minElements, mxRounding },
      checkpoint: r.checkpoint,
      ...(r.impact ? { impact: [r.impact] } : {}),
      ...(r.baseline ? { baseline: r.baseline } : {}),
    };
    const report = quantizationReport(summarizeModel(loaded), section);
    return spec && r.pass ? withHeader(report, header(r.pass, spec), section) : report;
  }
  const withData = spec !== undefined;
  const weightsEnd = withData ? (options.sensitivity ? 0.1 : 0.2) : 1;
  const impactEnd = options.sensitivity ? 0.4 : 1;
  const loaded = await loadModel(modelPath, signal ? { signal } : {});
  let section: QuantizationSection = await analyzeWeights(loaded, {
    minElements, mxRounding,
    ...(options.formats !== undefined ? { formats: options.formats } : {}),
    ...(options.workerPath !== undefined ? { workerPath: options.workerPath } : {}),
    ...(signal ? { signal } : {}),
    onProgress: phase(options.onProgress, 0, weightsEnd, 'weights'),
  });
  const report = quantizationReport(summarizeModel(loaded), section);
  if (!spec) return report;
  const impact = await quantImpact(spec, modelPath, {
    ...common, formats: section.formats, minElements, mxRounding,
    onProgress: phase(options.onProgress, weightsEnd, impactEnd, 'impact'),
  });
  section = { ...section, impact: impact.impact, baseline: impact.baseline };
  if (options.sensitivity) {
    const sensitivity = await layerSensitivity(spec, modelPath, {
      ...common, minElements, mxRounding,
      ...(options.sensitivityFormat !== undefined ? { format: options.sensitivityFormat } : {}),
      ...(options.budget !== undefined ? { budget: options.budget } : {}),
      maxRows: run.maxRows || DEFAULT_SENSITIVITY_ROWS,
      onProgress: phase(options.onProgress, impactEnd, 1, 'sensitivity'),
    });
    section = { ...section, sensitivity };
  }
  options.onProgress?.(1, 'done');
  return withHeader(report, header(impact.pass, spec), section);
}

/** The report with runtime, data and spec after the model, and the section last (stable, diffable key order). */
function withHeader(report: QuantizationReport, h: Pick<QuantizationReport, 'runtime' | 'data' | 'spec'>, section: QuantizationSection): QuantizationReport {
  const { quantization: _old, ...head } = report;
  return { ...head, ...h, quantization: section };
}
