/** Terminal rendering of a groups report: overall, the worst groups, the table, disparities. */
import type { GroupsReport } from '../protocol/groups';
import { higherIsBetter, metricValue, scalarMetricNames } from '../core/analyze';
import { formatRuntime, table } from './format';

const pct = (v: number): string => (Number.isFinite(v) ? (v * 100).toFixed(1) : String(v));
const num = (v: number): string => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4)) : String(v));
const RATE_METRICS = new Set(['accuracy', 'error_rate', 'selection_rate', 'tpr', 'fpr', 'fnr', 'tnr', 'precision', 'ece', 'macro_f1']);

export function groupLabel(group: Readonly<Record<string, string>>): string {
  return Object.entries(group).map(([k, v]) => `${k}=${v}`).join(', ');
}

/** The headline metric a report is sorted by: accuracy for classification, loss for regression. */
export function primaryMetric(task: string): string {
  return task === 'regression' ? 'mse' : 'accuracy';
}

export function formatGroupsReport(report: GroupsReport): string {
  const g = report.groups;
  const metrics = scalarMetricNames(g.task);
  const primary = primaryMetric(g.task);
  const format = (m: string, v: number): string => (RATE_METRICS.has(m) ? pct(v) : num(v));
  const lines: string[] = [];
  lines.push(`Groups: ${report.model?.path ?? '(predictions)'} on ${report.data.path}`);
  lines.push(`  ${report.data.rows} rows, ${report.data.skippedRows} skipped${Object.keys(report.data.skipReasons).length ? ` (${Object.entries(report.data.skipReasons).map(([r, n]) => `${r}: ${n}`).join(', ')})` : ''}${report.runtime ? `, ${formatRuntime(report.runtime)}` : ''}${g.bootstrap ? `, ${g.bootstrap.replicates} bootstrap replicates (seed ${g.bootstrap.seed})` : ''}`);
  lines.push(`  sensitive: ${g.sensitive.join(' × ')}; groups below ${g.minGroupSize} rows are marked *${g.missingGroup ? `; ${g.missingGroup} rows with a missing group value (overall only)` : ''}`);
  lines.push('', `Overall (n=${g.overall.count}): ${metrics.map((m) => `${m} ${format(m, metricValue(g.overall, m))}`).join(', ')}${RATE_METRICS.has(primary) ? '  (rates in %)' : ''}`);
  const disparity = g.disparity[primary];
  if (disparity && typeof disparity === 'object' && disparity.worstGroup) {
    const overall = metricValue(g.overall, primary);
    const gap = disparity.worstValue - overall;
    const worst = g.byGroup.find((e) => groupLabel(e.group) === groupLabel(disparity.worstGroup ?? {}));
    const ci = worst?.ci?.[primary];
    const unit = RATE_METRICS.has(primary) ? ' points' : '';
    lines.push(`Worst group by ${primary}: ${groupLabel(disparity.worstGroup)} — ${format(primary, disparity.worstValue)} vs ${format(primary, overall)} overall: ${RATE_METRICS.has(primary) ? pct(Math.abs(gap)) : num(Math.abs(gap))}${unit} ${gap < 0 === higherIsBetter(primary) ? 'worse' : 'better'}${ci ? `, group 95% CI ${format(primary, ci[0])}–${format(primary, ci[1])}` : ''}, n=${worst?.count ?? '?'}`);
  }
  const sorted = [...g.byGroup].sort((a, b) => {
    const d = metricValue(a, primary) - metricValue(b, primary);
    return higherIsBetter(primary) ? d : -d;
  });
  lines.push('', `By group (worst ${primary} first):`);
  const shown = metrics.filter((m) => m !== 'error_rate' && m !== 'tnr' && m !== 'fnr');
  lines.push(table([
    ['group', 'n', ...shown.map((m) => (RATE_METRICS.has(m) ? `${m} %` : m)), ...(g.bootstrap ? [`${primary} 95% CI`] : [])],
    ...sorted.map((e) => [
      `${groupLabel(e.group)}${e.small ? ' *' : ''}`, String(e.count), ...shown.map((m) => format(m, metricValue(e, m))),
      ...(g.bootstrap ? [e.ci?.[primary] ? `${format(primary, e.ci[primary][0])}–${format(primary, e.ci[primary][1])}` : ''] : []),
    ]),
  ]).split('\n').map((l) => `  ${l}`).join('\n'));
  const fair = (['demographic_parity_difference', 'demographic_parity_ratio', 'equalized_odds_difference', 'equalized_odds_ratio', 'equal_opportunity_difference'] as const)
    .filter((k) => typeof g.disparity[k] === 'number');
  if (fair.length > 0) {
    lines.push('', 'Fairness (between intersections, Fairlearn definitions):');
    lines.push(table(fair.map((k) => [`  ${k}`, num(g.disparity[k] as number), ...(g.disparityCi?.[k] ? [`95% CI ${num(g.disparityCi[k][0])}–${num(g.disparityCi[k][1])}`] : [])])));
  }
  if (g.diversity) {
    const d = g.diversity;
    lines.push('', `Feature diversity (Bias Loss, τ=${d.tau}${d.degenerate ? '; every variance equal, v̂ = 0' : ''}):`);
    lines.push(table([['group', 'n', 'mean v̂', 'low-diversity %', 'acc low %', 'acc rest %'],
      ...d.byGroup.map((e) => [groupLabel(e.group), String(e.count), num(e.meanVHat), pct(e.lowShare), pct(e.lowAccuracy), pct(e.restAccuracy)])]).split('\n').map((l) => `  ${l}`).join('\n'));
  }
  return lines.join('\n');
}
