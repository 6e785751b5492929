/**
 * Manual per-group thresholds from the report's per-group curves (rows with score > j/steps):
 * every rate and disparity exact on that grid, no rows needed; or a group's randomised operating
 * point (Fairlearn's), from its expected counts. Pure: unit-tested against the
 * engine's row-by-row recount.
 */
import type { ManualDisparity, ManualRates, ThresholdCurve, ThresholdGroupPoint, ThresholdsSection, ThresholdValue } from '../../extension/protocol/thresholds';

const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Confusion counts (expected counts under randomised thresholds, so possibly fractional). */
export interface Counts { readonly tp: number; readonly fp: number; readonly tn: number; readonly fn: number }

/** §B rates of confusion counts, with Fairlearn's operation order (as core/metrics/thresholds.ts); 0 where a denominator is 0. */
export function countsRates(c: Counts): ManualRates {
  const n = c.tp + c.tn + c.fp + c.fn;
  const pos = c.tp + c.fn;
  const neg = c.tn + c.fp;
  return {
    count: n, positives: pos, negatives: neg, selection_rate: div(c.tp + c.fp, n), accuracy: div(c.tp + c.tn, n),
    error_rate: div(c.fp + c.fn, n), tpr: div(c.tp, pos), fpr: div(c.fp, neg), tnr: div(c.tn, neg), fnr: div(c.fn, pos), precision: div(c.tp, c.tp + c.fp),
  };
}

/** Counts of a group at grid index j (threshold j/steps, predict 1 when score > threshold). */
export function countsAt(c: ThresholdCurve, j: number): Counts {
  const tp = c.tp[j] ?? 0;
  const fp = c.fp[j] ?? 0;
  return { tp, fp, tn: c.negatives - fp, fn: c.positives - tp };
}

/** §B rates of group g at grid index j (threshold j/steps, predict 1 when score > threshold). */
export function ratesAt(c: ThresholdCurve, j: number): ManualRates {
  return countsRates(countsAt(c, j));
}

/**
 * Expected counts of a randomised operating point: the report's `expected` counts (exact), or,
 * in a report without them, rebuilt from its rates and the group's label counts.
 */
export function pointCounts(p: ThresholdGroupPoint, c: ThresholdCurve): Counts {
  if (p.expected) return p.expected;
  const tp = p.tpr * c.positives;
  const fp = p.fpr * c.negatives;
  return { tp, fp, tn: c.negatives - fp, fn: c.positives - tp };
}

/** A group's thresholds: a grid index (one deterministic threshold) or a randomised operating point. */
export type GroupChoice = number | ThresholdGroupPoint;

const spread = (values: readonly number[]): number => Math.max(...values) - Math.min(...values);
const ratio = (values: readonly number[]): number => {
  const max = Math.max(...values);
  const min = Math.min(...values);
  return max === 0 ? Number.NaN : min / max;
};

export interface WhatIf {
  readonly groups: ManualRates[];
  readonly overall: ManualRates;
  /** Confusion counts of all rows (the sum of the groups' in group order, as the engine sums them). */
  readonly counts: Counts;
  readonly disparity: ManualDisparity;
}

/** Rates and disparities of the chosen thresholds per group (grid index or randomised point). */
export function whatIf(section: Pick<ThresholdsSection, 'curves'>, choices: readonly GroupChoice[]): WhatIf {
  const counts = section.curves.map((c, g) => {
    const choice = choices[g] ?? 0;
    return typeof choice === 'number' ? countsAt(c, choice) : pointCounts(choice, c);
  });
  const total = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const c of counts) { total.tp += c.tp; total.fp += c.fp; total.tn += c.tn; total.fn += c.fn; }
  const groups = counts.map(countsRates);
  const overall = countsRates(total);
  const col = (k: keyof ManualRates): number[] => groups.map((r) => r[k]);
  return {
    groups, overall, counts: total,
    disparity: {
      demographic_parity_difference: spread(col('selection_rate')), demographic_parity_ratio: ratio(col('selection_rate')),
      equalized_odds_difference: Math.max(spread(col('tpr')), spread(col('fpr'))), equalized_odds_ratio: Math.min(ratio(col('tpr')), ratio(col('fpr'))),
      equal_opportunity_difference: spread(col('tpr')), accuracy_difference: spread(col('accuracy')),
    },
  };
}

