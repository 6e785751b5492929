/**
 * The attention analysis (issue #5): expose every layer's attention probabilities on an in-memory
 * copy of the model, stream the evaluation set through it in batches and fold each sample's maps
 * into an `AttentionAggregator` (memory flat in the number of samples); then evaluate the additive
 * biases of the logits at one length and analyse them (FORMULAS.md §D). The CLI and the VS Code
 * host call `runAttention` with the same spec; the webview asks for one sample at a time through
 * `AttentionSampler`.
 *
 * Matrices in the report are base64 of little-endian Float32 (see protocol/attention.ts).
 */
import { BadInputError, InspectorError, throttleProgress, throwIfAborted, type ProgressFn } from '../errors';
import type { ModelSummary } from '../../protocol/model';
import { createInputEncoder, openTable, SkipTally, type InputEncoder, type ResolvedSpec, type RowBatch, type TableReader } from '../data';
import type { ProviderSetting } from '../runtime';
import { ATTENTION_DEFAULTS, modelDefaults, resolveRunOptions, type RunOverrides } from './options';
import { largestFile } from './session';
import { reportModel } from '../report';
import { checkRowSums, type AttentionLayout, type FloatArray } from '../attention';
import { packFacts } from '../attention/aggregate';
import { looksCausal, rowFacts, SingleRowBatch, specialMask } from '../attention/rowFacts';
import { attentionSection } from '../attention/section';
import { evaluateBiases, maskNodes, openAttentionModel, runChecked, sources, type AttentionModel } from '../attention/session';
import { localSink, workerSink, type AttentionSink } from '../attention/sink';
import type { AttentionAggregatorOptions } from '../attention/aggregate';
import { REPORT_SCHEMA } from '../../protocol/report';
import type { RuntimeInfo } from '../../protocol/runtime';
import type { AttentionReport, AttentionSampleResult, AttentionSection } from '../../protocol/attention';

export { attentionSection } from '../attention/section';
export { defaultThreads } from '../attention/session';

/**
 * Options of an attention run: the explicit overrides (options.ts; `maxRows` limits the samples,
 * `batchSize` defaults to 32, `threads` 0 = every core but one), then what only attention has.
 */
export interface AttentionRunOptions extends RunOverrides {
  /** Length T at which biases are evaluated (default min(64, longest sequence seen)). */
  readonly length?: number;
  /** Mean maps cover positions < window (default 64). */
  readonly window?: number;
  /**
   * The bundled attention.worker.js (or the .ts under tsx, with workerExecArgv): aggregate in a
   * worker thread, overlapping the next run. Absent: aggregate in this thread. The report is the
   * same either way.
   */
  readonly workerPath?: string | URL;
  readonly workerExecArgv?: readonly string[];
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
}

/** Options of the per-sample view: the model is opened with the same run settings. */
export interface AttentionSampleOptions extends RunOverrides {
  readonly signal?: AbortSignal;
}

const ROW_SUM_CHECK_EVERY = 16;

/** Streams batches up to a row limit, with cancellation and progress by bytes read. */
async function* limited(table: TableReader, maxRows: number, signal: AbortSignal | undefined, progress: ProgressFn): AsyncGenerator<RowBatch> {
  let rows = 0;
  for await (const batch of table.batches()) {
    throwIfAborted(signal);
    const take = maxRows > 0 ? Math.min(batch.length, maxRows - rows) : batch.length;
    if (take <= 0) break;
    yield take === batch.length ? batch : sliceBatch(batch, take);
    rows += take;
    const { bytesRead, bytesTotal } = table.progress();
    progress(maxRows > 0 ? rows / maxRows : bytesTotal > 0 ? bytesRead / bytesTotal : 0, `attention: ${rows.toLocaleString('en-US')} rows`);
    if (maxRows > 0 && rows >= maxRows) break;
  }
}

function sliceBatch(batch: RowBatch, take: number): RowBatch {
  const last = batch.rowNumbers[take - 1] ?? 0;
  return {
    length: take, firstRow: batch.firstRow, rowNumbers: batch.rowNumbers.subarray(0, take),
    skipped: batch.skipped.filter((s) => s.row <= last),
    has: (name) => batch.has(name), column: (name) => batch.column(name).slice(0, take),
  };
}

