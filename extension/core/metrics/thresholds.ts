/**
 * Threshold what-if (FORMULAS.md §F): Fairlearn's ThresholdOptimizer (grid_size 1000, flip
 * False, scores = P(y = 1)) re-implemented step for step — trade-off points over every distinct
 * score with midpoint thresholds, the upper convex hull (Andrew's monotone chain with Fairlearn's
 * `<=`), interpolation on linspace(0, 1, 1001), the first argmax of the weighted curve (simple
 * constraints) or of the rounded objective of the lower envelope of the ROC hulls (equalized
 * odds, with p_ignore) — plus the relaxed front over a tolerance window of whole grid steps
 * (Fairlearn's sliding-window maximisation with its tie rule) and exact manual thresholds.
 * Checked against Fairlearn-computed vectors (scripts/make-threshold-vectors.py).
 */
import { differenceBetween, ratioBetween } from './disparity';
import type { ManualDisparity, ManualRates } from '../../protocol/thresholds';

export const THRESHOLD_CONSTRAINTS = [
  'demographic_parity', 'equalized_odds', 'true_positive_rate_parity', 'false_positive_rate_parity',
  'true_negative_rate_parity', 'false_negative_rate_parity',
] as const;
export type ThresholdConstraint = (typeof THRESHOLD_CONSTRAINTS)[number];
export const THRESHOLD_OBJECTIVES = ['accuracy_score', 'balanced_accuracy_score', 'selection_rate', 'true_positive_rate', 'true_negative_rate'] as const;
export type ThresholdObjective = (typeof THRESHOLD_OBJECTIVES)[number];
/** Fairlearn allows only these objectives with equalized odds. */
export const EQUALIZED_ODDS_OBJECTIVES: readonly ThresholdObjective[] = ['accuracy_score', 'balanced_accuracy_score'];

type RateName = 'selection_rate' | 'false_positive_rate' | 'false_negative_rate' | 'true_positive_rate' | 'true_negative_rate';
const CONSTRAINT_RATE: Record<Exclude<ThresholdConstraint, 'equalized_odds'>, RateName> = {
  demographic_parity: 'selection_rate',
  true_positive_rate_parity: 'true_positive_rate',
  false_positive_rate_parity: 'false_positive_rate',
  true_negative_rate_parity: 'true_negative_rate',
  false_negative_rate_parity: 'false_negative_rate',
};

/** Confusion counts (may be fractional: expected counts). */
interface Counts { tp: number; fp: number; tn: number; fn: number }

/** Fairlearn's METRIC_DICT, with its operation order (float64 like numpy). */
function metric(name: RateName | ThresholdObjective, c: Counts): number {
  const pos = c.tp + c.fn;
  const neg = c.tn + c.fp;
  switch (name) {
    case 'selection_rate': return (c.tp + c.fp) / (c.tp + c.tn + c.fp + c.fn);
    case 'false_positive_rate': return c.fp / neg;
    case 'false_negative_rate': return c.fn / pos;
    case 'true_positive_rate': return c.tp / pos;
    case 'true_negative_rate': return c.tn / neg;
    case 'accuracy_score': return (c.tp + c.tn) / (c.tp + c.tn + c.fp + c.fn);
    case 'balanced_accuracy_score': return (0.5 * c.tp) / pos + (0.5 * c.tn) / neg;
  }
}

/** One point of a trade-off curve: predict 1 when score > threshold. */
interface CurvePoint { x: number; y: number; threshold: number }

/** A group's curve interpolated on the grid: at grid i, p0·[s > t0] + (1 − p0)·[s > t1]. */
export interface GridCurve {
  readonly y: Float64Array;
  readonly p0: Float64Array;
  readonly t0: Float64Array;
  readonly t1: Float64Array;
}

export class DegenerateLabelsError extends Error {
  constructor(readonly group: string) { super(`Degenerate labels for sensitive feature value ${group}`); }
}

