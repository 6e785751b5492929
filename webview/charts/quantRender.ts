/**
 * Thin d3 renderers of the quantization view's SVG charts over their pure layouts
 * (quantHistogram.ts, quantMatrix.ts). Model-derived strings only through .text().
 */
import { select, type Selection } from 'd3';
import { divergingScale, gradientStops } from './heatmapColor';
import type { HistogramLayout } from './quantHistogram';
import type { ChangeMatrixLayout } from './quantMatrix';
import { formatChange } from './quantMatrix';
import { formatQuantNumber } from './quantData';

type Svg = Selection<SVGSVGElement, unknown, null, undefined>;

let ids = 0;

function prepare(element: SVGSVGElement, width: number, height: number, label: string, className: string): Svg {
  const svg = select(element)
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('width', width)
    .attr('height', height)
    .attr('role', 'img')
    .attr('aria-label', label)
    .attr('class', className);
  svg.selectAll('*').remove();
  svg.append('title').text(label);
  return svg;
}

export interface HistogramRenderOptions {
  readonly title: string;
  /** Words for the grid in the tooltip of its marks, e.g. "int4 grid". */
  readonly gridLabel: string;
  readonly logCounts: boolean;
}

/** Bars of the value histogram, the format's grid as lines or a rug, ±threshold lines, axes. */
export function renderHistogram(element: SVGSVGElement, layout: HistogramLayout, options: HistogramRenderOptions): void {
  const svg = prepare(element, layout.width, layout.height, options.title, 'quant-histogram');
  const { plot } = layout;
  const bottom = plot.y + plot.height;
  svg.append('text').attr('class', 'chart-title').attr('x', 4).attr('y', 14).text(options.title);
  svg.append('g').attr('class', 'hist-bars').selectAll('rect').data(layout.bars).join('rect')
    .attr('class', 'hist-bar').attr('x', (b) => b.x).attr('y', (b) => b.y).attr('width', (b) => Math.max(0.5, b.width - 0.5)).attr('height', (b) => b.height)
    .append('title').text((b) => `[${formatQuantNumber(b.lo)}, ${formatQuantNumber(b.hi)}): ${b.count.toLocaleString('en-US')} values`);
  const grid = svg.append('g').attr('class', `hist-grid ${layout.gridAsLines ? 'lines' : 'rug'}`);
  grid.selectAll('line').data(layout.grid).join('line')
    .attr('x1', (g) => g.x).attr('x2', (g) => g.x)
    .attr('y1', layout.gridAsLines ? plot.y : bottom + 2).attr('y2', layout.gridAsLines ? bottom : bottom + 9)
    .append('title').text((g) => `${options.gridLabel}: ${formatQuantNumber(g.value)}`);
  svg.append('g').attr('class', 'hist-threshold').selectAll('line').data(layout.thresholds).join('line')
    .attr('x1', (t) => t.x).attr('x2', (t) => t.x).attr('y1', plot.y).attr('y2', bottom).attr('stroke-dasharray', '4 3')
    .append('title').text((t) => `outlier threshold ${formatQuantNumber(t.value)}`);
  const axis = svg.append('g').attr('class', 'axis');
  axis.append('line').attr('x1', plot.x).attr('x2', plot.x + plot.width).attr('y1', bottom).attr('y2', bottom);
  axis.append('line').attr('x1', plot.x).attr('x2', plot.x).attr('y1', plot.y).attr('y2', bottom);
  axis.append('g').selectAll('text').data(layout.xTicks).join('text').attr('x', (t) => t.x).attr('y', bottom + 22).attr('text-anchor', 'middle').text((t) => formatQuantNumber(t.value));
  axis.append('g').selectAll('text').data(layout.yTicks).join('text').attr('x', plot.x - 5).attr('y', (t) => t.y).attr('dy', '0.35em').attr('text-anchor', 'end').text((t) => t.value.toLocaleString('en-US'));
  axis.append('text').attr('x', plot.x + plot.width / 2).attr('y', layout.height - 4).attr('text-anchor', 'middle').attr('class', 'axis-title').text('weight value');
  axis.append('text').attr('class', 'axis-title').attr('transform', `translate(11 ${plot.y + plot.height / 2}) rotate(-90)`).attr('text-anchor', 'middle').text(options.logCounts ? 'values (log scale)' : 'values');
}

export interface ChangeMatrixRenderOptions {
  readonly title: string;
  /** Tooltip of a cell. */
  readonly describe: (row: number, col: number, value: number) => string;
  /** Legend words, e.g. "loss change (nats)". */
  readonly quantity: string;
  readonly worseWhen: 'positive' | 'negative';
}

