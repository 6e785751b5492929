/**
 * Fairlearn's disparity summaries (FORMULAS.md §B) over one metric's per-group values.
 * NaN cells (a metric that does not exist for a group) are skipped, as pandas' min/max do.
 * Every function returns NaN when no group has a value.
 */

export type DisparityMethod = 'between_groups' | 'to_overall';
export type EqualizedOddsAgg = 'worst_case' | 'mean';

/** difference(between_groups) = max_g m_g − min_g m_g. */
export function differenceBetween(values: ArrayLike<number>): number {
  return betweenGroups(values, false);
}

/** ratio(between_groups) = min_g m_g / max_g m_g; 0/0 → NaN, min = 0 (max > 0) → 0. */
export function ratioBetween(values: ArrayLike<number>): number {
  return betweenGroups(values, true);
}

/** max − min of the non-NaN values (`asRatio`: min / max); NaN when there are none. */
function betweenGroups(values: ArrayLike<number>, asRatio: boolean): number {
  let min = Infinity;
  let max = -Infinity;
  let seen = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v !== v) continue;
    seen = true;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!seen) return NaN;
  return asRatio ? min / max : max - min;
}

/** difference(to_overall) = max_g |m_g − m_overall|. */
export function differenceToOverall(values: ArrayLike<number>, overall: number): number {
  let best = NaN;
  for (let i = 0; i < values.length; i++) {
    const d = Math.abs((values[i] as number) - overall);
    if (d !== d) continue;
    if (!(d <= best)) best = d;
  }
  return best;
}

/** ratio(to_overall) = min_g r_g with r_g = m_g / m_overall, inverted when > 1. */
export function ratioToOverall(values: ArrayLike<number>, overall: number): number {
  let best = NaN;
  for (let i = 0; i < values.length; i++) {
    let r = (values[i] as number) / overall;
    if (r !== r) continue;
    if (r > 1) r = 1 / r;
    if (!(r >= best)) best = r;
  }
  return best;
}

/** Fairlearn `difference(method)`. */
export function difference(values: ArrayLike<number>, overall: number, method: DisparityMethod = 'between_groups'): number {
  return method === 'between_groups' ? differenceBetween(values) : differenceToOverall(values, overall);
}

/** Fairlearn `ratio(method)`. */
export function ratio(values: ArrayLike<number>, overall: number, method: DisparityMethod = 'between_groups'): number {
  return method === 'between_groups' ? ratioBetween(values) : ratioToOverall(values, overall);
}

/**
 * Index of the worst group: argmin when higher is better, argmax otherwise; first index on
 * ties; −1 when every value is NaN.
 */
export function worstIndex(values: ArrayLike<number>, higherIsBetter: boolean): number {
  let best = -1;
  let bestV = NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v !== v) continue;
    if (best < 0 || (higherIsBetter ? v < bestV : v > bestV)) {
      best = i;
      bestV = v;
    }
  }
  return best;
}

/** Per-group TPR and FPR plus their overall values: the inputs of equalized odds. */
export interface RatesByGroup {
  tpr: ArrayLike<number>;
  fpr: ArrayLike<number>;
  overallTpr: number;
  overallFpr: number;
}

function aggregate(a: number, b: number, agg: EqualizedOddsAgg, worst: (x: number, y: number) => number): number {
  if (agg === 'mean') return (a + b) / 2;
  if (a !== a) return b;
  if (b !== b) return a;
  return worst(a, b);
}

/** Equalized odds difference: max (or mean) of the TPR and FPR differences. */
export function equalizedOddsDifference(
  rates: RatesByGroup,
  method: DisparityMethod = 'between_groups',
  agg: EqualizedOddsAgg = 'worst_case',
): number {
  const t = difference(rates.tpr, rates.overallTpr, method);
  const f = difference(rates.fpr, rates.overallFpr, method);
  return aggregate(t, f, agg, Math.max);
}

/** Equalized odds ratio: min (or mean) of the TPR and FPR ratios. */
export function equalizedOddsRatio(
  rates: RatesByGroup,
  method: DisparityMethod = 'between_groups',
  agg: EqualizedOddsAgg = 'worst_case',
): number {
  const t = ratio(rates.tpr, rates.overallTpr, method);
  const f = ratio(rates.fpr, rates.overallFpr, method);
  return aggregate(t, f, agg, Math.min);
}