/** Longest sequence at which additive biases are evaluated (a T × T map per head and layer). */
export const MAX_BIAS_LENGTH = 4096;

/** Refuses a bias-evaluation length above MAX_BIAS_LENGTH before any work; `source` names the flag or option. */
export function checkBiasLength(length: number | undefined, source = 'length'): void {
  if (length !== undefined && length > MAX_BIAS_LENGTH) {
    throw new BadInputError('run.too-large', `${source} ${length}: additive biases are evaluated at sequence lengths up to ${MAX_BIAS_LENGTH.toLocaleString('en-US')} (each layer and head holds a length × length map)`);
  }
}

/**
 * Whether a batch's maps get the row-sum check (a sample of the batches: the checked rows are a
 * function of the file, not of a shard's rows): its first row r₀ (used or skipped) has
 * ⌊(r₀ − 1)/batchSize⌋ divisible by ROW_SUM_CHECK_EVERY — every 16th batch of a file read
 * through without skipped rows.
 */
export function rowSumChecked(firstRow: number, batchSize: number): boolean {
  return Math.floor((firstRow - 1) / Math.max(1, batchSize)) % ROW_SUM_CHECK_EVERY === 0;
}

/** The first row of a batch, used or skipped (a batch may hold only skipped rows). */
export function batchFirstRow(batch: RowBatch): number {
  const used = batch.length > 0 ? batch.rowNumbers[0]! : Infinity;
  return batch.skipped.reduce((r, s) => Math.min(r, s.row), used);
}

/** The worst row sum seen, with where it was: (first row of its batch, layer) orders the candidates (attentionShard.ts). */
export interface RowSumWorst {
  readonly deviation: number;
  readonly where: string;
  readonly row: number;
  readonly layer: number;
}

/** What a pass over the rows leaves for its end (the report, or a shard's state). */
export interface AttentionPass {
  readonly model: AttentionModel;
  readonly sink: AttentionSink | undefined;
  readonly layout: AttentionLayout | undefined;
  readonly causal: boolean;
  readonly headCount: number;
  /** Longest valid length of a sample. */
  readonly longest: number;
  readonly rowSums: { readonly rows: number; readonly worst: RowSumWorst | undefined };
  readonly spans: readonly string[];
  readonly window: number;
  readonly minGroupSize: number;
  readonly batchSize: number;
  /** The encoder's counts; throws when no row was usable (call only when rows were). */
  readonly summary: () => ReturnType<InputEncoder['finish']>;
  readonly skips: () => { rows: number; skippedRows: number; skipReasons: Readonly<Record<string, number>> };
  readonly progress: ProgressFn;
}

/** The bias-evaluation length: the option, else min(64, longest sequence), at least 2. */
export function biasLength(length: number | undefined, longest: number): number {
  return length ?? Math.max(2, Math.min(64, longest));
}

/**
 * Opens the model, streams the rows through it into a sink and calls `end` with the pass (the
 * model still open). Without `shard`, every row (up to the row limit); with one, its batches
 * (attentionShard.ts), and the causal decision taken on the file's first usable batch, as a
 * single run takes it.
 */
