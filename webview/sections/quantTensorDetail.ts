/**
 * One tensor of the quantization view: its value histogram with the selected format's
 * representable grid overlaid (exact for per-tensor formats; the amax channel's or block's grid,
 * said so, for per-channel and block formats), its numbers in every format, and its outliers per
 * block (|x| > k·RMS, counted per MX/NVFP4 block).
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { QuantizationSection, QuantTensorInfo } from '../../extension/protocol/quant';
import { describeTensor, formatMetric, formatQuantNumber, formatWords, QUANT_METRICS, type ErrorMatrix } from '../charts/quantData';
import { overlayGrid } from '../charts/quantGrid';
import { layoutHistogram } from '../charts/quantHistogram';
import { renderHistogram } from '../charts/quantRender';
import { chartFrame } from '../shared/chartFrame';
import { formatCount, h } from '../shared/dom';
import type { SectionContext } from './context';
import { quantTable } from './quantTable';

const fileStem = (name: string): string => name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'tensor';

/** The detail panel of tensor `t` with format `f`'s grid; `onFormat` switches the format. */
export function tensorDetail(section: QuantizationSection, matrix: ErrorMatrix, t: number, f: number, ctx: SectionContext, onFormat: (format: number) => void): HTMLElement {
  const info = matrix.tensors[t];
  const format = matrix.formats[f];
  if (!info || !format) return h('p', { className: 'muted', text: 'No tensor selected.' });
  const formatSelect = h('vscode-single-select', { 'aria-label': 'Grid of format', 'data-testid': 'quant-detail-format' },
    ...matrix.formats.map((id, i) => h('vscode-option', { value: String(i), ...(i === f ? { selected: true } : {}), description: formatWords(id), text: id })));
  formatSelect.addEventListener('change', () => onFormat(Number((formatSelect as HTMLElement & { value: string }).value)));
  const histogramHost = h('div', { className: 'quant-histogram-host' });
  const logToggle = h('vscode-checkbox', { label: 'Log counts (shows the tails)', 'data-testid': 'quant-log-counts' });
  const drawHistogram = (): void => { histogramHost.replaceChildren(histogramChart(section, info, format, (logToggle as HTMLElement & { checked: boolean }).checked === true, ctx)); };
  logToggle.addEventListener('change', drawHistogram);
  drawHistogram();
  const warnings: HTMLElement[] = [];
  if (info.nonFinite > 0) warnings.push(h('p', { className: 'small-note', role: 'note', text: `${formatCount(info.nonFinite)} value${info.nonFinite === 1 ? ' is' : 's are'} NaN or ±Inf: excluded from every number, copied through by the formats.` }));
  if (info.axisConflicts.length > 0) {
    warnings.push(h('details', { className: 'small-note' },
      h('summary', { text: `${info.axisConflicts.length} other consumer${info.axisConflicts.length === 1 ? ' uses' : 's use'} different axes (the first consumer's were used)` }),
      h('ul', { className: 'mono' }, ...info.axisConflicts.map((c) => h('li', { text: `${c.op} ${c.node || '(unnamed)'} input ${c.inputIndex}: channel axis ${c.channelAxis ?? 'none'}, block axis ${c.blockAxis}` })))));
  }
  return h('section', { className: 'quant-detail-body', 'aria-label': `Tensor ${info.name}` },
    h('h3', { className: 'mono', text: info.name }),
    h('p', { className: 'muted', text: `${describeTensor(info)}${info.source === 'constant' ? ' · a Constant node’s tensor' : ''}${info.graphPath ? ` · subgraph ${info.graphPath}` : ''}` }),
    ...warnings,
    h('div', { className: 'quant-controls' }, h('label', { className: 'quant-control' }, h('span', { text: 'Grid of' }), formatSelect), logToggle),
    histogramHost,
    h('div', { className: 'quant-detail-columns' },
      h('div', {}, h('h4', { text: 'This tensor in every format' }), formatsTable(matrix, t, f)),
      h('div', {}, h('h4', { text: 'Outliers per block' }), outliersView(info))));
}

