import type { Command } from 'commander';
import { runThresholds, runThresholdsShard } from '../core/analyze';
import { shardOf, shardOptions, writeState } from './shardState';
import type { ThresholdsReport } from '../protocol/thresholds';
import { writeHtmlReport } from '../core/report';
import { formatThresholdsReport } from './formatSlices';
import { specFromFlags, type GroupsFlags } from './groups';
import { checkOutputs, specInputs, writeJson } from './output';
import { withFlagErrors } from './flagErrors';
import { stderrProgress } from './progress';
import { runOverrides } from './runFlags';
import { dataOptions } from './slices';

interface ThresholdsFlags extends GroupsFlags { constraint?: string; objective?: string; front?: boolean }

export function registerThresholds(program: Command): void {
  shardOptions(dataOptions(program.command('thresholds')
    .description('per-group thresholds as Fairlearn\'s ThresholdOptimizer chooses them, and the accuracy-vs-disparity front'))
    .option('--constraint <name>', 'demographic_parity | equalized_odds | true_positive_rate_parity | false_positive_rate_parity | true_negative_rate_parity | false_negative_rate_parity', 'demographic_parity')
    .option('--objective <name>', 'accuracy_score | balanced_accuracy_score | selection_rate | true_positive_rate | true_negative_rate', 'accuracy_score')
    .option('--front', 'also compute the relaxed front over ε = 0, 0.01, …, 0.20 (one-rate constraints)'))
    .action(async (flags: ThresholdsFlags) => {
      const fromFlags = flags.spec === undefined;
      const spec = fromFlags ? await withFlagErrors(() => specFromFlags(flags, 'thresholds')) : await specFromFlags(flags, 'thresholds');
      checkOutputs({ '--json': flags.json, '--html': flags.html }, specInputs(spec));
      const options = {
        ...runOverrides(flags),
        ...(flags.constraint ? { constraint: flags.constraint } : {}),
        ...(flags.objective ? { objective: flags.objective } : {}),
        front: flags.front === true,
        onProgress: stderrProgress('thresholds'),
      };
      const sharded = shardOf(flags, spec);
      if (sharded) {
        writeState(sharded.state, await runThresholdsShard(spec, { ...options, shard: sharded.shard }));
        return;
      }
      const run = (): Promise<ThresholdsReport> => runThresholds(spec, options);
      const report = fromFlags ? await withFlagErrors(run) : await run();
      const toStdout = writeJson(flags.json, report);
      if (flags.html) { writeHtmlReport(flags.html, report); process.stderr.write(`wrote ${flags.html}\n`); }
      if (!toStdout) process.stdout.write(`${formatThresholdsReport(report, flags.front === true)}\n`);
    });
}