/** Cells coloured by tone on PuOr (orange = worse), values in wide cells, small groups hatched and marked. */
export function renderChangeMatrix(element: SVGSVGElement, layout: ChangeMatrixLayout, options: ChangeMatrixRenderOptions): void {
  const svg = prepare(element, layout.width, layout.height, options.title, 'quant-matrix');
  svg.append('text').attr('class', 'chart-title').attr('x', 6).attr('y', 16).text(options.title);
  const toneScale = divergingScale(1);
  const hatchId = `quant-small-hatch-${++ids}`;
  const gradientId = `quant-matrix-gradient-${ids}`;
  const defs = svg.append('defs');
  const pattern = defs.append('pattern').attr('id', hatchId).attr('patternUnits', 'userSpaceOnUse').attr('width', 6).attr('height', 6).attr('patternTransform', 'rotate(45)');
  pattern.append('line').attr('class', 'hatch-line').attr('x1', 0).attr('y1', 0).attr('x2', 0).attr('y2', 6);
  // The legend runs from the better end (left) to the worse end (right) whatever the sign convention.
  const stops = gradientStops(toneScale);
  defs.append('linearGradient').attr('id', gradientId).attr('x1', 0).attr('x2', 1).attr('y1', 0).attr('y2', 0)
    .selectAll('stop').data(stops).join('stop').attr('offset', (s) => `${s.offset * 100}%`).attr('stop-color', (s) => s.color);
  const smallRows = new Set(layout.rowLabels.flatMap((r, i) => (r.small ? [i] : [])));
  const cells = svg.append('g').attr('class', 'matrix-cells').selectAll('g').data(layout.cells).join('g').attr('class', (c) => `matrix-cell${Number.isNaN(c.tone) ? ' empty' : ''}`);
  cells.append('rect').attr('class', 'matrix-rect').attr('x', (c) => c.x).attr('y', (c) => c.y).attr('width', (c) => c.width).attr('height', (c) => c.height)
    .attr('fill', (c) => (Number.isNaN(c.tone) ? 'none' : toneScale.color(c.tone)));
  cells.filter((c) => smallRows.has(c.row) && !Number.isNaN(c.tone)).append('rect').attr('class', 'matrix-hatch')
    .attr('x', (c) => c.x).attr('y', (c) => c.y).attr('width', (c) => c.width).attr('height', (c) => c.height).attr('fill', `url(#${hatchId})`);
  cells.filter((c) => c.text !== '').append('text').attr('class', (c) => `matrix-value${Math.abs(c.tone) > 0.6 ? ' light' : ''}`)
    .attr('x', (c) => c.x + c.width / 2).attr('y', (c) => c.y + c.height / 2).attr('dy', '0.35em').attr('text-anchor', 'middle').text((c) => c.text);
  cells.append('title').text((c) => options.describe(c.row, c.col, c.value));
  svg.append('g').attr('class', 'matrix-row-labels').selectAll('text').data(layout.rowLabels).join('text')
    .attr('class', (r) => `matrix-label${r.small ? ' small' : ''}`).attr('x', (r) => r.x).attr('y', (r) => r.y).attr('dy', '0.35em').attr('text-anchor', 'end')
    .text((r) => `${r.text}${r.count !== undefined ? ` n=${r.count.toLocaleString('en-US')}${r.small ? ' small' : ''}` : ''}`)
    .append('title').text((r) => r.full);
  svg.append('g').attr('class', 'matrix-col-labels').selectAll('text').data(layout.colLabels).join('text')
    .attr('class', 'matrix-label').attr('x', (c) => c.x).attr('y', (c) => c.y).attr('transform', (c) => `rotate(-60 ${c.x} ${c.y})`)
    .text((c) => c.text).append('title').text((c) => c.full);
  const { legend } = layout;
  const g = svg.append('g').attr('class', 'matrix-legend');
  g.append('rect').attr('x', legend.x).attr('y', legend.y).attr('width', legend.width).attr('height', legend.height).attr('fill', `url(#${gradientId})`);
  const better = options.worseWhen === 'positive' ? -layout.maxAbs : layout.maxAbs;
  const worse = -better;
  const ty = legend.y + legend.height + layout.fontSize + 2;
  g.append('text').attr('x', legend.x).attr('y', ty).text(`${formatChange(better)} better`);
  g.append('text').attr('x', legend.x + legend.width / 2).attr('y', ty).attr('text-anchor', 'middle').text('0');
  g.append('text').attr('x', legend.x + legend.width).attr('y', ty).attr('text-anchor', 'end').text(`${formatChange(worse)} worse`);
  g.append('text').attr('x', legend.x + legend.width + 8).attr('y', legend.y + legend.height).attr('class', 'axis-title').text(options.quantity);
}
