/**
 * Layout of a change matrix (group × format loss/accuracy change, group × layer damage), pure (no
 * DOM). Cells carry a tone in [−1, 1] on a scale centred at 0 and symmetric (±the largest |value|),
 * oriented so that +1 is always the WORSE side (a loss increase, an accuracy drop): the renderer
 * colours it with the diverging PuOr scale, orange = worse. Missing values are empty cells.
 */
import { shortName } from './quantData';

export interface MatrixRowSpec {
  readonly label: string;
  readonly count?: number;
  readonly small?: boolean;
}

export interface ChangeMatrixSpec {
  readonly rows: readonly MatrixRowSpec[];
  readonly cols: readonly string[];
  /** Row-major rows × cols values; NaN = no value. */
  readonly values: ArrayLike<number>;
  /** Which sign is worse: 'positive' (loss delta) or 'negative' (accuracy delta, agreement change). */
  readonly worseWhen: 'positive' | 'negative';
  /** Cell width; by default 64 px for up to 16 columns, narrower (down to 18) for more. */
  readonly cellWidth?: number;
  readonly cellHeight?: number;
  readonly fontSize?: number;
  /** Longest label shown before a middle ellipsis (default 28). */
  readonly maxLabelChars?: number;
}

export interface ChangeCell {
  readonly row: number;
  readonly col: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly value: number;
  /** value / maxAbs, signed so that +1 is the worst; NaN when there is no value. */
  readonly tone: number;
  /** The value printed in the cell, or '' when cells are too narrow for text. */
  readonly text: string;
}

export interface ChangeMatrixLayout {
  readonly width: number;
  readonly height: number;
  readonly fontSize: number;
  readonly cells: readonly ChangeCell[];
  /** Right-aligned at x, centred on y. */
  readonly rowLabels: readonly { readonly text: string; readonly full: string; readonly x: number; readonly y: number; readonly small: boolean; readonly count?: number }[];
  /** Rotated −60° about (x, y). */
  readonly colLabels: readonly { readonly text: string; readonly full: string; readonly x: number; readonly y: number }[];
  readonly grid: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Largest |value| over the cells (0 when none is finite). */
  readonly maxAbs: number;
  readonly legend: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
}

/** A signed change as shown in a cell: "+0.0123", "−0.5", "0". */
export function formatChange(value: number, digits = 3): string {
  if (Number.isNaN(value)) return '';
  if (value === 0) return '0';
  const a = Math.abs(value);
  const body = a >= 1e-3 && a < 1e4 ? String(Number(a.toPrecision(digits))) : a.toExponential(1).replace(/-/g, '−');
  return `${value > 0 ? '+' : '−'}${body}`;
}

export function layoutChangeMatrix(spec: ChangeMatrixSpec): ChangeMatrixLayout {
  const fontSize = spec.fontSize ?? 11;
  const maxChars = spec.maxLabelChars ?? 28;
  const nRows = spec.rows.length;
  const nCols = spec.cols.length;
  const cellWidth = spec.cellWidth ?? (nCols <= 16 ? 64 : Math.max(18, Math.floor(1000 / nCols)));
  const cellHeight = spec.cellHeight ?? 22;
  const charWidth = fontSize * 0.62;
  const rowTexts = spec.rows.map((r) => shortName(r.label, maxChars));
  const colTexts = spec.cols.map((c) => shortName(c, maxChars));
  const longest = (texts: readonly string[]): number => texts.reduce((m, t) => Math.max(m, Array.from(t).length), 1);
  // Row label plus its " (n=…, small)" note.
  const noteChars = spec.rows.reduce((m, r) => Math.max(m, r.count !== undefined ? ` n=${r.count.toLocaleString('en-US')}${r.small ? ' small' : ''}`.length : 0), 0);
  const rowLabelWidth = Math.ceil((longest(rowTexts) + noteChars) * charWidth) + 10;
  // Column labels at −60°: height ≈ length·sin 60°.
  const headerHeight = Math.ceil(longest(colTexts) * charWidth * 0.87) + 12;
  const pad = 6;
  const gridX = pad + rowLabelWidth;
  const titleHeight = 22;
  const gridY = pad + titleHeight + headerHeight;
  let maxAbs = 0;
  for (let i = 0; i < nRows * nCols; i++) {
    const v = Math.abs(spec.values[i] ?? Number.NaN);
    if (Number.isFinite(v) && v > maxAbs) maxAbs = v;
  }
  const sign = spec.worseWhen === 'positive' ? 1 : -1;
  const showText = cellWidth >= 44;
  const cells: ChangeCell[] = [];
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) {
      const value = spec.values[r * nCols + c] ?? Number.NaN;
      const finite = Number.isFinite(value);
      cells.push({
        row: r,
        col: c,
        x: gridX + c * cellWidth,
        y: gridY + r * cellHeight,
        width: cellWidth,
        height: cellHeight,
        value,
        tone: finite ? (maxAbs > 0 ? (sign * value) / maxAbs : 0) : Number.NaN,
        text: showText ? formatChange(value) : '',
      });
    }
  }
  const gridWidth = nCols * cellWidth;
  const gridHeight = nRows * cellHeight;
  const legendWidth = 220;
  const legendY = gridY + gridHeight + 14;
  return {
    // A −60° label reaches cos 60° of its length right of its column's centre.
    width: Math.max(gridX + gridWidth - cellWidth / 2 + Math.ceil(longest(colTexts) * charWidth * 0.5) + 4, gridX + gridWidth, gridX + legendWidth + 120) + pad,
    height: legendY + 10 + fontSize + 10 + pad,
    fontSize,
    cells,
    rowLabels: spec.rows.map((row, r) => ({ text: rowTexts[r] ?? '', full: row.label, x: gridX - 6, y: gridY + r * cellHeight + cellHeight / 2, small: row.small === true, ...(row.count !== undefined ? { count: row.count } : {}) })),
    colLabels: spec.cols.map((full, c) => ({ text: colTexts[c] ?? '', full, x: gridX + c * cellWidth + cellWidth / 2, y: gridY - 6 })),
    grid: { x: gridX, y: gridY, width: gridWidth, height: gridHeight },
    maxAbs,
    legend: { x: gridX, y: legendY, width: legendWidth, height: 10 },
  };
}