/**
 * Fairlearn `_calculate_tradeoff_points` (flip = False) for one group's rows, sorted by (x, y).
 * Scores are walked from the highest down through the sorted scores of the positives and of the
 * negatives (typed sorts, no index sort); each distinct score adds the point of the threshold
 * halfway to the next lower score (−∞ below the last), after the first point at +∞.
 */
function tradeoffPoints(scores: Float64Array, labels: Uint8Array, xName: RateName, yName: RateName | ThresholdObjective, group: string): CurvePoint[] {
  const n = scores.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += labels[i]!;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new DegenerateLabelsError(group);
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  for (let i = 0, a = 0, b = 0; i < n; i++) if (labels[i] === 1) pos[a++] = scores[i]!; else neg[b++] = scores[i]!;
  pos.sort(); neg.sort();
  let ip = nPos - 1;
  let ineg = nNeg - 1;
  const next = (): number => Math.max(ip >= 0 ? pos[ip]! : -Infinity, ineg >= 0 ? neg[ineg]! : -Infinity);
  const points: CurvePoint[] = [];
  let tp = 0;
  let fp = 0;
  const add = (threshold: number): void => {
    const c: Counts = { fp, tp, tn: nNeg - fp, fn: nPos - tp };
    points.push({ x: metric(xName, c), y: metric(yName, c), threshold });
  };
  add(Infinity);
  while (ip >= 0 || ineg >= 0) {
    const t = next();
    while (ip >= 0 && pos[ip] === t) { tp++; ip--; }
    while (ineg >= 0 && neg[ineg] === t) { fp++; ineg--; }
    add((t + next()) / 2);
  }
  // Stable sort by x, then y (pandas sort_values on two keys keeps equal rows in order);
  // skipped when the points already are in that order (x monotone in the counts).
  let sorted = true;
  for (let k = 1; k < points.length && sorted; k++) {
    const p = points[k - 1]!; const q = points[k]!;
    if (p.x > q.x || (p.x === q.x && p.y > q.y)) sorted = false;
  }
  if (sorted) return points;
  return points.map((p, k) => ({ p, k })).sort((a, b) => a.p.x - b.p.x || a.p.y - b.p.y || a.k - b.k).map((e) => e.p);
}

/** Fairlearn `_filter_points_to_get_convex_hull`: upper hull, collinear and equal points dropped. */
function upperHull(points: readonly CurvePoint[]): CurvePoint[] {
  const sel: CurvePoint[] = [];
  for (const r2 of points) {
    while (sel.length >= 2) {
      const r1 = sel[sel.length - 1]!;
      const r0 = sel[sel.length - 2]!;
      if ((r1.y - r0.y) * (r2.x - r0.x) <= (r2.y - r0.y) * (r1.x - r0.x)) sel.pop();
      else break;
    }
    sel.push(r2);
  }
  return sel;
}

/** numpy.linspace(0, 1, size + 1). */
export function unitGrid(size = 1000): Float64Array {
  const step = 1 / size;
  const g = Float64Array.from({ length: size + 1 }, (_, i) => i * step);
  g[size] = 1;
  return g;
}

/** Fairlearn `_interpolate_curve` with `_get_interpolation_indices`. */
function interpolate(hull: readonly CurvePoint[], grid: Float64Array): GridCurve {
  const m = grid.length;
  const out: GridCurve = { y: new Float64Array(m), p0: new Float64Array(m), t0: new Float64Array(m), t1: new Float64Array(m) };
  for (let g = 0; g < m; g++) {
    const xg = grid[g]!;
    // searchsorted(x, xg, 'right') − 1
    let lo = 0;
    let hi = hull.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (hull[mid]!.x <= xg) lo = mid + 1;
      else hi = mid;
    }
    let idx = lo - 1;
    if (g > 0 && xg === hull[idx]!.x) idx--;
    const a = hull[idx]!;
    const b = hull[idx + 1]!;
    const p0 = (b.x - xg) / (b.x - a.x);
    const p1 = 1 - p0;
    out.y[g] = p0 * a.y + p1 * b.y;
    out.p0[g] = p0;
    out.t0[g] = a.threshold;
    out.t1[g] = b.threshold;
  }
  return out;
}

