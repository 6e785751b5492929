/**
 * The parts of the groups view below the controls: disparity cards, Fairlearn summaries,
 * per-group bars, the intersection matrix, reliability diagrams, feature diversity and the
 * table of every metric. Each builder takes the current selection; data strings via textContent.
 */
import type { DiversityStats, GroupEntry, GroupKey, GroupsReport, GroupsSection, Interval } from '../../extension/protocol/groups';
import type { SectionContext } from './context';
import { h } from '../shared/dom';
import { chartFrame } from '../shared/chartFrame';
import { disparityCards, fairnessSummaries, findGroup, metricDisparity, ciLabel } from '../charts/disparityText';
import { formatInterval, formatMetric, groupLabel, headlineMetrics, metricInfo, metricOf, primaryMetric, sampleNote, scalarMetrics } from '../charts/groupMetrics';
import { layoutWhiskers } from '../charts/whiskerLayout';
import { layoutMatrix } from '../charts/matrixLayout';
import { layoutCalibration, pickCalibrationGroups, type CalibrationSeries } from '../charts/calibrationLayout';
import { layoutDiversity } from '../charts/diversityLayout';
import { renderCalibration, renderDiversity, renderMatrix, renderWhiskers } from '../charts/groupCharts';

/** The rows and disparities the view currently shows: all intersections or one column alone. */
export interface GroupsScope {
  /** 'intersections' or a sensitive column's name. */
  readonly id: string;
  readonly title: string;
  readonly sensitive: readonly string[];
  readonly entries: readonly GroupEntry[];
  readonly disparity: GroupsSection['disparity'];
  readonly disparityCi: GroupsSection['disparityCi'];
}

export function scopes(g: GroupsSection): GroupsScope[] {
  const all: GroupsScope = { id: 'intersections', title: g.sensitive.length > 1 ? `intersections (${g.sensitive.join(' × ')})` : g.sensitive.join(''), sensitive: g.sensitive, entries: g.byGroup, disparity: g.disparity, disparityCi: g.disparityCi };
  if (g.sensitive.length < 2) return [all];
  return [all, ...g.byColumn.map((c): GroupsScope => ({ id: c.column, title: `${c.column} alone`, sensitive: [c.column], entries: c.byGroup, disparity: c.disparity, disparityCi: c.disparityCi }))];
}

const svgElement = (testId: string): SVGSVGElement => {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('data-testid', testId);
  return svg;
};

const slug = (text: string): string => text.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'chart';

function chartWidth(): number {
  const available = typeof document !== 'undefined' ? document.body.clientWidth - 48 : 860;
  return Math.max(640, Math.min(1000, available));
}

/** Disparity cards (one per headline metric) and Fairlearn's named summaries. */
export function disparityBlock(g: GroupsSection, scope: GroupsScope): HTMLElement {
  const cards = disparityCards({ ...g, sensitive: scope.sensitive }, headlineMetrics(g.task), scope.entries, scope);
  const confidence = g.bootstrap?.confidence;
  const summaries = fairnessSummaries(scope.disparity, scope.disparityCi, confidence);
  return h('div', { className: 'groups-disparity' },
    h('div', { className: 'disparity-cards', 'data-testid': 'disparity-cards' },
      ...cards.map((c) => h('article', { className: `disparity-card${c.worse ? ' worse' : ''}`, title: c.definition, 'data-metric': c.metric },
        h('h3', { text: c.title }),
        h('p', { className: 'disparity-sentence', text: c.sentence }),
        c.small ? h('p', { className: 'small-note', text: `small group: fewer than ${g.minGroupSize} rows, the estimate is noisy` }) : null))),
    summaries.length > 0 ? h('div', { className: 'fairness-summaries' },
      h('h3', { text: `Fairness summaries between ${scope.title} (Fairlearn definitions, ideal value in brackets)` }),
      h('dl', { 'data-testid': 'fairness-summaries' }, ...summaries.flatMap((s) => [
        h('dt', { title: s.definition, text: `${s.title} [${s.ideal}]` }),
        h('dd', {}, h('span', { className: 'fairness-value', text: s.text }), h('span', { className: 'muted', text: ` — ${s.definition}` })),
      ]))) : null,
  );
}

