/**
 * Sharded comparisons (docs/SHARDING.md §6): a shard runs both sides over its rows and writes
 * A's and B's groups states (pass sums and Poisson replicate sums), the flips per unit keyed by
 * group values, and its first flipped rows of each kind; `mergeCompareStates` gives the report a
 * single run with the Poisson paired bootstrap (`bootstrapScheme: 'poisson'`) gives.
 */
import { BadInputError } from '../errors';
import type { ResolvedSpec, Shard } from '../data';
import { GroupMetricsBuilder } from '../metrics/groups';
import type { GroupsState } from '../metrics/groupsState';
import {
  checkPaired, compareSection, countFlips, DEFAULT_FLIP_ROWS, flipRows, recordDeltas, taskOf, unitsOf, type Unit,
} from '../metrics/compare';
import { FAIRNESS_NAMES } from '../metrics/groups';
import { REPORT_SCHEMA } from '../../protocol/report';
import { figureSection } from '../../protocol/budgets';
import type { CompareFlipRow, CompareReport, CompareSection, CompareSide } from '../../protocol/compare';
import { attachInputs, comparePasses, sha256File, shownColumns, side, type CompareRunOptions } from './compare';
import { AUTO_BOOTSTRAP, resolveRunOptions } from './options';
import { checkSameSettings, checkShardSet, firstSource, mergedData, refuseRowLimit, rowPassHeader, shardRuns, stateBudgets, type ShardPlacement, type ShardStateHeader } from './shards';

/** One shard's partial state of a comparison. */
export interface CompareShardState extends ShardStateHeader {
  readonly analysis: 'compare';
  readonly compare: {
    readonly settings: {
      readonly bootstrap: number; readonly seed: number; readonly minGroupSize: number; readonly flipRowsShown: number;
      /** Replicates of the candidate's own groups intervals (only when a budget checks one). */
      readonly groupsBootstrap: number;
    };
    readonly source: CompareSection['source'];
    readonly a: CompareSide;
    readonly b: CompareSide;
    readonly stateA: GroupsState;
    readonly stateB: GroupsState;
    /** Flips per unit present in the shard, keyed by level and group values. */
    readonly flips: readonly { readonly unit: string; readonly changed: number; readonly fixed: number; readonly broken: number }[];
    /** The shard's first `flipRowsShown` flipped rows of each kind, row order, with their inputs. */
    readonly flipRows: readonly CompareFlipRow[];
  };
}

const unitKey = (u: Pick<Unit, 'level' | 'group'>): string => `${u.level}|${JSON.stringify(u.group)}`;

/** Runs both sides over one shard's rows and returns the shard's state (Poisson bootstrap). */
export async function runCompareShard(spec: ResolvedSpec, options: CompareRunOptions & { readonly shard: Shard }): Promise<CompareShardState> {
  const started = Date.now();
  refuseRowLimit(resolveRunOptions(spec, options).maxRows);
  const sharded = { ...options, bootstrapScheme: 'poisson' as const };
  const { a, b, source, byPredictions, passA, passB, nameA, nameB } = await comparePasses(spec, sharded);
  const run = resolveRunOptions(spec, sharded);
  const bootstrap = run.bootstrap === 'auto' ? AUTO_BOOTSTRAP.min : run.bootstrap;
  const groupsBootstrap = (spec.budgets ?? []).some((x) => x.use === 'interval' && figureSection(x.figure) === 'groups') ? bootstrap : 0;
  const flipRowsShown = options.flipRowsShown ?? DEFAULT_FLIP_ROWS;
  const flips: { unit: string; changed: number; fixed: number; broken: number }[] = [];
  let shown: CompareFlipRow[] = [];
  if (passA.builder.rowCount > 0) {
    checkPaired(passA.builder, passB.builder, [nameA, nameB]);
    const layout = passA.builder.groupLayout();
    const units = unitsOf(layout);
    const rows = passA.builder.storedRows();
    const predB = passB.builder.storedRows().pred;
    const task = taskOf(passA.builder.replicate(null).overall);
    const counted = countFlips(units.length, layout, rows, predB, task !== 'regression');
    units.forEach((u, i) => flips.push({ unit: unitKey(u), changed: counted.changed[i]!, fixed: counted.fixed[i]!, broken: counted.broken[i]! }));
    const sensitive = Object.keys(layout.slotKeys[0] ?? {});
    if (task !== 'regression') shown = await attachInputs(flipRows(layout, rows, predB, sensitive, flipRowsShown, passA.rowNumbers, true), b.data, shownColumns(b), options.signal);
  }
  const [shaA, shaB] = byPredictions ? await Promise.all([sha256File(passA.dataPath), sha256File(passB.dataPath)]) : [null, null];
  const header = await rowPassHeader('compare', options.shard, spec.specPath, started, {
    model: passB.model, runtime: passB.runtime, dataPath: b.data, labels: { length: passB.builder.rowCount },
    skippedRows: passB.summary.skippedRows, skipReasons: passB.summary.skipReasons,
  });
  options.onProgress?.(1, 'done');
  return {
    ...header,
    ...(await stateBudgets(spec)),
    compare: {
      settings: { bootstrap, seed: run.seed, minGroupSize: run.minGroupSize, flipRowsShown, groupsBootstrap },
      source, a: side(passA, a, shaA), b: side(passB, b, shaB),
      stateA: passA.builder.exportState({ bootstrap, seed: run.seed }),
      stateB: passB.builder.exportState({ bootstrap, seed: run.seed }),
      flips, flipRows: shown,
    },
  };
}

