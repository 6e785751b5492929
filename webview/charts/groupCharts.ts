/**
 * Thin d3 renderers of the groups view's charts over their pure layouts (whiskerLayout,
 * matrixLayout, calibrationLayout, diversityLayout). Data-derived strings only through .text().
 */
import { interpolatePuOr, select, type Selection } from 'd3';
import type { WhiskerLayout } from './whiskerLayout';
import type { MatrixLayout } from './matrixLayout';
import type { CalibrationLayout } from './calibrationLayout';
import type { DiversityLayout } from './diversityLayout';
import { formatInterval, formatMetric, formatNumber, metricInfo } from './groupMetrics';

type Svg = Selection<SVGSVGElement, unknown, null, undefined>;

let patternCounter = 0;

/** Sizes the SVG, clears it and sets its accessible name. */
function prepare(element: SVGSVGElement, width: number, height: number, label: string): Svg {
  const svg = select(element)
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('width', width)
    .attr('height', height)
    .attr('role', 'img')
    .attr('aria-label', label);
  svg.selectAll('*').remove();
  svg.append('title').text(label);
  return svg;
}

/** A diagonal hatch pattern (small groups); returns its url(). */
function hatch(svg: Svg): string {
  const id = `small-hatch-${++patternCounter}`;
  const pattern = svg.append('defs').append('pattern').attr('id', id).attr('patternUnits', 'userSpaceOnUse')
    .attr('width', 6).attr('height', 6).attr('patternTransform', 'rotate(45)');
  pattern.append('rect').attr('class', 'hatch-bg').attr('width', 6).attr('height', 6);
  pattern.append('line').attr('class', 'hatch-line').attr('x1', 0).attr('y1', 0).attr('x2', 0).attr('y2', 6);
  return `url(#${id})`;
}