/** Bars with interval whiskers for the selected metric, worst group first. */
export function barsBlock(g: GroupsSection, scope: GroupsScope, metric: string, ctx: SectionContext): HTMLElement {
  const info = metricInfo(metric);
  const overall = metricOf(g.overall, metric);
  const data = scope.entries.map((e) => {
    const label = groupLabel(e.group, scope.sensitive);
    const interval = e.ci?.[metric];
    return { key: label, label, value: metricOf(e, metric), count: e.count, small: e.small === true, note: sampleNote(e, metric), ...(interval ? { interval } : {}) };
  });
  const layout = layoutWhiskers(data, { metric, width: chartWidth(), overall, labelWidth: 170, noteWidth: 260 });
  const worst = layout.rows[0];
  const title = `${info.label} by ${scope.title}, worst first${worst ? `: worst ${worst.label} ${formatMetric(metric, worst.value)}` : ''}; overall ${formatMetric(metric, overall)}`;
  const svg = svgElement('group-bars');
  renderWhiskers(svg, layout, { metric, title, ...(g.bootstrap ? { confidence: g.bootstrap.confidence } : {}) });
  const overallCi = g.overall.ci?.[metric];
  const caption = `${info.definition} Overall ${formatMetric(metric, overall)}${overallCi ? ` (${ciLabel(g.bootstrap?.confidence)} ${formatInterval(metric, overallCi)})` : ''}, n=${g.overall.count.toLocaleString('en-US')}. ${
    g.bootstrap ? `Whiskers: ${ciLabel(g.bootstrap.confidence)} (bootstrap); orange bars: the whole interval is worse than overall.` : 'No intervals: run with --bootstrap N for whiskers.'} Hatched: small group (n < ${g.minGroupSize}).`;
  return chartFrame(svg, `groups-${slug(metric)}-${slug(scope.id)}`, ctx.exportChart, caption);
}

/** The two-column intersection matrix (only when there are exactly two sensitive columns). */
export function matrixBlock(g: GroupsSection, metric: string, ctx: SectionContext): HTMLElement | null {
  const [a, b] = g.sensitive;
  if (g.sensitive.length !== 2 || a === undefined || b === undefined) return null;
  const info = metricInfo(metric);
  const layout = layoutMatrix(g.byGroup, { metric, columns: [a, b], overall: metricOf(g.overall, metric) });
  const svg = svgElement('group-matrix');
  renderMatrix(svg, layout, { metric, columns: [a, b], title: `${info.label} for every ${a} × ${b} combination; colour: orange worse than overall, purple better` });
  const empty = layout.cells.filter((c) => !c.entry).length;
  const caption = `Cell colour: ${info.label} relative to overall (ColorBrewer PuOr, colour-blind safe). ${empty > 0 ? `${empty} combination${empty === 1 ? '' : 's'} with no rows shown empty. ` : ''}Hatched: small group.`;
  return chartFrame(svg, `groups-matrix-${slug(metric)}`, ctx.exportChart, caption);
}

function series(key: string, label: string, e: GroupEntry | GroupsSection['overall'], small: boolean): CalibrationSeries {
  return { key, label, count: e.count, ece: metricOf(e, 'ece'), small, bins: e.calibration ?? [] };
}

/** Reliability diagrams: overall, the worst group of the metric and the largest groups (or all). */
export function calibrationBlock(g: GroupsSection, scope: GroupsScope, metric: string, all: boolean, ctx: SectionContext): HTMLElement | null {
  if (!g.overall.calibration || g.overall.calibration.length === 0) return null;
  const worstKey: GroupKey | null = metricDisparity(scope, metric)?.worstGroup ?? metricDisparity(scope, primaryMetric(g.task))?.worstGroup ?? null;
  const worst = findGroup(scope.entries, worstKey);
  const picked = all ? [...scope.entries].filter((e) => (e.calibration?.length ?? 0) > 0).sort((x, y) => y.count - x.count) : pickCalibrationGroups(scope.entries, worst, 3);
  const list = [series('overall', 'overall', g.overall, false), ...picked.map((e) => series(groupLabel(e.group, scope.sensitive), groupLabel(e.group, scope.sensitive), e, e.small === true))];
  const layout = layoutCalibration(list);
  const svg = svgElement('group-calibration');
  const emphasis = worst ? picked.indexOf(worst) + 1 : -1;
  renderCalibration(svg, layout, {
    title: `Reliability diagrams: mean confidence vs accuracy per confidence bin, ${list.length} panels`,
    columns: Math.max(1, Math.floor(chartWidth() / layout.width)),
    referencePanel: 0,
    ...(emphasis > 0 ? { emphasisPanel: emphasis } : {}),
  });
  const caption = `${metricInfo('ece').definition} Points: non-empty bins (area ~ rows in the bin); diagonal: perfect calibration; grey line in each panel: overall.${worst ? ` Highlighted: worst group by ${metricInfo(metric).label}.` : ''}`;
  return chartFrame(svg, `groups-calibration-${slug(scope.id)}`, ctx.exportChart, caption);
}

