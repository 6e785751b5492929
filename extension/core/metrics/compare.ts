/**
 * Two models on the same rows (FORMULAS.md §G): per group and intersection every §B metric for
 * A and B, Δ = B − A with a paired bootstrap interval, flips (fixed / broken), McNemar's exact
 * test with Benjamini–Hochberg q-values, a verdict per group and the worst Δ per metric.
 *
 * Each side is a GroupMetricsBuilder fed the same rows in the same order (so the same groups
 * get the same slots); the builders own the §B definitions, this module only pairs them. A
 * paired replicate draws one resample of the rows and applies it to both sides: count-based, over
 * cells of (groups, label, A's prediction, B's prediction, …) (docs/BOOTSTRAP.md), or as n row
 * indices when a side needs rows (the dice loss).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { BadInputError, throttleProgress, throwIfAborted, type ProgressFn } from '../errors';
import type { MetricRecord } from './accumulator';
import { FAIRNESS_NAMES, type GroupKey, type GroupMetricsBuilder, type Interval } from './groups';
import { CellResampler } from './cellBootstrap';
import { benjaminiHochberg, mcnemarExact } from './mcnemar';
import { percentileInterval, Xoshiro128 } from './stats';
import { poissonCounts } from './bootstrap';
import { REGRESSION_COMPARE_NOTE, type CompareFlipRow, type CompareGroup, type CompareMetric, type CompareSection, type CompareVerdict, type CompareWorstDelta } from '../../protocol/compare';

/** Default number of flipped rows listed in the report. */
export const DEFAULT_FLIP_ROWS = 200;
/** Significance level of the verdict (on BH q-values). */
export const VERDICT_ALPHA = 0.05;

export interface CompareOptions {
  readonly minGroupSize?: number;
  /** Paired bootstrap replicates (0 = no intervals). */
  readonly bootstrap?: number;
  readonly seed?: number;
  readonly confidence?: number;
  /** How many flipped rows to list (default 200). */
  readonly flipRowsShown?: number;
  /** Data row number of each stored row (default: its index + 1), for the flip list. */
  readonly rowNumbers?: ArrayLike<number>;
  /** 'rows' draws the paired replicates as n row indices instead of the count-based draws (docs/BOOTSTRAP.md; same distribution): for cross-checks. */
  readonly sampler?: 'auto' | 'rows';
  /** Names of the two sides, for messages. */
  readonly names?: readonly [string, string];
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
  /**
   * Resampling of the paired bootstrap (default multinomial). Poisson: replicate r weights every
   * row by the keyed Poisson(1) draw of its data row number (`rowNumbers`), the same on both
   * sides — the scheme whose replicates a sharded run can sum (docs/SHARDING.md §6).
   */
  readonly scheme?: 'multinomial' | 'poisson';
}

/** The section without the sides' identities, which the analysis adds. */
export type ComparedGroups = Omit<CompareSection, 'a' | 'b' | 'source'>;

/** How a metric's worst Δ is chosen. */
export function worstDirection(metric: string): 'lowest' | 'highest' | 'largest-abs' {
  if (metric === 'selection_rate') return 'largest-abs';
  return ['accuracy', 'tpr', 'tnr', 'precision', 'macro_f1'].includes(metric) ? 'lowest' : 'highest';
}

/** McNemar verdict: worse when q < 0.05 and more rows broke than were fixed, better the other way. */
export function verdictOf(q: number, broken: number, fixed: number): CompareVerdict {
  if (!(q < VERDICT_ALPHA)) return 'same';
  return broken > fixed ? 'worse' : fixed > broken ? 'better' : 'same';
}

export interface Unit {
  group: GroupKey | 'overall';
  level: CompareGroup['level'];
  /** Reads this unit's record from a replicate's records. */
  pick: (r: Records) => MetricRecord | null;
}
export type Records = ReturnType<GroupMetricsBuilder['replicate']>;

function sameKeys(x: readonly GroupKey[], y: readonly GroupKey[]): boolean {
  return x.length === y.length && x.every((k, i) => JSON.stringify(k) === JSON.stringify(y[i]));
}

