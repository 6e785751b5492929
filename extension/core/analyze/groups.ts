/**
 * The per-group analysis (issue #4): stream the evaluation set through the model in batches,
 * turn outputs into per-sample scores, predictions and losses, and accumulate group metrics for
 * every group and intersection of the sensitive columns. Memory holds one batch plus the compact
 * per-row columns the metrics keep for bootstrap intervals (a few bytes per row).
 * The CLI and the VS Code host both call `runGroups` with the same spec.
 */
import { BadInputError, InspectorError, throttleProgress, throwIfAborted, type ProgressFn } from '../errors';
import { createInputEncoder, numericCell, openTable, type EncodedBatch, type InputEncoder, type ResolvedSpec, type RowBatch, type TableReader } from '../data';
import { evaluateBatch, type LossConfig } from '../metrics/batch';
import { featureVariances } from '../metrics/diversity';
import { checkBootstrap, GroupMetricsBuilder } from '../metrics/groups';
import { reportModel } from '../report';
import { REPORT_SCHEMA } from '../../protocol/report';
import type { GroupsReport } from '../../protocol/groups';
import { prepareModel, runBatch } from './session';
import { replicatesFor, resolveRunOptions, RUN_DEFAULTS, type RunOptions, type RunOverrides } from './options';

/**
 * Options of a groups run: the explicit overrides (flags, VS Code settings; see options.ts for
 * the precedence and defaults), cancellation and progress.
 */
export interface GroupsRunOptions extends RunOverrides {
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
}

/** Predictions files are cheap per row: bigger reads. */
const PREDICTIONS_DEFAULTS: RunOptions = { ...RUN_DEFAULTS, batchSize: 4096 };

function requireLabel(spec: ResolvedSpec): string {
  if (!spec.label) throw new BadInputError('spec.label', `${spec.specPath || 'the spec'}: field "label": a groups analysis needs the label column`, { file: spec.specPath });
  return spec.label;
}

function requireGroups(spec: ResolvedSpec): void {
  if (spec.groups.length === 0) throw new BadInputError('spec.groups', `${spec.specPath || 'the spec'}: field "groups": name at least one sensitive column`, { file: spec.specPath });
}

function lossConfig(spec: ResolvedSpec): LossConfig {
  return { name: spec.loss };
}

/** One formatter for the progress messages (`toLocaleString` builds one per call, ~7 µs). */
const ROWS_FORMAT = new Intl.NumberFormat('en-US');

/** Rows of a table pass, stopping after maxRows; reports progress by bytes read. */
async function* limitedBatches(table: TableReader, maxRows: number, signal: AbortSignal | undefined, progress: ProgressFn) {
  let rows = 0;
  for await (const full of table.batches()) {
    throwIfAborted(signal);
    const batch = maxRows > 0 && rows + full.length > maxRows ? firstRows(full, maxRows - rows) : full;
    yield batch;
    rows += batch.length;
    const { bytesRead, bytesTotal } = table.progress();
    progress(bytesTotal > 0 ? bytesRead / bytesTotal : 0, `${ROWS_FORMAT.format(rows)} rows`);
    if (maxRows > 0 && rows >= maxRows) break;
  }
}

/** The first `n` rows of a batch (the rows the reader skipped before them stay counted). */
export function firstRows(batch: RowBatch, n: number): RowBatch {
  const last = batch.rowNumbers[n - 1] ?? 0;
  return {
    length: n,
    firstRow: batch.firstRow,
    rowNumbers: batch.rowNumbers.subarray(0, n),
    skipped: batch.skipped.filter((s) => s.row < last),
    has: (name) => batch.has(name),
    column: (name) => batch.column(name).slice(0, n),
  };
}

/**
 * Per-row columns (a few bytes a row) are kept only when something needs them after the pass:
 * bootstrap intervals, or the dataset-normalised feature diversity of the Bias Loss. Otherwise the
 * pass holds nothing per row and its memory is flat in the number of rows.
 */
function keepRows(spec: ResolvedSpec, run: RunOptions): boolean {
  return run.bootstrap !== 0 || spec.loss === 'bias_loss' || spec.featureTensor !== undefined;
}

