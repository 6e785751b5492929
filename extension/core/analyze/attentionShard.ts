/**
 * Sharded attention (docs/SHARDING.md §7): a shard runs the model over its batches of the file
 * and writes the aggregator's sums per cohort, its longest sequence, its row-sum check and its
 * additive biases evaluated at its own length; the merge adds the sums, takes the longest of the
 * longest, and the biases of a shard whose length is the merged one. Everything a single run
 * decides from all rows is decided the same way:
 *
 * - batches: a shard reads the file as a single run does and owns whole batches (a batch's maps
 *   depend on its padding, i.e. on every row in it), batch β to shard ⌊(r₀(β) − 1)/1024⌋ mod n
 *   with r₀ its first row (= the row blocks of §1 when batches do not straddle a block); a folder
 *   of ≥ n Parquet parts goes by part (a single run's batches never cross parts);
 * - causal: from the file's first usable batch, which every shard runs for the decision;
 * - the bias length min(64, longest) and the maps' window: from the merged longest;
 * - the row-sum check: on the batches whose first row r₀ has ⌊(r₀ − 1)/batchSize⌋ mod 16 = 0.
 */
import { BadInputError, InspectorError } from '../errors';
import { createInputEncoder, listParquetParts, openTable, openTableShard, SHARD_BLOCK_ROWS, type ResolvedSpec, type RowBatch, type Shard, type TableReader } from '../data';
import { isDirectory } from '../data/parquet-dataset';
import { reportModel } from '../report';
import { looksCausal, rowFacts } from '../attention/rowFacts';
import { attentionSection } from '../attention/section';
import { evaluateBiases, maskNodes, runChecked, sources, type AttentionModel } from '../attention/session';
import { localSink } from '../attention/sink';
import type { AttentionAggregator } from '../attention/aggregate';
import { aggregatorFromStates, exportAggregator, type AttentionAggregatorState } from '../attention/state';
import { resolveRunOptions, ATTENTION_DEFAULTS } from './options';
import {
  attentionPass, batchFirstRow, biasLength, rowSumsField, type AttentionRunOptions, type AttentionShardHooks, type RowSumWorst,
} from './attention';
import {
  checkSameSettings, checkShardSet, firstSource, mergedData, shardRuns, specSha256, STATE_SCHEMA,
  type ShardPlacement, type ShardStateHeader,
} from './shards';
import { REPORT_SCHEMA, type ReportModel } from '../../protocol/report';
import type { AttentionBiasEntry, AttentionBiasMatrices, AttentionLayout, AttentionReport, AttentionSource } from '../../protocol/attention';

/** Version of the attention body of a state (docs/SHARDING.md §7); the merge refuses another. */
export const ATTENTION_STATE_FORMAT = 'attention/1';

/** The settings every shard must share (they decide the report). */
export interface AttentionShardSettings {
  readonly window: number;
  /** `--length`, or null: min(64, longest) of the merged rows. */
  readonly length: number | null;
  /** Rows per batch: a batch's padding shapes its maps, so the shards run the single run's batches. */
  readonly batchSize: number;
  readonly minGroupSize: number;
  readonly spans: readonly string[];
  readonly sensitive: readonly string[];
}

/** A non-finite number as text (JSON has none), a finite one as itself. */
type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface AttentionShardState extends ShardStateHeader {
  readonly analysis: 'attention';
  readonly attention: {
    readonly format: typeof ATTENTION_STATE_FORMAT;
    readonly settings: AttentionShardSettings;
    /** The single run's causal decision (file's first usable batch); null for a shard without usable rows. */
    readonly causal: boolean | null;
    readonly layout: AttentionLayout | null;
    /** Longest valid length among the shard's samples (0 without rows). */
    readonly longest: number;
    readonly rowSums: { readonly rows: number; readonly worst: (Omit<RowSumWorst, 'deviation'> & { readonly deviation: JsonNumber }) | null };
    /** The aggregator's cohorts; null for a shard without usable rows. */
    readonly sums: AttentionAggregatorState | null;
    /** Biases at the shard's own length max(2, min(64, longest)) (or `length`); null without usable rows. */
    readonly bias: { readonly T: number; readonly bias: readonly AttentionBiasEntry[]; readonly matrices: AttentionBiasMatrices['matrices']; readonly sources: readonly AttentionSource[] } | null;
  };
}

function toJsonNumber(x: number): JsonNumber {
  return Number.isFinite(x) ? x : (String(x) as JsonNumber);
}

