/**
 * Manual per-group thresholds from the report's per-group curves (rows with score > j/steps):
 * every rate and disparity exact on that grid, no rows needed. Pure: unit-tested against the
 * engine's row-by-row recount.
 */
import type { ManualDisparity, ManualRates, ThresholdCurve, ThresholdsSection } from '../../extension/protocol/thresholds';

const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** §B rates of group g at grid index j (threshold j/steps, predict 1 when score > threshold). */
export function ratesAt(c: ThresholdCurve, j: number): ManualRates {
  const tp = c.tp[j] ?? 0;
  const fp = c.fp[j] ?? 0;
  const fn = c.positives - tp;
  const tn = c.negatives - fp;
  const n = c.positives + c.negatives;
  return {
    count: n, positives: c.positives, negatives: c.negatives, selection_rate: div(tp + fp, n), accuracy: div(tp + tn, n),
    error_rate: div(fp + fn, n), tpr: div(tp, c.positives), fpr: div(fp, c.negatives), tnr: div(tn, c.negatives), fnr: div(fn, c.positives), precision: div(tp, tp + fp),
  };
}

const spread = (values: readonly number[]): number => Math.max(...values) - Math.min(...values);
const ratio = (values: readonly number[]): number => {
  const max = Math.max(...values);
  const min = Math.min(...values);
  return max === 0 ? Number.NaN : min / max;
};

export interface WhatIf {
  readonly groups: ManualRates[];
  readonly overall: ManualRates;
  readonly disparity: ManualDisparity;
}

/** Rates and disparities of the chosen grid index per group. */
export function whatIf(section: Pick<ThresholdsSection, 'curves'>, indices: readonly number[]): WhatIf {
  const groups = section.curves.map((c, g) => ratesAt(c, indices[g] ?? 0));
  let tp = 0; let fp = 0; let pos = 0; let neg = 0;
  section.curves.forEach((c, g) => { tp += c.tp[indices[g] ?? 0] ?? 0; fp += c.fp[indices[g] ?? 0] ?? 0; pos += c.positives; neg += c.negatives; });
  const overall = ratesAt({ group: {}, positives: pos, negatives: neg, tp: [tp], fp: [fp] }, 0);
  const col = (k: keyof ManualRates): number[] => groups.map((r) => r[k]);
  return {
    groups, overall,
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

export type Preset = 'single' | 'equal_selection' | 'equal_tpr' | 'equal_fpr';

/**
 * Deterministic presets on the grid: one threshold for all (0.5), or per group the grid index
 * whose selection rate / TPR / FPR is closest to the pooled value at 0.5 (ties: the lower index).
 */
export function presetIndices(section: Pick<ThresholdsSection, 'curves' | 'steps'>, preset: Preset): number[] {
  const half = Math.round(section.steps / 2);
  if (preset === 'single') return section.curves.map(() => half);
  const key = preset === 'equal_selection' ? 'selection_rate' : preset === 'equal_tpr' ? 'tpr' : 'fpr';
  const target = whatIf(section, section.curves.map(() => half)).overall[key];
  return section.curves.map((c) => {
    let best = 0;
    let bestGap = Infinity;
    for (let j = 0; j <= section.steps; j++) {
      const gap = Math.abs(ratesAt(c, j)[key] - target);
      if (gap < bestGap) { bestGap = gap; best = j; }
    }
    return best;
  });
}

/** Deployment JSON of chosen thresholds: predict 1 when P(positive) > threshold. */
export function thresholdsJson(section: Pick<ThresholdsSection, 'curves' | 'steps' | 'sensitive'>, indices: readonly number[], w: WhatIf): string {
  return `${JSON.stringify({
    rule: 'predict 1 when P(positive) > threshold',
    sensitive: section.sensitive,
    thresholds: section.curves.map((c, g) => ({ group: c.group, threshold: (indices[g] ?? 0) / section.steps })),
    expected: { accuracy: w.overall.accuracy, ...w.disparity },
  }, null, 2)}\n`;
}

/** The report's objective for a what-if point (pooled over every row). */
export function objectiveOf(objective: string, w: WhatIf): number {
  const o = w.overall;
  switch (objective) {
    case 'accuracy_score': return o.accuracy;
    case 'balanced_accuracy_score': return 0.5 * o.tpr + 0.5 * o.tnr;
    case 'selection_rate': return o.selection_rate;
    case 'true_positive_rate': return o.tpr;
    case 'true_negative_rate': return o.tnr;
    default: return Number.NaN;
  }
}
