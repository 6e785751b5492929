/**
 * Per-head numbers of the attention section (FORMULAS.md §D): entropy, first-token (sink) mass,
 * span masses with their sample counts, the normalised-entropy distribution, per-group values and
 * the ranking of heads by group difference. Tables are vscode-table; charts are small d3 SVGs.
 */
import { select } from 'd3';
import type { AttentionEntropyDistribution, AttentionGroupStats, AttentionHeadDifference, AttentionHeadStats, AttentionSection } from '../../extension/protocol/attention';
import { formatValue } from '../charts/heatmapColor';
import { groupLabel, reportNumber } from '../charts/heatmapData';
import { layoutEntropyBoxes } from '../charts/heatmapStats';
import { chartFrame } from '../shared/chartFrame';
import { formatCount, h } from '../shared/dom';
import type { SectionContext } from './context';

/** A vscode-table from header texts and rows of cell texts (model strings through textContent). */
export function table(testId: string, label: string, headers: readonly string[], rows: readonly (readonly string[])[], rowClass?: (i: number) => string | undefined): HTMLElement {
  return h('vscode-table', { 'data-testid': testId, 'aria-label': label, zebra: true, bordered: true, resizable: true },
    h('vscode-table-header', { slot: 'header' }, ...headers.map((text) => h('vscode-table-header-cell', { text }))),
    h('vscode-table-body', { slot: 'body' }, ...rows.map((cells, i) => h('vscode-table-row', { className: rowClass?.(i) }, ...cells.map((text) => h('vscode-table-cell', { text }))))));
}

const headName = (s: { layer: number; head: number }): string => `L${s.layer} H${s.head}`;

/** Per-head table over the whole data set. */
export function perHeadTable(section: AttentionSection, testId = 'attention-per-head'): HTMLElement {
  const hasSpecial = section.perHead.some((s) => s.specialTokenMass !== undefined);
  const distributions = new Map(section.entropy.overall.map((d) => [`${d.layer}/${d.head}`, d]));
  const headers = ['head', 'entropy (nats)', 'Ĥ median [IQR]', 'first-token mass', ...section.spans.map((s) => `“${s}” mass`), ...(hasSpecial ? ['special mass'] : [])];
  const rows = section.perHead.map((s) => {
    const d = distributions.get(`${s.layer}/${s.head}`);
    return [
      headName(s),
      formatValue(reportNumber(s.entropy)),
      d ? `${formatValue(reportNumber(d.quantiles.p50))} [${formatValue(reportNumber(d.quantiles.p25))}–${formatValue(reportNumber(d.quantiles.p75))}]` : '—',
      formatValue(reportNumber(s.firstTokenMass)),
      ...section.spans.map((name) => formatValue(reportNumber(s.spanMass[name]))),
      ...(hasSpecial ? [formatValue(reportNumber(s.specialTokenMass))] : []),
    ];
  });
  return table(testId, 'Per-head attention statistics', headers, rows);
}

/** Box plots of the normalised entropy per head (0 = one key, 1 = uniform). */
export function entropyChart(distributions: readonly AttentionEntropyDistribution[], name: string, ctx: SectionContext): HTMLElement {
  const layout = layoutEntropyBoxes(distributions.map((d) => ({
    label: headName(d),
    p10: reportNumber(d.quantiles.p10), p25: reportNumber(d.quantiles.p25), p50: reportNumber(d.quantiles.p50),
    p75: reportNumber(d.quantiles.p75), p90: reportNumber(d.quantiles.p90), mean: reportNumber(d.meanNormalized),
  })), { width: 520, labelWidth: 60, rowHeight: 16 });
  const svgElement = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const title = 'Normalised entropy per head: whiskers p10–p90, box p25–p75, line median, dot mean';
  const svg = select(svgElement).attr('width', layout.width).attr('height', layout.height).attr('viewBox', `0 0 ${layout.width} ${layout.height}`)
    .attr('role', 'img').attr('aria-label', title).attr('data-testid', `${name}-chart`).attr('class', 'entropy-chart');
  svg.append('title').text(title);
  const rows = svg.append('g').selectAll('g').data(layout.boxes).join('g');
  rows.append('text').attr('class', 'bar-label').attr('x', layout.plotX - 6).attr('y', (b) => b.y).attr('dy', '0.35em').attr('text-anchor', 'end').text((b) => b.label);
  rows.append('line').attr('class', 'whisker').attr('x1', (b) => b.x10).attr('x2', (b) => b.x90).attr('y1', (b) => b.y).attr('y2', (b) => b.y);
  rows.append('rect').attr('class', 'box').attr('x', (b) => b.x25).attr('width', (b) => Math.max(1, b.x75 - b.x25)).attr('y', (b) => b.y - 5).attr('height', 10)
    .append('title').text((b) => `${b.label}: median ${formatValue(b.p50)}, p25–p75 ${formatValue(b.p25)}–${formatValue(b.p75)}, p10–p90 ${formatValue(b.p10)}–${formatValue(b.p90)}, mean ${formatValue(b.mean)}`);
  rows.append('line').attr('class', 'median').attr('x1', (b) => b.x50).attr('x2', (b) => b.x50).attr('y1', (b) => b.y - 5).attr('y2', (b) => b.y + 5);
  rows.append('circle').attr('class', 'mean').attr('cx', (b) => b.xMean).attr('cy', (b) => b.y).attr('r', 2);
  const axisY = layout.boxes.length * layout.rowHeight + 4;
  const axis = svg.append('g').attr('class', 'axis');
  axis.append('line').attr('x1', layout.plotX).attr('x2', layout.plotX + layout.plotWidth).attr('y1', axisY).attr('y2', axisY);
  axis.selectAll('text').data(layout.ticks).join('text').attr('x', (t) => t.x).attr('y', axisY + 12).attr('text-anchor', 'middle').text((t) => String(t.value));
  const rowsCounted = distributions.reduce((s, d) => s + d.rows, 0);
  const undefinedRows = distributions.reduce((s, d) => s + d.undefinedRows, 0);
  return chartFrame(svgElement, name, ctx.exportChart, `Ĥ = H / log(valid keys); ${formatCount(rowsCounted)} query rows over all heads${undefinedRows > 0 ? `, ${formatCount(undefinedRows)} rows with one valid key left out` : ''}`);
}

