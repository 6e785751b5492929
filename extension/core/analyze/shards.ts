/**
 * Sharded runs (docs/SHARDING.md): the partial state a shard writes (`bias-inspector.state/1`)
 * and the merge of all shards' states into the report a single run gives. The CLI's
 * `--shard i/n --state file` writes a state; `bias-inspector merge` reads them back.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BadInputError } from '../errors';
import { GroupMetricsBuilder } from '../metrics/groups';
import type { GroupsState } from '../metrics/groupsState';
import type { Shard } from '../data';
import { REPORT_SCHEMA, type ReportModel } from '../../protocol/report';
import type { GroupsReport, ShardRun } from '../../protocol/groups';
import type { RuntimeInfo } from '../../protocol/runtime';
import type { BudgetResult, BudgetSpec } from '../../protocol/budgets';
import { evaluateBudgets } from '../report/budgets';
import type { ResolvedSpec } from '../data';

export const STATE_SCHEMA = 'bias-inspector.state/1';

/** Analyses whose shards write a partial state. */
export const SHARDED_ANALYSES = ['groups', 'thresholds', 'slices', 'compare', 'attention'] as const;
export type ShardedAnalysis = (typeof SHARDED_ANALYSES)[number];

/** What every partial state holds besides its analysis' sums (docs/SHARDING.md §3). */
export interface ShardStateHeader {
  readonly schema: typeof STATE_SCHEMA;
  readonly analysis: ShardedAnalysis;
  readonly shard: Shard;
  /** The spec the shard ran, and its sha256 (every shard must have run the same spec). */
  readonly spec: { readonly path: string; readonly sha256: string };
  readonly model: ReportModel | null;
  readonly runtime: RuntimeInfo | null;
  readonly data: { readonly path: string; readonly rows: number; readonly skippedRows: number; readonly skipReasons: Readonly<Record<string, number>> };
  /** Wall time of the shard's run, in seconds. */
  readonly seconds: number;
  /** The spec's budgets (groups and compare shards), for the merged report: see `withStateBudgets`. */
  readonly budgets?: StateBudgets;
}

/** A spec's budgets and its text (their line and column in the spec), carried by a state. */
export interface StateBudgets {
  readonly specs: readonly BudgetSpec[];
  readonly text?: string;
}

/** The state field of a spec's budgets (none without budgets); the text is read for their locations. */
export async function stateBudgets(spec: ResolvedSpec): Promise<{ budgets?: StateBudgets }> {
  if (!spec.budgets?.length) return {};
  let text: string | undefined;
  try {
    text = spec.specPath ? await readFile(spec.specPath, 'utf8') : undefined;
  } catch {
    text = undefined;
  }
  return { budgets: { specs: spec.budgets, ...(text !== undefined ? { text } : {}) } };
}

/**
 * The merged report with the spec's budgets on its sections, as the single run's command adds
 * them (`withBudgets`: groups and compare): the budgets the shards carried (every shard ran the
 * same spec: same sha256), located in the spec text they carried.
 */
export function withStateBudgets<R extends object>(report: R, states: readonly ShardStateHeader[]): R & { budgets?: BudgetResult[] } {
  const results = stateBudgetResults(report, states);
  return results.length ? { ...report, budgets: results } : report;
}

/**
 * The carried budgets evaluated on a merged report; `all` (the gate of `merge --check`, as
 * `check`): every budget, a figure the report lacks failing, instead of those on its sections.
 */
export function stateBudgetResults(report: object, states: readonly ShardStateHeader[], all = false): BudgetResult[] {
  const first = states[0];
  const budgets = first?.budgets;
  if (!first || !budgets?.specs.length) return [];
  return evaluateBudgets(report, budgets.specs, { file: first.spec.path, ...(budgets.text !== undefined ? { text: budgets.text } : {}) }, { all });
}

/** One shard's partial state of a groups run. */
export interface GroupsShardState extends ShardStateHeader {
  readonly analysis: 'groups';
  readonly minGroupSize: number;
  readonly groups: GroupsState;
}

