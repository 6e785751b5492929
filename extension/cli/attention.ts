import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import {
  BadInputError, InspectorError, checkBiasLength, compareAttentionProviders, loadSpec, openTable, parseProviderSetting, resolveSpec, runAttention, runAttentionShard,
  type InputMapping, type ResolvedSpec,
} from '../core/analyze';
import { loadModel, summarizeModel } from '../core/onnx';
import { writeHtmlReport } from '../core/report';
import { providerFlags, runOverrides, type RunFlags } from './runFlags';
import { formatAttentionReport } from './formatAttention';
import { parseInputFlag } from './groups';
import { checkOutputs, specInputs, writeJson, printText } from './output';
import { withFlagErrors } from './flagErrors';
import { stderrProgress } from './progress';
import { shardOf, shardOptions, writeState, type ShardFlags } from './shardState';

interface AttentionFlags extends RunFlags, ShardFlags {
  spec?: string; model?: string; data?: string; input?: string[]; group?: string; tokens?: string; span?: string[];
  samples?: string; length?: string; json?: string | boolean; html?: string; compareEp?: string;
}

/** Sequence inputs without --input: the model's integer inputs fed from a column of the same name, or `ids`. */
async function defaultInputs(model: string, data: string): Promise<Record<string, InputMapping>> {
  const summary = summarizeModel(await loadModel(model));
  const table = await openTable(data);
  const columns = new Set(table.columns);
  await table.close();
  const out: Record<string, InputMapping> = {};
  for (const input of summary.inputs) {
    if (!/^int(32|64)$/.test(input.dtype) || /mask|type_ids|position_ids/i.test(input.name)) continue;
    const column = columns.has(input.name) ? input.name : columns.has('ids') && Object.keys(out).length === 0 ? 'ids' : undefined;
    if (column) out[input.name] = { column };
  }
  if (Object.keys(out).length === 0) throw new BadInputError('cli.bad-flag', `attention: map the model inputs with --input name=ids:column (${data} has no column named like an integer input of ${model}, nor "ids")`);
  return out;
}

async function specFromFlags(flags: AttentionFlags): Promise<ResolvedSpec> {
  if (flags.spec) return loadSpec(resolve(flags.spec));
  if (!flags.model || !flags.data) throw new BadInputError('cli.bad-flag', 'attention: give --spec s.bias.json, or --model with --data');
  const spans = Object.fromEntries((flags.span ?? []).map((s) => {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new BadInputError('cli.bad-flag', `--span ${s}: expected name=column (a column of JSON arrays of key positions)`);
    return [s.slice(0, eq), s.slice(eq + 1)];
  }));
  const value: Record<string, unknown> = {
    model: flags.model, data: flags.data,
    groups: (flags.group ?? '').split(',').map((g) => g.trim()).filter(Boolean),
    inputs: flags.input?.length ? Object.fromEntries(flags.input.map(parseInputFlag)) : await defaultInputs(flags.model, flags.data),
    ...(flags.tokens || Object.keys(spans).length > 0 ? { attention: { ...(flags.tokens ? { tokens: flags.tokens } : {}), ...(Object.keys(spans).length > 0 ? { spans } : {}) } } : {}),
  };
  return resolveSpec(value, { baseDir: process.cwd() });
}

function intFlag(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new BadInputError('cli.bad-flag', `${name} ${value}: expected an integer ≥ ${min}`);
  return n;
}

/**
 * The bundled aggregation worker, used where there is a second core: onnxruntime runs on the main
 * thread with cores−1 intra-op threads, and on 2 cores the worker aggregating on the other core is
 * as fast as in-process for 10k demo samples in a fresh process and faster for more (30k: ~1.8-2.05
 * s vs ~2.05-2.2 s), since the main thread then only reads, encodes and runs.
 */
export function aggregationWorker(): { workerPath: string } | Record<string, never> {
  const path = join(__dirname, 'workers', 'attention.worker.js');
  return availableParallelism() >= 2 && existsSync(path) ? { workerPath: path } : {};
}

/** Largest difference of attention maps allowed between two providers (issue #5: within 1e-4). */
const COMPARE_TOLERANCE = 1e-4;

