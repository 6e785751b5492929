/**
 * A layer × head grid of small heatmaps and the zoomed view of one head, shared by the dataset
 * mean, per-sample, per-group, group-difference and bias views. Canvas only (no per-cell DOM);
 * grid heads are drawn a few at a time between frames so long sequences never block the page.
 * Keyboard: arrows move between heads, Enter/Space zoom; in the zoom, arrows move a cell cursor
 * whose query, key and value are announced; Escape returns to the grid.
 */
import { drawMap, exportFigurePng, exportFigureSvg, fullResolutionCanvas, renderFigureOverlay } from '../charts/heatmapCanvas';
import { divergingScale, formatValue, legendTicks, sequentialScale, type HeatmapScale } from '../charts/heatmapColor';
import { displayToken, layoutFigure, type FigureLayout } from '../charts/heatmapFigure';
import { cellAtPoint, finiteMax, finiteMaxAbs, layoutHeadGrid, moveInGrid } from '../charts/heatmapLayout';
import { frame } from '../shared/chartFrame';
import { h } from '../shared/dom';
import type { SectionContext } from './context';

/** Maps to show, one per (layer, head); `map` may return undefined for heads without one. */
export interface HeadMapSet {
  /** File-name stem of exports, e.g. "attention-mean". */
  readonly name: string;
  /** What the maps are, for captions and aria-labels, e.g. "mean attention over 500 samples". */
  readonly description: string;
  readonly layers: number;
  readonly heads: number;
  /** Query and key positions shown. */
  readonly size: number;
  readonly kind: 'sequential' | 'diverging';
  /** Token labels of the positions (absent: positions 0, 1, …). */
  readonly tokens?: readonly string[];
  map(layer: number, head: number): Float32Array | undefined;
  /** Extra words about a head (e.g. "relative, rank 3"). */
  note?(layer: number, head: number): string | undefined;
  /** Samples behind each cell (size×size, shared by every head), shown with each value. */
  readonly cellCounts?: Float32Array;
  /** What a NaN cell means here (default: "no sample had this cell"). */
  readonly emptyCell?: string;
}

let figureIds = 0;

/** Grid + zoom for a map set; `initial` is the head index zoomed first (none by default). */
export function headMapsView(set: HeadMapSet, ctx: SectionContext, initial?: number): HTMLElement {
  const zoomArea = h('div', { className: 'attention-zoom', 'data-testid': `${set.name}-zoom` });
  const scaleMode = h('vscode-single-select', { 'aria-label': 'Colour scale of the grid', className: 'scale-mode' },
    h('vscode-option', { value: 'shared', text: 'one scale for all heads', selected: true }),
    h('vscode-option', { value: 'per-head', text: 'a scale per head' }));
  const gridHost = h('div', { className: 'head-grid-host' });
  let zoomed = -1;
  let drawGeneration = 0;
  const openZoom = (index: number): void => {
    zoomed = index;
    zoomArea.replaceChildren(zoomView(set, Math.floor(index / set.heads), index % set.heads, ctx, () => focusCell(index)));
    gridHost.querySelectorAll('.head-cell').forEach((c) => c.classList.toggle('selected', Number((c as HTMLElement).dataset.index) === index));
  };
  const focusCell = (index: number): void => {
    const cell = gridHost.querySelector<HTMLElement>(`.head-cell[data-index="${index}"]`);
    cell?.focus();
  };
  const drawGrid = (): void => {
    const perHead = (scaleMode as HTMLElement & { value: string }).value === 'per-head';
    drawGeneration++;
    gridHost.replaceChildren(gridView(set, perHead, drawGeneration, () => drawGeneration, openZoom, zoomed));
  };
  scaleMode.addEventListener('change', drawGrid);
  drawGrid();
  if (initial !== undefined && initial >= 0 && initial < set.layers * set.heads) openZoom(initial);
  else zoomArea.append(h('p', { className: 'muted', text: 'Click a head (or focus it and press Enter) to zoom in with token labels and values.' }));
  return h('div', { className: 'head-maps', 'data-testid': `${set.name}-maps` },
    h('div', { className: 'head-maps-toolbar' }, h('span', { className: 'muted', text: set.description }), scaleMode),
    gridHost,
    zoomArea);
}

function gridScale(set: HeadMapSet, maps: readonly (Float32Array | undefined)[]): HeatmapScale {
  let top = 0;
  for (const map of maps) if (map) top = Math.max(top, set.kind === 'diverging' ? finiteMaxAbs(map) : finiteMax(map));
  return set.kind === 'diverging' ? divergingScale(top) : sequentialScale(0, top);
}

function headScale(set: HeadMapSet, map: Float32Array): HeatmapScale {
  return set.kind === 'diverging' ? divergingScale(finiteMaxAbs(map)) : sequentialScale(0, finiteMax(map));
}