export async function attentionPass<T>(spec: ResolvedSpec, options: AttentionRunOptions, shard: AttentionShardHooks | undefined, end: (pass: AttentionPass) => Promise<T>): Promise<T> {
  checkBiasLength(options.length);
  if (!spec.model) throw new BadInputError('spec.model', `${spec.specPath || 'the spec'}: field "model": the attention analysis needs a model`, { file: spec.specPath });
  // A large model's default batch is smaller (options.ts LARGE_MODEL_BATCH): its maps and activations decide the memory.
  const run = resolveRunOptions(spec, options, modelDefaults(ATTENTION_DEFAULTS, await largestFile([spec.model])));
  const progress = throttleProgress(options.onProgress);
  progress(0, 'loading the model');
  const signal = options.signal;
  const tableOptions = { batchRows: run.batchSize, ...(signal ? { signal } : {}) };
  const table = shard ? await shard.open(spec.data, tableOptions) : await openTable(spec.data, tableOptions);
  let model: AttentionModel | undefined;
  let sink: AttentionSink | undefined;
  try {
    let created: InputEncoder | undefined;
    model = await openAttentionModel(spec.model, {
      providers: run.providers, ...(run.threads ? { threads: run.threads } : {}), ...(signal ? { signal } : {}),
      beforeSession: async (summary) => { created = await createInputEncoder(spec, summary.inputs, table); },
    });
    const encoder: InputEncoder | undefined = created;
    if (!encoder) throw new InspectorError('internal', 'failure', 'the input encoder was not created');
    const spans = Object.keys(spec.attention?.spans ?? {});
    const window = options.window ?? 64;
    let causal = false;
    const minGroupSize = run.minGroupSize;
    let layout: AttentionLayout | undefined;
    let longest = 0;
    let headCount = 0;
    let rowSums = { rows: 0, worst: undefined as RowSumWorst | undefined };
    const specialTokens = new Map<string, number>();
    const tally = new SkipTally(); // the rows this pass saw (a shard's state counts them without `finish`)
    let used = 0;
    for await (const batch of limited(table, run.maxRows, signal, progress)) {
      const encoded = await encoder.encode(batch);
      tally.add(encoded.skipped);
      used += encoded.rowsUsed;
      if (encoded.rowsUsed === 0) continue;
      const views = await runChecked(model, spec, encoded, batch);
      const T = views[0]!.seqLen;
      const facts = rowFacts(spec, batch, encoded, T);
      const heads = views[0]!.heads;
      if (views.some((v) => v.heads !== heads || v.seqLen !== T)) {
        throw new BadInputError('attention.heads-differ', `${model.path}: layers have different head counts or lengths (${views.map((v) => `${v.heads}×${v.seqLen}`).join(', ')}); the aggregate needs one head count`, { file: model.path });
      }
      layout ??= views[0]!.layout;
      if (!sink) {
        headCount = heads;
        causal = shard ? await shard.causal(model) : looksCausal(views, facts);
        const aggregatorOptions = { layers: views.length, heads, maxLen: window, spans, causal, minGroupSize };
        sink = shard ? shard.sink(aggregatorOptions) : options.workerPath === undefined ? localSink(aggregatorOptions) : workerSink(aggregatorOptions, options.workerPath, options.workerExecArgv);
      }
      const firstRow = batchFirstRow(batch);
      if (rowSumChecked(firstRow, run.batchSize)) {
        views.forEach((view, layer) => {
          const check = checkRowSums(view, { validity: facts.map((f) => f.validity) });
          rowSums.rows += check.rowsChecked;
          const current = rowSums.worst?.deviation ?? 0;
          if (check.worst && (check.worst.deviation > current || Number.isNaN(check.worst.deviation))) {
            rowSums = {
              ...rowSums,
              worst: {
                deviation: check.worst.deviation, row: firstRow, layer,
                where: `row ${facts[check.worst.sample]?.rowNumber} of ${spec.data}, layer ${layer}, head ${check.worst.head}, query ${check.worst.row}`,
              },
            };
          }
        });
      }
      const samples = facts.map((f) => {
        longest = Math.max(longest, f.length);
        const special = specialMask(f.tokens, T, specialTokens);
        return { validity: f.validity, spans: f.spans, groups: f.groups, where: `row ${f.rowNumber} of ${spec.data}`, ...(special ? { special } : {}) };
      });
      await sink.add({ T, heads, layers: views.map((v) => v.data), facts: packFacts(samples, T, spans) });
    }
    const skips = (): { rows: number; skippedRows: number; skipReasons: Readonly<Record<string, number>> } => ({ rows: used + tally.skippedRows, ...tally.summary() });
    const pass: AttentionPass = {
      model, sink, layout, causal, headCount, longest, rowSums, spans, window, minGroupSize, batchSize: run.batchSize, progress,
      summary: () => encoder.finish({ partial: run.maxRows > 0 }), skips,
    };
    const result = await end(pass);
    await encoder.close();
    return result;
  } finally {
    await sink?.close();
    await table.close();
    await model?.session.release();
  }
}

/** What a shard changes in a pass (attentionShard.ts). */
export interface AttentionShardHooks {
  /** Its rows: whole batches of the file, as a single run reads them. */
  open(path: string, options: { batchRows: number; signal?: AbortSignal }): Promise<TableReader>;
  /** The causal decision of a single run (taken on the file's first usable batch). */
  causal(model: AttentionModel): Promise<boolean>;
  sink(options: AttentionAggregatorOptions): AttentionSink;
}

