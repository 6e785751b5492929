/**
 * Thin canvas/SVG rendering of heatmaps over the pure modules: a map is downsampled to the
 * canvas's device pixels (heatmapLayout.ts, block max), painted through a colour LUT and put with
 * one putImageData — no per-cell DOM, so 1024×1024 maps stay responsive.
 */
import { select } from 'd3';
import { colorLut, paintRgba, type HeatmapScale } from './heatmapColor';
import { figureSvg, type FigureLayout } from './heatmapFigure';
import { downsampleMap, renderResolution, type BlockReduce } from './heatmapLayout';

const luts = new WeakMap<(t: number) => string, Uint8ClampedArray>();

/** The 256-colour LUT of a scale's interpolator (cached per interpolator). */
export function lutFor(scale: HeatmapScale): Uint8ClampedArray {
  let lut = luts.get(scale.interpolate);
  if (!lut) {
    lut = colorLut(scale.interpolate, 256);
    luts.set(scale.interpolate, lut);
  }
  return lut;
}

/** Block reduction for a scale: peaks keep their value (max; signed largest |v| when diverging). */
export function reduceFor(scale: HeatmapScale): BlockReduce {
  return scale.kind === 'diverging' ? 'absmax' : 'max';
}

/**
 * Draws a rows×cols map on `canvas` shown at cssWidth×cssHeight CSS pixels. The backing store
 * gets min(cells, device pixels) per side; smaller maps are enlarged by CSS without smoothing.
 * Returns whether cells were merged (the caption then says "block maximum").
 */
export function drawMap(canvas: HTMLCanvasElement, map: ArrayLike<number>, rows: number, cols: number, cssWidth: number, cssHeight: number, scale: HeatmapScale): { downsampled: boolean } {
  const dpr = window.devicePixelRatio || 1;
  const target = downsampleMap(map, rows, cols, renderResolution(rows, cssHeight, dpr), renderResolution(cols, cssWidth, dpr), reduceFor(scale));
  canvas.width = target.cols;
  canvas.height = target.rows;
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D canvas context');
  const pixels = paintRgba(target.values, scale, lutFor(scale), new Uint8ClampedArray(target.rows * target.cols * 4));
  context.putImageData(new ImageData(pixels, target.cols, target.rows), 0, 0);
  return { downsampled: target.rows < rows || target.cols < cols };
}

/**
 * A canvas with the full-resolution map (one block of k×k pixels per cell, k the integer factor
 * that brings the longer side to at least `minSize` pixels): the map image of PNG/SVG exports.
 */
export function fullResolutionCanvas(map: ArrayLike<number>, rows: number, cols: number, scale: HeatmapScale, minSize = 512): HTMLCanvasElement {
  const k = Math.max(1, Math.floor(minSize / Math.max(rows, cols, 1)));
  const cells = document.createElement('canvas');
  cells.width = cols;
  cells.height = rows;
  const cellContext = cells.getContext('2d');
  if (!cellContext) throw new Error('no 2D canvas context');
  cellContext.putImageData(new ImageData(paintRgba(map, scale, lutFor(scale), new Uint8ClampedArray(rows * cols * 4)), cols, rows), 0, 0);
  if (k === 1) return cells;
  const scaled = document.createElement('canvas');
  scaled.width = cols * k;
  scaled.height = rows * k;
  const context = scaled.getContext('2d');
  if (!context) throw new Error('no 2D canvas context');
  context.imageSmoothingEnabled = false;
  context.drawImage(cells, 0, 0, scaled.width, scaled.height);
  return scaled;
}

export interface FigureColors {
  readonly foreground: string;
  readonly background: string;
  readonly fontFamily: string;
}

/** The current theme's colours, baked into exports (CSS variables mean nothing outside VS Code). */
export function themeColors(): FigureColors {
  const style = getComputedStyle(document.body);
  return {
    foreground: style.getPropertyValue('--vscode-foreground').trim() || style.color || '#333333',
    background: style.getPropertyValue('--vscode-editor-background').trim() || '#ffffff',
    fontFamily: style.getPropertyValue('--vscode-font-family').trim() || 'sans-serif',
  };
}

/** SVG export of a figure: vector labels and legend, the map as a PNG data URL. */
export function exportFigureSvg(layout: FigureLayout, mapImage: HTMLCanvasElement): Promise<string> {
  return Promise.resolve(figureSvg(layout, mapImage.toDataURL('image/png'), themeColors()));
}

