/**
 * The mergeable sufficient statistics of a slice search (docs/SHARDING.md §5): for every set T of
 * at most maxLevel candidate columns (T = ∅ included) and every combination of values of T
 * present in a shard, one cell of CELL_WIDTH additive figures — the §B-style sums of all its rows
 * (for the slice's metrics), and count, error sum, maximum error and centred sum of squares of
 * its even and of its odd rows with a defined error (the searched and the holdout rows). Cells
 * merge by addition (maxima by max, centred squares by Chan's rule), so the merged cube holds
 * exactly what SliceLine evaluates: `searchCube` runs the one search of metrics/slices.ts
 * (`searchLevels`: same order, same pruning, same counters) on it and `cubeTest` the holdout test.
 */
import { searchLevels, searchSettings, type SliceSearchColumn, type SliceSearchOptions, type SliceSearchResult, type SliceSource, type SliceStatsBuffer, type SliceTest } from './slices';
import { tInterval, welchTTest, wilsonInterval } from './significance';
import { confusionRates } from './thresholds';
import type { SliceMetrics } from '../../protocol/slices';

/** Layout of one cell. */
export const CELL = {
  count: 0, lossSum: 1, lossN: 2, tp: 3, fp: 4, tn: 5, fn: 6, correct: 7, se: 8,
  /**
   * Defined errors of even rows: count, sum, max, centred sum of squares, and the sum's low part
   * (sums are double-double, so that cells with the same rows have the same sum whatever the
   * order they were added in: slices with the same rows tie exactly, as in a single run).
   */
  even: 9,
  /** The same for odd rows. */
  odd: 14,
} as const;
export const CELL_WIDTH = 19;

/** (hi, lo) += x, keeping hi + lo exact (Knuth's two-sum, then a fast renormalisation). */
function addDD(t: Float64Array, hi: number, x: number, xLo: number): void {
  const a = t[hi]!;
  const s = a + x;
  const bb = s - a;
  const err = (a - (s - bb)) + (x - bb) + t[hi + 3]! + xLo;
  const h = s + err;
  t[hi] = h;
  t[hi + 3] = err - (h - s);
}

export type SliceTask = 'binary' | 'multiclass' | 'regression';

/** The per-row inputs of a shard's cube. */
export interface CubeRows {
  readonly task: SliceTask;
  /** Per row and column: the value index (−1: missing). */
  readonly codes: readonly Int32Array[];
  /** Value indices per column (missing excluded). */
  readonly cardinality: readonly number[];
  readonly errors: Float64Array;
  readonly defined: Uint8Array;
  /** 1-based data row numbers (parity: even row numbers r − 1 are searched under a holdout). */
  readonly rowNumbers: ArrayLike<number>;
  readonly labels: Float64Array;
  readonly pred: Float64Array;
  readonly loss: Float64Array;
}

/** One column set's cells: `keys` holds `columns.length` value indices per cell (−1: missing). */
export interface CubeSubset {
  readonly columns: readonly number[];
  readonly keys: readonly number[];
  readonly stats: readonly number[];
}

/** Adds one row into a cell at `at` of `s` (Welford for the centred squares). */
/** Adds one row's all-rows figures (count, loss, confusion / correct / squared error) at `at`. */
function addMetrics(s: Float64Array, at: number, task: SliceTask, y: number, p: number, l: number): void {
  s[at + CELL.count]!++;
  if (l === l) { s[at + CELL.lossSum] = s[at + CELL.lossSum]! + l; s[at + CELL.lossN]!++; }
  if (task === 'binary') {
    if (y === 1) { if (p === 1) s[at + CELL.tp]!++; else s[at + CELL.fn]!++; } else if (p === 1) s[at + CELL.fp]!++; else s[at + CELL.tn]!++;
  } else if (task === 'multiclass') s[at + CELL.correct] = s[at + CELL.correct]! + (p === y ? 1 : 0);
  else s[at + CELL.se] = s[at + CELL.se]! + (p - y) * (p - y);
}

function addRow(s: Float64Array, at: number, r: CubeRows, i: number, mean: Float64Array, m: number): void {
  addMetrics(s, at, r.task, r.labels[i]!, r.pred[i]!, r.loss[i]!);
  if (!r.defined[i]) return;
  const e = r.errors[i]!;
  const odd = (r.rowNumbers[i]! - 1) % 2 !== 0;
  const b = at + (odd ? CELL.odd : CELL.even);
  const mi = 2 * m + (odd ? 1 : 0);
  const n = ++s[b]!;
  addDD(s, b + 1, e, 0);
  if (e > s[b + 2]!) s[b + 2] = e;
  const d = e - mean[mi]!;
  mean[mi] = mean[mi]! + d / n;
  s[b + 3] = s[b + 3]! + d * (e - mean[mi]!);
}