/** Per-group table: samples, small-group mark, and the mean over heads of each statistic. */
export function groupTable(section: AttentionSection): HTMLElement {
  const mean = (values: readonly number[]): number => {
    const finite = values.filter(Number.isFinite);
    return finite.length > 0 ? finite.reduce((a, b) => a + b, 0) / finite.length : Number.NaN;
  };
  const headers = ['group', 'samples', 'entropy (nats)', 'first-token mass', ...section.spans.map((s) => `“${s}” mass`)];
  const rows = section.byGroup.map((g: AttentionGroupStats) => [
    `${groupLabel(g.group)}${g.small ? ' (small)' : ''}`,
    formatCount(g.samples),
    formatValue(mean(g.perHead.map((s) => reportNumber(s.entropy)))),
    formatValue(mean(g.perHead.map((s) => reportNumber(s.firstTokenMass)))),
    ...section.spans.map((name) => formatValue(mean(g.perHead.map((s) => reportNumber(s.spanMass[name]))))),
  ]);
  return table('attention-groups', 'Attention statistics per group', headers, rows, (i) => (section.byGroup[i]?.small ? 'small-group' : undefined));
}

/** One group's per-head table (same columns as the overall one). */
export function groupHeadTable(section: AttentionSection, group: AttentionGroupStats): HTMLElement {
  const overall: readonly AttentionHeadStats[] = section.perHead;
  const headers = ['head', 'entropy (nats)', 'Δ vs all', 'first-token mass', 'Δ vs all', ...section.spans.map((s) => `“${s}” mass`)];
  const rows = group.perHead.map((s) => {
    const all = overall.find((o) => o.layer === s.layer && o.head === s.head);
    const delta = (a: unknown, b: unknown): string => formatValue(reportNumber(a) - reportNumber(b));
    return [headName(s), formatValue(reportNumber(s.entropy)), all ? delta(s.entropy, all.entropy) : '—', formatValue(reportNumber(s.firstTokenMass)), all ? delta(s.firstTokenMass, all.firstTokenMass) : '—',
      ...section.spans.map((name) => formatValue(reportNumber(s.spanMass[name])))];
  });
  return table('attention-group-heads', `Per-head statistics of ${groupLabel(group.group)}`, headers, rows);
}

/** Heads ranked by group difference, largest first (the order the report gives, re-sorted defensively). */
export function rankingTable(ranking: readonly AttentionHeadDifference[]): HTMLElement {
  const sorted = [...ranking].sort((a, b) => byDescending(reportNumber(a.mapDifference), reportNumber(b.mapDifference)) || byDescending(reportNumber(a.spanMassDifference), reportNumber(b.spanMassDifference)));
  return table('attention-ranking', 'Heads ranked by group difference, largest first',
    ['head', 'map Δ', 'span-mass Δ', 'entropy Δ (nats)', 'groups compared'],
    sorted.map((r) => [headName(r), formatValue(reportNumber(r.mapDifference)), formatValue(reportNumber(r.spanMassDifference)), formatValue(reportNumber(r.entropyDifference)), pairLabel(r.groups[0], r.groups[1])]));
}

/** "identity: muslim vs none" when both groups are over the same columns (the ranking's case). */
export function pairLabel(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): string {
  const keys = Object.keys(a);
  const same = keys.length === Object.keys(b).length && keys.every((k) => k in b);
  return same && keys.length > 0 ? `${keys.join(', ')}: ${keys.map((k) => a[k]).join(', ')} vs ${keys.map((k) => b[k]).join(', ')}` : `${groupLabel(a)} vs ${groupLabel(b)}`;
}

/** Descending order with NaN last. */
function byDescending(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return b - a;
}