/** Checks that both builders hold the same rows: labels, weights and groups. */
export function checkPaired(a: GroupMetricsBuilder, b: GroupMetricsBuilder, names: readonly [string, string]): void {
  const ra = a.storedRows();
  const rb = b.storedRows();
  const differ = (what: string): BadInputError =>
    new BadInputError('compare.rows-differ', `${names[0]} and ${names[1]}: ${what}; a comparison needs the same rows in the same order`);
  if (ra.n !== rb.n) throw differ(`${ra.n} rows against ${rb.n}`);
  for (let i = 0; i < ra.n; i++) {
    if (ra.label[i] !== rb.label[i]) throw differ(`row ${i + 1} has label ${ra.label[i]} in one and ${rb.label[i]} in the other`);
    if (ra.weight[i] !== rb.weight[i]) throw differ(`row ${i + 1} has weight ${ra.weight[i]} in one and ${rb.weight[i]} in the other`);
  }
  if (ra.codes.length !== rb.codes.length) throw differ('the sensitive columns differ');
  ra.codes.forEach((codes, c) => {
    const other = rb.codes[c] as Int32Array;
    for (let i = 0; i < ra.n; i++) if (codes[i] !== other[i]) throw differ(`row ${i + 1} is in different groups`);
  });
  const la = a.groupLayout();
  const lb = b.groupLayout();
  if (!sameKeys(la.slotKeys, lb.slotKeys) || la.columnKeys.some((keys, c) => !sameKeys(keys, lb.columnKeys[c] ?? []))) throw differ('the groups differ');
}

/** Compares two builders fed the same rows (A = baseline, B = candidate). */
export async function compareBuilders(a: GroupMetricsBuilder, b: GroupMetricsBuilder, options: CompareOptions = {}): Promise<ComparedGroups> {
  const names = options.names ?? ['A', 'B'];
  if (a.rowCount === 0) throw new BadInputError('no-rows', 'compare: no rows were evaluated');
  checkPaired(a, b, names);
  const minGroupSize = options.minGroupSize ?? 30;
  const replicates = options.bootstrap ?? 0;
  const seed = options.seed ?? 0;
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new BadInputError('bad-confidence', `confidence: ${confidence} is not in (0, 1)`);
  const layout = a.groupLayout();
  const sensitive = Object.keys(layout.slotKeys[0] ?? {});
  const units = unitsOf(layout);
  const metrics = layout.metrics;
  const pointA = a.replicate(null);
  const pointB = b.replicate(null);
  const task = taskOf(pointA.overall);
  const rows = a.storedRows();
  const predB = b.storedRows().pred;
  const regression = task === 'regression';
  const flips = countFlips(units.length, layout, rows, predB, !regression);

  const binary = pointA.fairness.length > 0;
  const width = units.length * metrics.length + (binary ? FAIRNESS_NAMES.length : 0);
  let deltas: Float64Array | null = null;
  if (replicates > 0 && options.scheme === 'poisson') {
    const draw = poissonCounts(options.rowNumbers ?? Uint32Array.from({ length: rows.n }, (_, i) => i + 1), seed);
    deltas = await recordDeltas(units, metrics, width, replicates, (r) => { const counts = draw(r); return [a.replicate(counts), b.replicate(counts)]; }, options);
  } else if (replicates > 0) deltas = await pairedDeltas(a, b, units, metrics, width, { replicates, seed, rows: options.sampler === 'rows', signal: options.signal, onProgress: options.onProgress });
  return compareSection({
    layout, units, pointA, pointB, task, rows: rows.n, flips, deltas, replicates, seed, confidence, minGroupSize, scheme: options.scheme ?? 'multinomial',
    flipRows: task === 'regression' ? [] : flipRows(layout, rows, predB, sensitive, options.flipRowsShown ?? DEFAULT_FLIP_ROWS, options.rowNumbers),
    flipRowsShown: options.flipRowsShown ?? DEFAULT_FLIP_ROWS,
  });
}

/** What a comparison section is made of, from rows (compareBuilders) or merged shard states (compareState.ts). */
export interface CompareParts {
  readonly layout: ReturnType<GroupMetricsBuilder['groupLayout']>;
  readonly units: readonly Unit[];
  readonly pointA: Records;
  readonly pointB: Records;
  readonly task: CompareSection['task'];
  readonly rows: number;
  /** Per unit (unitsOf order). */
  readonly flips: { readonly changed: Float64Array; readonly fixed: Float64Array; readonly broken: Float64Array };
  /** Δ per replicate, row-major (replicates × width), or null without a bootstrap. */
  readonly deltas: Float64Array | null;
  readonly replicates: number;
  readonly seed: number;
  readonly confidence: number;
  readonly minGroupSize: number;
  readonly scheme: 'multinomial' | 'poisson';
  readonly flipRows: CompareFlipRow[];
  readonly flipRowsShown: number;
}