/** Runs the attention analysis over the spec's data and returns the report. */
export async function runAttention(spec: ResolvedSpec, options: AttentionRunOptions): Promise<AttentionReport> {
  return attentionPass(spec, options, undefined, async (pass) => {
    const { model, sink, layout } = pass;
    const signal = options.signal;
    const summary = pass.summary();
    if (!sink || !layout) throw new BadInputError('data.empty', `${spec.data}: no rows to analyse`, { file: spec.data });
    pass.progress(0.97, 'evaluating attention biases');
    // A worker finishes the aggregate while this thread evaluates the biases.
    const finishing = sink.finish();
    finishing.catch(() => undefined); // awaited below, after the biases
    const biasT = biasLength(options.length, pass.longest);
    const { bias, matrices } = await evaluateBiases(model, pass.headCount, biasT, signal);
    const masks = await maskNodes(model, biasT);
    const aggregate = await finishing;
    pass.progress(1, 'done');
    return {
      schema: REPORT_SCHEMA, kind: 'attention', createdAt: new Date().toISOString(), spec: spec.specPath,
      model: reportModel(model.summary), runtime: model.runtime,
      data: { path: spec.data, rows: summary.rows, skippedRows: summary.skippedRows, skipReasons: summary.skipReasons },
      attention: attentionSection(aggregate, {
        layout, spans: pass.spans, sensitive: spec.groups, causal: pass.causal, minGroupSize: pass.minGroupSize,
        sources: sources(model, masks, new Set(bias.map((b) => b.layer))),
        rowSums: rowSumsField(pass.rowSums),
        window: Math.min(pass.window, Math.max(1, pass.longest)), bias, matrices, biasT,
      }),
    };
  });
}

/** The report's `rowSums` from a pass's (or the merged shards') count and worst row. */
export function rowSumsField(rowSums: { readonly rows: number; readonly worst: RowSumWorst | undefined }): AttentionSection['rowSums'] {
  return { rows: rowSums.rows, maxDeviation: rowSums.worst?.deviation ?? 0, ...(rowSums.worst ? { where: rowSums.worst.where } : {}) };
}

/**
 * One sample at a time for the per-sample view: the model stays open between requests. Each
 * request re-reads the data up to the row (rows are not indexed) and runs that row alone, so its
 * maps have exactly its length.
 */
export class AttentionSampler {
  private constructor(private readonly spec: ResolvedSpec, private readonly model: AttentionModel) {}

  static async open(spec: ResolvedSpec, options: { providers: ProviderSetting; threads?: number; signal?: AbortSignal }): Promise<AttentionSampler> {
    if (!spec.model) throw new BadInputError('spec.model', `${spec.specPath || 'the spec'}: field "model": the attention view needs a model`, { file: spec.specPath });
    // The data and input mapping are checked before the runtime loads.
    const beforeSession = async (summary: ModelSummary): Promise<void> => {
      const table = await openTable(spec.data, { batchRows: 1, ...(options.signal ? { signal: options.signal } : {}) });
      try {
        await (await createInputEncoder(spec, summary.inputs, table)).close();
      } finally {
        await table.close();
      }
    };
    return new AttentionSampler(spec, await openAttentionModel(spec.model, { ...options, beforeSession }));
  }

  get runtime(): RuntimeInfo { return this.model.runtime; }

