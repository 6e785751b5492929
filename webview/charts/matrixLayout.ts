/**
 * Layout of the intersection matrix for two sensitive columns: rows = values of the first,
 * columns = values of the second, one cell per combination. A combination absent from the data
 * is an empty cell (never 0). Colour is a tone in [-1, 1] diverging around overall, oriented so
 * that −1 is always the worse side. Pure (no DOM).
 */
import type { GroupEntry, Interval } from '../../extension/protocol/groups';
import { metricInfo, metricOf } from './groupMetrics';

export interface MatrixOptions {
  readonly metric: string;
  /** The two sensitive columns: [rows, columns]. */
  readonly columns: readonly [string, string];
  readonly overall: number;
  readonly cellWidth?: number;
  readonly cellHeight?: number;
  readonly rowLabelWidth?: number;
  readonly headerHeight?: number;
}

export interface MatrixCell {
  readonly row: number;
  readonly col: number;
  readonly rowValue: string;
  readonly colValue: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Absent: no row of the data has this combination. */
  readonly entry?: {
    readonly value: number;
    readonly count: number;
    readonly small: boolean;
    readonly interval?: Interval;
    readonly source: GroupEntry;
  };
  /** −1 (worst deviation from overall) … 0 (at overall) … 1 (best); NaN when empty or undefined. */
  readonly tone: number;
  /** The tone is strong enough that the fill is dark: draw the text light. */
  readonly lightText: boolean;
}

export interface MatrixLayout {
  readonly width: number;
  readonly height: number;
  readonly rowValues: readonly string[];
  readonly colValues: readonly string[];
  readonly cells: readonly MatrixCell[];
  readonly rowLabelWidth: number;
  readonly headerHeight: number;
  /** Largest |value − overall| over the filled cells (1 when there is none). */
  readonly maxDeviation: number;
  /** Legend ends: the value at tone −1 and at tone +1, and the overall in the middle. */
  readonly legend: { readonly worse: number; readonly overall: number; readonly better: number };
}

const collator = new Intl.Collator('en', { numeric: true });

/** Distinct values of a column among the entries, in natural order. */
export function columnValues(entries: readonly GroupEntry[], column: string): string[] {
  return [...new Set(entries.map((e) => e.group[column]).filter((v): v is string => v !== undefined))].sort(collator.compare);
}

export function layoutMatrix(entries: readonly GroupEntry[], options: MatrixOptions): MatrixLayout {
  const [rowColumn, colColumn] = options.columns;
  const cellWidth = options.cellWidth ?? 110;
  const cellHeight = options.cellHeight ?? 44;
  const rowLabelWidth = options.rowLabelWidth ?? 120;
  const headerHeight = options.headerHeight ?? 40;
  const rowValues = columnValues(entries, rowColumn);
  const colValues = columnValues(entries, colColumn);
  const byKey = new Map<string, GroupEntry>();
  for (const e of entries) {
    const r = e.group[rowColumn];
    const c = e.group[colColumn];
    if (r !== undefined && c !== undefined) byKey.set(JSON.stringify([r, c]), e);
  }
  const overall = options.overall;
  const sign = metricInfo(options.metric).direction === 'higher-better' ? 1 : -1;
  const deviations = [...byKey.values()].map((e) => Math.abs(metricOf(e, options.metric) - overall)).filter(Number.isFinite);
  const maxDeviation = deviations.length > 0 && Math.max(...deviations) > 0 ? Math.max(...deviations) : 1;
  const cells: MatrixCell[] = [];
  rowValues.forEach((rowValue, row) => {
    colValues.forEach((colValue, col) => {
      const e = byKey.get(JSON.stringify([rowValue, colValue]));
      const value = e ? metricOf(e, options.metric) : Number.NaN;
      const tone = e && Number.isFinite(value) && Number.isFinite(overall) ? (sign * (value - overall)) / maxDeviation : Number.NaN;
      const interval = e?.ci?.[options.metric];
      cells.push({
        row, col, rowValue, colValue,
        x: rowLabelWidth + col * cellWidth,
        y: headerHeight + row * cellHeight,
        width: cellWidth,
        height: cellHeight,
        ...(e ? { entry: { value, count: e.count, small: e.small === true, ...(interval ? { interval } : {}), source: e } } : {}),
        tone,
        lightText: Number.isFinite(tone) && Math.abs(tone) > 0.6,
      });
    });
  });
  return {
    width: rowLabelWidth + colValues.length * cellWidth,
    height: headerHeight + rowValues.length * cellHeight,
    rowValues, colValues, cells, rowLabelWidth, headerHeight, maxDeviation,
    legend: { worse: overall - sign * maxDeviation, overall, better: overall + sign * maxDeviation },
  };
}