/** Merges every shard's state into the comparison report of a single run (Poisson paired bootstrap). */
export async function mergeCompareStates(states: readonly CompareShardState[], placement: readonly ShardPlacement[] = [], signal?: AbortSignal): Promise<CompareReport & { shards: ReturnType<typeof shardRuns> }> {
  const ordered = checkShardSet(states);
  checkSameSettings(ordered, (s) => (s as CompareShardState).compare.settings, 'compare settings (--bootstrap, --seed, --min-group-size, --flip-rows, budgets)');
  checkSameSettings(ordered, (s) => {
    const c = (s as CompareShardState).compare;
    return { source: c.source, a: { model: c.a.model, sha256: c.a.sha256 }, b: { model: c.b.model, sha256: c.b.sha256 } };
  }, 'sides (models or prediction files)');
  const first = ordered[0]!.compare;
  const { bootstrap, seed, minGroupSize, flipRowsShown, groupsBootstrap } = first.settings;
  const A = GroupMetricsBuilder.fromStates(ordered.map((s) => s.compare.stateA));
  const B = GroupMetricsBuilder.fromStates(ordered.map((s) => s.compare.stateB));
  if (A.rowCount === 0) throw new BadInputError('no-rows', 'compare: no rows were evaluated');
  const layout = A.groupLayout();
  const lb = B.groupLayout();
  if (JSON.stringify([layout.slotKeys, layout.columnKeys]) !== JSON.stringify([lb.slotKeys, lb.columnKeys])) {
    throw new BadInputError('compare.rows-differ', `merge: ${first.a.model} and ${first.b.model}: the groups differ; a comparison needs the same rows`);
  }
  const units = unitsOf(layout);
  const index = new Map(units.map((u, i) => [unitKey(u), i]));
  const flips = { changed: new Float64Array(units.length), fixed: new Float64Array(units.length), broken: new Float64Array(units.length) };
  for (const s of ordered) {
    for (const f of s.compare.flips) {
      const i = index.get(f.unit);
      if (i === undefined) throw new BadInputError('state.mismatch', `merge: shard ${s.shard.index}/${s.shard.count} counts flips of ${f.unit}, a group its sums do not have`);
      flips.changed[i]! += f.changed; flips.fixed[i]! += f.fixed; flips.broken[i]! += f.broken;
    }
  }
  const pointA = A.mergedReplicate(null);
  const pointB = B.mergedReplicate(null);
  const task = taskOf(pointA.overall);
  const width = units.length * layout.metrics.length + (pointA.fairness.length > 0 ? FAIRNESS_NAMES.length : 0);
  const deltas = bootstrap > 0 ? await recordDeltas(units, layout.metrics, width, bootstrap, (r) => [A.mergedReplicate(r), B.mergedReplicate(r)], { signal }) : null;
  // The single run's list: broken, then fixed, then changed, each in row order, up to flipRowsShown.
  const all = ordered.flatMap((s) => s.compare.flipRows);
  const listed: CompareFlipRow[] = [];
  for (const kind of ['broken', 'fixed', 'changed'] as const) {
    for (const r of all.filter((x) => x.kind === kind).sort((x, y) => x.row - y.row)) if (listed.length < flipRowsShown) listed.push(r);
  }
  const compared = compareSection({
    layout, units, pointA, pointB, task, rows: A.rowCount, flips, deltas, replicates: bootstrap, seed, confidence: 0.95, minGroupSize, scheme: 'poisson',
    flipRows: [], flipRowsShown,
  });
  const candidate = groupsBootstrap > 0 ? B : GroupMetricsBuilder.fromStates(ordered.map((s) => ({ ...s.compare.stateB, bootstrap: null, replicates: [] })));
  const groups = await candidate.finish({ minGroupSize, ...(signal ? { signal } : {}) });
  const source = firstSource(ordered);
  return {
    schema: REPORT_SCHEMA, kind: 'compare', createdAt: new Date().toISOString(), spec: ordered[0]!.spec.path,
    model: source.model, runtime: source.runtime,
    data: mergedData(ordered),
    groups,
    compare: { a: first.a, b: first.b, source: first.source, ...compared, flipRows: task === 'regression' ? [] : listed },
    shards: shardRuns(ordered, placement),
  };
}