/** The comparison section from its parts: McNemar with BH q, verdicts, intervals, worst Δ. */
export function compareSection(p: CompareParts): ComparedGroups {
  const { layout, units, pointA, pointB, task, flips, deltas, replicates, seed, confidence, minGroupSize } = p;
  const regression = task === 'regression';
  const sensitive = Object.keys(layout.slotKeys[0] ?? {});
  const metrics = layout.metrics;
  const binary = pointA.fairness.length > 0;
  const width = units.length * metrics.length + (binary ? FAIRNESS_NAMES.length : 0);
  const column = new Float64Array(replicates);
  const ciAt = (j: number): Interval | undefined => {
    if (deltas === null) return undefined;
    for (let r = 0; r < replicates; r++) column[r] = deltas[r * width + j] as number;
    return percentileInterval(column, confidence);
  };

  const pValues = units.map((_, u) => (task === 'regression' ? NaN : mcnemarExact(flips.broken[u] as number, flips.fixed[u] as number)));
  const family = pValues.map((p, u) => (u === 0 ? NaN : p));
  const q = benjaminiHochberg(family);
  q[0] = pValues[0] as number; // overall is not in the family: its q is its p

  const byGroup: CompareGroup[] = units.map((unit, u) => {
    const ra = unit.pick(pointA);
    const rb = unit.pick(pointB);
    const count = ra?.count ?? 0;
    const values: Record<string, CompareMetric> = {};
    metrics.forEach((m, j) => {
      const va = metricOf(ra, m);
      const vb = metricOf(rb, m);
      const ci = ciAt(u * metrics.length + j);
      values[m] = { a: va, b: vb, delta: vb - va, ...(ci ? { ci } : {}) };
    });
    // regression: no predicted classes, so no flips, no test and no verdict (NaN is null in JSON)
    const fixed = regression ? NaN : flips.fixed[u] as number;
    const broken = regression ? NaN : flips.broken[u] as number;
    const changed = regression ? NaN : flips.changed[u] as number;
    const qu = q[u] as number;
    return {
      group: unit.group, level: unit.level, count, metrics: values,
      flips: { count: changed, share: count === 0 ? NaN : changed / count, fixed, broken },
      mcnemar: { p: pValues[u] as number, q: qu },
      verdict: regression ? 'none' as const : verdictOf(qu, broken, fixed),
      ...(unit.level !== 'overall' && count < minGroupSize ? { small: true as const } : {}),
    };
  });

  const section: ComparedGroups = {
    task, verdictBasis: regression ? 'none' : 'mcnemar', ...(regression ? { note: REGRESSION_COMPARE_NOTE } : {}), sensitive, rows: p.rows, minGroupSize,
    ...(replicates > 0 ? { bootstrap: { replicates, seed, confidence, method: 'paired-percentile' as const, ...(p.scheme === 'poisson' ? { scheme: 'poisson' as const } : {}) } } : {}),
    byGroup,
    worstDelta: worstDeltas(byGroup, metrics),
    ...(binary ? { disparity: fairnessDeltas(pointA.fairness, pointB.fairness, (j) => ciAt(units.length * metrics.length + j)) } : {}),
    flipRows: p.flipRows,
    flipRowsShown: p.flipRowsShown,
  };
  return section;
}

export function taskOf(overall: MetricRecord): CompareSection['task'] {
  if ('mse' in overall) return 'regression';
  return 'tpr' in overall ? 'binary' : 'multiclass';
}

function metricOf(r: MetricRecord | null, m: string): number {
  if (r === null) return NaN;
  const v = (r as Readonly<Record<string, unknown>>)[m];
  return typeof v === 'number' ? v : NaN;
}

/** Overall, then every sensitive column's groups, then intersections (only with ≥ 2 columns). */
export function unitsOf(layout: ReturnType<GroupMetricsBuilder['groupLayout']>): Unit[] {
  const units: Unit[] = [{ group: 'overall', level: 'overall', pick: (r) => r.overall }];
  layout.columnKeys.forEach((keys, c) => {
    keys.forEach((key, g) => units.push({ group: key, level: 'column', pick: (r) => r.byColumn[c]?.[g] ?? null }));
  });
  if (layout.columnKeys.length >= 2) {
    layout.slotKeys.forEach((key, g) => units.push({ group: key, level: 'intersection', pick: (r) => r.byGroup[g] ?? null }));
  }
  return units;
}