/** The part of a state file its analysis must have (checked when it is read). */
const BODY: Record<ShardedAnalysis, string> = { groups: 'groups', thresholds: 'thresholds', slices: 'slices', compare: 'compare', attention: 'attention' };

/** Reads and checks state files; errors name the file. */
export async function readShardStates(paths: readonly string[]): Promise<ShardStateHeader[]> {
  if (paths.length === 0) throw new BadInputError('state.none', 'merge: name the state files of every shard');
  const states: ShardStateHeader[] = [];
  for (const path of paths) {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a folder' : `not a JSON state (${err instanceof Error ? err.message : String(err)})`;
      throw new BadInputError('state.unreadable', `${path}: ${why}`, { file: path, cause: err });
    }
    const s = value as (Partial<ShardStateHeader> & Record<string, unknown>) | null;
    if (!s || typeof s !== 'object' || s.schema !== STATE_SCHEMA) {
      const schema = String((s as { schema?: unknown } | null)?.schema);
      const other = /^bias-inspector\.state\/\d+$/.test(schema);
      throw new BadInputError('state.schema', `${path}: ${other ? `a partial state of another version (schema "${schema}"); this bias-inspector reads "${STATE_SCHEMA}": run every shard and the merge with the same version` : `not a bias-inspector partial state (schema "${schema}", expected "${STATE_SCHEMA}")`}`, { file: path });
    }
    const analysis = s.analysis as ShardedAnalysis | undefined;
    if (!analysis || !(SHARDED_ANALYSES as readonly string[]).includes(analysis)) {
      throw new BadInputError('state.schema', `${path}: a state of analysis "${String(s.analysis)}"; merge reads ${SHARDED_ANALYSES.join(', ')}`, { file: path });
    }
    if (!s.shard || !s[BODY[analysis]] || !s.spec || !s.data) {
      throw new BadInputError('state.schema', `${path}: a ${analysis} state without its shard, spec, data or sums`, { file: path });
    }
    states.push(s as unknown as ShardStateHeader);
  }
  const kinds = [...new Set(states.map((s) => s.analysis))];
  if (kinds.length > 1) throw new BadInputError('state.mismatch', `merge: the states are of different analyses (${kinds.join(', ')}); merge the shards of one run`);
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
 * Checks that the states are every shard of one run of one spec, each once, and returns them in
 * shard order. Refuses states of different specs or analyses, repeated or missing shards.
 */
