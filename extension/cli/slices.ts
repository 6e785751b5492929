import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { BadInputError, runSlices, runSlicesShard } from '../core/analyze';
import { shardOf, shardOptions, writeState } from './shardState';
import type { SlicesReport } from '../protocol/slices';
import { slicesCsv, writeHtmlReport } from '../core/report';
import { formatSlicesReport } from './formatSlices';
import { specFromFlags, type GroupsFlags } from './groups';
import { checkOutputs, specInputs, writeJson } from './output';
import { withFlagErrors } from './flagErrors';
import { stderrProgress } from './progress';
import { providerFlags, runOverrides } from './runFlags';

interface SlicesFlags extends GroupsFlags {
  columns?: string; maxLevel?: string; k?: string; alpha?: string; minSupport?: string; error?: string; holdout?: boolean;
}

function intFlag(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new BadInputError('cli.bad-flag', `${name} ${value}: expected an integer ≥ ${min}`);
  return n;
}

function alphaFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const a = Number(value);
  if (!(a > 0 && a <= 1)) throw new BadInputError('cli.bad-flag', `--alpha ${value}: expected a number in (0, 1]`);
  return a;
}

/** The spec / flags options slices and thresholds share with groups. */
export function dataOptions(command: Command): Command {
  return providerFlags(command)
    .option('--spec <file>', 'analysis spec (*.bias.json)')
    .option('--model <file>', 'ONNX model (without --spec)')
    .option('--data <file>', 'evaluation data: .csv .tsv .jsonl .parquet')
    .option('--label <column>', 'label column')
    .option('--group <a,b>', 'sensitive columns')
    .option('--task <task>', 'binary | multiclass | regression', undefined)
    .option('--input <name=mapping>', 'input mapping (repeatable), as for groups', (v: string, prev: string[] = []) => [...prev, v])
    .option('--output <name>', 'model output to evaluate (default: the first)')
    .option('--output-kind <kind>', 'logits | probabilities | regression | ensemble')
    .option('--loss <name>', 'per-sample loss (FORMULAS.md §A)')
    .option('--predictions <file>', 'precomputed predictions (no model): label, score/pred and metadata columns')
    .option('--score <column>', 'predictions: P(positive) (binary) or predicted value (regression)')
    .option('--pred <column>', 'predictions: predicted class')
    .option('--batch-size <n>', 'rows per inference batch')
    .option('--max-rows <n>', 'evaluate at most this many rows')
    .option('--json [file]', 'write the report as JSON (stdout when no file or "-")')
    .option('--html <file>', 'write a self-contained HTML report');
}

export function registerSlices(program: Command): void {
  shardOptions(dataOptions(program.command('slices')
    .description('find the slices (conjunctions of metadata values) where the model errs most: SliceLine, exact top-k, holdout statistics'))
    .option('--columns <a,b>', 'candidate columns (default: the spec\'s slices.columns, else every metadata column)')
    .option('--max-level <n>', 'most predicates per slice (1-3, default 3)')
    .option('--k <n>', 'slices to report (default 10)')
    .option('--alpha <a>', 'SliceLine α: weight of the error against the size (default 0.95)')
    .option('--min-support <n>', 'smallest slice searched (default max(32, 1% of the rows searched))')
    .option('--error <kind>', 'misclassification (default; regression: squared error) | loss')
    .option('--holdout', 'search the even rows and test on the odd rows even below 2000 rows')
    .option('--min-group-size <n>', 'slices with fewer test rows are marked small (default 30)')
    .option('--csv <file>', 'write the slices as CSV'))
    .action(async (flags: SlicesFlags) => {
      const fromFlags = flags.spec === undefined;
      const spec = fromFlags ? await withFlagErrors(() => specFromFlags(flags, 'slices')) : await specFromFlags(flags, 'slices');
      checkOutputs({ '--json': flags.json, '--html': flags.html, '--csv': flags.csv }, specInputs(spec));
      if (flags.error !== undefined && flags.error !== 'misclassification' && flags.error !== 'loss') throw new BadInputError('cli.bad-flag', `--error ${flags.error}: expected misclassification or loss`);
      const maxLevel = intFlag(flags.maxLevel, '--max-level');
      const k = intFlag(flags.k, '--k');
      const minSupport = intFlag(flags.minSupport, '--min-support', 1);
      const alpha = alphaFlag(flags.alpha);
      const options = {
        ...runOverrides(flags),
        ...(flags.columns ? { columns: flags.columns.split(',').map((c) => c.trim()).filter(Boolean) } : {}),
        ...(maxLevel !== undefined ? { maxLevel } : {}), ...(k !== undefined ? { k } : {}),
        ...(minSupport !== undefined ? { minSupport } : {}), ...(alpha !== undefined ? { alpha } : {}),
        ...(flags.error ? { errorKind: flags.error as 'misclassification' | 'loss' } : {}),
        ...(flags.holdout ? { holdout: true } : {}),
        onProgress: stderrProgress('slices'),
      };
      const sharded = shardOf(flags, spec);
      if (sharded) {
        writeState(sharded.state, await runSlicesShard(spec, { ...options, shard: sharded.shard }));
        return;
      }
      const run = (): Promise<SlicesReport> => runSlices(spec, options);
      const report = fromFlags ? await withFlagErrors(run) : await run();
      const toStdout = writeJson(flags.json, report);
      if (flags.html) { writeHtmlReport(flags.html, report); process.stderr.write(`wrote ${flags.html}\n`); }
      if (flags.csv) { writeFileSync(flags.csv, slicesCsv(report)); process.stderr.write(`wrote ${flags.csv}\n`); }
      if (!toStdout) process.stdout.write(`${formatSlicesReport(report)}\n`);
    });
}