  /** Maps of data row `row` (0-based among the data rows, header excluded). */
  async sample(row: number, options: { signal?: AbortSignal } = {}): Promise<AttentionSampleResult> {
    if (!Number.isInteger(row) || row < 0) throw new BadInputError('attention.row', `${this.spec.data}: row ${row} is not a row index (0, 1, …)`, { file: this.spec.data });
    const rowNumber = row + 1;
    const table = await openTable(this.spec.data, { batchRows: 256, ...(options.signal ? { signal: options.signal } : {}) });
    try {
      const encoder = await createInputEncoder(this.spec, this.model.summary.inputs, table);
      for await (const batch of table.batches()) {
        throwIfAborted(options.signal);
        const at = batch.rowNumbers.indexOf(rowNumber);
        if (at < 0) {
          if ((batch.rowNumbers[batch.length - 1] ?? 0) > rowNumber) break;
          continue;
        }
        const one = new SingleRowBatch(batch, at);
        const encoded = await encoder.encode(one);
        if (encoded.rowsUsed === 0) {
          const reason = encoded.skipped[0]?.reason ?? 'unusable';
          throw new BadInputError('attention.row-skipped', `${this.spec.data}: row ${rowNumber} is skipped (${reason})`, { file: this.spec.data });
        }
        const views = await runChecked(this.model, this.spec, encoded, one);
        const T = views[0]!.seqLen;
        const facts = rowFacts(this.spec, one, encoded, T)[0]!;
        const tokens = facts.tokens ? Array.from({ length: T }, (_, j) => facts.tokens?.[j] ?? '') : Array.from({ length: T }, (_, j) => String(j));
        return {
          tokens, layout: views[0]!.layout, validLength: facts.length, group: facts.group,
          layers: views.map((v, layer) => {
            const data = new Float32Array(v.heads * T * T);
            v.maps(0).forEach((m: FloatArray, h) => data.set(m, h * T * T));
            return { layer, heads: v.heads, T, data: data.buffer };
          }),
        };
      }
      throw new BadInputError('attention.row', `${this.spec.data}: there is no data row ${row} (0-based)`, { file: this.spec.data });
    } finally {
      await table.close();
    }
  }

  async close(): Promise<void> {
    await this.model.session.release();
  }
}

/**
 * One sample's maps for the per-sample view (opens and closes the model; see AttentionSampler
 * for repeated use). `row` is 0-based among the data rows.
 */
export async function runAttentionSample(spec: ResolvedSpec, rowIndex: number, options: AttentionSampleOptions = {}): Promise<AttentionSampleResult> {
  const run = resolveRunOptions(spec, options, ATTENTION_DEFAULTS);
  const sampler = await AttentionSampler.open(spec, { providers: run.providers, ...(run.threads ? { threads: run.threads } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  try {
    return await sampler.sample(rowIndex, options.signal ? { signal: options.signal } : {});
  } finally {
    await sampler.close();
  }
}

/** Result of running the same rows on two execution providers. */
export interface ProviderComparison {
  readonly providers: readonly [RuntimeInfo, RuntimeInfo];
  readonly rows: number;
  /** Largest |p_a − p_b| over every layer, head and cell of every compared row. */
  readonly maxAbsDifference: number;
  readonly worst: { readonly row: number; readonly layer: number } | undefined;
}

/**
 * Attention maps of the first `rows` data rows on two providers, each opened alone (no fallback:
 * a provider that cannot run fails here instead of quietly running on the CPU).
 */
export async function compareAttentionProviders(spec: ResolvedSpec, providers: readonly [ProviderSetting, ProviderSetting], rows: number, options: { signal?: AbortSignal } = {}): Promise<ProviderComparison> {
  const a = await AttentionSampler.open(spec, { providers: providers[0], ...(options.signal ? { signal: options.signal } : {}) });
  try {
    const b = await AttentionSampler.open(spec, { providers: providers[1], ...(options.signal ? { signal: options.signal } : {}) });
    try {
      let max = 0;
      let worst: ProviderComparison['worst'];
      let compared = 0;
      for (let row = 0; row < rows; row++) {
        let x: AttentionSampleResult;
        try {
          x = await a.sample(row, options);
        } catch (error) {
          if (error instanceof BadInputError && error.code === 'attention.row' && compared > 0) break; // fewer rows than asked
          throw error;
        }
        const y = await b.sample(row, options);
        x.layers.forEach((layer, l) => {
          const p = new Float32Array(layer.data);
          const q = new Float32Array(y.layers[l]!.data);
          for (let c = 0; c < p.length; c++) {
            const d = Math.abs(p[c]! - q[c]!);
            if (d > max || Number.isNaN(d)) { max = Number.isNaN(d) ? Number.NaN : d; worst = { row, layer: l }; }
          }
        });
        compared++;
      }
      return { providers: [a.runtime, b.runtime], rows: compared, maxAbsDifference: max, worst };
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
}
