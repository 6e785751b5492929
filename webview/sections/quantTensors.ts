/**
 * The tensor × format heatmap of the quantization view: one canvas (no per-cell DOM, so hundreds
 * of tensors stay cheap) under the shared heatmap figure overlay (title, labels, legend), with a
 * metric selector, three sort orders, a hover/keyboard read-out of all five numbers, and PNG/SVG
 * export. Clicking a cell (or Enter) opens that tensor's histogram in that format.
 */
import { interpolateViridis } from 'd3';
import type { QuantizationSection } from '../../extension/protocol/quant';
import { exportFigurePng, exportFigureSvg, renderFigureOverlay, themeColors } from '../charts/heatmapCanvas';
import { legendTicks, sequentialScale, type HeatmapScale } from '../charts/heatmapColor';
import { layoutFigure, type FigureLayout } from '../charts/heatmapFigure';
import { cellAtPoint, moveInGrid } from '../charts/heatmapLayout';
import {
  colourGrid, colourRisesWithError, colourTickLabel, describeError, describeTensor, errorMatrix, formatWords, isExact, isQuantMetric, QUANT_METRICS, quantMetricInfo, shortName, sortTensors, type ErrorMatrix, type QuantMetric, type TensorOrder,
} from '../charts/quantData';
import { frame } from '../shared/chartFrame';
import { h } from '../shared/dom';
import type { SectionContext } from './context';
import { tensorDetail } from './quantTensorDetail';

/** The view's choices; kept across re-renders of the same report (theme changes). */
export interface TensorViewState {
  metric: QuantMetric;
  order: TensorOrder;
  /** Format index: the error order's column and the histogram's grid. */
  format: number;
  /** Selected tensor (tensorInfo index), −1 for none. */
  tensor: number;
}

// Bright = more error whatever the metric, so problems draw the eye in every view of the map.
const VIRIDIS = (t: number): string => interpolateViridis(t);
const VIRIDIS_REVERSED = (t: number): string => interpolateViridis(1 - t);

function heatScale(min: number, max: number, metric: QuantMetric): HeatmapScale {
  const base = sequentialScale(min, max);
  const interpolate = colourRisesWithError(metric) ? VIRIDIS : VIRIDIS_REVERSED;
  return { ...base, interpolate, color: (v) => { const t = base.unit(v); return Number.isNaN(t) ? 'transparent' : interpolate(t); } };
}

function choice(label: string, testId: string, options: readonly { value: string; label: string; description?: string }[], value: string, onChange: (value: string) => void): HTMLElement {
  const control = h('vscode-single-select', { 'aria-label': label, 'data-testid': testId },
    ...options.map((o) => h('vscode-option', { value: o.value, ...(o.value === value ? { selected: true } : {}), ...(o.description ? { description: o.description } : {}), text: o.label })));
  control.addEventListener('change', () => onChange((control as HTMLElement & { value: string }).value));
  return h('label', { className: 'quant-control' }, h('span', { text: label }), control);
}

