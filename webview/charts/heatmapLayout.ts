/**
 * Layout of attention heatmaps, pure (no DOM): screen-resolution downsampling, the layer × head
 * grid, token-label thinning, hit-testing and keyboard movement. Testable in plain Node; the canvas
 * drawing is a thin layer over this (heatmapCanvas.ts).
 *
 * Downsampling choice: a T×T map wider than the canvas's device pixels is reduced block by block
 * with the block MAXIMUM (probability maps) or the signed value of largest magnitude (difference
 * and bias maps). Attention is sparse and peaked — a sink column, a diagonal, one identity token —
 * and a block mean would dilute a one-token peak by the block width (1024 tokens on 256 pixels
 * shows a diagonal at a quarter of its value). With the maximum every peak keeps its value and
 * colour; the tooltip always reads the exact cell from the full-resolution map.
 */

/** How a block of cells becomes one pixel: `max`, `mean`, or `absmax` (the signed value with the largest |v|). */
export type BlockReduce = 'max' | 'mean' | 'absmax';

export interface Downsampled {
  readonly values: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Block edges when `n` cells are shown on `out ≤ n` pixels: pixel p covers cells
 * [⌊p·n/out⌋, ⌊(p+1)·n/out⌋), so every pixel gets at least one cell and every cell one pixel.
 * Returns, per cell, the index of its pixel.
 */
export function blockIndex(n: number, out: number): Int32Array {
  const index = new Int32Array(n);
  for (let p = 0; p < out; p++) {
    const start = Math.floor((p * n) / out);
    const end = Math.floor(((p + 1) * n) / out);
    for (let c = start; c < end; c++) index[c] = p;
  }
  return index;
}

/**
 * Reduces a row-major `rows`×`cols` map to at most `outRows`×`outCols` (never enlarges: a target
 * larger than the map keeps the map's size; the canvas scales it up without smoothing). One pass
 * over the input. NaN cells are ignored; a block of NaN only stays NaN.
 */
export function downsampleMap(map: ArrayLike<number>, rows: number, cols: number, outRows: number, outCols: number, reduce: BlockReduce): Downsampled {
  if (map.length < rows * cols) throw new RangeError(`map has ${map.length} values, expected ${rows}×${cols}`);
  const targetRows = Math.max(1, Math.min(rows, Math.floor(outRows)));
  const targetCols = Math.max(1, Math.min(cols, Math.floor(outCols)));
  const size = targetRows * targetCols;
  const values = new Float32Array(size).fill(Number.NaN);
  if (rows === 0 || cols === 0) return { values, rows: targetRows, cols: targetCols };
  const rowBlock = blockIndex(rows, targetRows);
  const colBlock = blockIndex(cols, targetCols);
  const best = new Float64Array(size).fill(Number.NaN);
  const counts = reduce === 'mean' ? new Float64Array(size) : undefined;
  for (let r = 0; r < rows; r++) {
    const outBase = (rowBlock[r] ?? 0) * targetCols;
    const inBase = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = map[inBase + c] ?? Number.NaN;
      if (Number.isNaN(v)) continue;
      const o = outBase + (colBlock[c] ?? 0);
      const current = best[o] ?? Number.NaN;
      if (counts) {
        best[o] = Number.isNaN(current) ? v : current + v;
        counts[o] = (counts[o] ?? 0) + 1;
      } else if (Number.isNaN(current) || (reduce === 'max' ? v > current : Math.abs(v) > Math.abs(current))) {
        best[o] = v;
      }
    }
  }
  for (let o = 0; o < size; o++) {
    const v = best[o] ?? Number.NaN;
    values[o] = counts ? v / (counts[o] ?? 1) : v;
  }
  return { values, rows: targetRows, cols: targetCols };
}

/** Device pixels a map of `cells` cells gets on `cssPixels` CSS pixels: never more than the cells. */
export function renderResolution(cells: number, cssPixels: number, devicePixelRatio: number): number {
  const ratio = Number.isFinite(devicePixelRatio) && devicePixelRatio > 0 ? devicePixelRatio : 1;
  return Math.max(1, Math.min(cells, Math.round(cssPixels * ratio)));
}

export interface TokenLabel {
  readonly index: number;
  /** Centre of the label's cell, in the same unit as the extent. */
  readonly position: number;
}

export interface ThinnedLabels {
  /** Every `step`-th label is shown (1, 2 or 5 times a power of ten). */
  readonly step: number;
  readonly labels: readonly TokenLabel[];
}

/**
 * Which of `count` labels along `extent` pixels to show so that shown labels are at least
 * `minSpacing` apart: every k-th, with k the smallest of 1, 2, 5, 10, 20, 50… that fits.
 */