/** The rows of the data, grouped: `group[i]` indexes `groupNames` (sorted as Fairlearn's groupby). */
export interface ThresholdData {
  readonly scores: Float64Array;
  readonly labels: Uint8Array;
  readonly group: Int32Array;
  readonly groupNames: readonly string[];
}

/** Fairlearn's interpolation of one group: P(ŷ = 1) = pIgnore·c + (1 − pIgnore)·(p0·[s > t0] + p1·[s > t1]). */
export interface Interpolation {
  readonly p0: number;
  readonly threshold0: number;
  readonly threshold1: number;
  readonly pIgnore?: number;
  readonly predictionConstant?: number;
}

/** Expected rates of a group under its interpolation. */
export interface GroupRates {
  readonly count: number;
  readonly selection_rate: number;
  readonly tpr: number;
  readonly fpr: number;
  readonly objective: number;
}

/** Expected confusion counts of a group under its interpolation (fractional under randomisation). */
export interface ExpectedCounts { readonly tp: number; readonly fp: number; readonly tn: number; readonly fn: number }

export interface OperatingPoint { readonly interpolation: Interpolation; readonly rates: GroupRates; readonly counts: ExpectedCounts }

export interface ThresholdSolution {
  readonly groups: OperatingPoint[];
  /** The objective of the expected confusion matrix of all rows. */
  readonly objective: number;
  /** Between-groups difference of the constraint's expected rates (equalized odds: max of TPR and FPR differences). */
  readonly disparity: number;
  /** Fairlearn's own figure: the best weighted curve value (simple) or the rounded EO objective. */
  readonly fairlearnObjective: number;
}

/** A point of the relaxed front: tolerance ε, its window in grid steps, each group's grid index. */
export interface FrontPoint extends ThresholdSolution { readonly tolerance: number; readonly steps: number; readonly indices: readonly number[] }

function splitGroups(d: ThresholdData): { scores: Float64Array; labels: Uint8Array; index: Int32Array }[] {
  const counts = new Int32Array(d.groupNames.length);
  for (let i = 0; i < d.group.length; i++) counts[d.group[i]!]!++;
  const parts = d.groupNames.map((_, g) => ({ scores: new Float64Array(counts[g]!), labels: new Uint8Array(counts[g]!), index: new Int32Array(counts[g]!) }));
  const fill = new Int32Array(d.groupNames.length);
  for (let i = 0; i < d.group.length; i++) {
    const g = d.group[i]!;
    const k = fill[g]!++;
    parts[g]!.scores[k] = d.scores[i]!;
    parts[g]!.labels[k] = d.labels[i]!;
    parts[g]!.index[k] = i;
  }
  return parts;
}

function objectiveOf(objective: ThresholdObjective, c: Counts): number { return metric(objective, c); }

/** Expected confusion counts of rows under an interpolation. */
function expectedCounts(scores: Float64Array, labels: Uint8Array, it: Interpolation): Counts {
  const c: Counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const pIgnore = it.pIgnore ?? 0;
  const constant = it.predictionConstant ?? 0;
  const p1 = 1 - it.p0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    let prob = it.p0 * (s > it.threshold0 ? 1 : 0) + p1 * (s > it.threshold1 ? 1 : 0);
    if (it.pIgnore !== undefined) prob = pIgnore * constant + (1 - pIgnore) * prob;
    if (labels[i] === 1) { c.tp += prob; c.fn += 1 - prob; } else { c.fp += prob; c.tn += 1 - prob; }
  }
  return c;
}

