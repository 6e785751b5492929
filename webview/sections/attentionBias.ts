/**
 * Additive attention biases (FORMULAS.md §D): the bias matrices per layer/head as diverging
 * heatmaps (mask cells ≤ −1e4 left blank), with kind, effective rank (99.5 % energy), ALiBi slope
 * and the energy curve of each head.
 */
import { select } from 'd3';
import type { AttentionBiasEntry, AttentionSection } from '../../extension/protocol/attention';
import { formatValue } from '../charts/heatmapColor';
import { decodeFloat32Base64, maskBelow, reportNumber } from '../charts/heatmapData';
import { layoutEnergyCurve } from '../charts/heatmapStats';
import { chartFrame } from '../shared/chartFrame';
import { h } from '../shared/dom';
import { headMapsView, type HeadMapSet } from './attentionHeads';
import type { SectionContext } from './context';
import { table } from './attentionStats';

/** Values at or below this are the padding/causal mask, not bias (core MASK_VALUE). */
const MASK_THRESHOLD = -1e4;

export function biasView(section: AttentionSection, ctx: SectionContext): HTMLElement {
  const entries = section.bias ?? [];
  if (entries.length === 0) {
    return h('p', { 'data-testid': 'attention-bias-none', className: 'muted', text: 'No additive attention bias was found: no Add feeding an attention Softmax has an operand derived from initializers (a padding or causal mask is not a bias).' });
  }
  const key = (layer: number, head: number): string => `${layer}/${head}`;
  const byHead = new Map(entries.map((e) => [key(e.layer, e.head), e]));
  const matrices = section.biasMatrices;
  const decoded = new Map<string, Float32Array>();
  const problems: string[] = [];
  if (matrices) {
    for (const m of matrices.matrices) {
      try {
        decoded.set(key(m.layer, m.head), maskBelow(decodeFloat32Base64(m.data, matrices.T * matrices.T), MASK_THRESHOLD));
      } catch (error) {
        problems.push(`layer ${m.layer}, head ${m.head}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  const parts: HTMLElement[] = [
    h('p', { text: `${entries.length} head${entries.length === 1 ? '' : 's'} with an additive bias of the attention logits. Effective rank = smallest R whose top-R singular values hold 99.5% of the energy Σσ² (FlashBias).` }),
    table('attention-bias-table', 'Additive attention biases', ['head', 'kind', 'effective rank', 'slope m', 'energy at rank'],
      entries.map((e) => [`L${e.layer} H${e.head}`, e.kind, String(e.rank), e.slope === undefined ? '—' : formatValue(reportNumber(e.slope)), formatValue(reportNumber(e.energy[e.rank - 1]))])),
  ];
  if (matrices && decoded.size > 0) {
    const set: HeadMapSet = {
      name: 'attention-bias',
      description: `additive bias B (query × key) at length ${matrices.T}`,
      layers: section.layers,
      heads: section.heads,
      size: matrices.T,
      kind: 'diverging',
      map: (layer, head) => decoded.get(key(layer, head)),
      note: (layer, head) => {
        const e = byHead.get(key(layer, head));
        return e ? `${e.kind}, rank ${e.rank}${e.slope === undefined ? '' : `, slope ${formatValue(reportNumber(e.slope))}`}` : undefined;
      },
      emptyCell: 'masked (padding/causal mask, not bias)',
    };
    const first = entries[0];
    parts.push(h('h3', { text: 'Bias matrices' }), headMapsView(set, ctx, first ? first.layer * section.heads + first.head : undefined));
  } else {
    parts.push(h('p', { className: 'muted', text: 'The report holds no bias matrices (only their rank and energy).' }));
  }
  if (problems.length > 0) parts.push(h('p', { className: 'error-message', role: 'alert', text: `Some bias matrices could not be read: ${problems.join('; ')}` }));
  parts.push(h('h3', { text: 'Energy curves' }), h('div', { className: 'energy-curves' }, ...entries.map((e) => energyChart(e, ctx))));
  return h('div', { 'data-testid': 'attention-bias' }, ...parts);
}

function energyChart(entry: AttentionBiasEntry, ctx: SectionContext): HTMLElement {
  const energy = entry.energy.map(reportNumber);
  const layout = layoutEnergyCurve(energy, entry.rank, { width: 220, height: 110 });
  const title = `Energy curve of layer ${entry.layer}, head ${entry.head} (${entry.kind}): rank ${entry.rank} at 99.5%`;
  const svgElement = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const svg = select(svgElement).attr('width', layout.width).attr('height', layout.height).attr('viewBox', `0 0 ${layout.width} ${layout.height}`)
    .attr('role', 'img').attr('aria-label', title).attr('class', 'energy-chart');
  svg.append('title').text(title);
  const { plot } = layout;
  const axis = svg.append('g').attr('class', 'axis');
  axis.append('line').attr('x1', plot.x).attr('x2', plot.x + plot.width).attr('y1', plot.y + plot.height).attr('y2', plot.y + plot.height);
  axis.append('line').attr('x1', plot.x).attr('x2', plot.x).attr('y1', plot.y).attr('y2', plot.y + plot.height);
  axis.append('text').attr('x', plot.x - 3).attr('y', plot.y + 4).attr('text-anchor', 'end').text('1');
  axis.append('text').attr('x', plot.x - 3).attr('y', plot.y + plot.height).attr('text-anchor', 'end').text('0');
  axis.append('text').attr('x', plot.x).attr('y', layout.height - 2).text('R = 1');
  axis.append('text').attr('x', plot.x + plot.width).attr('y', layout.height - 2).attr('text-anchor', 'end').text(String(energy.length));
  svg.append('line').attr('class', 'threshold').attr('x1', plot.x).attr('x2', plot.x + plot.width).attr('y1', layout.thresholdY).attr('y2', layout.thresholdY);
  svg.append('polyline').attr('class', 'energy-line').attr('points', layout.points.map((p) => `${p.x},${p.y}`).join(' '));
  svg.append('g').selectAll('circle').data(layout.points).join('circle').attr('class', 'energy-point').attr('cx', (p) => p.x).attr('cy', (p) => p.y).attr('r', 1.5)
    .append('title').text((p) => `R = ${p.rank}: energy ${formatValue(p.energy)}`);
  if (layout.rankPoint) svg.append('circle').attr('class', 'rank-point').attr('cx', layout.rankPoint.x).attr('cy', layout.rankPoint.y).attr('r', 4);
  return h('div', { className: 'energy-card' },
    h('div', { className: 'energy-title', text: `L${entry.layer} H${entry.head} · ${entry.kind} · rank ${entry.rank}${entry.slope === undefined ? '' : ` · m = ${formatValue(reportNumber(entry.slope))}`}` }),
    chartFrame(svgElement, `attention-bias-energy-L${entry.layer}-H${entry.head}`, ctx.exportChart, undefined));
}