function gridView(set: HeadMapSet, perHead: boolean, generation: number, current: () => number, openZoom: (index: number) => void, selected: number): HTMLElement {
  const layout = layoutHeadGrid(set.layers, set.heads, { availableWidth: 760, minCell: 56, maxCell: 120, labelWidth: 34, headerHeight: 18 });
  const maps = layout.cells.map((c) => set.map(c.layer, c.head));
  const shared = gridScale(set, maps);
  const grid = h('div', { className: 'head-grid', role: 'grid', 'aria-label': `${set.description}: layers by heads`, style: `width:${layout.width}px;height:${layout.height}px` });
  for (const label of layout.columnLabels) grid.append(h('span', { className: 'grid-label', style: `left:${label.x}px;top:0;transform:translateX(-50%)`, text: `H${label.head}` }));
  for (const label of layout.rowLabels) grid.append(h('span', { className: 'grid-label', style: `left:0;top:${label.y}px;transform:translateY(-50%)`, text: `L${label.layer}` }));
  const pending: { canvas: HTMLCanvasElement; map: Float32Array; scale: HeatmapScale }[] = [];
  let focusIndex = selected >= 0 ? selected : 0;
  layout.cells.forEach((cell, i) => {
    const map = maps[i];
    const note = set.note?.(cell.layer, cell.head);
    const scale = map && perHead ? headScale(set, map) : shared;
    const summary = map ? `${set.kind === 'diverging' ? 'largest |value|' : 'maximum'} ${formatValue(set.kind === 'diverging' ? finiteMaxAbs(map) : finiteMax(map))}` : 'no map';
    const button = h('div', {
      className: `head-cell${map ? '' : ' empty'}${cell.index === selected ? ' selected' : ''}`,
      role: 'gridcell',
      tabindex: cell.index === focusIndex ? 0 : -1,
      'data-index': cell.index,
      'aria-label': `Layer ${cell.layer}, head ${cell.head}: ${summary}${note ? `, ${note}` : ''}. Press Enter to zoom.`,
      title: `layer ${cell.layer} · head ${cell.head}${note ? ` · ${note}` : ''}`,
      style: `left:${cell.x}px;top:${cell.y}px;width:${layout.cellSize}px;height:${layout.cellSize}px`,
    });
    if (map) {
      const canvas = h('canvas', { className: 'heatmap-canvas' });
      button.append(canvas);
      pending.push({ canvas, map, scale });
    } else button.append(h('span', { className: 'muted', text: '—' }));
    button.addEventListener('click', () => map && openZoom(cell.index));
    button.addEventListener('keydown', (event) => {
      if ((event.key === 'Enter' || event.key === ' ') && map) {
        event.preventDefault();
        openZoom(cell.index);
        return;
      }
      const next = moveInGrid(cell.index, event.key, set.layers, set.heads);
      if (next === null) return;
      event.preventDefault();
      const target = grid.querySelector<HTMLElement>(`.head-cell[data-index="${next}"]`);
      if (!target) return;
      grid.querySelectorAll<HTMLElement>('.head-cell').forEach((c) => c.setAttribute('tabindex', '-1'));
      target.setAttribute('tabindex', '0');
      focusIndex = next;
      target.focus();
    });
    grid.append(button);
  });
  drawProgressively(pending, layout.cellSize, set.size, generation, current);
  const legend = perHead ? h('p', { className: 'muted', text: 'Each head on its own scale (0 to its maximum); the zoomed view shows the numbers.' }) : legendStrip(shared);
  return h('div', { className: 'head-grid-scroll' }, grid, legend);
}

/** Draws heads within ~12 ms slices, yielding to the page between them; stops when superseded. */
function drawProgressively(pending: { canvas: HTMLCanvasElement; map: Float32Array; scale: HeatmapScale }[], cellSize: number, size: number, generation: number, current: () => number): void {
  let next = 0;
  const step = (): void => {
    if (generation !== current()) return;
    const start = performance.now();
    while (next < pending.length && performance.now() - start < 12) {
      const item = pending[next++];
      if (item) drawMap(item.canvas, item.map, size, size, cellSize, cellSize, item.scale);
    }
    if (next < pending.length) requestAnimationFrame(step);
  };
  step();
}

/** A compact HTML legend: gradient bar and the scale's ticks. */
export function legendStrip(scale: HeatmapScale): HTMLElement {
  const ticks = legendTicks(scale, 5);
  const stops = Array.from({ length: 11 }, (_, i) => `${scale.interpolate(i / 10)} ${i * 10}%`).join(', ');
  return h('div', { className: 'legend-strip', role: 'img', 'aria-label': `Colour scale from ${formatValue(scale.domain[0])} to ${formatValue(scale.domain[1])}${scale.kind === 'diverging' ? ', centred at 0 (purple below, orange above)' : ''}` },
    h('div', { className: 'legend-bar', style: `background: linear-gradient(to right, ${stops})` }),
    h('div', { className: 'legend-ticks' }, ...ticks.map((t) => h('span', { style: `left:${(t.offset * 100).toFixed(2)}%`, text: t.label }))));
}

