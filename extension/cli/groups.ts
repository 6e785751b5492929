import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BadInputError, loadSpec, parseShard, resolveSpec, runGroups, runGroupsShard, type InputMapping, type ResolvedSpec, type RunOverrides, runCompare, withBudgets } from '../core/analyze';
import type { GroupsReport } from '../protocol/groups';
import { compareCsv, groupsCsv, writeHtmlReport } from '../core/report';
import { inspectModel } from '../core/onnx';
import { BOOTSTRAP_HELP, providerFlags, runOverrides, type RunFlags } from './runFlags';
import { formatGroupsReport } from './formatGroups';
import { formatBudgets, formatCompare } from './formatCompare';
import { checkOutputs, printText, specInputs, writeJson } from './output';
import { withFlagErrors } from './flagErrors';
import { formatShape } from './format';
import { stderrProgress } from './progress';
import { groupsTabOptions, withTabSections, type GroupsTabFlags } from './groupsTabs';

export interface GroupsFlags extends RunFlags, GroupsTabFlags {
  spec?: string; model?: string; data?: string; label?: string; group?: string; task?: string; output?: string; outputKind?: string;
  loss?: string; input?: string[]; predictions?: string; score?: string; pred?: string; featureTensor?: string;
  json?: string | boolean; html?: string; csv?: string; shard?: string; state?: string;
}

/** `--input name=col1,col2` | `name=ids:col` | `name=npy:file.npy` | `name=text:col:tokenizer.json`. */
export function parseInputFlag(flag: string): [string, InputMapping] {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new BadInputError('cli.bad-flag', `--input ${flag}: expected name=columns (e.g. features=age,hours), name=ids:col, name=npy:file.npy or name=text:col:tokenizer.json`);
  const name = flag.slice(0, eq);
  const value = flag.slice(eq + 1);
  if (value.startsWith('ids:')) return [name, { column: value.slice(4) }];
  if (value.startsWith('npy:')) return [name, { npy: value.slice(4) }];
  if (value.startsWith('text:')) {
    const [column, tokenizer] = value.slice(5).split(':');
    if (!column || !tokenizer) throw new BadInputError('cli.bad-flag', `--input ${flag}: text mappings are name=text:column:tokenizer.json`);
    return [name, { text: column, tokenizer }];
  }
  return [name, { columns: value.split(',').map((c) => c.trim()).filter(Boolean) }];
}

export async function specFromFlags(flags: GroupsFlags, command = 'groups'): Promise<ResolvedSpec> {
  if (flags.spec) return loadSpec(resolve(flags.spec));
  if (!flags.predictions && !flags.model) throw new BadInputError('cli.bad-flag', `${command}: give --spec s.bias.json, or --model with --data, or --predictions`);
  if (flags.predictions && !flags.model && !flags.score && !flags.pred) {
    throw new BadInputError('cli.bad-flag', `--predictions ${flags.predictions}: name its columns with --score <column> (P(positive) or the predicted value) and/or --pred <column> (the predicted class)`, { file: resolve(flags.predictions) });
  }
  if (flags.model && !flags.predictions && !flags.input?.length) {
    const summary = await inspectModel(resolve(flags.model));
    const inputs = summary.inputs.map((i) => `${i.name} (${i.dtype} ${formatShape(i.shape)})`).join(', ');
    throw new BadInputError('cli.bad-flag', `--model ${flags.model}: map its inputs to data columns with --input, e.g. --input ${summary.inputs[0]?.name ?? 'x'}=col1,col2 (model inputs: ${inputs})`, { file: resolve(flags.model) });
  }
  const value: Record<string, unknown> = {
    ...(flags.model ? { model: flags.model } : {}),
    data: flags.data ?? flags.predictions,
    task: flags.task ?? 'binary',
    ...(flags.label ? { label: flags.label } : {}),
    groups: (flags.group ?? '').split(',').map((g) => g.trim()).filter(Boolean),
    ...(flags.output ? { output: flags.output } : {}),
    ...(flags.outputKind ? { outputKind: flags.outputKind } : {}),
    ...(flags.loss ? { loss: flags.loss } : {}),
    ...(flags.featureTensor ? { featureTensor: flags.featureTensor } : {}),
    ...(flags.input?.length ? { inputs: Object.fromEntries(flags.input.map(parseInputFlag)) } : {}),
    ...(flags.predictions ? { predictions: { file: flags.predictions, ...(flags.score ? { score: flags.score } : {}), ...(flags.pred ? { pred: flags.pred } : {}) } } : {}),
  };
  return resolveSpec(value, { baseDir: process.cwd() });
}