/** Tick text: whole percents for rates, ~3 digits otherwise. */
export function tickText(metric: string, value: number): string {
  return metricInfo(metric).rate ? `${Number((value * 100).toFixed(1))}%` : formatNumber(value);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export interface WhiskerRenderOptions {
  readonly metric: string;
  readonly title: string;
  readonly confidence?: number;
}

const WHISKER_TOP = 18;

/** Per-group bars, whiskers, the overall line and small-group marks. */
export function renderWhiskers(element: SVGSVGElement, layout: WhiskerLayout, options: WhiskerRenderOptions): void {
  const { metric } = options;
  const info = metricInfo(metric);
  const svg = prepare(element, layout.width, layout.height + WHISKER_TOP, options.title);
  const pattern = hatch(svg);
  const plot = svg.append('g').attr('transform', `translate(0, ${WHISKER_TOP})`);
  const ciText = `${Number(((options.confidence ?? 0.95) * 100).toPrecision(3))}% CI`;
  const rows = plot.append('g').attr('class', 'whisker-rows').selectAll('g').data(layout.rows).join('g')
    .attr('class', (d) => `whisker-row ${d.versusOverall}${d.small ? ' small' : ''}`)
    .attr('data-testid', 'group-bar').attr('data-group', (d) => d.label)
    .attr('transform', (d) => `translate(0, ${d.y})`);
  rows.append('title').text((d) => `${d.label}: ${info.label} ${formatMetric(metric, d.value)}${d.interval ? ` (${ciText} ${formatInterval(metric, d.interval)})` : ''}, ${d.note}${d.small ? ' — small group' : ''}\n${info.definition}`);
  rows.append('text').attr('class', 'whisker-label').attr('x', layout.plotX - 8).attr('y', (d) => d.height / 2)
    .attr('dy', '0.35em').attr('text-anchor', 'end').text((d) => truncate(d.label, 30));
  rows.append('rect').attr('class', 'whisker-bar')
    .attr('x', (d) => Math.min(d.x0, d.x1)).attr('y', 2).attr('height', (d) => d.height - 4)
    .attr('width', (d) => Math.max(d.missing ? 0 : 1, Math.abs(d.x1 - d.x0)));
  rows.filter((d) => d.small).append('rect').attr('class', 'whisker-hatch')
    .attr('x', (d) => Math.min(d.x0, d.x1)).attr('y', 2).attr('height', (d) => d.height - 4)
    .attr('width', (d) => Math.abs(d.x1 - d.x0)).attr('fill', pattern);
  const whiskers = rows.filter((d) => d.whisker !== undefined).append('g').attr('class', 'whisker');
  whiskers.append('line').attr('x1', (d) => d.whisker?.lo ?? 0).attr('x2', (d) => d.whisker?.hi ?? 0)
    .attr('y1', (d) => d.height / 2).attr('y2', (d) => d.height / 2);
  for (const end of ['lo', 'hi'] as const) {
    whiskers.append('line').attr('x1', (d) => d.whisker?.[end] ?? 0).attr('x2', (d) => d.whisker?.[end] ?? 0)
      .attr('y1', 2).attr('y2', (d) => d.height - 2);
  }
  const notes = rows.append('text').attr('class', 'whisker-note').attr('x', layout.plotX + layout.plotWidth + 10)
    .attr('y', (d) => d.height / 2).attr('dy', '0.35em');
  notes.append('tspan').attr('class', 'whisker-value').attr('font-weight', 600).text((d) => formatMetric(metric, d.value));
  notes.append('tspan').text((d) => `  ${d.note}`);
  notes.filter((d) => d.small).append('tspan').attr('class', 'small-mark').text('  small');
  if (layout.overallX !== null) {
    const overall = plot.append('g').attr('class', 'overall-line');
    overall.append('line').attr('x1', layout.overallX).attr('x2', layout.overallX).attr('y1', -6).attr('y2', layout.axisY).attr('stroke-dasharray', '4 3');
    overall.append('text').attr('x', layout.overallX).attr('y', -8).attr('text-anchor', 'middle').text('overall');
  }
  const axis = plot.append('g').attr('class', 'axis').attr('transform', `translate(0, ${layout.axisY})`);
  axis.append('line').attr('x1', layout.plotX).attr('x2', layout.plotX + layout.plotWidth).attr('y1', 0).attr('y2', 0);
  axis.selectAll('text').data(layout.ticks).join('text').attr('x', (t) => t.x).attr('y', 14).attr('text-anchor', 'middle')
    .text((t) => tickText(metric, t.value));
}

/** Fill of a matrix tone: ColorBrewer PuOr, orange = worse than overall, purple = better. */
export function toneColor(tone: number): string {
  return interpolatePuOr((1 - Math.max(-1, Math.min(1, tone))) / 2);
}

export interface MatrixRenderOptions {
  readonly metric: string;
  readonly title: string;
  readonly columns: readonly [string, string];
}

const LEGEND_HEIGHT = 46;
const LEGEND_WIDTH = 320;

/** Cells coloured around overall, value and n in each; empty combinations drawn empty. */
export function renderMatrix(element: SVGSVGElement, layout: MatrixLayout, options: MatrixRenderOptions): void {
  const { metric } = options;
  const info = metricInfo(metric);
  const width = Math.max(layout.width, layout.rowLabelWidth + LEGEND_WIDTH + 10);
  const svg = prepare(element, width, layout.height + LEGEND_HEIGHT, options.title);
  const pattern = hatch(svg);
  const [rowColumn, colColumn] = options.columns;
  svg.append('text').attr('class', 'matrix-axis-title').attr('x', layout.rowLabelWidth).attr('y', 12).text(`${colColumn} →`);
  svg.append('text').attr('class', 'matrix-axis-title').attr('x', layout.rowLabelWidth - 8).attr('y', layout.headerHeight - 8).attr('text-anchor', 'end').text(`${rowColumn} ↓`);
  svg.append('g').selectAll('text').data(layout.colValues).join('text').attr('class', 'matrix-label')
    .attr('x', (_d, i) => layout.rowLabelWidth + (i + 0.5) * (layout.cells[0]?.width ?? 0)).attr('y', layout.headerHeight - 8)
    .attr('text-anchor', 'middle').text((d) => truncate(d, 16));
  svg.append('g').selectAll('text').data(layout.rowValues).join('text').attr('class', 'matrix-label')
    .attr('x', layout.rowLabelWidth - 8).attr('y', (_d, i) => layout.headerHeight + (i + 0.5) * (layout.cells[0]?.height ?? 0))
    .attr('dy', '0.35em').attr('text-anchor', 'end').text((d) => truncate(d, 18));
  const cells = svg.append('g').selectAll('g').data(layout.cells).join('g')
    .attr('class', (d) => `matrix-cell${d.entry ? '' : ' empty'}${d.entry?.small ? ' small' : ''}${d.lightText ? ' light' : ''}`)
    .attr('transform', (d) => `translate(${d.x}, ${d.y})`);
  cells.append('title').text((d) => {
    const group = `${rowColumn}=${d.rowValue}, ${colColumn}=${d.colValue}`;
    if (!d.entry) return `${group}: no rows in the data with this combination`;
    const e = d.entry;
    return `${group}: ${info.label} ${formatMetric(metric, e.value)}${e.interval ? ` (CI ${formatInterval(metric, e.interval)})` : ''}, n=${e.count}${e.small ? ' — small group' : ''}\n${info.definition}`;
  });
  cells.append('rect').attr('class', 'matrix-rect').attr('x', 1).attr('y', 1)
    .attr('width', (d) => d.width - 2).attr('height', (d) => d.height - 2)
    .attr('fill', (d) => (d.entry && Number.isFinite(d.tone) ? toneColor(d.tone) : 'none'))
    .attr('stroke-dasharray', (d) => (d.entry ? null : '4 3'));
  cells.filter((d) => d.entry?.small === true).append('rect').attr('class', 'matrix-hatch').attr('x', 1).attr('y', 1)
    .attr('width', (d) => d.width - 2).attr('height', (d) => d.height - 2).attr('fill', pattern);
  // Text sits on a data colour, not the theme background: black or white by the fill's darkness.
  const text = cells.append('text').attr('class', 'matrix-text').attr('x', (d) => d.width / 2).attr('text-anchor', 'middle');
  text.filter((d) => d.entry !== undefined).style('fill', (d) => (d.lightText ? '#ffffff' : '#1f1f1f'));
  text.append('tspan').attr('class', 'matrix-value').attr('font-weight', 600).attr('x', (d) => d.width / 2).attr('y', (d) => d.height / 2 - 3)
    .text((d) => (d.entry ? formatMetric(metric, d.entry.value) : 'no rows'));
  text.append('tspan').attr('class', 'matrix-n').attr('x', (d) => d.width / 2).attr('y', (d) => d.height / 2 + 11)
    .text((d) => (d.entry ? `n=${d.entry.count.toLocaleString('en-US')}${d.entry.small ? ' · small' : ''}` : ''));
  renderToneLegend(svg, metric, layout, layout.height + 10);
}

function renderToneLegend(svg: Svg, metric: string, layout: MatrixLayout, y: number): void {
  const id = `tone-gradient-${++patternCounter}`;
  const gradient = svg.append('defs').append('linearGradient').attr('id', id);
  for (let i = 0; i <= 10; i++) gradient.append('stop').attr('offset', `${i * 10}%`).attr('stop-color', toneColor(-1 + i / 5));
  const x = layout.rowLabelWidth;
  const width = LEGEND_WIDTH;
  const legend = svg.append('g').attr('class', 'matrix-legend').attr('transform', `translate(${x}, ${y})`);
  legend.append('rect').attr('width', width).attr('height', 10).attr('fill', `url(#${id})`);
  // Ends are deviations from overall (the scale is symmetric; an end may lie outside [0, 100%]).
  const deviation = metricInfo(metric).rate ? `${(layout.maxDeviation * 100).toFixed(1)} points` : formatNumber(layout.maxDeviation);
  const labels: [number, string, string][] = [
    [0, 'start', `${deviation} worse`],
    [width / 2, 'middle', `overall ${formatMetric(metric, layout.legend.overall)}`],
    [width, 'end', `${deviation} better`],
  ];
  legend.selectAll('text').data(labels).join('text').attr('x', (d) => d[0]).attr('y', 24).attr('text-anchor', (d) => d[1]).text((d) => d[2]);
}

export interface CalibrationRenderOptions {
  readonly title: string;
  /** Panels per row. */
  readonly columns: number;
  /** Index of the panel drawn as the reference (overall), shown faint in every other panel. */
  readonly referencePanel?: number;
  /** Index of the panel to emphasise (the worst group). */
  readonly emphasisPanel?: number;
}

const PANEL_TITLE = 30;

/** Reliability diagrams as small multiples; ECE and n in each panel's title. */
export function renderCalibration(element: SVGSVGElement, layout: CalibrationLayout, options: CalibrationRenderOptions): void {
  const columns = Math.max(1, Math.min(options.columns, layout.panels.length));
  const panelW = layout.width;
  const panelH = layout.height + PANEL_TITLE;
  const rowsCount = Math.ceil(layout.panels.length / columns);
  const svg = prepare(element, columns * panelW, rowsCount * panelH, options.title);
  const reference = options.referencePanel === undefined ? undefined : layout.panels[options.referencePanel];
  const { x, y, size } = layout.plot;
  layout.panels.forEach((panel, i) => {
    const g = svg.append('g').attr('class', `calibration-panel${i === options.emphasisPanel ? ' emphasis' : ''}${i === options.referencePanel ? ' reference' : ''}${panel.series.small ? ' small' : ''}`)
      .attr('transform', `translate(${(i % columns) * panelW}, ${Math.floor(i / columns) * panelH})`);
    const s = panel.series;
    g.append('text').attr('class', 'panel-title').attr('font-weight', 600).attr('x', x).attr('y', 12).text(truncate(s.label, 30));
    g.append('text').attr('class', 'panel-subtitle').attr('x', x).attr('y', 25)
      .text(`ECE ${formatMetric('ece', s.ece)} · n=${s.count.toLocaleString('en-US')}${s.small ? ' · small' : ''}`);
    const body = g.append('g').attr('transform', `translate(0, ${PANEL_TITLE})`);
    body.append('rect').attr('class', 'panel-frame').attr('x', x).attr('y', y).attr('width', size).attr('height', size);
    body.append('line').attr('class', 'diagonal').attr('x1', layout.diagonal.x1).attr('y1', layout.diagonal.y1).attr('x2', layout.diagonal.x2).attr('y2', layout.diagonal.y2).attr('stroke-dasharray', '3 3');
    if (reference && reference !== panel) {
      body.append('polyline').attr('class', 'reference-line').attr('points', reference.line.map((p) => p.join(',')).join(' '));
    }
    body.append('polyline').attr('class', 'series-line').attr('points', panel.line.map((p) => p.join(',')).join(' '));
    body.append('g').selectAll('circle').data(panel.points).join('circle').attr('class', 'series-point')
      .attr('cx', (p) => p.x).attr('cy', (p) => p.y).attr('r', (p) => p.r)
      .append('title').text((p) => `${s.label}: confidence ${formatNumber(p.bin.lo)}–${formatNumber(p.bin.hi)}, n=${p.bin.count}: mean confidence ${formatMetric('accuracy', p.bin.meanConfidence)}, accuracy ${formatMetric('accuracy', p.bin.meanCorrect)}`);
    const axis = body.append('g').attr('class', 'axis');
    axis.selectAll('text.x').data(layout.ticks).join('text').attr('class', 'x').attr('x', (t) => x + t.position).attr('y', y + size + 12)
      .attr('text-anchor', 'middle').text((t) => tickText('accuracy', t.value));
    axis.selectAll('text.y').data(layout.ticks).join('text').attr('class', 'y').attr('x', x - 4).attr('y', (t) => y + size - t.position)
      .attr('dy', '0.35em').attr('text-anchor', 'end').text((t) => tickText('accuracy', t.value));
    axis.append('text').attr('x', x + size / 2).attr('y', y + size + 25).attr('text-anchor', 'middle').text('confidence');
    axis.append('text').attr('transform', `translate(${x - 30}, ${y + size / 2}) rotate(-90)`).attr('text-anchor', 'middle').text('accuracy');
  });
}

export interface DiversityRenderOptions {
  readonly title: string;
  readonly tau: number;
  /** Row text after the box ("30.3% low-diversity · acc 78.7% vs 99.4%"). */
  readonly note: (index: number) => string;
}

/** Box of v̂ quantiles per group with the τ line. */
export function renderDiversity(element: SVGSVGElement, layout: DiversityLayout, options: DiversityRenderOptions): void {
  const top = 18;
  const svg = prepare(element, layout.width, layout.height + top, options.title);
  const plot = svg.append('g').attr('transform', `translate(0, ${top})`);
  const rows = plot.append('g').selectAll('g').data(layout.rows).join('g').attr('class', 'diversity-row')
    .attr('transform', (d) => `translate(0, ${d.y})`);
  rows.append('title').text((d) => `${d.label}: v̂ 10/25/50/75/90th percentiles ${d.stats.quantiles.map(formatNumber).join(' / ')}, mean ${formatNumber(d.stats.meanVHat)}, n=${d.stats.count}\nv̂: normalised variance of the feature map over the data set; v̂ ≤ τ = ${formatNumber(options.tau)} is a low-diversity sample.`);
  rows.append('text').attr('class', 'whisker-label').attr('x', layout.plotX - 8).attr('y', (d) => d.height / 2).attr('dy', '0.35em')
    .attr('text-anchor', 'end').text((d) => truncate(d.label, 30));
  const mid = (d: { height: number }): number => d.height / 2;
  rows.append('line').attr('class', 'box-whisker').attr('x1', (d) => d.q[0]).attr('x2', (d) => d.q[4]).attr('y1', mid).attr('y2', mid);
  rows.append('rect').attr('class', 'box').attr('x', (d) => d.q[1]).attr('width', (d) => Math.max(1, d.q[3] - d.q[1])).attr('y', 2).attr('height', (d) => d.height - 4);
  rows.append('line').attr('class', 'box-median').attr('x1', (d) => d.q[2]).attr('x2', (d) => d.q[2]).attr('y1', 1).attr('y2', (d) => d.height - 1);
  rows.append('text').attr('class', 'whisker-note').attr('x', layout.plotX + layout.plotWidth + 10).attr('y', mid).attr('dy', '0.35em')
    .text((_d, i) => options.note(i));
  const tau = plot.append('g').attr('class', 'overall-line');
  tau.append('line').attr('x1', layout.tauX).attr('x2', layout.tauX).attr('y1', -6).attr('y2', layout.axisY).attr('stroke-dasharray', '4 3');
  tau.append('text').attr('x', layout.tauX).attr('y', -8).attr('text-anchor', 'middle').text(`τ = ${formatNumber(options.tau)}`);
  const axis = plot.append('g').attr('class', 'axis').attr('transform', `translate(0, ${layout.axisY})`);
  axis.append('line').attr('x1', layout.plotX).attr('x2', layout.plotX + layout.plotWidth).attr('y1', 0).attr('y2', 0);
  axis.selectAll('text').data(layout.ticks).join('text').attr('x', (t) => t.x).attr('y', 14).attr('text-anchor', 'middle').text((t) => formatNumber(t.value));
}
