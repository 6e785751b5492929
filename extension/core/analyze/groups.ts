/**
 * The per-group analysis (issue #4): stream the evaluation set through the model in batches,
 * turn outputs into per-sample scores, predictions and losses, and accumulate group metrics for
 * every group and intersection of the sensitive columns. Memory holds one batch plus the compact
 * per-row columns the metrics keep for bootstrap intervals (a few bytes per row).
 * The CLI and the VS Code host both call `runGroups` with the same spec.
 */
import { BadInputError, InspectorError, throttleProgress, throwIfAborted, type ProgressFn } from '../errors';
import { createInputEncoder, hasTypedColumns, numericCell, openTableShard, scoredOutputKind, scoringTask, type Shard, type EncodedBatch, type EncoderSummary, type InputEncoder, type ResolvedSpec, type RowBatch, type TableReader } from '../data';
import { evaluateBatch, type LossConfig } from '../metrics/batch';
import { featureVariances } from '../metrics/diversity';
import { checkBootstrap, GroupMetricsBuilder } from '../metrics/groups';
import { reportModel } from '../report';
import { formatCount } from '../text';
import { REPORT_SCHEMA, type ReportModel } from '../../protocol/report';
import type { RuntimeInfo } from '../../protocol/runtime';
import type { ModelSummary } from '../../protocol/model';
import type { GroupsReport } from '../../protocol/groups';
import { largestFile, prepareModel, runBatch } from './session';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { STATE_SCHEMA, stateBudgets, type GroupsShardState } from './shards';
import { AUTO_BOOTSTRAP, modelDefaults, replicatesFor, resolveRunOptions, RUN_DEFAULTS, type RunOptions, type RunOverrides } from './options';

/**
 * Options of a groups run: the explicit overrides (flags, VS Code settings; see options.ts for
 * the precedence and defaults), cancellation and progress.
 */
export interface GroupsRunOptions extends RunOverrides {
  /** Evaluate only this shard's rows (docs/SHARDING.md §1). */
  readonly shard?: Shard;
  /** Keep the per-row columns whatever the bootstrap setting (a comparison pairs rows). */
  readonly keepRows?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
}

/** Predictions files are cheap per row: bigger reads. */
const PREDICTIONS_DEFAULTS: RunOptions = { ...RUN_DEFAULTS, batchSize: 4096 };
/**
 * When the rows' per-row columns are kept, they are sized once at this batch from the bytes read
 * so far (the reader's read-ahead makes that an underestimate by at most one read, ~10% here),
 * with this margin, instead of doubling from 1024 rows to the file's size.
 */
const ROWS_ESTIMATE_BATCH = 8;
const ROWS_ESTIMATE_MARGIN = 1.15;

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

