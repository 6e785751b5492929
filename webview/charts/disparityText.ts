/**
 * The plain-words text of the groups view: the headline, one sentence per disparity card and
 * Fairlearn's named summaries with their definitions. Pure (no DOM): tested in plain Node.
 */
import type { GroupEntry, GroupsSection, Interval, MetricDisparity, MetricValues } from '../../extension/protocol/groups';
import { formatInterval, formatMetric, formatNumber, groupLabel, metricInfo, metricOf, primaryMetric, rangeSeparator, sameGroup, sampleNote } from './groupMetrics';

/** "95% CI" for a confidence of 0.95. */
export function ciLabel(confidence: number | undefined): string {
  return `${Number(((confidence ?? 0.95) * 100).toPrecision(3))}% CI`;
}

export interface GapSentenceInput {
  readonly metric: string;
  readonly group: string;
  readonly value: number;
  readonly overall: number;
  /** The group's own interval of the metric, when bootstrapped. */
  readonly interval?: Interval;
  /** The group's metrics (count, positives, negatives) for the sample-size note. */
  readonly sample: MetricValues;
  readonly confidence?: number;
}

/**
 * "accuracy for sex=F, race=B is 20.5 points below overall (69.4% vs 89.9%), group 95% CI
 * 65.4–72.8%, n=589". Rates differ in percentage points; other metrics by their absolute gap
 * and their ratio to overall ("0.908 above overall (1.2 vs 0.289, 4.14× overall)").
 */
export function gapSentence(input: GapSentenceInput): string {
  const { metric, group, value, overall } = input;
  const info = metricInfo(metric);
  const tail = `${input.interval ? `, group ${ciLabel(input.confidence)} ${formatInterval(metric, input.interval)}` : ''}, ${sampleNote(input.sample, metric)}`;
  if (!Number.isFinite(value)) return `${info.noun} for ${group} is not defined (${formatNumber(value)})${tail}`;
  if (!Number.isFinite(overall)) return `${info.noun} for ${group} is ${formatMetric(metric, value)} (overall not defined)${tail}`;
  const pair = `${formatMetric(metric, value)} vs ${formatMetric(metric, overall)}`;
  const gap = value - overall;
  const gapText = info.rate ? (Math.abs(gap) * 100).toFixed(1) : formatNumber(Math.abs(gap));
  if (gapText === (info.rate ? '0.0' : '0') || formatMetric(metric, value) === formatMetric(metric, overall)) return `${info.noun} for ${group} is at overall (${pair})${tail}`;
  const side = gap < 0 ? 'below' : 'above';
  if (info.rate) return `${info.noun} for ${group} is ${gapText} points ${side} overall (${pair})${tail}`;
  const times = overall !== 0 ? `, ${formatNumber(value / overall)}× overall` : '';
  return `${info.noun} for ${group} is ${gapText} ${side} overall (${pair}${times})${tail}`;
}

export interface DisparityCard {
  readonly metric: string;
  readonly title: string;
  readonly sentence: string;
  /** Whether the worst group is worse than overall (the card is highlighted). */
  readonly worse: boolean;
  readonly small: boolean;
  readonly definition: string;
}

/** The group entry a disparity names. */
export function findGroup(entries: readonly GroupEntry[], key: MetricDisparity['worstGroup']): GroupEntry | undefined {
  return key ? entries.find((e) => sameGroup(e.group, key)) : undefined;
}

/** Reads `disparity[metric]` when it is a per-metric object. */
export function metricDisparity(section: Pick<GroupsSection, 'disparity'>, metric: string): MetricDisparity | undefined {
  const d = section.disparity[metric];
  return typeof d === 'object' ? d : undefined;
}

/** One card per headline metric, from `disparity[metric].worstGroup/worstValue` and that group's `ci`. */
export function disparityCards(section: GroupsSection, metrics: readonly string[], entries: readonly GroupEntry[] = section.byGroup, disparity: Pick<GroupsSection, 'disparity'> = section): DisparityCard[] {
  const cards: DisparityCard[] = [];
  for (const metric of metrics) {
    const d = metricDisparity(disparity, metric);
    const info = metricInfo(metric);
    if (!d) continue;
    const title = `${info.label}: worst group`;
    const entry = findGroup(entries, d.worstGroup);
    if (!d.worstGroup || !entry) {
      cards.push({ metric, title, sentence: `${info.noun} is not defined for any group`, worse: false, small: false, definition: info.definition });
      continue;
    }
    const overall = metricOf(section.overall, metric);
    if (d.difference === 0 && entries.length > 1) {
      cards.push({ metric, title, sentence: `${info.noun} is ${formatMetric(metric, d.worstValue)} for all ${entries.length} groups: no gap between groups`, worse: false, small: false, definition: info.definition });
      continue;
    }
    const interval = entry.ci?.[metric];
    const sentence = gapSentence({
      metric, group: groupLabel(d.worstGroup, section.sensitive), value: d.worstValue, overall, sample: entry,
      ...(interval ? { interval } : {}), ...(section.bootstrap ? { confidence: section.bootstrap.confidence } : {}),
    });
    const gap = d.worstValue - overall;
    const worse = info.direction === 'higher-better' ? gap < 0 : gap > 0;
    cards.push({ metric, title, sentence, worse, small: entry.small === true, definition: info.definition });
  }
  return cards;
}

