/**
 * Sharded threshold what-if (docs/SHARDING.md §4): a shard's partial state holds, per merged
 * group value, its distinct scores with the number of positive and negative rows at each (an
 * exact sorted-score sketch). §F depends on the rows only through these counts (every curve,
 * hull and manual threshold counts rows by score and label), so the merge rebuilds the rows they
 * stand for and computes the report exactly as a single run does: equal, not just close.
 */
import type { ResolvedSpec, Shard } from '../data';
import type { ThresholdData } from '../metrics/thresholds';
import type { ThresholdsReport } from '../../protocol/thresholds';
import {
  checkSameSettings, checkShardSet, firstSource, mergedData, refuseRowLimit, rowPassHeader, shardRuns,
  type ShardPlacement, type ShardStateHeader,
} from './shards';
import { resolveRunOptions } from './options';
import { parseConstraint, parseObjective, thresholdRows, thresholdsReport, type ThresholdsRunOptions } from './thresholds';

/** One group's scores: ascending distinct values, rows with label 1 and with label 0 at each. */
export interface ScoreCounts {
  readonly name: string;
  readonly key: Readonly<Record<string, string>>;
  readonly scores: readonly number[];
  readonly positives: readonly number[];
  readonly negatives: readonly number[];
}

/** The settings every shard must share (they are the report's settings). */
export interface ThresholdsSettings {
  readonly constraint: string;
  readonly objective: string;
  readonly front: boolean;
  readonly steps: number;
  readonly baselineThreshold: number;
  readonly sensitive: readonly string[];
}

export interface ThresholdsShardState extends ShardStateHeader {
  readonly analysis: 'thresholds';
  readonly thresholds: ThresholdsSettings & {
    /** Rows left out for a missing sensitive value. */
    readonly skippedRows: number;
    readonly groups: readonly ScoreCounts[];
  };
}

/** Per group: the sorted distinct scores and their label counts (`rows` picks the group's rows). */
export function scoreCounts(name: string, key: Readonly<Record<string, string>>, scores: ArrayLike<number>, labels: ArrayLike<number>, rows: readonly number[]): ScoreCounts {
  const at = new Map<number, [number, number]>();
  for (const i of rows) {
    const s = scores[i]!;
    const c = at.get(s) ?? [0, 0];
    if (labels[i] === 1) c[0]++; else c[1]++;
    at.set(s, c);
  }
  const sorted = [...at.keys()].sort((a, b) => a - b);
  return { name, key, scores: sorted, positives: sorted.map((s) => at.get(s)![0]), negatives: sorted.map((s) => at.get(s)![1]) };
}

function settingsOf(spec: ResolvedSpec, options: ThresholdsRunOptions, constraint: string, objective: string): ThresholdsSettings {
  return {
    constraint, objective, front: options.front === true, steps: options.steps ?? 1000,
    baselineThreshold: options.baselineThreshold ?? 0.5, sensitive: spec.groups,
  };
}

/** Runs one shard of a thresholds analysis and returns its partial state. */
export async function runThresholdsShard(spec: ResolvedSpec, options: ThresholdsRunOptions & { readonly shard: Shard }): Promise<ThresholdsShardState> {
  const started = Date.now();
  refuseRowLimit(resolveRunOptions(spec, options).maxRows);
  const { pass, score, constraint, objective, merged, keys, skippedRows } = await thresholdRows(spec, options);
  const rowsOf = new Map<string, number[]>();
  merged.forEach((m, i) => { if (m !== null) { const list = rowsOf.get(m) ?? []; list.push(i); rowsOf.set(m, list); } });
  const groups = [...rowsOf.keys()].sort().map((name) => scoreCounts(name, keys.get(name)!, score, pass.labels, rowsOf.get(name)!));
  options.onProgress?.(1, 'done');
  return {
    ...(await rowPassHeader('thresholds', options.shard, spec.specPath, started, pass)),
    thresholds: { ...settingsOf(spec, options, constraint, objective), skippedRows, groups },
  };
}

/** Merges every shard's state into the thresholds report of a single run over all their rows. */
export function mergeThresholdsStates(states: readonly ThresholdsShardState[], placement: readonly ShardPlacement[] = []): ThresholdsReport {
  const ordered = checkShardSet(states);
  checkSameSettings(ordered, (s) => { const { skippedRows: _s, groups: _g, ...settings } = (s as ThresholdsShardState).thresholds; return settings; }, 'threshold settings');
  const settings = ordered[0]!.thresholds;
  const byName = new Map<string, { key: Readonly<Record<string, string>>; counts: Map<number, [number, number]> }>();
  for (const s of ordered) {
    for (const g of s.thresholds.groups) {
      const entry = byName.get(g.name) ?? { key: g.key, counts: new Map<number, [number, number]>() };
      g.scores.forEach((x, j) => {
        const c = entry.counts.get(x) ?? [0, 0];
        c[0] += g.positives[j]!; c[1] += g.negatives[j]!;
        entry.counts.set(x, c);
      });
      byName.set(g.name, entry);
    }
  }
  const groupNames = [...byName.keys()].sort();
  let n = 0;
  for (const e of byName.values()) for (const [p, q] of e.counts.values()) n += p + q;
  const scores = new Float64Array(n);
  const labels = new Uint8Array(n);
  const group = new Int32Array(n);
  let at = 0;
  groupNames.forEach((name, g) => {
    const counts = byName.get(name)!.counts;
    for (const x of [...counts.keys()].sort((a, b) => a - b)) {
      const [p, q] = counts.get(x)!;
      for (let k = 0; k < p; k++) { scores[at] = x; labels[at] = 1; group[at++] = g; }
      for (let k = 0; k < q; k++) { scores[at] = x; labels[at] = 0; group[at++] = g; }
    }
  });
  const data: ThresholdData = { scores, labels, group, groupNames };
  const keys = new Map(groupNames.map((name) => [name, { ...byName.get(name)!.key }]));
  const where = 'merge';
  const constraint = parseConstraint(settings.constraint, where);
  const objective = parseObjective(settings.objective, where);
  const source = { ...firstSource(ordered), ...mergedData(ordered), dataPath: ordered[0]!.data.path };
  const report = thresholdsReport(
    { specPath: ordered[0]!.spec.path, groups: [...settings.sensitive] },
    { constraint, objective, front: settings.front, steps: settings.steps, baselineThreshold: settings.baselineThreshold },
    data, keys, ordered.reduce((k, s) => k + s.thresholds.skippedRows, 0), source,
  );
  return { ...report, shards: shardRuns(ordered, placement) };
}