function histogramChart(section: QuantizationSection, info: QuantTensorInfo, format: (typeof section.formats)[number], logCounts: boolean, ctx: SectionContext): HTMLElement {
  const amax = Math.max(Math.abs(info.histogram.min), Math.abs(info.histogram.max));
  const grid = overlayGrid(format, info.name, amax, section.grids);
  const values = grid.values;
  const layout = layoutHistogram(info.histogram, values, { width: 640, height: 240, logCounts, threshold: info.outliers.threshold });
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const title = `${info.name}: ${formatCount(layout.total)} values in ${info.histogram.counts.length} bins, ${format} grid overlaid`;
  renderHistogram(svg, layout, { title, gridLabel: `${format} grid value`, logCounts });
  svg.setAttribute('data-testid', 'quant-histogram');
  const gridWords = values === null
    ? grid.note
    : `${format} grid (${layout.gridAsLines ? 'lines' : `a tick under the axis per value: ${layout.grid.length} values in range, too dense for lines`}): ${grid.note}`;
  const threshold = layout.thresholds.length > 0 ? ` Dashed: ±${formatQuantNumber(info.outliers.threshold)} = ${info.outliers.k}·RMS, the outlier threshold.` : '';
  return chartFrame(svg, `quant-${fileStem(info.name)}-${format}-histogram`, ctx.exportChart, `${gridWords}${threshold}`);
}

function formatsTable(matrix: ErrorMatrix, t: number, selected: number): HTMLElement {
  const rows = matrix.formats.map((format, f) => {
    const e = matrix.cell(t, f);
    return [format, ...QUANT_METRICS.map((m) => (e ? formatMetric(m, e[m]) : 'n/a'))];
  });
  return quantTable('quant-tensor-formats', 'Error of this tensor in every format', ['format', ...QUANT_METRICS], rows, { rowClass: (i) => (i === selected ? 'selected-row' : undefined), columns: ['20%', '16%', '16%', '16%', '16%', '16%'] });
}

function outliersView(info: QuantTensorInfo): HTMLElement {
  const o = info.outliers;
  const intro = h('p', {}, `${formatCount(o.total)} value${o.total === 1 ? '' : 's'} with |x| > ${o.k}·RMS = ${formatQuantNumber(o.threshold)}`,
    o.total > 0 ? ` (${((o.total / Math.max(1, info.elements)) * 100).toPrecision(2)}% of ${formatCount(info.elements)}).` : '.');
  if (o.byBlockSize.length === 0) return h('div', {}, intro);
  const rows = o.byBlockSize.map((b) => [
    `${b.blockSize}${b.blockSize === 32 ? ' (MX)' : b.blockSize === 16 ? ' (NVFP4)' : ''}`,
    formatCount(b.blocks),
    `${formatCount(b.blocksWithOutliers)}${b.blocks > 0 ? ` (${((b.blocksWithOutliers / b.blocks) * 100).toPrecision(2)}%)` : ''}`,
    formatCount(b.maxInBlock),
    b.top.length > 0 ? b.top.map((x) => `#${x.block}: ${x.count}`).join(', ') : '—',
  ]);
  return h('div', { 'data-testid': 'quant-outliers' }, intro,
    quantTable('quant-outlier-blocks', 'Outliers per block', ['block size', 'blocks', 'with outliers', 'max in a block', 'top blocks (index: count)'], rows, { columns: ['16%', '12%', '20%', '16%', '36%'] }),
    h('p', { className: 'muted', text: `Blocks run along axis ${info.blockAxis}${info.blockFlattenTrailing ? ' (trailing axes flattened)' : ''}, indexed in (outer, block, inner) order. A block with an outlier shares one scale with it, so its other values lose precision.` }));
}