/** The heatmap with its controls and the selected tensor's detail below. */
export function tensorsView(section: QuantizationSection, state: TensorViewState, ctx: SectionContext): HTMLElement {
  const matrix = errorMatrix(section);
  if (matrix.tensors.length === 0 || matrix.formats.length === 0) {
    return h('p', { className: 'muted', 'data-testid': 'quant-no-tensors', text: matrix.formats.length === 0 ? 'No number format was simulated in this report.' : `No weight tensor was analysed: every float weight has fewer than ${section.settings.minElements.toLocaleString('en-US')} elements or was skipped (see the list above).` });
  }
  const definition = h('p', { className: 'muted' });
  const figureHost = h('div', { className: 'quant-heatmap-host' });
  const detailHost = h('div', { className: 'quant-detail', 'data-testid': 'quant-tensor-detail' });
  const formatOptions = matrix.formats.map((f, i) => ({ value: String(i), label: f, description: formatWords(f) }));
  // Built once (a keyboard user keeps focus on a selector while the map is redrawn).
  const formatControl = choice('Format', 'quant-format', formatOptions, String(state.format), (v) => { state.format = Number(v); draw(); if (state.tensor >= 0) showDetail(); });
  const controls = h('div', { className: 'quant-controls', role: 'group', 'aria-label': 'Heatmap options' },
    choice('Metric', 'quant-metric', QUANT_METRICS.map((m) => ({ value: m, label: quantMetricInfo(m).label })), state.metric, (v) => { if (isQuantMetric(v)) state.metric = v; draw(); }),
    choice('Rows', 'quant-order', [{ value: 'graph', label: 'graph order' }, { value: 'size', label: 'size (largest first)' }, { value: 'error', label: 'error (worst first)' }], state.order, (v) => { state.order = v === 'size' || v === 'error' ? v : 'graph'; draw(); }),
    formatControl);
  const syncFormat = (): void => {
    const control = formatControl.querySelector('vscode-single-select') as (HTMLElement & { value: string }) | null;
    if (control && control.value !== String(state.format)) control.value = String(state.format);
  };
  const showDetail = (): void => {
    detailHost.replaceChildren(state.tensor >= 0
      ? tensorDetail(section, matrix, state.tensor, state.format, ctx, (format) => { state.format = format; syncFormat(); draw(); showDetail(); })
      : h('p', { className: 'muted', text: 'Click a cell (or focus the map, move with the arrow keys and press Enter) to see that tensor’s values with the format’s grid and its outliers per block.' }));
  };
  const select = (tensor: number, format: number): void => {
    state.tensor = tensor;
    state.format = format;
    syncFormat();
    draw(true);
    showDetail();
  };
  const draw = (refocus = false): void => {
    definition.textContent = quantMetricInfo(state.metric).definition;
    figureHost.replaceChildren(heatmapFigure(matrix, state, ctx, select));
    // A map rebuilt after a click or Enter keeps the keyboard on it.
    if (refocus) figureHost.querySelector<HTMLCanvasElement>('canvas')?.focus({ preventScroll: true });
  };
  draw();
  showDetail();
  return h('div', { className: 'quant-tensors' }, controls, definition, figureHost, detailHost);
}