export function thinLabels(count: number, extent: number, minSpacing: number): ThinnedLabels {
  if (count <= 0 || !(extent > 0)) return { step: 1, labels: [] };
  const cell = extent / count;
  let step = 1;
  for (let power = 1; cell * step < minSpacing && step < count; power *= 10) {
    step = ([1, 2, 5].find((m) => cell * m * power >= minSpacing) ?? 10) * power;
  }
  const labels: TokenLabel[] = [];
  for (let index = 0; index < count; index += step) labels.push({ index, position: (index + 0.5) * cell });
  return { step, labels };
}

export interface GridCell {
  readonly layer: number;
  readonly head: number;
  /** Index layer·heads + head (the order of mean maps and perHead). */
  readonly index: number;
  readonly x: number;
  readonly y: number;
}

export interface HeadGridLayout {
  readonly cellSize: number;
  readonly gap: number;
  readonly width: number;
  readonly height: number;
  readonly cells: readonly GridCell[];
  readonly rowLabels: readonly { readonly layer: number; readonly y: number }[];
  readonly columnLabels: readonly { readonly head: number; readonly x: number }[];
}

export interface HeadGridOptions {
  readonly availableWidth: number;
  readonly minCell?: number;
  readonly maxCell?: number;
  readonly gap?: number;
  /** Room for the layer labels on the left. */
  readonly labelWidth?: number;
  /** Room for the head labels on top. */
  readonly headerHeight?: number;
}

/**
 * Layers as rows, heads as columns. Cells share the available width, clamped to
 * [minCell, maxCell] CSS pixels (the grid scrolls horizontally when many heads hit the minimum).
 */
export function layoutHeadGrid(layers: number, heads: number, options: HeadGridOptions): HeadGridLayout {
  const gap = options.gap ?? 6;
  const labelWidth = options.labelWidth ?? 28;
  const headerHeight = options.headerHeight ?? 18;
  const minCell = options.minCell ?? 48;
  const maxCell = options.maxCell ?? 120;
  const fit = heads > 0 ? Math.floor((options.availableWidth - labelWidth - gap * (heads - 1)) / heads) : maxCell;
  const cellSize = Math.max(minCell, Math.min(maxCell, fit));
  const cells: GridCell[] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let head = 0; head < heads; head++) {
      cells.push({ layer, head, index: layer * heads + head, x: labelWidth + head * (cellSize + gap), y: headerHeight + layer * (cellSize + gap) });
    }
  }
  return {
    cellSize,
    gap,
    width: labelWidth + heads * cellSize + Math.max(0, heads - 1) * gap,
    height: headerHeight + layers * cellSize + Math.max(0, layers - 1) * gap,
    cells,
    rowLabels: Array.from({ length: layers }, (_, layer) => ({ layer, y: headerHeight + layer * (cellSize + gap) + cellSize / 2 })),
    columnLabels: Array.from({ length: heads }, (_, head) => ({ head, x: labelWidth + head * (cellSize + gap) + cellSize / 2 })),
  };
}

/**
 * The cell under a point of a heatmap drawn `width`×`height` pixels for `rows`×`cols` cells, or
 * null outside it. Works on CSS pixels (mouse offsets), independent of the canvas resolution.
 */
export function cellAtPoint(x: number, y: number, width: number, height: number, rows: number, cols: number): { row: number; col: number } | null {
  if (!(x >= 0 && y >= 0 && x < width && y < height) || rows <= 0 || cols <= 0) return null;
  return { row: Math.min(rows - 1, Math.floor((y / height) * rows)), col: Math.min(cols - 1, Math.floor((x / width) * cols)) };
}

/**
 * Keyboard movement in the layer × head grid (row = layer): arrows move one cell and stop at the
 * edges, Home/End go to the first/last head of the layer, PageUp/PageDown to the first/last layer.
 * Returns null for keys the grid does not handle.
 */
export function moveInGrid(index: number, key: string, layers: number, heads: number): number | null {
  const layer = Math.floor(index / heads);
  const head = index % heads;
  const at = (l: number, h: number): number => Math.max(0, Math.min(layers - 1, l)) * heads + Math.max(0, Math.min(heads - 1, h));
  switch (key) {
    case 'ArrowLeft': return at(layer, head - 1);
    case 'ArrowRight': return at(layer, head + 1);
    case 'ArrowUp': return at(layer - 1, head);
    case 'ArrowDown': return at(layer + 1, head);
    case 'Home': return at(layer, 0);
    case 'End': return at(layer, heads - 1);
    case 'PageUp': return at(0, head);
    case 'PageDown': return at(layers - 1, head);
    default: return null;
  }
}

/** Largest finite value of a map (0 when it has none): the top of a shared sequential scale. */
export function finiteMax(values: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? Number.NaN;
    if (v > max) max = v;
  }
  return Number.isFinite(max) ? max : 0;
}

/** Largest finite |value| (0 when none): the half-width of a diverging scale centred at 0. */
export function finiteMaxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i] ?? Number.NaN);
    if (v > max && Number.isFinite(v)) max = v;
  }
  return max;
}
