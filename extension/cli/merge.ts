/**
 * `bias-inspector merge state-0 state-1 … --json report.json`: the report of a sharded run from
 * every shard's partial state (docs/SHARDING.md §3). Refuses states of other specs, repeated or
 * missing shards: a partial report is never written.
 */
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  BadInputError, mergeAttentionStates, mergeCompareStates, mergeShardStates, mergeSlicesStates, mergeThresholdsStates, readShardStates,
  type AttentionShardState, type CompareShardState, type GroupsShardState, type ShardPlacement, type ShardStateHeader, type SlicesShardState, type ThresholdsShardState,
} from '../core/analyze';
import { compareCsv, groupsCsv, slicesCsv, writeHtmlReport } from '../core/report';
import type { CompareReport } from '../protocol/compare';
import { formatCompare } from './formatCompare';
import { formatAttentionReport } from './formatAttention';
import type { AttentionReport } from '../protocol/attention';
import type { GroupsReport } from '../protocol/groups';
import type { SlicesReport } from '../protocol/slices';
import type { ThresholdsReport } from '../protocol/thresholds';
import { formatGroupsReport } from './formatGroups';
import { formatSlicesReport, formatThresholdsReport } from './formatSlices';
import { checkOutputs, writeJson } from './output';

interface MergeFlags { json?: string | boolean; html?: string; csv?: string; shardTiming?: string }

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
    .action(async (paths: string[], flags: MergeFlags) => {
      checkOutputs({ '--json': flags.json, '--html': flags.html, '--csv': flags.csv }, paths);
      const states = await readShardStates(paths);
      const placement = flags.shardTiming ? readPlacement(flags.shardTiming) : [];
      const report = await mergeAny(states, placement);
      if (flags.csv && (report.kind === 'thresholds' || report.kind === 'attention')) throw new BadInputError('cli.bad-flag', `--csv: ${report.kind === 'attention' ? 'an' : 'a'} ${report.kind} report has no CSV table; use --json or --html`);
      const toStdout = writeJson(flags.json, report);
      if (flags.html) { writeHtmlReport(flags.html, report); process.stderr.write(`wrote ${flags.html}\n`); }
      if (flags.csv) { writeFileSync(flags.csv, report.kind === 'slices' ? slicesCsv(report) : report.kind === 'compare' ? compareCsv(report.compare) : groupsCsv(report as GroupsReport)); process.stderr.write(`wrote ${flags.csv}\n`); }
      if (!toStdout) {
        const text = report.kind === 'attention' ? formatAttentionReport(report) : report.kind === 'slices' ? formatSlicesReport(report) : report.kind === 'compare' ? formatCompare(report.compare) : report.kind === 'thresholds' ? formatThresholdsReport(report, report.thresholds.front.length > 0) : formatGroupsReport(report);
        process.stdout.write(`${text}\n`);
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