function heatmapFigure(matrix: ErrorMatrix, state: TensorViewState, ctx: SectionContext, onSelect: (tensor: number, format: number) => void): HTMLElement {
  const rows = sortTensors(matrix, state.order, state.metric, state.format);
  const cols = matrix.formats.length;
  const info = quantMetricInfo(state.metric);
  const grid = colourGrid(matrix, rows, state.metric);
  const scale = heatScale(grid.min, grid.max, state.metric);
  const cell = rows.length <= 20 ? 28 : rows.length <= 40 ? 22 : 14;
  const orderWords = state.order === 'graph' ? 'graph order' : state.order === 'size' ? 'largest first' : `worst in ${matrix.formats[state.format] ?? ''} first`;
  const title = `${info.label} per tensor × format (rows: ${orderWords}; brighter = more error)`;
  const base = layoutFigure({
    title, rows: rows.length, cols, mapSize: Math.max(rows.length, cols) * cell, scale,
    rowLabels: rows.map((t) => shortName(matrix.tensors[t]?.name ?? '', 40)), colLabels: [...matrix.formats],
    rowAxis: 'tensor', colAxis: 'format', maxLabelChars: 40,
  });
  const ticks = legendTicks(scale, 5);
  const layout: FigureLayout = { ...base, legend: { ...base.legend, ticks: base.legend.ticks.map((t, i) => ({ ...t, text: colourTickLabel(ticks[i]?.value ?? 0, state.metric, t.text) })) } };
  const exact = new Uint8Array(rows.length * cols);
  rows.forEach((t, r) => { for (let f = 0; f < cols; f++) { const e = matrix.cell(t, f); if (e && isExact(e)) exact[r * cols + f] = 1; } });
  const canvas = h('canvas', {
    className: 'heatmap-canvas quant-canvas',
    tabindex: 0,
    role: 'img',
    'data-testid': 'quant-heatmap',
    'aria-label': `${title}. ${rows.length} tensors by ${cols} formats. Arrow keys move over the cells, Enter opens the tensor.`,
    style: `left:${layout.map.x}px;top:${layout.map.y}px`,
  });
  paintLive(canvas, grid.values, exact, rows.length, cols, layout, scale);
  const overlay = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const cursor = renderFigureOverlay(overlay, layout, `quant-gradient-${state.metric}`);
  const tooltip = h('div', { className: 'heatmap-tooltip quant-tooltip', role: 'status', 'aria-live': 'polite', hidden: true });
  const cw = layout.map.width / cols;
  const ch = layout.map.height / rows.length;
  const describe = (r: number, f: number): string => {
    const t = rows[r] ?? 0;
    const tensor = matrix.tensors[t];
    const e = matrix.cell(t, f);
    const format = matrix.formats[f] ?? '';
    if (!tensor) return '';
    const numbers = e ? describeError(e).join(' · ') : 'no record in the report (n/a)';
    return `${tensor.name} in ${format}\n${numbers}\n${describeTensor(tensor)}`;
  };
  let cursorCell = { row: Math.max(0, rows.indexOf(state.tensor)), col: Math.min(state.format, cols - 1) };
  const show = (r: number, f: number): void => {
    tooltip.textContent = describe(r, f);
    tooltip.hidden = false;
    cursor.setAttribute('x', String(layout.map.x + f * cw));
    cursor.setAttribute('y', String(layout.map.y + r * ch));
    cursor.setAttribute('width', String(cw));
    cursor.setAttribute('height', String(ch));
    cursor.setAttribute('visibility', 'visible');
    tooltip.style.left = `${Math.min(layout.map.x + (f + 1) * cw + 8, Math.max(0, layout.width - 200))}px`;
    tooltip.style.top = `${layout.map.y + (r + 1) * ch + 4}px`;
  };
  const hide = (): void => { tooltip.hidden = true; cursor.setAttribute('visibility', 'hidden'); };
  canvas.addEventListener('mousemove', (event) => {
    const at = cellAtPoint(event.offsetX, event.offsetY, layout.map.width, layout.map.height, rows.length, cols);
    if (!at) return;
    cursorCell = at;
    show(at.row, at.col);
  });
  canvas.addEventListener('mouseleave', hide);
  canvas.addEventListener('click', (event) => {
    const at = cellAtPoint(event.offsetX, event.offsetY, layout.map.width, layout.map.height, rows.length, cols);
    if (at) onSelect(rows[at.row] ?? 0, at.col);
  });
  canvas.addEventListener('focus', () => show(cursorCell.row, cursorCell.col));
  canvas.addEventListener('blur', hide);
  canvas.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onSelect(rows[cursorCell.row] ?? 0, cursorCell.col);
      return;
    }
    const next = moveInGrid(cursorCell.row * cols + cursorCell.col, event.key, rows.length, cols);
    if (next === null) return;
    event.preventDefault();
    cursorCell = { row: Math.floor(next / cols), col: next % cols };
    show(cursorCell.row, cursorCell.col);
  });
  const selectedRow = rows.indexOf(state.tensor);
  if (selectedRow >= 0) {
    const mark = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    overlay.append(mark);
    mark.setAttribute('class', 'quant-selected-row');
    mark.setAttribute('x', String(layout.map.x - 1));
    mark.setAttribute('y', String(layout.map.y + selectedRow * ch));
    mark.setAttribute('width', String(layout.map.width + 2));
    mark.setAttribute('height', String(ch));
  }
  // The overlay (pointer-events: none) lies over the canvas so that the cursor and selection show.
  const figure = h('div', { className: 'heatmap-figure quant-figure', style: `width:${layout.width}px;height:${layout.height}px` }, canvas, overlay, tooltip);
  const exactCount = exact.reduce((n, v) => n + v, 0);
  const nanCount = grid.values.reduce((n, v) => n + (Number.isNaN(v) ? 1 : 0), 0);
  const caption = `Colour: ${info.colourLabel}${exactCount > 0 ? `; ∞ marks the ${exactCount} exact cell${exactCount === 1 ? '' : 's'} (SQNR +∞)` : ''}${nanCount > 0 ? `; ${nanCount} cell${nanCount === 1 ? '' : 's'} n/a (crossed)` : ''}.`;
  const image = (): HTMLCanvasElement => markedImage(grid.values, exact, rows.length, cols, scale, Math.max(4, Math.round(cell * 2)));
  return h('div', { className: 'quant-heatmap-scroll' }, frame(figure, `quant-${state.metric}-heatmap`, ctx.exportChart, caption, {
    svg: () => exportFigureSvg(layout, image()),
    png: () => exportFigurePng(layout, image()),
  }));
}

