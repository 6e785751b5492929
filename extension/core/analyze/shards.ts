/**
 * Sharded runs (docs/SHARDING.md): the partial state a shard writes (`bias-inspector.state/1`)
 * and the merge of all shards' states into the report a single run gives. The CLI's
 * `--shard i/n --state file` writes a state; `bias-inspector merge` reads them back.
 */
import { readFile } from 'node:fs/promises';
import { BadInputError } from '../errors';
import { GroupMetricsBuilder } from '../metrics/groups';
import type { GroupsState } from '../metrics/groupsState';
import type { Shard } from '../data';
import { REPORT_SCHEMA, type ReportModel } from '../../protocol/report';
import type { GroupsReport, ShardRun } from '../../protocol/groups';
import type { RuntimeInfo } from '../../protocol/runtime';

export const STATE_SCHEMA = 'bias-inspector.state/1';

/** One shard's partial state of a groups run. */
export interface GroupsShardState {
  readonly schema: typeof STATE_SCHEMA;
  readonly analysis: 'groups';
  readonly shard: Shard;
  /** The spec the shard ran, and its sha256 (every shard must have run the same spec). */
  readonly spec: { readonly path: string; readonly sha256: string };
  readonly model: ReportModel | null;
  readonly runtime: RuntimeInfo | null;
  readonly data: { readonly path: string; readonly rows: number; readonly skippedRows: number; readonly skipReasons: Readonly<Record<string, number>> };
  readonly minGroupSize: number;
  /** Wall time of the shard's run, in seconds. */
  readonly seconds: number;
  readonly groups: GroupsState;
}

/** Reads and checks state files; errors name the file. */
export async function readShardStates(paths: readonly string[]): Promise<GroupsShardState[]> {
  if (paths.length === 0) throw new BadInputError('state.none', 'merge: name the state files of every shard');
  const states: GroupsShardState[] = [];
  for (const path of paths) {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a folder' : `not a JSON state (${err instanceof Error ? err.message : String(err)})`;
      throw new BadInputError('state.unreadable', `${path}: ${why}`, { file: path, cause: err });
    }
    const s = value as Partial<GroupsShardState> | null;
    if (!s || typeof s !== 'object' || s.schema !== STATE_SCHEMA) {
      throw new BadInputError('state.schema', `${path}: not a bias-inspector partial state (schema "${String((s as { schema?: unknown } | null)?.schema)}", expected "${STATE_SCHEMA}")`, { file: path });
    }
    if (s.analysis !== 'groups' || !s.shard || !s.groups || !s.spec || !s.data) {
      throw new BadInputError('state.schema', `${path}: a ${String(s.analysis)} state without its shard, spec, data or sums`, { file: path });
    }
    states.push(s as GroupsShardState);
  }
  return states;
}

/** Per-shard timing and placement, from the distributed runner (optional). */
export interface ShardPlacement {
  readonly shard: number;
  readonly seconds: number;
  readonly host: string;
  readonly pid?: number;
  /** Peak RSS of the worker's CLI processes so far, MB. */
  readonly peakRssMb?: number;
}

/**
 * Merges every shard's state into the groups report of a single run over all their rows (with
 * the Poisson bootstrap). Refuses states of different specs, repeated or missing shards.
 */
export async function mergeShardStates(states: readonly GroupsShardState[], placement: readonly ShardPlacement[] = [], signal?: AbortSignal): Promise<GroupsReport> {
  const first = states[0];
  if (!first) throw new BadInputError('state.none', 'merge: no states to merge');
  const count = first.shard.count;
  const seen = new Set<number>();
  for (const s of states) {
    if (s.spec.sha256 !== first.spec.sha256) {
      throw new BadInputError('state.mismatch', `merge: shard ${s.shard.index}/${s.shard.count} ran another spec (${s.spec.path}, sha256 ${s.spec.sha256.slice(0, 12)}…) than shard ${first.shard.index}/${count} (${first.spec.path}, ${first.spec.sha256.slice(0, 12)}…)`);
    }
    if (s.shard.count !== count) throw new BadInputError('state.mismatch', `merge: shard ${s.shard.index}/${s.shard.count} belongs to a run of ${s.shard.count} shards, not ${count}`);
    if (seen.has(s.shard.index)) throw new BadInputError('state.mismatch', `merge: shard ${s.shard.index}/${count} is given twice`);
    seen.add(s.shard.index);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new BadInputError('state.missing', `merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: a merged report covers every shard (a partial report is never written)`);
  }
  const ordered = [...states].sort((a, b) => a.shard.index - b.shard.index);
  const builder = GroupMetricsBuilder.fromStates(ordered.map((s) => s.groups));
  const groups = await builder.finish({ minGroupSize: first.minGroupSize, ...(signal ? { signal } : {}) });
  const skipReasons: Record<string, number> = {};
  for (const s of ordered) for (const [k, v] of Object.entries(s.data.skipReasons)) skipReasons[k] = (skipReasons[k] ?? 0) + v;
  const shards: ShardRun[] = ordered.map((s) => {
    const where = placement.find((p) => p.shard === s.shard.index);
    return {
      shard: s.shard.index, rows: s.data.rows, seconds: where?.seconds ?? s.seconds,
      provider: s.runtime?.used ?? null, ...(where ? { host: where.host } : {}),
      ...(where?.peakRssMb !== undefined ? { peakRssMb: Math.round(where.peakRssMb * 10) / 10 } : {}),
    };
  });
  return {
    schema: REPORT_SCHEMA, kind: 'groups', createdAt: new Date().toISOString(), spec: first.spec.path,
    model: first.model, runtime: first.runtime,
    data: {
      path: first.data.path,
      rows: ordered.reduce((n, s) => n + s.data.rows, 0),
      skippedRows: ordered.reduce((n, s) => n + s.data.skippedRows, 0),
      skipReasons,
    },
    groups,
    shards,
  };
}