async function compare(spec: ResolvedSpec, flags: AttentionFlags): Promise<void> {
  const list = (flags.compareEp ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (list.length !== 2) throw new BadInputError('cli.bad-flag', `--compare-ep ${flags.compareEp}: name two providers, e.g. webgpu,cpu`);
  const settings = list.map((p) => parseProviderSetting(p, '--compare-ep')) as [ReturnType<typeof parseProviderSetting>, ReturnType<typeof parseProviderSetting>];
  const rows = intFlag(flags.samples, '--samples', 1) ?? 16;
  const result = await compareAttentionProviders(spec, settings, rows);
  const [a, b] = result.providers;
  printText(`attention maps of ${result.rows} rows: ${a.used} vs ${b.used}, max |Δp| = ${result.maxAbsDifference.toExponential(2)}${result.worst ? ` (row ${result.worst.row}, layer ${result.worst.layer})` : ''}\n`);
  list.forEach((wanted, i) => {
    const used = result.providers[i]!.used;
    if (wanted !== 'auto' && used !== wanted) throw new InspectorError('attention.provider-not-used', 'failure', `--compare-ep: asked for ${wanted}, the session ran on ${used}${result.providers[i]!.fallbackReason ? ` (${result.providers[i]!.fallbackReason})` : ''}`);
  });
  if (!(result.maxAbsDifference <= COMPARE_TOLERANCE)) {
    throw new InspectorError('attention.provider-mismatch', 'failure', `attention maps differ by ${result.maxAbsDifference} between ${a.used} and ${b.used} (tolerance ${COMPARE_TOLERANCE})`);
  }
}

export function registerAttention(program: Command): void {
  shardOptions(providerFlags(program.command('attention')))
    .description('attention per layer and head over a dataset, per group, and the additive attention biases of a transformer')
    .option('--spec <file>', 'analysis spec (*.bias.json) with an optional "attention" section')
    .option('--model <file>', 'ONNX model (without --spec)')
    .option('--data <file>', 'evaluation data: .csv .tsv .jsonl .parquet')
    .option('--input <name=mapping>', 'input mapping (repeatable): name=ids:col | name=text:col:tokenizer.json (default: integer inputs from a column "ids" or of the same name)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--group <a,b>', 'sensitive columns for per-group attention')
    .option('--tokens <column>', 'column of token strings (labels, special tokens)')
    .option('--span <name=column>', 'span of key positions to report the attention mass on (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--samples <n>', 'analyse at most this many rows (with --compare-ep: rows to compare, default 16)')
    .option('--length <T>', 'sequence length at which additive biases are evaluated (default: min(64, longest row))')
    .option('--batch-size <n>', 'rows per inference batch (default 32; 16 for a model file of 64 MB or more)')
    .option('--min-group-size <n>', 'groups smaller than this are marked small (default 30)')
    .option('--compare-ep <a,b>', 'instead of the report: compare the maps of the first rows on two providers (fails above 1e-4 or when one is not used)')
    .option('--json [file]', 'write the report as JSON (stdout when no file or "-")')
    .option('--html <file>', 'write a self-contained HTML report')
    .action(async (flags: AttentionFlags) => {
      const fromFlags = flags.spec === undefined;
      const flagErrors = <T>(work: () => Promise<T>): Promise<T> => (fromFlags ? withFlagErrors(work) : work());
      const spec = await flagErrors(() => specFromFlags(flags));
      const sharded = shardOf(flags, spec);
      if (flags.compareEp && sharded) throw new BadInputError('cli.bad-flag', '--compare-ep compares two providers on the first rows; it writes no shard state (drop --shard/--state)');
      if (flags.compareEp) return flagErrors(() => compare(spec, flags));
      checkOutputs({ '--json': flags.json, '--html': flags.html }, specInputs(spec));
      const samples = intFlag(flags.samples, '--samples');
      const length = intFlag(flags.length, '--length', 2);
      checkBiasLength(length, '--length');
      if (sharded) {
        if (samples !== undefined) throw new BadInputError('cli.bad-flag', `--samples ${samples}: a sharded run covers every row of the data (the shards together are the whole file); drop --samples`);
        const state = await flagErrors(() => runAttentionShard(spec, {
          ...runOverrides(flags), ...(length !== undefined ? { length } : {}), shard: sharded.shard,
          onProgress: stderrProgress(`attention shard ${sharded.shard.index}/${sharded.shard.count}`),
        }));
        writeState(sharded.state, state);
        return undefined;
      }
      const report = await flagErrors(() => runAttention(spec, {
        ...runOverrides(flags),
        ...(samples !== undefined ? { maxRows: samples } : {}),
        ...(length !== undefined ? { length } : {}),
        ...aggregationWorker(),
        onProgress: stderrProgress('attention'),
      }));
      const toStdout = writeJson(flags.json, report);
      if (flags.html) { writeHtmlReport(flags.html, report); process.stderr.write(`wrote ${flags.html}\n`); }
      if (!toStdout) printText(`${formatAttentionReport(report)}\n`);
      return undefined;
    });
}