/** Paints cells k×k pixels each: the colour, ∞ on exact cells, a cross on n/a cells. */
function paintCells(context: CanvasRenderingContext2D, values: Float64Array, exact: Uint8Array, rows: number, cols: number, cw: number, ch: number, scale: HeatmapScale, ink: string): void {
  context.clearRect(0, 0, cols * cw, rows * ch);
  const fontSize = Math.min(cw, ch) * 0.8;
  context.font = `${fontSize}px sans-serif`;
  context.textAlign = 'center';
  context.textBaseline = 'middle';
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c] ?? Number.NaN;
      const x = c * cw;
      const y = r * ch;
      if (Number.isNaN(v)) {
        context.strokeStyle = ink;
        context.globalAlpha = 0.5;
        context.lineWidth = Math.max(1, cw / 16);
        context.beginPath();
        context.moveTo(x + cw * 0.25, y + ch * 0.25); context.lineTo(x + cw * 0.75, y + ch * 0.75);
        context.moveTo(x + cw * 0.75, y + ch * 0.25); context.lineTo(x + cw * 0.25, y + ch * 0.75);
        context.stroke();
        context.globalAlpha = 1;
        continue;
      }
      context.fillStyle = scale.color(v);
      context.fillRect(x, y, cw, ch);
      if (exact[r * cols + c]) {
        context.fillStyle = '#ffffff';
        context.fillText('∞', x + cw / 2, y + ch / 2 + fontSize * 0.05);
      }
    }
  }
}

function paintLive(canvas: HTMLCanvasElement, values: Float64Array, exact: Uint8Array, rows: number, cols: number, layout: FigureLayout, scale: HeatmapScale): void {
  // Keep the backing store under the browsers' canvas limits for very tall maps.
  const dpr = Math.max(1, Math.min(window.devicePixelRatio || 1, 16000 / Math.max(1, layout.map.height)));
  canvas.width = Math.round(layout.map.width * dpr);
  canvas.height = Math.round(layout.map.height * dpr);
  canvas.style.width = `${layout.map.width}px`;
  canvas.style.height = `${layout.map.height}px`;
  const context = canvas.getContext('2d');
  if (!context) return;
  paintCells(context, values, exact, rows, cols, canvas.width / cols, canvas.height / rows, scale, themeColors().foreground);
}

/** The map image of exports: k×k pixels per cell with the same marks as on screen. */
function markedImage(values: Float64Array, exact: Uint8Array, rows: number, cols: number, scale: HeatmapScale, k: number): HTMLCanvasElement {
  const size = Math.max(1, Math.min(k, Math.floor(16000 / Math.max(rows, cols))));
  const canvas = document.createElement('canvas');
  canvas.width = cols * size;
  canvas.height = rows * size;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D canvas context');
  paintCells(context, values, exact, rows, cols, size, size, scale, themeColors().foreground);
  return canvas;
}
