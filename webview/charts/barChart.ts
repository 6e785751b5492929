/** Renders a BarLayout into an SVG with d3 (text through .text(), never .html()). */
import { select } from 'd3';
import type { BarLayout } from './barLayout';

export function renderBarChart(svgElement: SVGSVGElement, layout: BarLayout, options: { title: string; format?: (v: number) => string }): void {
  const format = options.format ?? ((v: number) => v.toLocaleString('en-US'));
  const svg = select(svgElement)
    .attr('viewBox', `0 0 ${layout.width} ${layout.height}`)
    .attr('width', layout.width)
    .attr('height', layout.height)
    .attr('role', 'img')
    .attr('aria-label', options.title);
  svg.selectAll('*').remove();
  svg.append('title').text(options.title);
  const rows = svg.append('g').attr('class', 'bars').selectAll('g').data(layout.bars).join('g')
    .attr('transform', (d) => `translate(0, ${d.y})`);
  rows.append('text').attr('class', 'bar-label').attr('x', layout.plotX - 6).attr('y', (d) => d.height / 2)
    .attr('dy', '0.35em').attr('text-anchor', 'end').text((d) => d.label);
  rows.append('rect').attr('class', 'bar').attr('x', (d) => d.x).attr('y', 0)
    .attr('width', (d) => Math.max(1, d.width)).attr('height', (d) => d.height)
    .append('title').text((d) => `${d.label}: ${d.note ?? format(d.value)}`);
  rows.append('text').attr('class', 'bar-note').attr('x', (d) => d.x + d.width + 4).attr('y', (d) => d.height / 2)
    .attr('dy', '0.35em').text((d) => d.note ?? format(d.value));
  const axisY = layout.bars.length === 0 ? 0 : (layout.bars.at(-1)?.y ?? 0) + (layout.bars.at(-1)?.height ?? 0) + 4;
  const axis = svg.append('g').attr('class', 'axis').attr('transform', `translate(0, ${axisY})`);
  axis.append('line').attr('x1', layout.plotX).attr('x2', layout.plotX + layout.plotWidth).attr('y1', 0).attr('y2', 0);
  axis.selectAll('text').data(layout.ticks).join('text').attr('x', (t) => t.x).attr('y', 12).attr('text-anchor', 'middle').text((t) => format(t.value));
}