export function registerGroups(program: Command): void {
  const command = providerFlags(program.command('groups'))
    .description('per-group loss and fairness metrics of a model over a dataset (or of precomputed predictions)')
    .option('--spec <file>', 'analysis spec (*.bias.json)')
    .option('--model <file>', 'ONNX model (without --spec)')
    .option('--data <file>', 'evaluation data: .csv .tsv .jsonl .parquet')
    .option('--label <column>', 'label column')
    .option('--group <a,b>', 'sensitive columns; intersections are every combination present')
    .option('--task <task>', 'binary | multiclass | regression', undefined)
    .option('--input <name=mapping>', 'input mapping (repeatable): name=col1,col2 | name=ids:col | name=npy:f.npy | name=text:col:tokenizer.json', (v: string, prev: string[] = []) => [...prev, v])
    .option('--output <name>', 'model output to evaluate (default: the first)')
    .option('--output-kind <kind>', 'logits | probabilities | regression | ensemble')
    .option('--loss <name>', 'per-sample loss (FORMULAS.md §A)')
    .option('--feature-tensor <name>', 'intermediate feature map for feature diversity / Bias Loss')
    .option('--predictions <file>', 'precomputed predictions (no model): label, group, score/pred columns')
    .option('--score <column>', 'predictions: P(positive) (binary) or predicted value (regression)')
    .option('--pred <column>', 'predictions: predicted class')
    .option('--bootstrap <n>', BOOTSTRAP_HELP)
    .option('--seed <n>', 'bootstrap seed (default 0)')
    .option('--bootstrap-scheme <scheme>', 'multinomial (resample n rows; default) | poisson (keyed Poisson(1) row weights: equal to any sharded run, docs/SHARDING.md)')
    .option('--shard <i/n>', 'evaluate only shard i of n (0-based) and write its mergeable state to --state (docs/SHARDING.md)')
    .option('--state <file>', 'with --shard: the partial state to write (merge the shards with `bias-inspector merge`)')
    .option('--batch-size <n>', 'rows per inference batch (default 256; 16 for a model file of 64 MB or more; 4096 for --predictions)')
    .option('--max-rows <n>', 'evaluate at most this many rows (default all)')
    .option('--min-group-size <n>', 'groups smaller than this are marked small (default 30)')
    .option('--json [file]', 'write the report as JSON (stdout when no file or "-")')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--csv <file>', 'write the per-group table as CSV');
  groupsTabOptions(command)
    .action(async (flags: GroupsFlags) => {
      const fromFlags = flags.spec === undefined;
      const spec = fromFlags ? await withFlagErrors(() => specFromFlags(flags)) : await specFromFlags(flags);
      checkOutputs({ '--json': flags.json, '--html': flags.html, '--csv': flags.csv }, specInputs(spec));
      const overrides = runOverrides(flags);
      if (flags.shard !== undefined || flags.state !== undefined) {
        await writeShardState(spec, flags, overrides);
        return;
      }
      if (spec.referenceModel && !spec.predictions) {
        // the spec's referenceModel makes groups a comparison (DESIGN.md §3): A = the reference, B = the spec's model
        const compared = await withBudgets(await runCompare(spec, { ...overrides, target: { kind: 'referenceModel' }, onProgress: stderrProgress('groups') }), spec);
        const toStdout = writeJson(flags.json, compared);
        if (flags.html) { writeHtmlReport(flags.html, compared); process.stderr.write(`wrote ${flags.html}\n`); }
        if (flags.csv) { writeFileSync(flags.csv, compareCsv(compared.compare)); process.stderr.write(`wrote ${flags.csv}\n`); }
        if (!toStdout) {
          process.stdout.write(`${formatCompare(compared.compare)}\n`);
          if (compared.budgets) process.stdout.write(`\n${formatBudgets(compared.budgets)}\n`);
        }
        return;
      }
      const run = (): Promise<GroupsReport> => runGroups(spec, { ...overrides, onProgress: stderrProgress('groups') });
      const tabs = await withTabSections(await withBudgets(fromFlags ? await withFlagErrors(run) : await run(), spec), spec, flags, overrides);
      const report = tabs.report;
      const toStdout = writeJson(flags.json, report);
      if (flags.html) { writeHtmlReport(flags.html, report); process.stderr.write(`wrote ${flags.html}\n`); }
      if (flags.csv) { writeFileSync(flags.csv, groupsCsv(report)); process.stderr.write(`wrote ${flags.csv}\n`); }
      if (!toStdout) {
        printText(`${formatGroupsReport(report)}\n`);
        if (report.budgets) printText(`\n${formatBudgets(report.budgets)}\n`);
        for (const section of tabs.text) printText(`\n${section}\n`);
      }
    });
}

/** `--shard i/n --state file`: one shard's mergeable state instead of a report. */
async function writeShardState(spec: ResolvedSpec, flags: GroupsFlags, overrides: RunOverrides): Promise<void> {
  if (flags.shard === undefined || flags.state === undefined) {
    throw new BadInputError('cli.bad-flag', flags.shard === undefined ? `--state ${flags.state}: give the shard with --shard i/n` : `--shard ${flags.shard}: name the state file with --state <file>`);
  }
  if (flags.json !== undefined || flags.html || flags.csv) throw new BadInputError('cli.bad-flag', '--shard writes a partial state (--state), not a report: merge the shards with `bias-inspector merge … --json/--html`');
  const shard = parseShard(flags.shard);
  checkOutputs({ '--state': flags.state }, specInputs(spec));
  const state = await runGroupsShard(spec, { ...overrides, shard, onProgress: stderrProgress(`groups shard ${shard.index}/${shard.count}`) });
  writeFileSync(flags.state, JSON.stringify(state));
  process.stderr.write(`wrote ${flags.state} (shard ${shard.index}/${shard.count}: ${state.data.rows.toLocaleString('en-US')} rows)\n`);
}
