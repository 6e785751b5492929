/**
 * Disparities of a group table (FORMULAS.md §B): per scalar metric the between-groups difference
 * and ratio, the largest gap to the overall value and the worst group, plus Fairlearn's named
 * summaries (demographic parity, equalized odds, equal opportunity) for binary tasks. Computed
 * as flat numbers first (a bootstrap replicate needs only those), then shaped for the report.
 */
import { higherIsBetter, metricValue } from './accumulator';
import {
  differenceBetween,
  differenceToOverall,
  equalizedOddsDifference,
  equalizedOddsRatio,
  ratioBetween,
  ratioToOverall,
  worstIndex,
} from './disparity';
import type { DisparityValues } from './groupLayout';
import { FAIRNESS_NAMES, type DisparitySection, type GroupKey, type MetricDisparity, type MetricRecord, type MetricsTask } from '../../protocol/groups';

/** The disparity numbers of one table: `records` are its groups (null = empty), `metrics` in report order. */
export function disparityValues(records: readonly (MetricRecord | null)[], overall: MetricRecord, metrics: readonly string[], task: MetricsTask): DisparityValues {
  const m = metrics.length;
  const out: DisparityValues = {
    difference: new Float64Array(m),
    ratio: new Float64Array(m),
    toOverallDifference: new Float64Array(m),
    toOverallRatio: new Float64Array(m),
    worstIndex: new Int32Array(m),
    worstValue: new Float64Array(m),
    fairness: new Float64Array(task === 'binary' ? FAIRNESS_NAMES.length : 0),
  };
  const values = new Float64Array(records.length);
  const column = (metric: string): Float64Array => {
    const v = new Float64Array(records.length);
    records.forEach((r, g) => (v[g] = r === null ? NaN : metricValue(r, metric)));
    return v;
  };
  metrics.forEach((metric, j) => {
    values.set(column(metric));
    const o = metricValue(overall, metric);
    out.difference[j] = differenceBetween(values);
    out.ratio[j] = ratioBetween(values);
    out.toOverallDifference[j] = differenceToOverall(values, o);
    out.toOverallRatio[j] = ratioToOverall(values, o);
    const w = worstIndex(values, higherIsBetter(metric));
    out.worstIndex[j] = w;
    out.worstValue[j] = w < 0 ? NaN : (values[w] as number);
  });
  if (task === 'binary') {
    const sel = column('selection_rate');
    const rates = { tpr: column('tpr'), fpr: column('fpr'), overallTpr: metricValue(overall, 'tpr'), overallFpr: metricValue(overall, 'fpr') };
    const f = out.fairness;
    f[0] = differenceBetween(sel);
    f[1] = ratioBetween(sel);
    f[2] = equalizedOddsDifference(rates);
    f[3] = equalizedOddsRatio(rates);
    f[4] = differenceBetween(rates.tpr);
    f[5] = ratioBetween(rates.tpr);
    f[6] = equalizedOddsDifference(rates, 'between_groups', 'mean');
    f[7] = equalizedOddsRatio(rates, 'between_groups', 'mean');
  }
  return out;
}

/** The report's `disparity` object of a table: one entry per metric, then the named summaries. */
export function disparitySection(d: DisparityValues, keys: readonly GroupKey[], metrics: readonly string[]): DisparitySection {
  const out: Record<string, MetricDisparity | number> = {};
  metrics.forEach((metric, j) => {
    const w = d.worstIndex[j] as number;
    out[metric] = {
      difference: d.difference[j] as number,
      ratio: d.ratio[j] as number,
      toOverallDifference: d.toOverallDifference[j] as number,
      toOverallRatio: d.toOverallRatio[j] as number,
      worstGroup: w < 0 ? null : (keys[w] as GroupKey),
      worstValue: d.worstValue[j] as number,
    };
  });
  FAIRNESS_NAMES.forEach((name, j) => {
    if (j < d.fairness.length) out[name] = d.fairness[j] as number;
  });
  return out;
}