function solution(parts: ReturnType<typeof splitGroups>, interps: Interpolation[], constraint: ThresholdConstraint, objective: ThresholdObjective, fairlearnObjective: number): ThresholdSolution {
  const total: Counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const groups = parts.map((part, g) => {
    const c = expectedCounts(part.scores, part.labels, interps[g]!);
    total.tp += c.tp; total.fp += c.fp; total.tn += c.tn; total.fn += c.fn;
    const rates: GroupRates = {
      count: part.scores.length, selection_rate: metric('selection_rate', c), tpr: metric('true_positive_rate', c),
      fpr: metric('false_positive_rate', c), objective: objectiveOf(objective, c),
    };
    return { interpolation: interps[g]!, rates, counts: c };
  });
  const rateOf = (name: RateName) => groups.map((e) => metric(name, e.counts));
  const disparity = constraint === 'equalized_odds'
    ? Math.max(differenceBetween(rateOf('true_positive_rate')), differenceBetween(rateOf('false_positive_rate')))
    : differenceBetween(rateOf(CONSTRAINT_RATE[constraint]));
  return { groups: groups.map(({ interpolation, rates, counts }) => ({ interpolation, rates, counts: { tp: counts.tp, fp: counts.fp, tn: counts.tn, fn: counts.fn } })), objective: objectiveOf(objective, total), disparity, fairlearnObjective };
}

/** numpy.around(x, 15): rint(x·1e15)/1e15 with ties to even. */
function around15(x: number): number {
  const v = x * 1e15;
  let r = Math.round(v);
  if (r - v === 0.5 && r % 2 !== 0) r -= 1;
  return r / 1e15;
}

export interface ThresholdOptions {
  readonly constraint: ThresholdConstraint;
  readonly objective: ThresholdObjective;
  /** Tolerances of the relaxed front (simple constraints only); default 0, 0.01, …, 0.20. */
  readonly tolerances?: readonly number[];
  readonly gridSize?: number;
}

export interface ThresholdResult {
  readonly constraint: ThresholdConstraint;
  readonly objective: ThresholdObjective;
  readonly optimized: ThresholdSolution;
  readonly front: FrontPoint[];
}

export const DEFAULT_TOLERANCES: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 100);

export function checkObjective(constraint: ThresholdConstraint, objective: ThresholdObjective): string | null {
  if (constraint === 'equalized_odds' && !EQUALIZED_ODDS_OBJECTIVES.includes(objective)) {
    return `equalized_odds allows only the objectives ${EQUALIZED_ODDS_OBJECTIVES.join(', ')} (as Fairlearn)`;
  }
  return null;
}

/** ThresholdOptimizer's fit, and the relaxed front for simple constraints. */
export function optimizeThresholds(d: ThresholdData, options: ThresholdOptions): ThresholdResult {
  const { constraint, objective } = options;
  const problem = checkObjective(constraint, objective);
  if (problem) throw new Error(problem);
  const gridSize = options.gridSize ?? 1000;
  const grid = unitGrid(gridSize);
  const parts = splitGroups(d);
  const n = d.scores.length;

  if (constraint === 'equalized_odds') {
    const curves = parts.map((p, g) => interpolate(upperHull(tradeoffPoints(p.scores, p.labels, 'false_positive_rate', 'true_positive_rate', d.groupNames[g]!)), grid));
    let nPos = 0;
    for (let i = 0; i < n; i++) nPos += d.labels[i]!;
    const nNeg = n - nPos;
    let best = -1;
    let bestValue = -Infinity;
    const yMin = new Float64Array(grid.length);
    for (let i = 0; i < grid.length; i++) {
      let m = Infinity;
      for (const c of curves) if (c.y[i]! < m) m = c.y[i]!;
      yMin[i] = m;
      const x = grid[i]!;
      const counts: Counts = { fp: nNeg * x, tn: nNeg * (1 - x), tp: nPos * m, fn: nPos * (1 - m) };
      const v = around15(metric(objective, counts));
      if (v > bestValue) { bestValue = v; best = i; }
    }
    const xBest = grid[best]!;
    const yBest = yMin[best]!;
    const interps = curves.map((c): Interpolation => {
      const x = grid[best]!;
      const y = c.y[best]!;
      const pIgnore = y === x ? 0 : (y - yBest) / (y - x);
      return { p0: c.p0[best]!, threshold0: c.t0[best]!, threshold1: c.t1[best]!, pIgnore, predictionConstant: xBest };
    });
    return { constraint, objective, optimized: solution(parts, interps, constraint, objective, bestValue), front: [] };
  }

  const rate = CONSTRAINT_RATE[constraint];
  const curves = parts.map((p, g) => interpolate(upperHull(tradeoffPoints(p.scores, p.labels, rate, objective, d.groupNames[g]!)), grid));
  const weights = parts.map((p) => p.scores.length / n);
  const pick = (indices: readonly number[], value: number): ThresholdSolution => solution(parts, indices.map((i, g) => {
    const c = curves[g]!;
    return { p0: c.p0[i]!, threshold0: c.t0[i]!, threshold1: c.t1[i]! };
  }), constraint, objective, value);

  // Exact parity: first argmax of Σ_g p_g·y_g (pandas idxmax).
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < grid.length; i++) {
    let v = weights[0]! * curves[0]!.y[i]!;
    for (let g = 1; g < curves.length; g++) v += weights[g]! * curves[g]!.y[i]!;
    if (v > bestValue) { bestValue = v; best = i; }
  }
  const optimized = pick(curves.map(() => best), bestValue);
  const front: FrontPoint[] = [];
  for (const tolerance of options.tolerances ?? DEFAULT_TOLERANCES) {
    const steps = Math.round(tolerance * gridSize);
    if (steps === 0) { front.push({ ...optimized, tolerance, steps, indices: curves.map(() => best) }); continue; }
    const { indices, value } = maximizeWithTolerance(curves.map((c, g) => c.y.map((y) => y * weights[g]!)), steps);
    front.push({ ...pick(indices, value), tolerance, steps, indices });
  }
  return { constraint, objective, optimized, front };
}