/** Every column set of size ≤ maxLevel (∅ first), each in ascending column order. */
export function columnSets(columns: readonly number[], maxLevel: number): number[][] {
  const out: number[][] = [[]];
  const walk = (start: number, prefix: number[]): void => {
    for (let j = start; j < columns.length; j++) {
      const next = [...prefix, columns[j]!];
      out.push(next);
      if (next.length < maxLevel) walk(j + 1, next);
    }
  };
  walk(0, []);
  return out;
}

/** The cube of a shard's rows over the given column sets. */
export function buildCube(r: CubeRows, sets: readonly (readonly number[])[], signal?: AbortSignal): CubeSubset[] {
  const n = r.errors.length;
  return sets.map((cols) => {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    const radix = cols.map((c) => r.cardinality[c]! + 1);
    const safe = radix.reduce((a, b) => a * b, 1) <= Number.MAX_SAFE_INTEGER;
    const slots = new Map<number | string, number>();
    let stats = new Float64Array(64 * CELL_WIDTH);
    let mean = new Float64Array(128);
    const keys: number[] = [];
    for (let i = 0; i < n; i++) {
      let key: number | string;
      if (safe) {
        let k = 0;
        for (let j = 0; j < cols.length; j++) k = k * radix[j]! + (r.codes[cols[j]!]![i]! + 1);
        key = k;
      } else key = cols.map((c) => r.codes[c]![i]!).join(',');
      let m = slots.get(key);
      if (m === undefined) {
        m = slots.size;
        slots.set(key, m);
        for (const c of cols) keys.push(r.codes[c]![i]!);
        if ((m + 1) * CELL_WIDTH > stats.length) { const next = new Float64Array(stats.length * 2); next.set(stats); stats = next; }
        if (2 * m + 2 > mean.length) { const next = new Float64Array(mean.length * 2); next.set(mean); mean = next; }
      }
      addRow(stats, m * CELL_WIDTH, r, i, mean, m);
    }
    return { columns: [...cols], keys, stats: Array.from(stats.subarray(0, slots.size * CELL_WIDTH)) };
  });
}

/** Chan et al.'s pairwise update of (count, sum, max, centred squares, sum's low part) at `at`. */
function mergeMoments(t: Float64Array, at: number, s: ArrayLike<number>, from: number): void {
  const na = t[at]!; const nb = s[from]!;
  if (nb === 0) return;
  if (na === 0) { for (let k = 0; k < 5; k++) t[at + k] = s[from + k]!; return; }
  const delta = (s[from + 1]! + s[from + 4]!) / nb - (t[at + 1]! + t[at + 4]!) / na;
  t[at] = na + nb;
  addDD(t, at + 1, s[from + 1]!, s[from + 4]!);
  t[at + 2] = Math.max(t[at + 2]!, s[from + 2]!);
  t[at + 3] = t[at + 3]! + s[from + 3]! + delta * delta * (na * nb / (na + nb));
}

/** Adds cell `s[from…]` into cell `t[at…]`. */
export function mergeCell(t: Float64Array, at: number, s: ArrayLike<number>, from: number): void {
  for (let k = 0; k < CELL.even; k++) t[at + k] = t[at + k]! + s[from + k]!;
  mergeMoments(t, at + CELL.even, s, from + CELL.even);
  mergeMoments(t, at + CELL.odd, s, from + CELL.odd);
}

/** Moments (count, sum, max, centred squares) of the searched or of the evaluation rows of a cell. */
export function moments(cell: ArrayLike<number>, at: number, part: 'even' | 'odd' | 'both'): [number, number, number, number] {
  if (part !== 'both') { const b = at + CELL[part]; return [cell[b]!, cell[b + 1]! + cell[b + 4]!, cell[b + 2]!, cell[b + 3]!]; }
  const t = new Float64Array(5);
  mergeMoments(t, 0, cell, at + CELL.even);
  mergeMoments(t, 0, cell, at + CELL.odd);
  return [t[0]!, t[1]! + t[4]!, t[2]!, t[3]!];
}

/** A merged cube: per column set (key: columns joined by ","), cells by codes joined by ",". */
export type MergedCube = Map<string, Map<string, Float64Array>>;

/** Searched-row statistics of a cell, as the search sees them. */
export interface CellSearch { readonly size: number; readonly errorSum: number; readonly maxError: number }