/** PNG export of a figure, drawn on a canvas at `scale`× and encoded with canvas.toBlob. */
export async function exportFigurePng(layout: FigureLayout, mapImage: HTMLCanvasElement, scale = 2): Promise<ArrayBuffer> {
  const colors = themeColors();
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(layout.width * scale);
  canvas.height = Math.ceil(layout.height * scale);
  const c = canvas.getContext('2d');
  if (!c) throw new Error('no 2D canvas context');
  c.scale(scale, scale);
  c.fillStyle = colors.background;
  c.fillRect(0, 0, layout.width, layout.height);
  c.fillStyle = colors.foreground;
  c.strokeStyle = colors.foreground;
  c.font = `600 ${layout.fontSize}px ${colors.fontFamily}`;
  c.textBaseline = 'alphabetic';
  c.fillText(layout.title.text, layout.title.x, layout.title.y);
  c.font = `${layout.fontSize}px ${colors.fontFamily}`;
  c.textAlign = 'center';
  c.fillText(layout.colAxis.text, layout.colAxis.x, layout.colAxis.y);
  rotated(c, layout.rowAxis.x, layout.rowAxis.y, () => c.fillText(layout.rowAxis.text, 0, 0));
  c.imageSmoothingEnabled = false;
  c.drawImage(mapImage, layout.map.x, layout.map.y, layout.map.width, layout.map.height);
  c.textBaseline = 'middle';
  c.textAlign = 'right';
  for (const t of layout.rowLabels) c.fillText(t.text, t.x, t.y);
  c.textAlign = 'left';
  for (const t of layout.colLabels) rotated(c, t.x, t.y, () => c.fillText(t.text, 0, 0));
  const { legend } = layout;
  const gradient = c.createLinearGradient(legend.x, 0, legend.x + legend.width, 0);
  for (const stop of legend.stops) gradient.addColorStop(stop.offset, stop.color);
  c.fillStyle = gradient;
  c.fillRect(legend.x, legend.y, legend.width, legend.height);
  c.fillStyle = colors.foreground;
  c.textAlign = 'center';
  c.textBaseline = 'alphabetic';
  for (const t of legend.ticks) {
    c.fillRect(t.x - 0.5, legend.y + legend.height, 1, 3);
    c.fillText(t.text, t.x, t.y);
  }
  const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
  return await blob.arrayBuffer();
}

function rotated(c: CanvasRenderingContext2D, x: number, y: number, draw: () => void): void {
  c.save();
  c.translate(x, y);
  c.rotate(-Math.PI / 2);
  draw();
  c.restore();
}

/**
 * The live figure: titles, token labels and legend as an SVG overlay (d3, text through .text()),
 * positioned over the canvas that holds the map. Returns the overlay's cursor rectangle.
 */
export function renderFigureOverlay(svgElement: SVGSVGElement, layout: FigureLayout, gradientId: string): SVGRectElement {
  const svg = select(svgElement)
    .attr('width', layout.width)
    .attr('height', layout.height)
    .attr('viewBox', `0 0 ${layout.width} ${layout.height}`)
    .attr('aria-hidden', 'true')
    .attr('class', 'heatmap-overlay');
  svg.selectAll('*').remove();
  svg.append('defs').append('linearGradient').attr('id', gradientId).attr('x1', 0).attr('x2', 1).attr('y1', 0).attr('y2', 0)
    .selectAll('stop').data(layout.legend.stops).join('stop').attr('offset', (s) => `${s.offset * 100}%`).attr('stop-color', (s) => s.color);
  svg.append('text').attr('class', 'heatmap-title').attr('x', layout.title.x).attr('y', layout.title.y).text(layout.title.text);
  svg.append('text').attr('x', layout.colAxis.x).attr('y', layout.colAxis.y).attr('text-anchor', 'middle').attr('class', 'heatmap-axis').text(layout.colAxis.text);
  svg.append('text').attr('x', layout.rowAxis.x).attr('y', layout.rowAxis.y).attr('text-anchor', 'middle').attr('class', 'heatmap-axis')
    .attr('transform', `rotate(-90 ${layout.rowAxis.x} ${layout.rowAxis.y})`).text(layout.rowAxis.text);
  svg.append('g').attr('class', 'heatmap-labels').attr('text-anchor', 'end').selectAll('text').data(layout.rowLabels).join('text')
    .attr('x', (t) => t.x).attr('y', (t) => t.y).attr('dy', '0.35em').text((t) => t.text);
  svg.append('g').attr('class', 'heatmap-labels').selectAll('text').data(layout.colLabels).join('text')
    .attr('x', (t) => t.x).attr('y', (t) => t.y).attr('dy', '0.35em').attr('transform', (t) => `rotate(-90 ${t.x} ${t.y})`).text((t) => t.text);
  const legend = svg.append('g').attr('class', 'heatmap-legend');
  legend.append('rect').attr('x', layout.legend.x).attr('y', layout.legend.y).attr('width', layout.legend.width).attr('height', layout.legend.height).attr('fill', `url(#${gradientId})`);
  const ticks = legend.selectAll('g').data(layout.legend.ticks).join('g');
  ticks.append('line').attr('x1', (t) => t.x).attr('x2', (t) => t.x).attr('y1', layout.legend.y + layout.legend.height).attr('y2', layout.legend.y + layout.legend.height + 3);
  ticks.append('text').attr('x', (t) => t.x).attr('y', (t) => t.y).attr('text-anchor', 'middle').text((t) => t.text);
  return svg.append('rect').attr('class', 'heatmap-cursor').attr('visibility', 'hidden').node() as SVGRectElement;
}