/**
 * Fairlearn's `maximize_objective_with_tolerance` over grid indices: per-group monotone deques
 * over a window of at most `steps` grid steps; a window replaces the best when its weighted sum
 * is larger, or equal with a spread (in steps) no larger.
 */
export function maximizeWithTolerance(weighted: readonly Float64Array[], steps: number): { indices: number[]; value: number } {
  const m = weighted.length;
  const len = weighted[0]!.length;
  const deques = weighted.map(() => new Int32Array(len));
  const heads = new Int32Array(m);
  const tails = new Int32Array(m);
  let best: number[] = [];
  let maxObjective = -Infinity;
  let minViolation = Infinity;
  let start = 0;
  for (let end = 0; end < len; end++) {
    for (let k = 0; k < m; k++) {
      const y = weighted[k]!;
      const dq = deques[k]!;
      while (tails[k]! > heads[k]! && y[dq[tails[k]! - 1]!]! <= y[end]!) tails[k]!--;
      dq[tails[k]!++] = end;
    }
    while (end - start > steps) {
      for (let k = 0; k < m; k++) if (tails[k]! > heads[k]! && deques[k]![heads[k]!] === start) heads[k]!++;
      start++;
    }
    const current = weighted.map((_, k) => deques[k]![heads[k]!]!);
    let objective = 0;
    for (let k = 0; k < m; k++) objective += weighted[k]![current[k]!]!;
    const violation = Math.max(...current) - Math.min(...current);
    if (objective > maxObjective || (objective === maxObjective && violation <= minViolation)) {
      maxObjective = objective;
      best = current;
      minViolation = violation;
    }
  }
  return { indices: best, value: maxObjective };
}

// ---------------------------------------------------------------------------------------------
// Manual what-if and per-group curves
// ---------------------------------------------------------------------------------------------

/** §B rates of a deterministic threshold choice (the report's type). */
export type ConfusionRates = ManualRates;

/** §B rates of a confusion matrix, 0/0 → 0 as Fairlearn and scikit-learn. */
export function confusionRates(tp: number, fp: number, tn: number, fn: number): ConfusionRates {
  const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const n = tp + fp + tn + fn;
  return {
    count: n, positives: tp + fn, negatives: tn + fp, selection_rate: div(tp + fp, n), accuracy: div(tp + tn, n),
    error_rate: div(fp + fn, n), tpr: div(tp, tp + fn), fpr: div(fp, fp + tn), tnr: div(tn, tn + fp), fnr: div(fn, fn + tp),
    precision: div(tp, tp + fp),
  };
}

