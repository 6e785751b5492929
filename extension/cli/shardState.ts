/**
 * `--shard i/n --state file` of the sharded analyses (docs/SHARDING.md): the flags' checks and the
 * writing of a shard's partial state (merge the shards with `bias-inspector merge`).
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { BadInputError, parseShard, type ResolvedSpec, type Shard } from '../core/analyze';
import { checkOutputs, specInputs } from './output';

export interface ShardFlags { shard?: string; state?: string; json?: string | boolean; html?: string; csv?: string }

/** Adds --shard and --state to an analysis command. */
export function shardOptions(command: Command): Command {
  return command
    .option('--shard <i/n>', 'evaluate only shard i of n (0-based) and write its mergeable state to --state (docs/SHARDING.md)')
    .option('--state <file>', 'with --shard: the partial state to write (merge the shards with `bias-inspector merge`)');
}

/** The shard to run, or null without --shard/--state; refuses half of the pair or a report flag. */
export function shardOf(flags: ShardFlags, spec: ResolvedSpec): { shard: Shard; state: string } | null {
  if (flags.shard === undefined && flags.state === undefined) return null;
  if (flags.shard === undefined || flags.state === undefined) {
    throw new BadInputError('cli.bad-flag', flags.shard === undefined ? `--state ${flags.state}: give the shard with --shard i/n` : `--shard ${flags.shard}: name the state file with --state <file>`);
  }
  if (flags.json !== undefined || flags.html || flags.csv) throw new BadInputError('cli.bad-flag', '--shard writes a partial state (--state), not a report: merge the shards with `bias-inspector merge … --json/--html`');
  checkOutputs({ '--state': flags.state }, specInputs(spec));
  return { shard: parseShard(flags.shard), state: flags.state };
}

export function writeState(path: string, state: { readonly shard: Shard; readonly data: { readonly rows: number } }): void {
  writeFileSync(path, JSON.stringify(state));
  process.stderr.write(`wrote ${path} (shard ${state.shard.index}/${state.shard.count}: ${state.data.rows.toLocaleString('en-US')} rows)\n`);
}