/** The zoomed head: map with token labels, legend, hover/keyboard read-out and exports. */
function zoomView(set: HeadMapSet, layer: number, head: number, ctx: SectionContext, backToGrid: () => void): HTMLElement {
  const map = set.map(layer, head);
  if (!map) return h('p', { className: 'muted', text: `Layer ${layer}, head ${head} has no map here.` });
  const scale = headScale(set, map);
  const n = set.size;
  const note = set.note?.(layer, head);
  const title = `Layer ${layer} · head ${head} — ${set.description}${note ? ` (${note})` : ''}`;
  const tokens = set.tokens;
  const layout = layoutFigure({ title, rows: n, cols: n, mapSize: Math.min(560, Math.max(240, n * 12)), scale, ...(tokens ? { rowLabels: tokens, colLabels: tokens } : {}) });
  const canvas = h('canvas', {
    className: 'heatmap-canvas zoom-canvas',
    tabindex: 0,
    role: 'img',
    'aria-label': `${title}. ${n} by ${n}. Arrow keys move a cursor over the cells; Escape returns to the grid.`,
    style: `left:${layout.map.x}px;top:${layout.map.y}px`,
  });
  const { downsampled } = drawMap(canvas, map, n, n, layout.map.width, layout.map.height, scale);
  const overlay = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const cursor = renderFigureOverlay(overlay, layout, `heatmap-gradient-${++figureIds}`);
  const tooltip = h('div', { className: 'heatmap-tooltip', role: 'status', 'aria-live': 'polite', hidden: true });
  const describe = (row: number, col: number): string => {
    const value = map[row * n + col] ?? Number.NaN;
    const label = (i: number): string => (tokens ? `“${displayToken(tokens[i] ?? '', 24)}” (${i})` : `position ${i}`);
    const count = set.cellCounts?.[row * n + col];
    const over = count === undefined || Number.isNaN(value) ? '' : ` (over ${count} sample${count === 1 ? '' : 's'})`;
    return `query ${label(row)} → key ${label(col)}: ${Number.isNaN(value) ? (set.emptyCell ?? 'no sample had this cell') : formatValue(value)}${over}`;
  };
  const show = (row: number, col: number): void => {
    tooltip.textContent = describe(row, col);
    tooltip.hidden = false;
    const cw = layout.map.width / n;
    const ch = layout.map.height / n;
    cursor.setAttribute('x', String(layout.map.x + col * cw));
    cursor.setAttribute('y', String(layout.map.y + row * ch));
    cursor.setAttribute('width', String(Math.max(cw, 2)));
    cursor.setAttribute('height', String(Math.max(ch, 2)));
    cursor.setAttribute('visibility', 'visible');
    tooltip.style.left = `${Math.min(layout.map.x + (col + 1) * cw + 8, layout.width - 40)}px`;
    tooltip.style.top = `${layout.map.y + row * ch + ch + 6}px`;
  };
  let cursorCell = { row: 0, col: 0 };
  canvas.addEventListener('mousemove', (event) => {
    const cell = cellAtPoint(event.offsetX, event.offsetY, layout.map.width, layout.map.height, n, n);
    if (!cell) return;
    cursorCell = cell;
    show(cell.row, cell.col);
  });
  canvas.addEventListener('mouseleave', () => {
    tooltip.hidden = true;
    cursor.setAttribute('visibility', 'hidden');
  });
  canvas.addEventListener('focus', () => show(cursorCell.row, cursorCell.col));
  canvas.addEventListener('blur', () => { tooltip.hidden = true; cursor.setAttribute('visibility', 'hidden'); });
  canvas.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { event.preventDefault(); backToGrid(); return; }
    const next = moveInGrid(cursorCell.row * n + cursorCell.col, event.key, n, n);
    if (next === null) return;
    event.preventDefault();
    cursorCell = { row: Math.floor(next / n), col: next % n };
    show(cursorCell.row, cursorCell.col);
  });
  const figure = h('div', { className: 'heatmap-figure', style: `width:${layout.width}px;height:${layout.height}px` }, overlay, canvas, tooltip);
  const caption = `${n}×${n}${downsampled ? '; on screen each pixel shows the maximum of the cells it covers (exports keep every cell)' : ''}${labelNote(layout)}`;
  return frame(figure, `${set.name}-L${layer}-H${head}`, ctx.exportChart, caption, exporters(layout, map, n, scale));
}

function labelNote(layout: FigureLayout): string {
  return layout.rowStep > 1 ? `; a label every ${layout.rowStep} tokens` : '';
}

function exporters(layout: FigureLayout, map: Float32Array, n: number, scale: HeatmapScale): { svg: () => Promise<string>; png: () => Promise<ArrayBuffer> } {
  const image = (): HTMLCanvasElement => fullResolutionCanvas(map, n, n, scale, Math.max(layout.map.width, 512));
  return {
    svg: () => exportFigureSvg(layout, image()),
    png: () => exportFigurePng(layout, image()),
  };
}