export interface ManualResult {
  readonly groups: ConfusionRates[];
  readonly overall: ConfusionRates;
  readonly disparity: ManualDisparity;
}

/** Disparities of per-group rates (between groups, FORMULAS.md §B). */
export function manualDisparity(groups: readonly ConfusionRates[]): ManualResult['disparity'] {
  const col = (k: keyof ConfusionRates): number[] => groups.map((g) => g[k]);
  return {
    demographic_parity_difference: differenceBetween(col('selection_rate')),
    demographic_parity_ratio: ratioBetween(col('selection_rate')),
    equalized_odds_difference: Math.max(differenceBetween(col('tpr')), differenceBetween(col('fpr'))),
    equalized_odds_ratio: Math.min(ratioBetween(col('tpr')), ratioBetween(col('fpr'))),
    equal_opportunity_difference: differenceBetween(col('tpr')),
    accuracy_difference: differenceBetween(col('accuracy')),
  };
}

/** Deterministic per-group thresholds (predict 1 when score > t), recomputed on every row. */
export function manualThresholds(d: ThresholdData, thresholds: readonly number[]): ManualResult {
  const m = d.groupNames.length;
  const tp = new Float64Array(m); const fp = new Float64Array(m); const tn = new Float64Array(m); const fn = new Float64Array(m);
  for (let i = 0; i < d.scores.length; i++) {
    const g = d.group[i]!;
    const pred = d.scores[i]! > thresholds[g]!;
    if (d.labels[i] === 1) { if (pred) tp[g]!++; else fn[g]!++; } else if (pred) fp[g]!++; else tn[g]!++;
  }
  const groups = Array.from({ length: m }, (_, g) => confusionRates(tp[g]!, fp[g]!, tn[g]!, fn[g]!));
  const sum = (a: Float64Array): number => a.reduce((x, y) => x + y, 0);
  return { groups, overall: confusionRates(sum(tp), sum(fp), sum(tn), sum(fn)), disparity: manualDisparity(groups) };
}

/**
 * Per-group cumulative counts at the thresholds t_j = j/steps (j = 0..steps): tp[j], fp[j] are
 * the rows with score > t_j. A slider on that grid gives exact confusion matrices without the rows.
 */
export interface GroupCurve { readonly positives: number; readonly negatives: number; readonly tp: number[]; readonly fp: number[] }

export function thresholdCurves(d: ThresholdData, steps = 100): GroupCurve[] {
  const m = d.groupNames.length;
  // count rows per (group, bin) where bin = number of grid thresholds below the score
  const binsPos = Array.from({ length: m }, () => new Float64Array(steps + 2));
  const binsNeg = Array.from({ length: m }, () => new Float64Array(steps + 2));
  const positives = new Float64Array(m); const negatives = new Float64Array(m);
  for (let i = 0; i < d.scores.length; i++) {
    const g = d.group[i]!;
    const s = d.scores[i]!;
    // j* = number of j with j/steps < s, i.e. rows counted in tp[j] for j < j*
    let lo = 0; let hi = steps + 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (mid / steps < s) lo = mid + 1; else hi = mid; }
    if (d.labels[i] === 1) { binsPos[g]![lo]!++; positives[g]!++; } else { binsNeg[g]![lo]!++; negatives[g]!++; }
  }
  return Array.from({ length: m }, (_, g) => {
    const tp: number[] = new Array<number>(steps + 1).fill(0);
    const fp: number[] = new Array<number>(steps + 1).fill(0);
    // rows with j* > j are above t_j: suffix sums
    let accP = 0; let accN = 0;
    for (let j = steps + 1; j >= 1; j--) {
      accP += binsPos[g]![j]!; accN += binsNeg[g]![j]!;
      tp[j - 1] = accP; fp[j - 1] = accN;
    }
    return { positives: positives[g]!, negatives: negatives[g]!, tp, fp };
  });
}