/**
 * A reader of the shard's whole batches of a file: batch β (as a single run reads it) when
 * ⌊(r₀(β) − 1)/SHARD_BLOCK_ROWS⌋ mod n = i, r₀ its first row, used or skipped.
 */
export function shardBatches(table: TableReader, shard: Shard): TableReader {
  if (shard.count === 1) return table;
  async function* batches(): AsyncGenerator<RowBatch> {
    for await (const batch of table.batches()) {
      const first = batchFirstRow(batch);
      if (Number.isFinite(first) && Math.floor((first - 1) / SHARD_BLOCK_ROWS) % shard.count === shard.index) yield batch;
    }
  }
  return {
    path: table.path, format: table.format,
    get columns() { return table.columns; },
    batches, progress: () => table.progress(), close: () => table.close(),
    ...(table.findColumns ? { findColumns: (names: readonly string[]) => table.findColumns!(names) } : {}),
  };
}

/** The shard's batches: by part for a folder of ≥ n Parquet parts, else whole batches by first row. */
async function openBatchShard(path: string, options: { batchRows: number; signal?: AbortSignal }, shard: Shard): Promise<TableReader> {
  if (await isDirectory(path) && (await listParquetParts(path)).length >= shard.count) return openTableShard(path, options, shard);
  return shardBatches(await openTable(path, options), shard);
}

/** The single run's causal decision: `looksCausal` on the file's first batch with a usable row. */
async function firstBatchCausal(spec: ResolvedSpec, model: AttentionModel, batchRows: number, signal: AbortSignal | undefined): Promise<boolean> {
  const table = await openTable(spec.data, { batchRows, ...(signal ? { signal } : {}) });
  try {
    const encoder = await createInputEncoder(spec, model.summary.inputs, table);
    try {
      for await (const batch of table.batches()) {
        const encoded = await encoder.encode(batch);
        if (encoded.rowsUsed === 0) continue;
        const views = await runChecked(model, spec, encoded, batch);
        return looksCausal(views, rowFacts(spec, batch, encoded, views[0]!.seqLen));
      }
      return false;
    } finally {
      await encoder.close();
    }
  } finally {
    await table.close();
  }
}

/** Runs one shard of an attention analysis and returns its partial state. */
export async function runAttentionShard(spec: ResolvedSpec, options: AttentionRunOptions & { readonly shard: Shard }): Promise<AttentionShardState> {
  const started = Date.now();
  const shard = options.shard;
  const run = resolveRunOptions(spec, options, ATTENTION_DEFAULTS);
  if (run.maxRows > 0) {
    throw new BadInputError('cli.bad-flag', `samples ${run.maxRows}: a sharded run covers every row of the data (the shards together are the whole file); drop --samples (or the spec's maxRows)`);
  }
  let aggregator: AttentionAggregator | undefined;
  const hooks: AttentionShardHooks = {
    open: (path, o) => openBatchShard(path, o, shard),
    causal: (model) => firstBatchCausal(spec, model, run.batchSize, options.signal),
    sink: (o) => {
      const sink = localSink(o);
      aggregator = sink.aggregator;
      return sink;
    },
  };
  const { workerPath: _w, workerExecArgv: _x, ...single } = options;
  return attentionPass(spec, single, hooks, async (pass) => {
    const settings: AttentionShardSettings = {
      window: pass.window, length: options.length ?? null, batchSize: pass.batchSize, minGroupSize: pass.minGroupSize,
      spans: pass.spans, sensitive: spec.groups,
    };
    let bias: AttentionShardState['attention']['bias'] = null;
    if (aggregator) {
      pass.progress(0.97, 'evaluating attention biases');
      const T = biasLength(options.length, pass.longest);
      const evaluated = await evaluateBiases(pass.model, pass.headCount, T, options.signal);
      const masks = await maskNodes(pass.model, T);
      bias = { T, ...evaluated, sources: sources(pass.model, masks, new Set(evaluated.bias.map((b) => b.layer))) };
    }
    const skips = pass.skips();
    const worst = pass.rowSums.worst;
    pass.progress(1, 'done');
    return {
      schema: STATE_SCHEMA, analysis: 'attention', shard,
      spec: { path: spec.specPath, sha256: await specSha256(spec.specPath) },
      model: reportModel(pass.model.summary), runtime: pass.model.runtime,
      data: { path: spec.data, ...skips },
      seconds: (Date.now() - started) / 1000,
      attention: {
        format: ATTENTION_STATE_FORMAT, settings,
        causal: aggregator ? pass.causal : null, layout: pass.layout ?? null, longest: pass.longest,
        rowSums: { rows: pass.rowSums.rows, worst: worst ? { ...worst, deviation: toJsonNumber(worst.deviation) } : null },
        sums: aggregator ? exportAggregator(aggregator) : null,
        bias,
      },
    };
  });
}

