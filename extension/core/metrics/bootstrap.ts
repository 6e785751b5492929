/**
 * Percentile bootstrap intervals of the groups section (FORMULAS.md §B): each replicate draws n
 * rows with replacement (seeded xoshiro128**) — or, in the Poisson scheme, weighs each row by a
 * Poisson(1) draw keyed by (seed, row number, replicate) (docs/SHARDING.md §2) — recomputes every group metric and disparity from
 * the stored rows, and each estimate's interval is the percentile interval of its replicates.
 * Replicates yield to the event loop so that an AbortSignal can cancel a long run.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { BadInputError, throttleProgress, throwIfAborted, type ProgressFn } from '../errors';
import { metricValue } from './accumulator';
import type { Computed, DisparityValues, Layout } from './groupLayout';
import { rowKeysOf, poissonWeights } from './poisson';
import { percentileInterval, Xoshiro128 } from './stats';
import {
  FAIRNESS_NAMES, type DisparityIntervals, type DisparitySection, type FairnessName, type GroupEntry, type GroupsSection, type Interval,
  type MetricDisparity, type MetricRecord,
} from '../../protocol/groups';

/** How replicates resample rows (FORMULAS.md §B; docs/SHARDING.md §2). */
export type BootstrapScheme = 'multinomial' | 'poisson';

export interface BootstrapOptions {
  readonly replicates: number;
  readonly seed: number;
  readonly confidence: number;
  readonly scheme: BootstrapScheme;
  /** How the multinomial scheme's replicates were drawn (docs/BOOTSTRAP.md). */
  readonly sampler?: 'cells' | 'cells+rows' | 'rows' | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ProgressFn | undefined;
}

/** Most memory the bootstrap matrix (replicates × bootstrapped numbers, 8 bytes each) may take. */
export const BOOTSTRAP_MEMORY_LIMIT = 1024 ** 3;

/**
 * Multinomial resampling counts (n draws with replacement, seeded xoshiro128**): replicate b's
 * counts; must be called for b = 0, 1, 2, … in order (one generator runs through them).
 */
export function multinomialCounts(n: number, seed: number): (b: number) => Int32Array {
  const rng = new Xoshiro128(seed);
  const counts = new Int32Array(n);
  return () => {
    counts.fill(0);
    for (let j = 0; j < n; j++) {
      const i = rng.nextInt(n);
      counts[i] = (counts[i] as number) + 1;
    }
    return counts;
  };
}

/** Poisson(1) weights keyed by (seed, global row number, replicate): any order, any shard. */
export function poissonCounts(rowNumbers: ArrayLike<number>, seed: number): (b: number) => Int32Array {
  const keys = rowKeysOf(seed, rowNumbers);
  const counts = new Int32Array(rowNumbers.length);
  return (b) => {
    poissonWeights(keys, b, counts);
    return counts;
  };
}

/**
 * The section with an interval on every estimate and its `bootstrap` settings. `point` is the
 * computation of the section itself (it fixes the layout of the flat numbers); `replicate(b)`
 * recomputes everything for replicate b (called for b = 0, 1, 2, … in order).
 */
export async function withBootstrapIntervals(
  section: GroupsSection, layout: Layout, point: Computed, replicate: (b: number) => Computed, o: BootstrapOptions,
): Promise<GroupsSection> {
  const progress = throttleProgress(o.onProgress);
  const width = flatten(point).length;
  const bytes = o.replicates * width * 8;
  if (bytes > BOOTSTRAP_MEMORY_LIMIT) {
    const fits = Math.max(1, Math.floor(BOOTSTRAP_MEMORY_LIMIT / (width * 8)));
    throw new BadInputError('run.too-large',
      `bootstrap ${o.replicates}: ${o.replicates.toLocaleString('en-US')} replicates × ${width.toLocaleString('en-US')} numbers need ${(bytes / 1024 ** 3).toFixed(1)} GiB, over the 1 GiB limit; use at most ${fits.toLocaleString('en-US')} replicates for these groups`);
  }
  const matrix = new Float64Array(o.replicates * width);
  let lastYield = Date.now();
  for (let b = 0; b < o.replicates; b++) {
    if (Date.now() - lastYield > 50) {
      await yieldToEventLoop();
      lastYield = Date.now();
    }
    throwIfAborted(o.signal);
    matrix.set(flatten(replicate(b)), b * width);
    progress((b + 1) / o.replicates, `bootstrap ${b + 1}/${o.replicates}`);
  }
  const column = new Float64Array(o.replicates);
  let cursor = 0;
  const next = (): Interval => {
    for (let b = 0; b < o.replicates; b++) column[b] = matrix[b * width + cursor] as number;
    cursor++;
    return percentileInterval(column, o.confidence);
  };
  return {
    ...withIntervals(section, layout, next),
    bootstrap: { replicates: o.replicates, seed: o.seed, confidence: o.confidence, method: 'percentile', scheme: o.scheme, ...(o.sampler !== undefined ? { sampler: o.sampler } : {}) },
  };
}