/** Rows of a table pass, stopping after maxRows; reports progress by bytes read. */
async function* limitedBatches(table: TableReader, maxRows: number, signal: AbortSignal | undefined, progress: ProgressFn) {
  let rows = 0;
  for await (const full of table.batches()) {
    throwIfAborted(signal);
    const batch = maxRows > 0 && rows + full.length > maxRows ? firstRows(full, maxRows - rows) : full;
    yield batch;
    rows += batch.length;
    const { bytesRead, bytesTotal } = table.progress();
    progress(bytesTotal > 0 ? bytesRead / bytesTotal : 0, `${formatCount(rows)} rows`);
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
function keepRows(spec: ResolvedSpec, run: RunOptions, options: GroupsRunOptions): boolean {
  return options.keepRows === true || run.bootstrap !== 0 || spec.loss === 'bias_loss' || spec.featureTensor !== undefined;
}

/** What ends a pass: the report (`finishReport`) or a shard's mergeable state (`finishShard`). */
type PassEnd<T> = (
  spec: ResolvedSpec, run: RunOptions, options: GroupsRunOptions, dataPath: string, encoder: InputEncoder, builder: GroupMetricsBuilder,
  source: Pick<GroupsReport, 'model' | 'runtime'>,
) => Promise<T>;

/** Ends a pass: the encoder's counts, the builder's metrics (with intervals), the report envelope. */
async function finishReport(
  spec: ResolvedSpec, run: RunOptions, options: GroupsRunOptions, dataPath: string, encoder: InputEncoder, builder: GroupMetricsBuilder,
  source: Pick<GroupsReport, 'model' | 'runtime'>,
): Promise<GroupsReport> {
  const summary = encoder.finish({ partial: run.maxRows > 0 });
  await encoder.close();
  const groups = await builder.finish({
    minGroupSize: run.minGroupSize,
    bootstrap: replicatesFor(run.bootstrap, builder.rowCount),
    seed: run.seed,
    scheme: run.bootstrapScheme,
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
  return spec.predictions ? predictionsPass(spec, options, finishReport) : modelPass(spec, options, finishReport);
}

/**
 * Runs one shard of the spec's rows (`options.shard`, docs/SHARDING.md §1) and returns its
 * mergeable state (§3) instead of a report; `mergeShardStates` combines the shards. The
 * bootstrap is the Poisson scheme, with an explicit replicate count ('auto' depends on the rows
 * of the whole run, which no shard knows: it means AUTO_BOOTSTRAP.min here).
 */
export async function runGroupsShard(spec: ResolvedSpec, options: GroupsRunOptions & { readonly shard: Shard }): Promise<GroupsShardState> {
  const started = Date.now();
  const end: PassEnd<GroupsShardState> = async (s, run, o, dataPath, encoder, builder, source) => {
    const summary = encoder.finish();
    await encoder.close();
    const replicates = run.bootstrap === 'auto' ? AUTO_BOOTSTRAP.min : run.bootstrap;
    const groups = builder.exportState({ bootstrap: replicates, seed: run.seed });
    o.onProgress?.(1, 'done');
    return {
      schema: STATE_SCHEMA, analysis: 'groups', shard: options.shard,
      spec: { path: s.specPath, sha256: s.specPath ? await sha256File(s.specPath) : '' },
      ...source,
      data: { path: dataPath, rows: builder.rowCount + summary.skippedRows, skippedRows: summary.skippedRows, skipReasons: summary.skipReasons },
      minGroupSize: run.minGroupSize, seconds: (Date.now() - started) / 1000, groups,
      ...(await stateBudgets(s)),
    };
  };
  const sharded = { ...options, bootstrapScheme: 'poisson' as const };
  return spec.predictions ? predictionsPass(spec, sharded, end) : modelPass(spec, sharded, end);
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

async function modelPass<T>(spec: ResolvedSpec, options: GroupsRunOptions, finish: PassEnd<T>, onModel?: (summary: ModelSummary) => void): Promise<T> {
  if (!spec.model) throw new BadInputError('spec.model', `${spec.specPath}: field "model": a model is needed (or use "predictions")`, { file: spec.specPath });
  return modelsPass(spec, [spec.model], options, async (run, encoder, sides) => {
    const [side] = sides;
    if (!side) throw new InspectorError('internal', 'failure', 'a model pass without its model');
    onModel?.(side.summary);
    return finish(spec, run, options, spec.data, encoder, side.builder, { model: reportModel(side.summary), runtime: side.runtime });
  });
}

/** One model of a (possibly paired) pass, once the data has been read. */
interface PassSide {
  readonly builder: GroupMetricsBuilder;
  readonly summary: ModelSummary;
  readonly runtime: RuntimeInfo;
}

/**
 * Called after every batch of a paired pass with each model's predicted class per used row
 * (`pred[side][i]`), the labels, the used rows' positions in the batch and the batch itself.
 */
export type PairedBatchHook = (batch: RowBatch, positions: Uint32Array, rowNumbers: Uint32Array, labels: Float64Array, pred: readonly Float64Array[]) => void;

/**
 * Streams the spec's data once through every model in `models` (same inputs): each batch is read
 * and encoded once and fed to every session, each model's outputs go into its own builder.
 */
async function modelsPass<T>(
  spec: ResolvedSpec, models: readonly string[], options: GroupsRunOptions,
  end: (run: RunOptions, encoder: InputEncoder, sides: readonly PassSide[]) => Promise<T>, onBatch?: PairedBatchHook,
): Promise<T> {
  const task = scoringTask(spec, 'the groups analysis');
  const outputKind = scoredOutputKind(spec, 'groups analysis');
  checkBootstrap(numericBootstrap(options.bootstrap ?? spec.bootstrap));
  requireLabel(spec);
  requireGroups(spec);
  const run = resolveRunOptions(spec, options, modelDefaults(RUN_DEFAULTS, await largestFile(models)));
  const progress = throttleProgress(options.onProgress);
  progress(0, 'loading the model');
  const needsFeatures = spec.featureTensor !== undefined;
  // The data, its columns and the input mapping are checked before the runtime loads.
  const table = await openTableShard(spec.data, { batchRows: run.batchSize, ...(options.signal ? { signal: options.signal } : {}) }, options.shard);
  const prepared: Awaited<ReturnType<typeof prepareModel>>[] = [];
  try {
    let created: InputEncoder | undefined;
    let numClasses: number | undefined;
    for (const model of models) {
      prepared.push(await prepareModel(model, {
        providers: run.providers,
        ...(run.threads ? { threads: run.threads } : {}),
        // sessions run in turn: the idle one's threads sleep instead of spinning (session.ts)
        ...(models.length > 1 ? { spinning: false as const } : {}),
        ...(spec.output ? { output: spec.output } : {}),
        ...(spec.featureTensor ? { expose: [spec.featureTensor] } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        // the first model's inputs make the encoder (the others have the same inputs)
        ...(created ? {} : {
          beforeSession: async (summary: ModelSummary, output: string) => {
            const lastDim = summary.outputs.find((o) => o.name === output)?.shape?.at(-1);
            numClasses = task === 'multiclass' ? (typeof lastDim === 'number' ? lastDim : spec.classes?.length) : undefined;
            created = await createInputEncoder(spec, summary.inputs, table, numClasses ? { numClasses } : {});
          },
        }),
      }));
    }
    const encoder: InputEncoder | undefined = created;
    if (!encoder) throw new InspectorError('internal', 'failure', 'the input encoder was not created');
    const builders: (GroupMetricsBuilder | undefined)[] = models.map(() => undefined);
    const loss = lossConfig(spec);
    for await (const batch of limitedBatches(table, run.maxRows, options.signal, progress)) {
      const encoded: EncodedBatch = await encoder.encode(batch);
      if (encoded.rowsUsed === 0) continue;
      const labels = encoded.labels ?? new Float64Array(0);
      // every session gets the same encoded feeds; they run one after the other (each uses every core)
      const preds: Float64Array[] = [];
      for (const [m, session] of prepared.entries()) {
        const model = models[m] as string;
        const outputs = await runBatch(session, encoded.feeds);
        const out = outputs[session.output];
        if (!out) throw new BadInputError('model.output-missing', `${model}: the run returned no "${session.output}"`, { file: model });
        const columns = evaluateBatch({
          data: out.data, dims: out.dims, outputKind, task, labels, loss,
          tensor: session.output, file: spec.data, rowOffset: encoded.rowNumbers[0] ?? 0,
          ...(encoded.likelihood ? { likelihood: encoded.likelihood } : {}),
        });
        const builder = builders[m] ?? new GroupMetricsBuilder({
          task, sensitive: spec.groups, numClasses: columns.numClasses,
          keepRows: keepRows(spec, run, options) || needsFeatures,
          ...(table.rowsHint ? { expectedRows: table.rowsHint } : {}),
          ...(spec.loss === 'bias_loss' ? { biasLoss: {} } : {}),
          ...(spec.loss === 'dice' ? { dice: {} } : {}),
        });
        builders[m] = builder;
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
          rowNumbers: encoded.rowNumbers,
          file: spec.data,
        });
        preds.push(columns.pred);
      }
      onBatch?.(batch, batchPositions(batch.rowNumbers, encoded.rowNumbers), encoded.rowNumbers, labels, preds);
    }
    // A shard may hold no rows of a small file: its state is empty, and the merge adds nothing.
    const sides = builders.map((builder, m): PassSide => {
      const p = prepared[m] as (typeof prepared)[number];
      if (!builder && options.shard) builder = new GroupMetricsBuilder({ task, sensitive: spec.groups, ...(numClasses ? { numClasses } : {}), keepRows: false });
      if (!builder) throw new BadInputError('data.empty', `${spec.data}: no rows to evaluate`, { file: spec.data });
      return { builder, summary: p.summary, runtime: p.runtime };
    });
    progress(0.99, 'computing group metrics');
    return await end(run, encoder, sides);
  } finally {
    await table.close();
    for (const p of prepared) await p.session.release();
  }
}

/**
 * One pass over the spec's data through its model and `modelB` (same inputs and output): each
 * batch is read and encoded once and fed to both sessions (FORMULAS.md §G: the same rows). The
 * per-row columns are kept (the comparison pairs rows). `onBatch` sees both predictions.
 */
export async function passModelPair(spec: ResolvedSpec, modelB: string, options: GroupsRunOptions, onBatch?: PairedBatchHook): Promise<[GroupsPass, GroupsPass]> {
  if (!spec.model) throw new BadInputError('spec.model', `${spec.specPath}: field "model": a model is needed (or use "predictions")`, { file: spec.specPath });
  return modelsPass(spec, [spec.model, modelB], { ...options, keepRows: true }, async (run, encoder, sides) => {
    const summary = encoder.finish({ partial: run.maxRows > 0 });
    await encoder.close();
    const pass = (side: PassSide | undefined): GroupsPass => {
      if (!side) throw new InspectorError('internal', 'failure', 'a paired pass without its second model');
      return { builder: side.builder, dataPath: spec.data, summary, rowNumbers: side.builder.rowNumbers(), model: reportModel(side.summary), modelSummary: side.summary, runtime: side.runtime };
    };
    return [pass(sides[0]), pass(sides[1])];
  }, onBatch);
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
  return predictionsPass(spec, options, finishReport);
}

async function predictionsPass<T>(spec: ResolvedSpec, options: GroupsRunOptions, finish: PassEnd<T>): Promise<T> {
  const task = scoringTask(spec, 'the groups analysis');
  checkBootstrap(numericBootstrap(options.bootstrap ?? spec.bootstrap));
  requireLabel(spec);
  requireGroups(spec);
  const predictions = spec.predictions;
  if (!predictions) throw new BadInputError('spec.predictions', `${spec.specPath}: field "predictions" is missing`, { file: spec.specPath });
  if (!predictions.score && !predictions.pred) {
    throw new BadInputError('spec.predictions', `${spec.specPath}: field "predictions": name a "score" column (P(positive) or the predicted value) and/or a "pred" column`, { file: spec.specPath });
  }
  if (task === 'multiclass' && !predictions.pred) {
    throw new BadInputError('spec.predictions', `${spec.specPath}: field "predictions.pred": a multiclass predictions file needs the predicted class column`, { file: spec.specPath });
  }
  const run = resolveRunOptions(spec, options, PREDICTIONS_DEFAULTS);
  const progress = throttleProgress(options.onProgress);
  const table = await openTableShard(predictions.file, { batchRows: run.batchSize, ...(options.signal ? { signal: options.signal } : {}) }, options.shard);
  try {
    const predSpec: ResolvedSpec = { ...spec, data: predictions.file, inputs: {} };
    const numClasses = task === 'multiclass' ? spec.classes?.length : undefined;
    const encoder = await createInputEncoder(predSpec, [], table, numClasses ? { numClasses } : {});
    // Formats that know their row count up front (Parquet) size the per-row columns once.
    const builder = new GroupMetricsBuilder({
      task, sensitive: spec.groups, ...(numClasses ? { numClasses } : {}), keepRows: keepRows(spec, run, options),
      ...(table.rowsHint ? { expectedRows: table.rowsHint } : {}),
    });
    let batches = 0;
    for await (const batch of limitedBatches(table, run.maxRows, options.signal, progress)) {
      if (++batches === ROWS_ESTIMATE_BATCH && !table.rowsHint && run.maxRows === 0) {
        // the per-row columns sized once from the share of the file read so far (see ROWS_ESTIMATE_BATCH)
        const { bytesRead, bytesTotal } = table.progress();
        if (bytesRead > 0 && bytesTotal > bytesRead) builder.expectRows(builder.rowCount * ROWS_ESTIMATE_MARGIN * (bytesTotal / bytesRead));
      }
      const encoded = await encoder.encode(batch);
      if (encoded.rowsUsed === 0) continue;
      const labels = encoded.labels ?? new Float64Array(0);
      const position = batchPositions(batch.rowNumbers, encoded.rowNumbers);
      const read = (column: string): Float64Array => {
        const values = new Float64Array(encoded.rowsUsed);
        if (hasTypedColumns(batch)) {
          // typed from the bytes (csvBytes.ts): the message's text is decoded only for a bad cell
          const { values: numbers, status } = batch.numbers(column);
          for (let i = 0; i < values.length; i++) {
            const at = position[i]!;
            if (status[at] !== 0) {
              throw new BadInputError('predictions.value', `${predictions.file}: row ${encoded.rowNumbers[i]}, column "${column}": expected a finite number (got ${JSON.stringify(batch.column(column)[at] ?? null)})`, { file: predictions.file });
            }
            values[i] = numbers[at]!;
          }
          return values;
        }
        const cells = batch.column(column);
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
      if (task === 'binary' && score) {
        columns = evaluateBatch({ data: score, dims: [encoded.rowsUsed], outputKind: 'probabilities', task: 'binary', labels, loss: lossConfig(spec), tensor: predictions.score ?? 'score', file: predictions.file });
      } else if (task === 'regression' && score) {
        columns = evaluateBatch({ data: score, dims: [encoded.rowsUsed], outputKind: 'regression', task: 'regression', labels, loss: lossConfig(spec), tensor: predictions.score ?? 'score', file: predictions.file });
      }
      const pred = predictions.pred ? read(predictions.pred) : columns?.pred;
      if (!pred) throw new BadInputError('spec.predictions', `${spec.specPath}: field "predictions": no prediction column`, { file: spec.specPath });
      builder.add({
        label: labels, pred, loss: columns?.loss ?? new Float64Array(encoded.rowsUsed).fill(Number.NaN),
        ...(columns ? { score: columns.score } : {}),
        ...(encoded.weights ? { weight: encoded.weights } : {}),
        groups: encoded.groupCodes, groupValues: encoded.groupDictionary,
        rowOffset: encoded.rowNumbers[0] ?? 0, rowNumbers: encoded.rowNumbers, file: predictions.file,
      });
    }
    return await finish(spec, run, options, predictions.file, encoder, builder, { model: null, runtime: null });
  } finally {
    await table.close();
  }
}

/** What one data pass leaves (for analyses built on a groups pass, e.g. the comparison). */
export interface GroupsPass {
  readonly builder: GroupMetricsBuilder;
  readonly dataPath: string;
  readonly summary: EncoderSummary;
  /** Data row number of each row added to the builder, in order. */
  readonly rowNumbers: Uint32Array;
  readonly model: ReportModel | null;
  readonly modelSummary: ModelSummary | null;
  readonly runtime: RuntimeInfo | null;
}

/** A pass that ends in its builder (per-row columns kept when `keep`), not in a report. */
function passEnd(modelSummary: ModelSummary | null): PassEnd<GroupsPass> {
  return async (_spec, run, _options, dataPath, encoder, builder, source) => {
    const summary = encoder.finish({ partial: run.maxRows > 0 });
    await encoder.close();
    return { builder, dataPath, summary, rowNumbers: builder.rowNumbers(), model: source.model, modelSummary: source.model ? modelSummary : null, runtime: source.runtime };
  };
}

/** One pass of the spec's model over its data into a metrics builder (`keep`: keep the per-row columns). */
export async function passModel(spec: ResolvedSpec, options: GroupsRunOptions, keep = false): Promise<GroupsPass> {
  let summary: ModelSummary | null = null;
  const pass = await modelPass(spec, { ...options, keepRows: keep || options.keepRows === true }, passEnd(null), (s) => { summary = s; });
  return { ...pass, modelSummary: summary };
}

/** One pass over the spec's predictions file into a metrics builder (`keep` as in passModel). */
export function passPredictions(spec: ResolvedSpec, options: GroupsRunOptions, keep = false): Promise<GroupsPass> {
  return predictionsPass(spec, { ...options, keepRows: keep || options.keepRows === true }, passEnd(null));
}

/** A replicate count to check against the limit ("auto" is sized by the engine itself). */
function numericBootstrap(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