/**
 * The worst row sum of all shards, as a single run's fold over the batches in file order keeps it
 * (a NaN replaces anything, a larger deviation replaces a smaller): the last NaN by (row, layer)
 * if any shard saw one, else the largest deviation, the first by (row, layer) among equals.
 */
function mergedWorst(worsts: readonly RowSumWorst[]): RowSumWorst | undefined {
  const before = (a: RowSumWorst, b: RowSumWorst): boolean => a.row < b.row || (a.row === b.row && a.layer < b.layer);
  let best: RowSumWorst | undefined;
  for (const w of worsts) {
    if (!best) { best = w; continue; }
    const wNaN = Number.isNaN(w.deviation);
    const bNaN = Number.isNaN(best.deviation);
    if (wNaN !== bNaN) { if (wNaN) best = w; continue; }
    if (wNaN ? before(best, w) : w.deviation > best.deviation || (w.deviation === best.deviation && before(w, best))) best = w;
  }
  return best;
}

/** Merges every shard's state into the attention report of a single run over all their rows. */
export function mergeAttentionStates(states: readonly AttentionShardState[], placement: readonly ShardPlacement[] = []): AttentionReport {
  const ordered = checkShardSet(states);
  for (const s of ordered) {
    if (s.attention.format !== ATTENTION_STATE_FORMAT) {
      throw new BadInputError('state.schema', `merge: shard ${s.shard.index}/${s.shard.count} holds attention sums of format "${String(s.attention.format)}"; this bias-inspector reads "${ATTENTION_STATE_FORMAT}": run every shard and the merge with the same version`);
    }
  }
  checkSameSettings(ordered, (s) => (s as AttentionShardState).attention.settings, 'attention settings (window, --length, batch size, min group size, spans, sensitive columns)');
  const settings = ordered[0]!.attention.settings;
  const withRows = ordered.filter((s) => s.attention.sums !== null);
  const first = withRows[0];
  if (!first) throw new BadInputError('data.empty', `${ordered[0]!.data.path}: no rows to analyse (no shard had a usable row)`, { file: ordered[0]!.data.path });
  const where = (s: AttentionShardState): string => `shard ${s.shard.index}/${s.shard.count}`;
  for (const s of withRows) {
    if (s.attention.causal !== first.attention.causal) {
      throw new BadInputError('state.mismatch', `merge: ${where(s)} decided causal = ${s.attention.causal}, ${where(first)} ${first.attention.causal} (each decides on the file's first batch: the data changed between shards?)`);
    }
    if (s.attention.layout !== first.attention.layout) throw new BadInputError('state.mismatch', `merge: ${where(s)} read maps of layout ${s.attention.layout}, ${where(first)} ${first.attention.layout}`);
  }
  const aggregate = aggregatorFromStates(withRows.map((s) => s.attention.sums!), (i) => where(withRows[i]!)).finish();
  const longest = Math.max(...ordered.map((s) => s.attention.longest));
  const biasT = biasLength(settings.length ?? undefined, longest);
  // max over shards of max(2, min(64, longest_s)) is the merged length: the shard with the longest row evaluated it.
  const biased = withRows.find((s) => s.attention.bias?.T === biasT)?.attention.bias;
  if (!biased) throw new InspectorError('internal', 'failure', `merge: no shard evaluated the biases at the merged length ${biasT}`);
  const worst = mergedWorst(ordered.flatMap((s) => (s.attention.rowSums.worst ? [{ ...s.attention.rowSums.worst, deviation: Number(s.attention.rowSums.worst.deviation) }] : [])));
  const source = firstSource(ordered);
  return {
    schema: REPORT_SCHEMA, kind: 'attention', createdAt: new Date().toISOString(), spec: ordered[0]!.spec.path,
    model: source.model as ReportModel, runtime: source.runtime!,
    data: mergedData(ordered),
    attention: attentionSection(aggregate, {
      layout: first.attention.layout!, spans: settings.spans, sensitive: settings.sensitive, causal: first.attention.causal!,
      minGroupSize: settings.minGroupSize, sources: biased.sources,
      rowSums: rowSumsField({ rows: ordered.reduce((n, s) => n + s.attention.rowSums.rows, 0), worst }),
      window: Math.min(settings.window, Math.max(1, longest)), bias: biased.bias, matrices: biased.matrices, biasT,
    }),
    shards: shardRuns(ordered, placement),
  };
}