/** The bootstrapped numbers of one computation, in the order `withIntervals` reads them. */
function flatten(c: Computed): Float64Array {
  const out: number[] = [];
  const metrics = (r: MetricRecord | null, names: readonly string[]): void => {
    for (const m of names) out.push(r === null ? NaN : metricValue(r, m));
  };
  const disparity = (d: DisparityValues): void => {
    for (let j = 0; j < d.difference.length; j++) {
      out.push(d.difference[j] as number, d.ratio[j] as number, d.toOverallDifference[j] as number, d.toOverallRatio[j] as number, d.worstValue[j] as number);
    }
    out.push(...d.fairness);
  };
  const names = Object.keys(c.overall).filter((k) => typeof (c.overall as unknown as Record<string, unknown>)[k] === 'number' && isIntervalMetric(k));
  metrics(c.overall, names);
  for (const r of c.slots) metrics(r, names);
  disparity(c.slotDisparity);
  for (const t of c.columns) {
    for (const r of t.records) metrics(r, names);
    disparity(t.disparity);
  }
  return Float64Array.from(out);
}

/** Counts are not estimates: no interval for them. */
function isIntervalMetric(name: string): boolean {
  return name !== 'count' && name !== 'nan_losses' && name !== 'positives' && name !== 'negatives';
}

/** The section with `ci` on every entry and disparity, read from `next` in `flatten`'s order (keys keep their places). */
function withIntervals(section: GroupsSection, layout: Layout, next: () => Interval): GroupsSection {
  const names = Object.keys(section.overall).filter(
    (k) => typeof (section.overall as Readonly<Record<string, unknown>>)[k] === 'number' && isIntervalMetric(k),
  );
  const ciOf = (): Record<string, Interval> => {
    const ci: Record<string, Interval> = {};
    for (const m of names) ci[m] = next();
    return ci;
  };
  const entry = <E extends GroupEntry>(g: E): E => ({ ...g, ci: ciOf() });
  const disparity = (d: DisparitySection): { section: DisparitySection; ci: DisparityIntervals | undefined } => {
    const out: Record<string, MetricDisparity | number | undefined> = { ...d };
    for (const metric of layout.metrics) {
      const difference = next();
      const ratio = next();
      const toOverallDifference = next();
      const toOverallRatio = next();
      const worstValue = next();
      out[metric] = { ...(d[metric] as MetricDisparity), ci: { difference, ratio, toOverallDifference, toOverallRatio, worstValue } };
    }
    const present = FAIRNESS_NAMES.filter((name) => d[name] !== undefined);
    if (present.length === 0) return { section: out, ci: undefined };
    const ci: Partial<Record<FairnessName, Interval>> = {};
    for (const name of present) ci[name] = next();
    return { section: out, ci };
  };
  const overall = { ...section.overall, ci: ciOf() };
  const byGroup = section.byGroup.map(entry);
  const top = disparity(section.disparity);
  const byColumn = section.byColumn.map((t) => {
    const groups = t.byGroup.map(entry);
    const d = disparity(t.disparity);
    return { ...t, byGroup: groups, disparity: d.section, ...(d.ci !== undefined ? { disparityCi: d.ci } : {}) };
  });
  return { ...section, overall, byGroup, disparity: top.section, byColumn, ...(top.ci !== undefined ? { disparityCi: top.ci } : {}) };
}
