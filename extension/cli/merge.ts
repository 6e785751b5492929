/**
 * `bias-inspector merge state-0 state-1 … --json report.json`: the report of a sharded run from
 * every shard's partial state (docs/SHARDING.md §3). Refuses states of other specs, repeated or
 * missing shards: a partial report is never written.
 */
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  BadInputError, stateBudgetResults, withStateBudgets, mergeAttentionStates, mergeCompareStates, mergeShardStates, mergeSlicesStates, mergeThresholdsStates, readShardStates,
  type AttentionShardState, type CompareShardState, type GroupsShardState, type ShardPlacement, type ShardStateHeader, type SlicesShardState, type ThresholdsShardState,
} from '../core/analyze';
import { budgetsToSarif, compareCsv, groupsCsv, slicesCsv, writeHtmlReport } from '../core/report';
import { resolve } from 'node:path';
import { EXIT_BUDGET_FAILED } from './check';
import { CLI_VERSION } from './version';
import type { CompareReport } from '../protocol/compare';
import { formatBudgets, formatCompare } from './formatCompare';
import { formatAttentionReport } from './formatAttention';
import type { AttentionReport } from '../protocol/attention';
import type { GroupsReport } from '../protocol/groups';
import type { SlicesReport } from '../protocol/slices';
import type { ThresholdsReport } from '../protocol/thresholds';
import { formatGroupsReport } from './formatGroups';
import { formatSlicesReport, formatThresholdsReport } from './formatSlices';
import { checkOutputs, writeJson } from './output';

interface MergeFlags { json?: string | boolean; html?: string; csv?: string; shardTiming?: string; check?: boolean; sarif?: string; sarifBase?: string }

function readPlacement(path: string): ShardPlacement[] {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (!Array.isArray(value)) throw new Error('expected a JSON array');
    return value as ShardPlacement[];
  } catch (err) {
    throw new BadInputError('cli.bad-flag', `--shard-timing ${path}: ${err instanceof Error ? err.message : String(err)}`, { file: path });
  }
}

export function registerMerge(program: Command): void {
  program.command('merge')
    .description('merge the partial states of a sharded run (--shard i/n --state …) into one report')
    .argument('<states...>', 'state files of every shard')
    .option('--json [file]', 'write the report as JSON (stdout when no file or "-")')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--csv <file>', 'write the per-group table as CSV')
    .option('--shard-timing <file>', 'per-shard timing and host (written by the Dask runner)')
    .option('--check', 'gate on the spec\'s budgets as `bias-inspector check` does: exit 3 when one fails')
    .option('--sarif <file>', 'with --check: write a SARIF 2.1.0 log (one result per failing budget, at its line in the spec)')
    .option('--sarif-base <dir>', 'folder SARIF paths are relative to (default: the working directory)')
    .action(async (paths: string[], flags: MergeFlags) => {
      checkOutputs({ '--json': flags.json, '--html': flags.html, '--csv': flags.csv, '--sarif': flags.sarif }, paths);
      if (flags.sarif && !flags.check) throw new BadInputError('cli.bad-flag', `--sarif ${flags.sarif}: give --check too (the SARIF log lists the failing budgets of the gate)`);
      const states = await readShardStates(paths);
      const placement = flags.shardTiming ? readPlacement(flags.shardTiming) : [];
      const merged = await mergeAny(states, placement);
      // budgets as the single run's command adds them: groups and compare reports (withBudgets)
      const report = merged.kind === 'groups' || merged.kind === 'compare' ? withStateBudgets(merged, states) : merged;
      const budgets = 'budgets' in report ? report.budgets : undefined;
      // the gate, as `check`: every budget of the spec, a figure this report lacks failing
      const gate = flags.check ? stateBudgetResults(report, states, true) : [];
      if (flags.check && gate.length === 0) {
        throw new BadInputError('check.no-budgets', `merge --check: the spec${states[0]!.spec.path ? ` ${states[0]!.spec.path}` : ''} has no "budgets" to check (its shards carried none)`);
      }
      if (flags.csv && (report.kind === 'thresholds' || report.kind === 'attention')) throw new BadInputError('cli.bad-flag', `--csv: ${report.kind === 'attention' ? 'an' : 'a'} ${report.kind} report has no CSV table; use --json or --html`);
      const toStdout = writeJson(flags.json, report);
      if (flags.html) { writeHtmlReport(flags.html, report); process.stderr.write(`wrote ${flags.html}\n`); }
      if (flags.csv) { writeFileSync(flags.csv, report.kind === 'slices' ? slicesCsv(report) : report.kind === 'compare' ? compareCsv(report.compare) : groupsCsv(report as GroupsReport)); process.stderr.write(`wrote ${flags.csv}\n`); }
      if (!toStdout) {
        const text = report.kind === 'attention' ? formatAttentionReport(report) : report.kind === 'slices' ? formatSlicesReport(report) : report.kind === 'compare' ? formatCompare(report.compare) : report.kind === 'thresholds' ? formatThresholdsReport(report, report.thresholds.front.length > 0) : formatGroupsReport(report);
        process.stdout.write(`${text}\n`);
        const shown = flags.check ? gate : budgets ?? [];
        if (shown.length) process.stdout.write(`\n${formatBudgets(shown)}\n`);
      }
      if (flags.check) {
        if (flags.sarif) {
          const log = budgetsToSarif(gate, { toolVersion: CLI_VERSION, baseDir: resolve(flags.sarifBase ?? process.cwd()) });
          writeFileSync(flags.sarif, `${JSON.stringify(log, null, 2)}\n`);
          process.stderr.write(`wrote ${flags.sarif}\n`);
        }
        if (!gate.every((b) => b.ok)) process.exitCode = EXIT_BUDGET_FAILED;
      }
    });
}

/** The merged report of the states' analysis (readShardStates checked they share one). */
async function mergeAny(states: ShardStateHeader[], placement: ShardPlacement[]): Promise<GroupsReport | ThresholdsReport | SlicesReport | CompareReport | AttentionReport> {
  switch (states[0]!.analysis) {
    case 'groups': return mergeShardStates(states as GroupsShardState[], placement);
    case 'thresholds': return mergeThresholdsStates(states as ThresholdsShardState[], placement);
    case 'slices': return mergeSlicesStates(states as SlicesShardState[], placement);
    case 'compare': return mergeCompareStates(states as CompareShardState[], placement);
    case 'attention': return mergeAttentionStates(states as AttentionShardState[], placement);
  }
}