export interface FairnessSummary {
  readonly key: string;
  readonly title: string;
  readonly value: number;
  readonly interval?: Interval;
  /** "4.8 points (95% CI 3.0–10.5)" or "0.88 (95% CI 0.761–0.926)". */
  readonly text: string;
  readonly definition: string;
  /** What the ideal value is ("0" or "1"). */
  readonly ideal: string;
}

const FAIRNESS: readonly { key: string; title: string; kind: 'difference' | 'ratio'; definition: string }[] = [
  { key: 'demographic_parity_difference', title: 'Demographic parity difference', kind: 'difference', definition: 'Largest minus smallest selection rate across groups; 0 means every group is predicted positive equally often.' },
  { key: 'demographic_parity_ratio', title: 'Demographic parity ratio', kind: 'ratio', definition: 'Smallest over largest selection rate across groups; 1 is parity (the four-fifths rule flags < 0.8).' },
  { key: 'equalized_odds_difference', title: 'Equalized odds difference', kind: 'difference', definition: 'The larger of the TPR gap and the FPR gap between groups; 0 means equal error rates.' },
  { key: 'equalized_odds_ratio', title: 'Equalized odds ratio', kind: 'ratio', definition: 'The smaller of the TPR ratio and the FPR ratio between groups; 1 means equal error rates.' },
  { key: 'equal_opportunity_difference', title: 'Equal opportunity difference', kind: 'difference', definition: 'Largest minus smallest TPR across groups; 0 means qualified members of every group are found equally often.' },
];

/** Differences of rates in percentage points, ratios as plain numbers. */
function fairnessValue(kind: 'difference' | 'ratio', v: number): string {
  if (!Number.isFinite(v)) return formatNumber(v);
  return kind === 'difference' ? `${(v * 100).toFixed(1)} points` : formatNumber(v);
}

function fairnessInterval(kind: 'difference' | 'ratio', [lo, hi]: Interval): string {
  if (kind === 'difference' && Number.isFinite(lo) && Number.isFinite(hi)) return `${(lo * 100).toFixed(1)}${rangeSeparator(lo, hi)}${(hi * 100).toFixed(1)}`;
  return `${formatNumber(lo)}${rangeSeparator(lo, hi)}${formatNumber(hi)}`;
}

/** Fairlearn's named summaries present in a disparity section (binary tasks), with intervals. */
export function fairnessSummaries(disparity: GroupsSection['disparity'], disparityCi: GroupsSection['disparityCi'], confidence?: number): FairnessSummary[] {
  const out: FairnessSummary[] = [];
  for (const f of FAIRNESS) {
    const value = disparity[f.key];
    if (typeof value !== 'number') continue;
    const interval = disparityCi?.[f.key];
    out.push({
      key: f.key, title: f.title, value, definition: f.definition, ideal: f.kind === 'difference' ? '0' : '1',
      ...(interval ? { interval } : {}),
      text: `${fairnessValue(f.kind, value)}${interval ? ` (${ciLabel(confidence)} ${fairnessInterval(f.kind, interval)})` : ''}`,
    });
  }
  return out;
}

/**
 * The one-line headline: "Worst group: sex=F, race=B — accuracy 69.4% vs 89.9% overall, 20.5
 * points lower (n=589)." Regression uses the loss; a small worst group is said to be small.
 */
export function headline(section: GroupsSection): string {
  const metric = primaryMetric(section.task);
  const info = metricInfo(metric);
  const d = metricDisparity(section, metric);
  const entry = findGroup(section.byGroup, d?.worstGroup ?? null);
  if (!d || !d.worstGroup || !entry) {
    return section.byGroup.length === 0 ? 'No group has any rows.' : `No group has a defined ${info.noun}.`;
  }
  const overall = metricOf(section.overall, metric);
  if (d.difference === 0 && section.byGroup.length > 1) {
    return `No gap: ${info.noun} is ${formatMetric(metric, d.worstValue)} for all ${section.byGroup.length} groups (overall ${formatMetric(metric, overall)}).`;
  }
  const gap = d.worstValue - overall;
  const amount = info.rate ? `${(Math.abs(gap) * 100).toFixed(1)} points` : formatNumber(Math.abs(gap));
  const direction = gap < 0 ? 'lower' : 'higher';
  const small = entry.small ? `; a small group (fewer than ${section.minGroupSize} rows), read with care` : '';
  const gapText = Number.isFinite(gap) && amount !== '0.0 points' && amount !== '0' ? `, ${amount} ${direction}` : '';
  return `Worst group: ${groupLabel(d.worstGroup, section.sensitive)} — ${info.noun} ${formatMetric(metric, d.worstValue)} vs ${formatMetric(metric, overall)} overall${gapText} (n=${entry.count.toLocaleString('en-US')}${small}).`;
}
