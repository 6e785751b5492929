/**
 * One data pass that feeds every batch to the FP32 model and to each quantized variant, and
 * accumulates their comparison (compare.ts) and optionally each model's own group metrics.
 * Variants are in-memory model bytes (fake-quantized copies) or a path (a quantized checkpoint).
 */
import type { InferenceSession } from 'onnxruntime-node';
import { BadInputError, throttleProgress, throwIfAborted } from '../errors';
import type { ProgressFn } from '../errors';
import { createInputEncoder, openTable, scoredOutputKind, scoringTask } from '../data';
import type { EncodedBatch, ResolvedSpec, TensorData } from '../data';
import { evaluateBatch } from '../metrics/batch';
import type { LossConfig, SampleColumns } from '../metrics/batch';
import { GroupMetricsBuilder } from '../metrics/groups';
import type { GroupsSection } from '../../protocol/groups';
import { loadModel, summarizeModel } from '../onnx';
import type { ModelSummary } from '../../protocol/model';
import type { RuntimeInfo } from '../../protocol/runtime';
import { loadOrt, openSession } from '../runtime';
import type { ProviderSetting } from '../runtime';
import { ImpactAccumulator } from '../quant/compare';
import { resolveRunOptions } from './options';
import type { ComparisonSummary } from '../quant/compare';

/** A quantized model to compare with the FP32 one. */
export interface Variant {
  readonly id: string;
  /** Encoded model bytes, or a model file path. */
  readonly model: Uint8Array | string;
}

export interface PassOptions {
  readonly providers: ProviderSetting;
  readonly threads?: number;
  readonly batchSize?: number;
  /** Stop after this many data rows (0 or absent = all). */
  readonly maxRows?: number;
  readonly minGroupSize?: number;
  /** Also build each model's own group metrics (FORMULAS.md §B). */
  readonly metrics?: boolean;
  readonly flipsCap?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
}

export interface VariantResult {
  readonly id: string;
  readonly comparison: ComparisonSummary;
  readonly metrics?: GroupsSection;
}

export interface PassResult {
  readonly summary: ModelSummary;
  readonly runtime: RuntimeInfo;
  readonly output: string;
  readonly data: { readonly path: string; readonly rows: number; readonly skippedRows: number; readonly skipReasons: Readonly<Record<string, number>> };
  readonly baselineMetrics?: GroupsSection;
  readonly variants: readonly VariantResult[];
}

/**
 * The loss the comparison uses: the spec's, except the set-level `dice` and the dataset-
 * normalised `bias_loss`, which have no per-sample value: their per-sample cross-entropy is used.
 */
export function comparisonLoss(spec: ResolvedSpec): LossConfig {
  if (spec.loss === 'dice' || spec.loss === 'bias_loss') return { name: 'cross_entropy' };
  return { name: spec.loss };
}

type OrtTensor = InstanceType<ReturnType<typeof loadOrt>['Tensor']>;

function ortFeeds(feeds: Readonly<Record<string, TensorData>>): Record<string, OrtTensor> {
  const ort = loadOrt();
  const out: Record<string, OrtTensor> = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
  return out;
}

async function runOutput(session: InferenceSession, feeds: Record<string, OrtTensor>, output: string, label: string): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const results = await session.run(feeds, [output]);
  const tensor = results[output];
  if (!tensor) throw new BadInputError('model.output-missing', `${label}: the run returned no "${output}"`, { file: label });
  const data = tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data as ArrayLike<number>, Number);
  return { data, dims: tensor.dims };
}

function widthOf(dims: readonly number[]): number {
  let width = 1;
  for (let i = 1; i < dims.length; i++) width *= dims[i] as number;
  return width;
}

interface OpenVariant {
  id: string;
  label: string;
  session: InferenceSession;
  acc: ImpactAccumulator;
  builder?: GroupMetricsBuilder;
}

/**
 * Runs the spec's data through `baselinePath` (the FP32 model) and every variant on the same
 * batches. The spec's `model` is not used: the caller names the models.
 * @throws BadInputError for spec/data/output problems (as the groups analysis), `data.empty`.
 */