/**
 * The slice search (metrics/slices.ts `searchLevels`, shared with the row searches) over a cube
 * instead of rows: each candidate's size, error sum and maximum error are read from
 * `cell(columns, codes)` (undefined: no row). Equal top-k, `evaluated` and `pruned` to a search
 * over the rows the cube was built from.
 */
export function searchCube(
  columns: readonly Pick<SliceSearchColumn, 'name' | 'cardinality' | 'valueText'>[], cell: (cols: readonly number[], codes: readonly number[]) => CellSearch | undefined,
  n: number, total: number, options: SliceSearchOptions = {},
): SliceSearchResult {
  const setup = searchSettings(n, total, columns.length, options);
  if (setup.empty) return setup.empty;
  const put = (out: SliceStatsBuffer, i: number, s: CellSearch | undefined): void => {
    if (s) { out.size[i] = s.size; out.errorSum[i] = s.errorSum; out.maxError[i] = s.maxError; }
  };
  const source: SliceSource = {
    level1(c, out) { for (let v = 0; v < columns[c]!.cardinality; v++) put(out, v, cell([c], [v])); },
    live() { /* the cube holds every cell */ },
    children(preds, candidates, out) {
      const cols = preds.map(([c]) => c);
      const codes = preds.map(([, v]) => v);
      candidates.forEach(([c, v], i) => put(out, i, cell([...cols, c], [...codes, v])));
    },
  };
  const { top, evaluated, pruned } = searchLevels(columns, source, n, setup.errorMean, setup, options.signal);
  return setup.result(top, evaluated, pruned);
}

/**
 * metrics/slices.ts `sliceTest` from moments: the slice's evaluation rows (count, sum, centred
 * squares) and all evaluation rows'; the complement's centred squares by Chan's rule backwards.
 */
export function cubeTest(slice: readonly number[], all: readonly number[], binary: boolean, selectedOnSameData: boolean): SliceTest {
  const [n1, s1, , d1] = slice as [number, number, number, number];
  const [nAll, sAll, , dAll] = all as [number, number, number, number];
  const n2 = nAll - n1;
  const s2 = sAll - s1;
  const m1 = n1 > 0 ? s1 / n1 : NaN;
  const m2 = n2 > 0 ? s2 / n2 : NaN;
  const d2 = n2 > 0 ? Math.max(0, dAll - d1 - (n1 > 0 ? (m1 - m2) * (m1 - m2) * (n1 * n2 / nAll) : 0)) : 0;
  const v1 = n1 > 1 ? d1 / (n1 - 1) : NaN;
  const v2 = n2 > 1 ? d2 / (n2 - 1) : NaN;
  const ci: [number, number] = binary ? wilsonInterval(s1, n1) : tInterval(m1, v1, n1);
  return { size: n1, errorMean: m1, ci, diff: m1 - m2, p: welchTTest(m1, v1, n1, m2, v2, n2).p, q: NaN, selectedOnSameData };
}

/** The all-rows part of a cell (no error moments) over the given rows, in their order. */
export function rowSums(task: SliceTask, rows: Iterable<number>, labels: Float64Array, pred: Float64Array, loss: Float64Array): Float64Array {
  const s = new Float64Array(CELL_WIDTH);
  for (const i of rows) addMetrics(s, 0, task, labels[i]!, pred[i]!, loss[i]!);
  return s;
}

/** §B-style metrics of a cell's rows (FORMULAS.md §E: the slice's metrics over all its rows). */
export function cellMetrics(task: SliceTask, c: ArrayLike<number>, at: number): SliceMetrics {
  const count = c[at + CELL.count]!;
  const lossN = c[at + CELL.lossN]!;
  const base = { count, loss: lossN > 0 ? c[at + CELL.lossSum]! / lossN : Number.NaN };
  if (task === 'binary') {
    const r = confusionRates(c[at + CELL.tp]!, c[at + CELL.fp]!, c[at + CELL.tn]!, c[at + CELL.fn]!);
    return { ...base, accuracy: r.accuracy, error_rate: r.error_rate, selection_rate: r.selection_rate, tpr: r.tpr, fpr: r.fpr, tnr: r.tnr, fnr: r.fnr, precision: r.precision, positives: r.positives, negatives: r.negatives };
  }
  const correct = c[at + CELL.correct]!;
  if (task === 'multiclass') return { ...base, accuracy: count ? correct / count : Number.NaN, error_rate: count ? 1 - correct / count : Number.NaN };
  return { ...base, mse: count ? c[at + CELL.se]! / count : Number.NaN };
}