/** The disparity the report's constraint measures, for a what-if point. */
export function constraintDisparity(constraint: string, w: WhatIf): number {
  const col = (k: keyof ManualRates): number[] => w.groups.map((r) => r[k]);
  switch (constraint) {
    case 'demographic_parity': return spread(col('selection_rate'));
    case 'equalized_odds': return w.disparity.equalized_odds_difference;
    case 'true_positive_rate_parity': return spread(col('tpr'));
    case 'false_positive_rate_parity': return spread(col('fpr'));
    case 'true_negative_rate_parity': return spread(col('tnr'));
    case 'false_negative_rate_parity': return spread(col('fnr'));
    default: return Number.NaN;
  }
}

/**
 * Presets: `single` is one threshold (0.5) for every group; `optimum` is Fairlearn's randomised
 * per-group operating points at exact parity of the report's constraint; `front:<i>` is the
 * relaxed front's i-th point (disparity ≤ ε). The randomised presets reproduce the report's
 * objective and disparity exactly (their expected counts).
 */
export type Preset = 'single' | 'optimum' | `front:${number}`;

export function presetChoices(section: Pick<ThresholdsSection, 'curves' | 'steps' | 'groups' | 'front'>, preset: Preset): GroupChoice[] {
  if (preset === 'single') return section.curves.map(() => Math.round(section.steps / 2));
  const points = preset === 'optimum' ? section.groups : section.front[Number(preset.slice('front:'.length))]?.groups;
  if (!points || points.length !== section.curves.length) throw new Error(`no operating points for preset ${preset}`);
  return [...points];
}

/** P(ŷ = 1) of a randomised point, in words: "0.37·[P > 0.4312] + 0.63·[P > 0.4518]" (with p_ignore for equalized odds). */
export function pointRule(p: ThresholdGroupPoint): string {
  const t = (x: ThresholdValue): string => (typeof x === 'number' ? x.toFixed(4) : x === 'inf' ? '∞' : '−∞');
  const p0 = p.p0.toFixed(4);
  const p1 = (1 - p.p0).toFixed(4);
  const mix = p.p0 === 1 || p.threshold0 === p.threshold1 ? `[P > ${t(p.threshold0)}]` : p.p0 === 0 ? `[P > ${t(p.threshold1)}]` : `${p0}·[P > ${t(p.threshold0)}] + ${p1}·[P > ${t(p.threshold1)}]`;
  if (p.pIgnore === undefined || p.pIgnore === 0) return mix;
  return `${p.pIgnore.toFixed(4)}·${(p.predictionConstant ?? 0).toFixed(4)} + ${(1 - p.pIgnore).toFixed(4)}·(${mix})`;
}

/**
 * Deployment JSON of the chosen thresholds. A grid choice: predict 1 when P(positive) > threshold.
 * A randomised choice: Fairlearn's rule, predict 1 with probability
 * pIgnore·predictionConstant + (1 − pIgnore)·(p0·[P > threshold0] + (1 − p0)·[P > threshold1]).
 */
export function thresholdsJson(section: Pick<ThresholdsSection, 'curves' | 'steps' | 'sensitive'>, choices: readonly GroupChoice[], w: WhatIf): string {
  const randomised = choices.some((c) => typeof c !== 'number');
  return `${JSON.stringify({
    rule: randomised
      ? 'per group: predict 1 when P(positive) > threshold; randomised groups: predict 1 with probability pIgnore·predictionConstant + (1 − pIgnore)·(p0·[P > threshold0] + (1 − p0)·[P > threshold1])'
      : 'predict 1 when P(positive) > threshold',
    sensitive: section.sensitive,
    thresholds: section.curves.map((c, g) => {
      const choice = choices[g] ?? 0;
      if (typeof choice === 'number') return { group: c.group, threshold: choice / section.steps };
      return {
        group: c.group, randomised: true, p0: choice.p0, threshold0: choice.threshold0, threshold1: choice.threshold1,
        ...(choice.pIgnore !== undefined ? { pIgnore: choice.pIgnore, predictionConstant: choice.predictionConstant } : {}),
      };
    }),
    expected: { accuracy: w.overall.accuracy, ...w.disparity },
  }, null, 2)}\n`;
}

/** The report's objective for a what-if point (pooled over every row). */
export function objectiveOf(objective: string, w: WhatIf): number {
  const o = w.overall;
  const c = w.counts;
  switch (objective) {
    case 'accuracy_score': return o.accuracy;
    // Fairlearn's operation order (core/metrics/thresholds.ts `metric`).
    case 'balanced_accuracy_score': return (0.5 * c.tp) / (c.tp + c.fn) + (0.5 * c.tn) / (c.tn + c.fp);
    case 'selection_rate': return o.selection_rate;
    case 'true_positive_rate': return o.tpr;
    case 'true_negative_rate': return o.tnr;
    default: return Number.NaN;
  }
}