/** Ends a pass: the encoder's counts, the builder's metrics (with intervals), the report envelope. */
async function finishReport(
  spec: ResolvedSpec, run: RunOptions, options: GroupsRunOptions, dataPath: string, encoder: InputEncoder, builder: GroupMetricsBuilder,
  source: Pick<GroupsReport, 'model' | 'runtime'>,
): Promise<GroupsReport> {
  const summary = encoder.finish();
  await encoder.close();
  const groups = await builder.finish({
    minGroupSize: run.minGroupSize,
    bootstrap: replicatesFor(run.bootstrap, builder.rowCount),
    seed: run.seed,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.onProgress?.(1, 'done');
  return {
    schema: REPORT_SCHEMA, kind: 'groups', createdAt: new Date().toISOString(), spec: spec.specPath, ...source,
    data: { path: dataPath, rows: summary.rows, skippedRows: summary.skippedRows, skipReasons: summary.skipReasons },
    groups,
  };
}

/** Runs the model over the spec's data and returns the groups report. */
export async function runGroups(spec: ResolvedSpec, options: GroupsRunOptions): Promise<GroupsReport> {
  if (spec.predictions) return runGroupsFromPredictions(spec, options);
  checkBootstrap(numericBootstrap(options.bootstrap ?? spec.bootstrap));
  requireLabel(spec);
  requireGroups(spec);
  if (!spec.model) throw new BadInputError('spec.model', `${spec.specPath}: field "model": a model is needed (or use "predictions")`, { file: spec.specPath });
  const run = resolveRunOptions(spec, options);
  const progress = throttleProgress(options.onProgress);
  progress(0, 'loading the model');
  const needsFeatures = spec.featureTensor !== undefined;
  // The data, its columns and the input mapping are checked before the runtime loads.
  const table = await openTable(spec.data, { batchRows: run.batchSize, ...(options.signal ? { signal: options.signal } : {}) });
  let prepared: Awaited<ReturnType<typeof prepareModel>> | undefined;
  try {
    let created: InputEncoder | undefined;
    prepared = await prepareModel(spec.model, {
      providers: run.providers,
      ...(run.threads ? { threads: run.threads } : {}),
      ...(spec.output ? { output: spec.output } : {}),
      ...(spec.featureTensor ? { expose: [spec.featureTensor] } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      beforeSession: async (summary, output) => {
        const lastDim = summary.outputs.find((o) => o.name === output)?.shape?.at(-1);
        const numClasses = spec.task === 'multiclass' ? (typeof lastDim === 'number' ? lastDim : spec.classes?.length) : undefined;
        created = await createInputEncoder(spec, summary.inputs, table, numClasses ? { numClasses } : {});
      },
    });
    const encoder: InputEncoder | undefined = created;
    if (!encoder) throw new InspectorError('internal', 'failure', 'the input encoder was not created');
    let builder: GroupMetricsBuilder | undefined;
    const loss = lossConfig(spec);
    for await (const batch of limitedBatches(table, run.maxRows, options.signal, progress)) {
      const encoded: EncodedBatch = await encoder.encode(batch);
      if (encoded.rowsUsed === 0) continue;
      const outputs = await runBatch(prepared, encoded.feeds);
      const out = outputs[prepared.output];
      if (!out) throw new BadInputError('model.output-missing', `${spec.model}: the run returned no "${prepared.output}"`, { file: spec.model });
      const labels = encoded.labels ?? new Float64Array(0);
      const columns = evaluateBatch({
        data: out.data, dims: out.dims, outputKind: spec.outputKind, task: spec.task, labels, loss,
        tensor: prepared.output, file: spec.data, rowOffset: encoded.rowNumbers[0] ?? 0,
        ...(encoded.likelihood ? { likelihood: encoded.likelihood } : {}),
      });
      builder ??= new GroupMetricsBuilder({
        task: spec.task, sensitive: spec.groups, numClasses: columns.numClasses,
        keepRows: keepRows(spec, run) || needsFeatures,
        ...(table.rowsHint ? { expectedRows: table.rowsHint } : {}),
        ...(spec.loss === 'bias_loss' ? { biasLoss: {} } : {}),
        ...(spec.loss === 'dice' ? { dice: {} } : {}),
      });
      const features = spec.featureTensor ? outputs[spec.featureTensor] : undefined;
      if (needsFeatures && !features) throw new BadInputError('spec.featureTensor', `${spec.specPath}: field "featureTensor": the model produced no tensor "${spec.featureTensor}"`, { file: spec.specPath });
      builder.add({
        label: labels, pred: columns.pred, loss: columns.loss, score: columns.score,
        ...(columns.probs ? { probs: columns.probs } : {}),
        ...(columns.diceP ? { diceP: columns.diceP } : {}),
        ...(encoded.weights ? { weight: encoded.weights } : {}),
        ...(features ? { variance: featureVariances(features.data, features.dims, spec.featureTensor) } : {}),
        groups: encoded.groupCodes,
        groupValues: encoded.groupDictionary,
        rowOffset: encoded.rowNumbers[0] ?? 0,
        file: spec.data,
      });
    }
    if (!builder) throw new BadInputError('data.empty', `${spec.data}: no rows to evaluate`, { file: spec.data });
    progress(0.99, 'computing group metrics');
    return await finishReport(spec, run, options, spec.data, encoder, builder, { model: reportModel(prepared.summary), runtime: prepared.runtime });
  } finally {
    await table.close();
    await prepared?.session.release();
  }
}

/**
 * Index in the batch of each used row. Both row-number arrays ascend and the used rows are a
 * subset of the batch's, so one merge walk finds them (no per-row map).
 */
export function batchPositions(batchRows: Uint32Array, usedRows: Uint32Array): Uint32Array {
  const positions = new Uint32Array(usedRows.length);
  let j = 0;
  for (let i = 0; i < usedRows.length; i++) {
    const row = usedRows[i]!;
    while (j < batchRows.length && batchRows[j]! < row) j++;
    if (batchRows[j] !== row) throw new InspectorError('internal', 'failure', `used row ${row} is not in its batch`);
    positions[i] = j++;
  }
  return positions;
}

/**
 * The same report from precomputed per-sample scores/predictions (`predictions` in the spec or
 * `--predictions` on the CLI): evaluations run elsewhere, no model here.
 */
export async function runGroupsFromPredictions(spec: ResolvedSpec, options: GroupsRunOptions): Promise<GroupsReport> {
  checkBootstrap(numericBootstrap(options.bootstrap ?? spec.bootstrap));
  requireLabel(spec);
  requireGroups(spec);
  const predictions = spec.predictions;
  if (!predictions) throw new BadInputError('spec.predictions', `${spec.specPath}: field "predictions" is missing`, { file: spec.specPath });
  if (!predictions.score && !predictions.pred) {
    throw new BadInputError('spec.predictions', `${spec.specPath}: field "predictions": name a "score" column (P(positive) or the predicted value) and/or a "pred" column`, { file: spec.specPath });
  }
  if (spec.task === 'multiclass' && !predictions.pred) {
    throw new BadInputError('spec.predictions', `${spec.specPath}: field "predictions.pred": a multiclass predictions file needs the predicted class column`, { file: spec.specPath });
  }
  const run = resolveRunOptions(spec, options, PREDICTIONS_DEFAULTS);
  const progress = throttleProgress(options.onProgress);
  const table = await openTable(predictions.file, { batchRows: run.batchSize, ...(options.signal ? { signal: options.signal } : {}) });
  try {
    const predSpec: ResolvedSpec = { ...spec, data: predictions.file, inputs: {} };
    const numClasses = spec.task === 'multiclass' ? spec.classes?.length : undefined;
    const encoder = await createInputEncoder(predSpec, [], table, numClasses ? { numClasses } : {});
    // Formats that know their row count up front (Parquet) size the per-row columns once.
    const builder = new GroupMetricsBuilder({
      task: spec.task, sensitive: spec.groups, ...(numClasses ? { numClasses } : {}), keepRows: keepRows(spec, run),
      ...(table.rowsHint ? { expectedRows: table.rowsHint } : {}),
    });
    for await (const batch of limitedBatches(table, run.maxRows, options.signal, progress)) {
      const encoded = await encoder.encode(batch);
      if (encoded.rowsUsed === 0) continue;
      const labels = encoded.labels ?? new Float64Array(0);
      const position = batchPositions(batch.rowNumbers, encoded.rowNumbers);
      const read = (column: string): Float64Array => {
        const cells = batch.column(column);
        const values = new Float64Array(encoded.rowsUsed);
        for (let i = 0; i < values.length; i++) {
          const raw = cells[position[i]!];
          const cell = numericCell(raw);
          if (cell.kind !== 'number') {
            throw new BadInputError('predictions.value', `${predictions.file}: row ${encoded.rowNumbers[i]}, column "${column}": expected a finite number (got ${JSON.stringify(raw ?? null)})`, { file: predictions.file });
          }
          values[i] = cell.value;
        }
        return values;
      };
      const score = predictions.score ? read(predictions.score) : undefined;
      let columns;
      if (spec.task === 'binary' && score) {
        columns = evaluateBatch({ data: score, dims: [encoded.rowsUsed], outputKind: 'probabilities', task: 'binary', labels, loss: lossConfig(spec), tensor: predictions.score ?? 'score', file: predictions.file });
      } else if (spec.task === 'regression' && score) {
        columns = evaluateBatch({ data: score, dims: [encoded.rowsUsed], outputKind: 'regression', task: 'regression', labels, loss: lossConfig(spec), tensor: predictions.score ?? 'score', file: predictions.file });
      }
      const pred = predictions.pred ? read(predictions.pred) : columns?.pred;
      if (!pred) throw new BadInputError('spec.predictions', `${spec.specPath}: field "predictions": no prediction column`, { file: spec.specPath });
      builder.add({
        label: labels, pred, loss: columns?.loss ?? new Float64Array(encoded.rowsUsed).fill(Number.NaN),
        ...(columns ? { score: columns.score } : {}),
        ...(encoded.weights ? { weight: encoded.weights } : {}),
        groups: encoded.groupCodes, groupValues: encoded.groupDictionary,
        rowOffset: encoded.rowNumbers[0] ?? 0, file: predictions.file,
      });
    }
    return await finishReport(spec, run, options, predictions.file, encoder, builder, { model: null, runtime: null });
  } finally {
    await table.close();
  }
}

/** A replicate count to check against the limit ("auto" is sized by the engine itself). */
function numericBootstrap(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