export async function comparisonPass(spec: ResolvedSpec, baselinePath: string, variants: readonly Variant[], options: PassOptions): Promise<PassResult> {
  const outputKind = scoredOutputKind(spec, 'quantization impact');
  if (!spec.label) throw new BadInputError('spec.label', `${spec.specPath || 'the spec'}: field "label": the quantization impact needs the label column`, { file: spec.specPath });
  const task = scoringTask(spec, 'the quantization impact');
  if (spec.groups.length === 0) throw new BadInputError('spec.groups', `${spec.specPath || 'the spec'}: field "groups": name at least one sensitive column`, { file: spec.specPath });
  const { signal } = options;
  const progress = throttleProgress(options.onProgress);
  const loaded = await loadModel(baselinePath, signal ? { signal } : {});
  const summary = summarizeModel(loaded);
  const output = spec.output ?? summary.outputs[0]?.name;
  if (!output || !summary.outputs.some((o) => o.name === output)) {
    throw new BadInputError('spec.output', `${baselinePath}: the model has no output "${output ?? ''}" (outputs: ${summary.outputs.map((o) => o.name).join(', ')})`, { file: baselinePath });
  }
  const threads = options.threads ? { threads: options.threads } : {};
  const open: OpenVariant[] = [];
  // The data and input mapping are checked before the runtime loads (a typo costs no session).
  const table = await openTable(spec.data, { batchRows: options.batchSize ?? 256, ...(signal ? { signal } : {}) });
  let base: Awaited<ReturnType<typeof openSession>> | undefined;
  try {
    const outputInfo = summary.outputs.find((o) => o.name === output);
    const lastDim = outputInfo?.shape?.at(-1);
    const numClasses = task === 'multiclass' ? (typeof lastDim === 'number' ? lastDim : spec.classes?.length) : undefined;
    const encoder = await createInputEncoder(spec, summary.inputs, table, numClasses ? { numClasses } : {});
    base = await openSession(baselinePath, baselinePath, { providers: options.providers, ...threads });
    for (const v of variants) {
      throwIfAborted(signal);
      const label = typeof v.model === 'string' ? v.model : `${baselinePath} (${v.id})`;
      const { session } = await openSession(v.model, label, { providers: options.providers, ...threads });
      open.push({ id: v.id, label, session, acc: new ImpactAccumulator(spec.groups, { outputKind, task }, options.flipsCap) });
    }
    const loss = comparisonLoss(spec);
    let baseBuilder: GroupMetricsBuilder | undefined;
    const maxRows = options.maxRows ?? 0;
    let rows = 0;
    for await (const batch of table.batches()) {
      throwIfAborted(signal);
      const encoded: EncodedBatch = await encoder.encode(batch);
      rows += batch.length;
      if (encoded.rowsUsed > 0) {
        const feeds = ortFeeds(encoded.feeds);
        const labels = encoded.labels ?? new Float64Array(0);
        const evaluate = (out: { data: Float32Array; dims: readonly number[] }, file: string): SampleColumns => evaluateBatch({
          data: out.data, dims: out.dims, outputKind, task, labels, loss,
          tensor: output, file, rowOffset: encoded.rowNumbers[0] ?? 0,
          ...(encoded.likelihood ? { likelihood: encoded.likelihood } : {}),
        });
        const baseOut = await runOutput(base.session, feeds, output, baselinePath);
        const baseCols = evaluate(baseOut, spec.data);
        const addMetrics = (builder: GroupMetricsBuilder, cols: SampleColumns): void => builder.add({
          label: labels, pred: cols.pred, loss: cols.loss, score: cols.score,
          ...(cols.probs ? { probs: cols.probs } : {}),
          ...(encoded.weights ? { weight: encoded.weights } : {}),
          groups: encoded.groupCodes, groupValues: encoded.groupDictionary, rowOffset: encoded.rowNumbers[0] ?? 0, file: spec.data,
        });
        const newBuilder = (): GroupMetricsBuilder => new GroupMetricsBuilder({ task: task, sensitive: spec.groups, numClasses: baseCols.numClasses });
        if (options.metrics) {
          baseBuilder ??= newBuilder();
          addMetrics(baseBuilder, baseCols);
        }
        for (const v of open) {
          throwIfAborted(signal);
          const qOut = await runOutput(v.session, feeds, output, v.label);
          const qCols = evaluate(qOut, spec.data);
          v.acc.add({
            fp32: baseCols, q: qCols, fp32Raw: baseOut.data, qRaw: qOut.data, width: widthOf(baseOut.dims),
            labels, rowNumbers: encoded.rowNumbers, groups: encoded.groups,
          });
          if (options.metrics) {
            v.builder ??= newBuilder();
            addMetrics(v.builder, qCols);
          }
        }
      }
      const { bytesRead, bytesTotal } = table.progress();
      const byBytes = bytesTotal > 0 ? bytesRead / bytesTotal : 0;
      progress(maxRows > 0 ? Math.max(byBytes, Math.min(1, rows / maxRows)) : byBytes, `${rows.toLocaleString('en-US')} rows × ${variants.length + 1} models`);
      if (maxRows > 0 && rows >= maxRows) break;
    }
    const dataSummary = encoder.finish({ partial: maxRows > 0 });
    await encoder.close();
    const minGroupSize = options.minGroupSize ?? resolveRunOptions(spec).minGroupSize;
    const finishOpts = { minGroupSize, ...(signal ? { signal } : {}) };
    const baselineMetrics = baseBuilder ? await baseBuilder.finish(finishOpts) : undefined;
    const results: VariantResult[] = [];
    for (const v of open) {
      const metrics = v.builder ? await v.builder.finish(finishOpts) : undefined;
      results.push({ id: v.id, comparison: v.acc.finish(minGroupSize), ...(metrics ? { metrics } : {}) });
    }
    if (open.length > 0 && (results[0]?.comparison.count ?? 0) === 0) throw new BadInputError('data.empty', `${spec.data}: no rows to evaluate`, { file: spec.data });
    return {
      summary, runtime: base.info, output,
      data: { path: spec.data, rows: dataSummary.rows, skippedRows: dataSummary.skippedRows, skipReasons: dataSummary.skipReasons },
      ...(baselineMetrics ? { baselineMetrics } : {}),
      variants: results,
    };
  } finally {
    await table.close();
    await base?.session.release();
    for (const v of open) await v.session.release();
  }
}