/** Unit indices a row belongs to, written into `out`; returns how many. */
export function unitsOfRow(layout: ReturnType<GroupMetricsBuilder['groupLayout']>, rows: ReturnType<GroupMetricsBuilder['storedRows']>, i: number, out: Int32Array): number {
  let k = 0;
  out[k++] = 0;
  let base = 1;
  const cols = layout.columnKeys.length;
  for (let c = 0; c < cols; c++) {
    const code = (rows.codes[c] as Int32Array)[i] as number;
    const g = code >= 0 ? ((layout.columnRank[c] as Int32Array)[code] as number) : -1;
    if (g >= 0) out[k++] = base + g;
    base += (layout.columnKeys[c] as GroupKey[]).length;
  }
  if (cols >= 2) {
    const slot = rows.slot[i] as number;
    const g = slot >= 0 ? (layout.slotRank[slot] as number) : -1;
    if (g >= 0) out[k++] = base + g;
  }
  return k;
}

export function countFlips(
  unitCount: number, layout: ReturnType<GroupMetricsBuilder['groupLayout']>, rows: ReturnType<GroupMetricsBuilder['storedRows']>,
  predB: Float64Array, classification: boolean,
): { changed: Float64Array; fixed: Float64Array; broken: Float64Array } {
  const changed = new Float64Array(unitCount);
  const fixed = new Float64Array(unitCount);
  const broken = new Float64Array(unitCount);
  if (!classification) return { changed, fixed, broken };
  const scratch = new Int32Array(layout.columnKeys.length + 2);
  for (let i = 0; i < rows.n; i++) {
    const pa = rows.pred[i] as number;
    const pb = predB[i] as number;
    if (pa === pb) continue;
    const y = rows.label[i] as number;
    const k = unitsOfRow(layout, rows, i, scratch);
    const target = pa === y ? broken : pb === y ? fixed : null;
    for (let j = 0; j < k; j++) {
      const u = scratch[j] as number;
      changed[u] = (changed[u] as number) + 1;
      if (target !== null) target[u] = (target[u] as number) + 1;
    }
  }
  return { changed, fixed, broken };
}

/** Δ of every unit and metric (and of the fairness summaries) per paired replicate, row-major. */
async function pairedDeltas(
  a: GroupMetricsBuilder, b: GroupMetricsBuilder, units: Unit[], metrics: readonly string[], width: number,
  o: { replicates: number; seed: number; rows: boolean; signal: AbortSignal | undefined; onProgress: ProgressFn | undefined },
): Promise<Float64Array> {
  const n = a.rowCount;
  const rng = new Xoshiro128(o.seed);
  const counts = new Int32Array(n);
  const out = new Float64Array(o.replicates * width);
  // The count-based draws (docs/BOOTSTRAP.md): one cell per (groups, label, A's and B's prediction, …).
  const sideA = o.rows ? null : a.bootstrapRows();
  const sideB = o.rows ? null : b.bootstrapRows();
  const rows = a.storedRows();
  const cells = sideA !== null && sideB !== null
    ? new CellResampler({ n, slot: rows.slot, codes: rows.codes, slots: a.intersectionSlots, sides: [sideA, sideB] })
    : null;
  const progress = throttleProgress(o.onProgress);
  let lastYield = Date.now();
  for (let r = 0; r < o.replicates; r++) {
    if (Date.now() - lastYield > 50) {
      await yieldToEventLoop();
      lastYield = Date.now();
    }
    throwIfAborted(o.signal);
    let ra: Records;
    let rb: Records;
    if (cells !== null) {
      cells.draw(rng);
      ra = a.replicateFrom((raw) => cells.fill(0, raw));
      rb = b.replicateFrom((raw) => cells.fill(1, raw));
    } else {
      counts.fill(0);
      for (let j = 0; j < n; j++) {
        const i = rng.nextInt(n);
        counts[i] = (counts[i] as number) + 1;
      }
      ra = a.replicate(counts);
      rb = b.replicate(counts);
    }
    writeDeltas(out, r * width, units, metrics, ra, rb);
    progress((r + 1) / o.replicates, `paired bootstrap ${r + 1}/${o.replicates}`);
  }
  return out;
}

/** Writes one replicate's Δ = B − A of every unit and metric, then of the fairness summaries, from `at`. */
function writeDeltas(out: Float64Array, at: number, units: readonly Unit[], metrics: readonly string[], ra: Records, rb: Records): void {
  for (const unit of units) {
    const ua = unit.pick(ra);
    const ub = unit.pick(rb);
    for (const m of metrics) out[at++] = metricOf(ub, m) - metricOf(ua, m);
  }
  for (let j = 0; j < ra.fairness.length; j++) out[at++] = (rb.fairness[j] as number) - (ra.fairness[j] as number);
}

