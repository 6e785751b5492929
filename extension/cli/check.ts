import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSpec, runCheck } from '../core/analyze';
import { budgetsToSarif } from '../core/report';
import { formatBudgets } from './formatCompare';
import { runOverrides, type RunFlags } from './runFlags';
import { workerScript } from './quant';
import { checkOutputs, specInputs, writeJson } from './output';
import { stderrProgress } from './progress';
import { CLI_VERSION } from './version';

interface CheckFlags extends RunFlags { spec: string; sarif?: string; json?: string | boolean; sarifBase?: string }

/** Exit code of `check` when a budget fails (DESIGN.md §5). */
export const EXIT_BUDGET_FAILED = 3;

export function registerCheck(program: Command): void {
  program.command('check')
    .description('run the analyses the spec\'s budgets need and check them: exit 0 when all hold, 3 when one fails (2 bad input, 1 failure)')
    .requiredOption('--spec <file>', 'analysis spec (*.bias.json) with "budgets"')
    .option('--sarif <file>', 'write a SARIF 2.1.0 log (one result per failing budget, at its line in the spec)')
    .option('--sarif-base <dir>', 'folder SARIF paths are relative to (default: the working directory, the repository root in CI)')
    .option('--json [file]', 'write the check report as JSON (stdout when no file or "-")')
    .option('--ep <providers>', 'execution providers: auto | cpu | webgpu | cuda | dml | coreml (comma list; default auto)')
    .option('--bootstrap <n>', 'bootstrap replicates (default: the spec\'s, or 200 when a budget uses its interval)')
    .option('--seed <n>', 'bootstrap seed')
    .option('--bootstrap-scheme <scheme>', 'multinomial (default) | poisson (keyed Poisson(1) row weights: the intervals of a sharded run, docs/SHARDING.md)')
    .option('--batch-size <n>', 'rows per inference batch (default 256)')
    .action(async (flags: CheckFlags) => {
      const spec = await loadSpec(resolve(flags.spec));
      checkOutputs({ '--json': flags.json, '--sarif': flags.sarif }, specInputs(spec));
      const worker = workerScript();
      const report = await runCheck(spec, {
        ...runOverrides(flags),
        ...(worker !== undefined ? { workerPath: worker } : {}),
        onProgress: stderrProgress('check'),
      });
      if (flags.sarif) {
        const log = budgetsToSarif(report.budgets, { toolVersion: CLI_VERSION, baseDir: resolve(flags.sarifBase ?? process.cwd()) });
        writeFileSync(flags.sarif, `${JSON.stringify(log, null, 2)}\n`);
        process.stderr.write(`wrote ${flags.sarif}\n`);
      }
      const toStdout = writeJson(flags.json, report);
      if (!toStdout) process.stdout.write(`${formatBudgets(report.budgets)}\n`);
      if (!report.ok) process.exitCode = EXIT_BUDGET_FAILED;
    });
}