export function checkShardSet<T extends ShardStateHeader>(states: readonly T[]): T[] {
  const first = states[0];
  if (!first) throw new BadInputError('state.none', 'merge: no states to merge');
  const count = first.shard.count;
  const seen = new Set<number>();
  for (const s of states) {
    if (s.analysis !== first.analysis) throw new BadInputError('state.mismatch', `merge: shard ${s.shard.index}/${s.shard.count} is a ${s.analysis} state, shard ${first.shard.index}/${count} a ${first.analysis} state`);
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
  return [...states].sort((a, b) => a.shard.index - b.shard.index);
}

/** Refuses shards whose analysis settings differ (compared as JSON); `what` names them. */
export function checkSameSettings(ordered: readonly ShardStateHeader[], settings: (s: ShardStateHeader) => unknown, what: string): void {
  const first = ordered[0];
  if (!first) return;
  const want = JSON.stringify(settings(first));
  for (const s of ordered) {
    const got = JSON.stringify(settings(s));
    if (got !== want) throw new BadInputError('state.mismatch', `merge: shard ${s.shard.index}/${s.shard.count} ran with other ${what} (${got}) than shard ${first.shard.index} (${want})`);
  }
}

/** The data counts of all shards together (rows and skips add up: docs/SHARDING.md §1). */
export function mergedData(ordered: readonly ShardStateHeader[]): GroupsReport['data'] {
  const skipReasons: Record<string, number> = {};
  for (const s of ordered) for (const [k, v] of Object.entries(s.data.skipReasons)) skipReasons[k] = (skipReasons[k] ?? 0) + v;
  return {
    path: ordered[0]?.data.path ?? '',
    rows: ordered.reduce((n, s) => n + s.data.rows, 0),
    skippedRows: ordered.reduce((n, s) => n + s.data.skippedRows, 0),
    skipReasons,
  };
}

/** Per-shard rows, time, host and provider for the report's `shards`. */
export function shardRuns(ordered: readonly ShardStateHeader[], placement: readonly ShardPlacement[]): ShardRun[] {
  return ordered.map((s) => {
    const where = placement.find((p) => p.shard === s.shard.index);
    return {
      shard: s.shard.index, rows: s.data.rows, seconds: where?.seconds ?? s.seconds,
      provider: s.runtime?.used ?? null, ...(where ? { host: where.host } : {}),
      ...(where?.peakRssMb !== undefined ? { peakRssMb: Math.round(where.peakRssMb * 10) / 10 } : {}),
    };
  });
}

/** The model the first shard that ran one saw (an empty shard of a small file runs none). */
export function firstSource(ordered: readonly ShardStateHeader[]): Pick<ShardStateHeader, 'model' | 'runtime'> {
  const s = ordered.find((x) => x.model !== null) ?? ordered[0]!;
  return { model: s.model, runtime: s.runtime };
}

/**
 * Merges every shard's state into the groups report of a single run over all their rows (with
 * the Poisson bootstrap). Refuses states of different specs, repeated or missing shards.
 */
export async function mergeShardStates(states: readonly GroupsShardState[], placement: readonly ShardPlacement[] = [], signal?: AbortSignal): Promise<GroupsReport> {
  const ordered = checkShardSet(states);
  const first = ordered[0]!;
  const builder = GroupMetricsBuilder.fromStates(ordered.map((s) => s.groups));
  const groups = await builder.finish({ minGroupSize: first.minGroupSize, ...(signal ? { signal } : {}) });
  return {
    schema: REPORT_SCHEMA, kind: 'groups', createdAt: new Date().toISOString(), spec: first.spec.path,
    model: first.model, runtime: first.runtime,
    data: mergedData(ordered),
    groups,
    shards: shardRuns(ordered, placement),
  };
}

/** sha256 of the spec file a shard ran ('' for a spec built from flags). */
export async function specSha256(specPath: string): Promise<string> {
  return specPath ? createHash('sha256').update(await readFile(specPath)).digest('hex') : '';
}

/** A shard cannot stop after N rows: the shards together would not be the file's first N rows. */
export function refuseRowLimit(maxRows: number): void {
  if (maxRows > 0) {
    throw new BadInputError('cli.bad-flag', `max rows ${maxRows}: a sharded run covers every row of the data (the shards together are the whole file); drop --max-rows (or the spec's maxRows), or shard a smaller file`);
  }
}

/** The header of a row-pass analysis' state (slices, thresholds): the shard's own rows, used and skipped. */
export async function rowPassHeader<A extends ShardedAnalysis>(
  analysis: A, shard: Shard, specPath: string, started: number,
  pass: { readonly model: ReportModel | null; readonly runtime: RuntimeInfo | null; readonly dataPath: string; readonly labels: ArrayLike<number>; readonly skippedRows: number; readonly skipReasons: Readonly<Record<string, number>> },
): Promise<ShardStateHeader & { readonly analysis: A }> {
  return {
    schema: STATE_SCHEMA, analysis, shard,
    spec: { path: specPath, sha256: await specSha256(specPath) },
    model: pass.model, runtime: pass.runtime,
    // the shard's own rows (used and skipped): the shards' counts add up to the file's
    data: { path: pass.dataPath, rows: pass.labels.length + pass.skippedRows, skippedRows: pass.skippedRows, skipReasons: pass.skipReasons },
    seconds: (Date.now() - started) / 1000,
  };
}
