import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BadInputError, loadSpec, runCompare, runCompareShard, withBudgets, type CompareTarget } from '../core/analyze';
import { shardOf, shardOptions, writeState } from './shardState';
import { compareCsv, writeHtmlReport } from '../core/report';
import { formatBudgets, formatCompare } from './formatCompare';
import { specFromFlags, type GroupsFlags } from './groups';
import { runOverrides } from './runFlags';
import { checkOutputs, specInputs, writeJson } from './output';
import { withFlagErrors } from './flagErrors';
import { stderrProgress } from './progress';

interface CompareFlags extends GroupsFlags {
  modelB?: string; specB?: string; predictionsB?: string; flipRows?: string; shard?: string; state?: string;
}

async function targetOf(flags: CompareFlags): Promise<CompareTarget> {
  const given = [flags.modelB && '--model-b', flags.specB && '--spec-b', flags.predictionsB && '--predictions-b'].filter(Boolean);
  if (given.length > 1) throw new BadInputError('cli.bad-flag', `compare: give one of --model-b, --spec-b, --predictions-b (got ${given.join(', ')})`);
  if (flags.modelB) return { kind: 'model-b', model: resolve(flags.modelB) };
  if (flags.specB) return { kind: 'spec-b', spec: await loadSpec(resolve(flags.specB)) };
  if (flags.predictionsB) return { kind: 'predictions-b', file: resolve(flags.predictionsB) };
  return { kind: 'referenceModel' };
}

export function registerCompare(program: Command): void {
  shardOptions(program.command('compare')
    .description('compare two models (or specs, or prediction files) on the same rows, per group: Δ with paired intervals, flips, McNemar, verdicts')
    .option('--spec <file>', 'analysis spec (*.bias.json): model A (with "referenceModel": A = the reference, B = the spec\'s model)')
    .option('--model-b <file>', 'model B, run on the spec\'s rows')
    .option('--spec-b <file>', 'spec B over the same data')
    .option('--predictions <file>', 'predictions of A (no model): label, group, score/pred columns')
    .option('--predictions-b <file>', 'predictions of B, same rows and columns')
    .option('--data <file>', 'evaluation data (with --predictions: the predictions file itself)')
    .option('--label <column>', 'label column')
    .option('--group <a,b>', 'sensitive columns')
    .option('--task <task>', 'binary | multiclass | regression')
    .option('--score <column>', 'predictions: P(positive) (binary) or predicted value (regression)')
    .option('--pred <column>', 'predictions: predicted class')
    .option('--ep <providers>', 'execution providers: auto | cpu | webgpu | cuda | dml | coreml (comma list; default auto)')
    .option('--bootstrap <n>', 'paired bootstrap replicates for 95% intervals of Δ')
    .option('--seed <n>', 'bootstrap seed')
    .option('--bootstrap-scheme <scheme>', 'multinomial (resample n rows; default) | poisson (keyed Poisson(1) row weights, the same on both sides: equal to any sharded run, docs/SHARDING.md)')
    .option('--batch-size <n>', 'rows per inference batch (default 256; 16 for model files of 64 MB or more)')
    .option('--max-rows <n>', 'evaluate at most this many rows')
    .option('--min-group-size <n>', 'groups smaller than this are marked small and left out of the worst Δ (default 30)')
    .option('--flip-rows <n>', 'flipped rows listed in the report (default 200)')
    .option('--json [file]', 'write the report as JSON (stdout when no file or "-")')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--csv <file>', 'write the per-group comparison as CSV'))
    .action(async (flags: CompareFlags) => {
      const fromFlags = flags.spec === undefined;
      if (fromFlags && !flags.predictions) throw new BadInputError('cli.bad-flag', 'compare: give --spec s.bias.json (with --model-b, --spec-b or a "referenceModel"), or --predictions a.csv --predictions-b b.csv with --label, --group and --score/--pred');
      const spec = fromFlags ? await withFlagErrors(() => specFromFlags({ ...flags, ...(flags.data ? {} : { data: flags.predictions }) })) : await loadSpec(resolve(flags.spec as string));
      const target = await targetOf(flags);
      const extra = target.kind === 'model-b' ? [target.model] : target.kind === 'predictions-b' ? [target.file] : target.kind === 'spec-b' ? specInputs(target.spec) : [];
      checkOutputs({ '--json': flags.json, '--html': flags.html, '--csv': flags.csv }, [...specInputs(spec), ...extra]);
      const options = {
        target,
        ...runOverrides(flags),
        ...(flags.flipRows !== undefined ? { flipRowsShown: flipRows(flags.flipRows) } : {}),
        onProgress: stderrProgress('compare'),
      };
      const sharded = shardOf(flags, spec);
      if (sharded) {
        const shard = async () => writeState(sharded.state, await runCompareShard(spec, { ...options, shard: sharded.shard }));
        await (fromFlags ? withFlagErrors(shard) : shard());
        return;
      }
      const run = async () => withBudgets(await runCompare(spec, options), spec);
      const report = fromFlags ? await withFlagErrors(run) : await run();
      const toStdout = writeJson(flags.json, report);
      if (flags.html) { writeHtmlReport(flags.html, report); process.stderr.write(`wrote ${flags.html}\n`); }
      if (flags.csv) { writeFileSync(flags.csv, compareCsv(report.compare)); process.stderr.write(`wrote ${flags.csv}\n`); }
      if (!toStdout) {
        process.stdout.write(`${formatCompare(report.compare)}\n`);
        if (report.budgets) process.stdout.write(`\n${formatBudgets(report.budgets)}\n`);
      }
    });
}

function flipRows(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new BadInputError('cli.bad-flag', `--flip-rows ${value}: expected an integer ≥ 0`);
  return n;
}