/** Δ of every unit and metric (and of the fairness summaries) per replicate, from each replicate's records of A and B. */
export async function recordDeltas(
  units: readonly Unit[], metrics: readonly string[], width: number, replicates: number, pair: (r: number) => [Records, Records],
  o: { readonly signal?: AbortSignal | undefined; readonly onProgress?: ProgressFn | undefined },
): Promise<Float64Array> {
  const out = new Float64Array(replicates * width);
  const progress = throttleProgress(o.onProgress);
  let lastYield = Date.now();
  for (let r = 0; r < replicates; r++) {
    if (Date.now() - lastYield > 50) {
      await yieldToEventLoop();
      lastYield = Date.now();
    }
    throwIfAborted(o.signal);
    const [ra, rb] = pair(r);
    writeDeltas(out, r * width, units, metrics, ra, rb);
    progress((r + 1) / replicates, `paired bootstrap ${r + 1}/${replicates}`);
  }
  return out;
}

/** FORMULAS.md §G "Worst Δ": over groups and intersections with count ≥ minGroupSize. */
function worstDeltas(byGroup: readonly CompareGroup[], metrics: readonly string[]): Record<string, CompareWorstDelta> {
  const out: Record<string, CompareWorstDelta> = {};
  for (const m of metrics) {
    const direction = worstDirection(m);
    let best: CompareGroup | null = null;
    let bestScore = -Infinity;
    for (const g of byGroup) {
      if (g.level === 'overall' || g.small) continue;
      const d = g.metrics[m]?.delta ?? NaN;
      if (Number.isNaN(d)) continue;
      const score = direction === 'lowest' ? -d : direction === 'highest' ? d : Math.abs(d);
      if (score > bestScore) {
        bestScore = score;
        best = g;
      }
    }
    if (best === null || best.group === 'overall') continue;
    const metric = best.metrics[m] as CompareMetric;
    out[m] = { group: best.group, delta: metric.delta, ...(metric.ci ? { ci: metric.ci } : {}) };
  }
  return out;
}

function fairnessDeltas(fa: Float64Array, fb: Float64Array, ciAt: (j: number) => Interval | undefined): Record<string, CompareMetric> {
  const out: Record<string, CompareMetric> = {};
  FAIRNESS_NAMES.forEach((name, j) => {
    const va = fa[j] as number;
    const vb = fb[j] as number;
    const ci = ciAt(j);
    out[name] = { a: va, b: vb, delta: vb - va, ...(ci ? { ci } : {}) };
  });
  return out;
}

/** The group of a stored row: its intersection, or the columns whose value it has. */
function rowGroup(layout: ReturnType<GroupMetricsBuilder['groupLayout']>, rows: ReturnType<GroupMetricsBuilder['storedRows']>, sensitive: readonly string[], i: number): GroupKey {
  const slot = rows.slot[i] as number;
  if (slot >= 0) return layout.slotKeys[layout.slotRank[slot] as number] as GroupKey;
  const key: Record<string, string> = {};
  sensitive.forEach((col, c) => {
    const code = (rows.codes[c] as Int32Array)[i] as number;
    const g = code >= 0 ? ((layout.columnRank[c] as Int32Array)[code] as number) : -1;
    if (g >= 0) key[col] = (layout.columnKeys[c]?.[g] as GroupKey)[col] as string;
  });
  return key;
}

/** Broken rows first, then fixed, then other changes, each in row order, up to `limit` (`perKind`: up to `limit` of each kind). */
export function flipRows(
  layout: ReturnType<GroupMetricsBuilder['groupLayout']>, rows: ReturnType<GroupMetricsBuilder['storedRows']>, predB: Float64Array,
  sensitive: readonly string[], limit: number, rowNumbers: ArrayLike<number> | undefined, perKind = false,
): CompareFlipRow[] {
  const out: CompareFlipRow[] = [];
  for (const kind of ['broken', 'fixed', 'changed'] as const) {
    const end = (perKind ? out.length : 0) + limit;
    for (let i = 0; i < rows.n && out.length < end; i++) {
      const pa = rows.pred[i] as number;
      const pb = predB[i] as number;
      if (pa === pb || Number.isNaN(pa)) continue;
      const y = rows.label[i] as number;
      const k = pa === y ? 'broken' : pb === y ? 'fixed' : 'changed';
      if (k !== kind) continue;
      out.push({ row: rowNumbers ? (rowNumbers[i] as number) : i + 1, kind, group: rowGroup(layout, rows, sensitive, i), label: y, predA: pa, predB: pb });
    }
  }
  return out;
}