const pct = (v: number): string => formatMetric('accuracy', v);

function diversityNote(s: DiversityStats): string {
  return `${pct(s.lowShare)} low-diversity (${s.lowCount} of ${s.count}) · accuracy ${pct(s.lowAccuracy)} low vs ${pct(s.restAccuracy)} rest`;
}

/** Feature diversity (Bias Loss): v̂ quantiles per group, low-diversity share and accuracies. */
export function diversityBlock(report: GroupsReport, scope: GroupsScope, ctx: SectionContext): HTMLElement | null {
  const d = report.groups.diversity;
  if (!d) return null;
  const groups = scope.id === 'intersections' ? d.byGroup : d.byColumn.find((c) => c.column === scope.id)?.byGroup ?? d.byGroup;
  const rows = [
    { key: 'overall', label: 'all rows', stats: d.overall },
    ...[...groups].sort((a, b) => b.lowShare - a.lowShare).map((e) => ({ key: groupLabel(e.group, scope.sensitive), label: groupLabel(e.group, scope.sensitive), stats: e as DiversityStats })),
  ];
  const layout = layoutDiversity(rows, { width: chartWidth(), tau: d.tau, labelWidth: 170, noteWidth: 400 });
  const svg = svgElement('group-diversity');
  renderDiversity(svg, layout, { title: `Feature diversity v̂ per group, τ = ${d.tau}`, tau: d.tau, note: (i) => { const r = rows[i]; return r ? diversityNote(r.stats) : ''; } });
  const caption = `v̂: the feature map's variance, normalised over the data set (0 = least diverse). Box: 25–75th percentile, whiskers 10–90th, line: median. v̂ ≤ τ = ${d.tau} is a low-diversity sample (Bias Loss paper: near-random predictions).${d.degenerate ? ' Every variance was equal: v̂ is 0 throughout.' : ''}`;
  return chartFrame(svg, `groups-diversity-${slug(scope.id)}`, ctx.exportChart, caption);
}

function intervalCell(metric: string, interval: Interval | undefined): string {
  return interval ? formatInterval(metric, interval) : '';
}

/** Every scalar metric of every group (worst first by the selected metric is the chart's job: here, by count). */
export function metricsTable(g: GroupsSection, scope: GroupsScope, metric: string): HTMLElement {
  // error rate and FNR are 1 − accuracy and 1 − TPR: left to the chart's selector, to keep the table readable.
  const metrics = scalarMetrics(g.task).filter((m) => m !== 'error_rate' && m !== 'fnr');
  const header = ['group', 'n', ...metrics.map((m) => metricInfo(m).label), ...(g.bootstrap ? [`${metricInfo(metric).label} ${ciLabel(g.bootstrap.confidence)}`] : [])];
  const row = (label: string, e: GroupsSection['overall'] | GroupEntry, small: boolean): HTMLElement =>
    h('vscode-table-row', {},
      h('vscode-table-cell', { text: `${label}${small ? ' (small)' : ''}` }),
      h('vscode-table-cell', { text: e.count.toLocaleString('en-US') }),
      ...metrics.map((m) => h('vscode-table-cell', { title: `${metricInfo(m).definition} ${sampleNote(e, m)}`, text: formatMetric(m, metricOf(e, m)) })),
      ...(g.bootstrap ? [h('vscode-table-cell', { text: intervalCell(metric, e.ci?.[metric]) })] : []));
  const ciShare = g.bootstrap ? 12 : 0;
  const rest = ((100 - 17 - 6 - ciShare) / metrics.length).toFixed(2);
  const columns = JSON.stringify(['17%', '6%', ...metrics.map(() => `${rest}%`), ...(g.bootstrap ? [`${ciShare}%`] : [])]);
  return h('vscode-table', { 'data-testid': 'group-table', 'aria-label': `All metrics by ${scope.title}`, zebra: true, bordered: true, resizable: true, columns },
    h('vscode-table-header', { slot: 'header' }, ...header.map((t) => h('vscode-table-header-cell', { text: t }))),
    h('vscode-table-body', { slot: 'body' },
      row('overall', g.overall, false),
      ...[...scope.entries].sort((a, b) => b.count - a.count).map((e) => row(groupLabel(e.group, scope.sensitive), e, e.small === true))));
}
