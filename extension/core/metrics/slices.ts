/**
 * Slice discovery (FORMULAS.md §E): SliceLine scoring (Sagadeeva & Boehm, SIGMOD 2021) with an
 * exact top-k, 8-quantile bins for numeric columns, and holdout statistics.
 *
 * Search: a slice is a conjunction of predicates `column = code` on distinct columns. Level 1 is
 * counted per value in one pass per column; every slice that may still have a child in the top k
 * is expanded by one pass over its rows that groups them by the codes of each later column (a hash
 * join on the code; a slice's rows are the rows of its smallest predicate filtered by the others'
 * codes, from per-value row lists). Nothing is ever |S|×|S| or rows×slices.
 * Pruning is exact: sizes and error sums only shrink from parent to child (min support, error
 * sum > 0), a child on column c needs all its sub-slices alive (the apriori check of SliceLine's
 * candidate join, looked up in a hash set of the live slices of the level above), and a slice is
 * expanded only when the upper bound of any descendant's score (size ≤ |S|, error sum ≤ se_S,
 * error ≤ max error of S) reaches the current k-th score. The result equals exhaustive
 * enumeration (property test against a brute-force enumerator).
 */
import { benjaminiHochberg, tInterval, welchTTest, wilsonInterval } from './significance';
import { quantileSorted } from './stats';

export interface SliceSearchColumn {
  readonly name: string;
  /** Per searched row, the value code in [0, cardinality). */
  readonly codes: Int32Array;
  readonly cardinality: number;
  /** Text of a value code ("W", "(38, 42]", "∅"). */
  readonly valueText: (code: number) => string;
}

export interface SliceSearchOptions {
  readonly alpha?: number;
  readonly maxLevel?: number;
  /** Default max(32, ⌈0.01·n⌉). */
  readonly minSupport?: number;
  readonly k?: number;
  readonly signal?: AbortSignal;
}

export interface FoundSlice {
  /** [column index, code] in column order. */
  readonly predicates: readonly (readonly [number, number])[];
  readonly text: string;
  readonly size: number;
  readonly errorSum: number;
  readonly errorMean: number;
  readonly score: number;
}

export interface SliceSearchResult {
  readonly n: number;
  readonly errorMean: number;
  readonly alpha: number;
  readonly maxLevel: number;
  readonly minSupport: number;
  /**
   * Non-empty slices whose size and error sum were computed: every level-1 value with a row, and
   * every candidate child with a row that passed the apriori check (definition: `searchLevels`;
   * the same for the hash, bitset and merged-cube searches).
   */
  readonly evaluated: number;
  /** Live slices of levels 1 … maxLevel − 1 not expanded because their score bound fell below the running k-th score (each once). */
  readonly pruned: number;
  readonly top: FoundSlice[];
}

export const SLICE_DEFAULTS = { alpha: 0.95, maxLevel: 3, k: 10 } as const;

export function defaultMinSupport(n: number): number {
  return Math.max(32, Math.ceil(0.01 * n));
}

/** sc(S) = α·((se/|S|)/ē − 1) − (1 − α)·(n/|S| − 1). */
export function sliceScore(size: number, errorSum: number, n: number, errorMean: number, alpha: number): number {
  return alpha * (errorSum / size / errorMean - 1) - (1 - alpha) * (n / size - 1);
}

/**
 * Upper bound of the score of any slice inside S (size in [minSupport, size], error sum at most
 * min(se_S, ss·maxError)): the bound is piecewise monotone in ss, so its maximum is at minSupport,
 * at |S|, or at se_S/maxError clamped to that range.
 */
export function sliceScoreBound(size: number, errorSum: number, maxError: number, minSupport: number, n: number, errorMean: number, alpha: number): number {
  if (size < minSupport || errorSum <= 0) return -Infinity;
  const f = (ss: number): number => alpha * (Math.min(errorSum / ss, maxError) / errorMean - 1) - (1 - alpha) * (n / ss - 1);
  const knee = Math.min(size, Math.max(minSupport, errorSum / maxError));
  return Math.max(f(minSupport), f(size), f(knee));
}

/** The order of the report: score desc, then size desc, then text asc (code-unit order). */
export function compareSlices(a: { score: number; size: number; text: string }, b: { score: number; size: number; text: string }): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.size !== b.size) return b.size - a.size;
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

/** Text of a slice: `col = v` in column order joined by ` & `. */
export function sliceText(columns: readonly Pick<SliceSearchColumn, 'name' | 'valueText'>[], predicates: readonly (readonly [number, number])[]): string {
  return predicates.map(([c, v]) => `${columns[c]!.name} = ${columns[c]!.valueText(v)}`).join(' & ');
}

interface Node {
  readonly preds: (readonly [number, number])[];
  readonly size: number;
  readonly errorSum: number;
  readonly maxError: number;
}

const keyOf = (preds: readonly (readonly [number, number])[]): string => preds.map(([c, v]) => `${c}:${v}`).join('|');

/** The running top k (report order) of the slices offered, and the score bound test against it. */
export interface TopK {
  readonly top: FoundSlice[];
  /** Offers a slice (size ≥ min support and error sum > 0 checked by the caller). */
  offer(node: { readonly preds: (readonly [number, number])[]; readonly size: number; readonly errorSum: number }): void;
  /** True when a descendant bound may still enter the top k (margin against rounding). */
  reaches(bound: number): boolean;
}

export function topK(columns: readonly Pick<SliceSearchColumn, 'name' | 'valueText'>[], n: number, errorMean: number, alpha: number, k: number): TopK {
  const top: FoundSlice[] = [];
  const threshold = (): number => (top.length < k ? 0 : top[top.length - 1]!.score);
  return {
    top,
    offer(node): void {
      const score = sliceScore(node.size, node.errorSum, n, errorMean, alpha);
      if (!(score > 0)) return;
      if (top.length >= k && score < top[k - 1]!.score) return;
      const candidate: FoundSlice = {
        predicates: node.preds, text: sliceText(columns, node.preds), size: node.size,
        errorSum: node.errorSum, errorMean: node.errorSum / node.size, score,
      };
      if (top.length >= k && compareSlices(candidate, top[k - 1]!) >= 0) return;
      let at = top.length;
      while (at > 0 && compareSlices(candidate, top[at - 1]!) < 0) at--;
      top.splice(at, 0, candidate);
      if (top.length > k) top.pop();
    },
    reaches(bound: number): boolean {
      const t = threshold();
      return bound >= t - 1e-9 * (1 + Math.abs(t));
    },
  };
}

/** Per-value count, error sum and largest error over one column: of every row, or of the rows listed. */
export class ValueCounts {
  readonly cnt: Int32Array;
  readonly es: Float64Array;
  readonly em: Float64Array;
  constructor(columns: readonly SliceSearchColumn[]) {
    const maxCard = Math.max(1, ...columns.map((c) => c.cardinality));
    this.cnt = new Int32Array(maxCard);
    this.es = new Float64Array(maxCard);
    this.em = new Float64Array(maxCard);
  }

  count(col: SliceSearchColumn, errors: Float64Array, rows?: Int32Array): void {
    const { cnt, es, em } = this;
    cnt.fill(0, 0, col.cardinality); es.fill(0, 0, col.cardinality); em.fill(0, 0, col.cardinality);
    const codes = col.codes;
    const add = (i: number): void => {
      const v = codes[i]!;
      const e = errors[i]!;
      cnt[v]!++;
      es[v] = es[v]! + e;
      if (e > em[v]!) em[v] = e;
    };
    if (rows) for (let r = 0; r < rows.length; r++) add(rows[r]!);
    else for (let i = 0; i < errors.length; i++) add(i);
  }

  /** Counts every row of the column and writes each value's figures into out[v] (a row source's level 1). */
  level1(col: SliceSearchColumn, errors: Float64Array, out: SliceStatsBuffer): void {
    this.count(col, errors);
    for (let v = 0; v < col.cardinality; v++) { out.size[v] = this.cnt[v]!; out.errorSum[v] = this.es[v]!; out.maxError[v] = this.em[v]!; }
  }
}

/** The settings of a search over n rows with error total `total`, their defaults, and the empty result when there is nothing to search. */
export function searchSettings(n: number, total: number, columnCount: number, options: SliceSearchOptions): {
  n: number; alpha: number; maxLevel: number; minSupport: number; k: number; errorMean: number;
  result: (top: FoundSlice[], evaluated: number, pruned: number) => SliceSearchResult; empty: SliceSearchResult | null;
} {
  const alpha = options.alpha ?? SLICE_DEFAULTS.alpha;
  const maxLevel = Math.min(options.maxLevel ?? SLICE_DEFAULTS.maxLevel, columnCount);
  const minSupport = options.minSupport ?? defaultMinSupport(n);
  const k = options.k ?? SLICE_DEFAULTS.k;
  const errorMean = n > 0 ? total / n : NaN;
  const result = (top: FoundSlice[], evaluated: number, pruned: number): SliceSearchResult =>
    ({ n, errorMean, alpha, maxLevel: options.maxLevel ?? SLICE_DEFAULTS.maxLevel, minSupport, evaluated, pruned, top });
  const empty = n === 0 || !(total > 0) || k <= 0 ? result([], 0, 0) : null;
  return { n, alpha, maxLevel, minSupport, k, errorMean, result, empty };
}

/** searchSettings for the rows' errors (and a check that every column has one code per row). */
export function searchSetup(columns: readonly SliceSearchColumn[], errors: Float64Array, options: SliceSearchOptions): ReturnType<typeof searchSettings> {
  const n = errors.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += errors[i]!;
  const setup = searchSettings(n, total, columns.length, options);
  if (!setup.empty) for (const c of columns) if (c.codes.length !== n) throw new Error(`slice column ${c.name}: ${c.codes.length} codes for ${n} rows`);
  return setup;
}

/**
 * Statistics of candidate slices, written by a search's data source: per index, the slice's size,
 * error sum and largest error (error sum and maximum may be left 0 when size < min support).
 */
export class SliceStatsBuffer {
  size = new Float64Array(16);
  errorSum = new Float64Array(16);
  maxError = new Float64Array(16);
  /** Makes room for `length` entries, all 0. */
  reset(length: number): void {
    if (this.size.length < length) {
      const cap = Math.max(length, 2 * this.size.length);
      this.size = new Float64Array(cap); this.errorSum = new Float64Array(cap); this.maxError = new Float64Array(cap);
    } else { this.size.fill(0, 0, length); this.errorSum.fill(0, 0, length); this.maxError.fill(0, 0, length); }
  }
}

/**
 * Where the shared search (`searchLevels`) reads slice statistics from: the rows (hash join,
 * bitsets) or a merged cube (slicesState.ts). Only the counting differs between them.
 */
export interface SliceSource {
  /** Level 1: statistics of `c = v` for every code v < cardinality of column c into out[v]. */
  level1(c: number, out: SliceStatsBuffer): void;
  /** After level1(c): the live values of column c (size ≥ min support, error sum > 0), ascending. */
  live(c: number, values: readonly number[]): void;
  /** Statistics of `S ∧ c = v` for each candidate i (column ascending, then code) into out[i]. */
  children(preds: readonly (readonly [number, number])[], candidates: readonly (readonly [number, number])[], out: SliceStatsBuffer): void;
}

/**
 * The one enumeration and pruning of every slice search (hash, bitset, merged cube), so the
 * counters and the top k cannot differ between them. With L_1 the live level-1 values (size ≥
 * min support, error sum > 0) and A_d the slices of level d that survive the bound test when
 * level d starts:
 * - level 1 evaluates every value `c = v` with at least one row;
 * - a slice S of A_d (d < maxLevel), taken in descending order of its score bound, is expanded
 *   unless (d > 1) its bound fell below the running k-th score meanwhile; its candidates are
 *   `S ∧ c = v` for c after S's last column, `c = v` in L_1, and every slice that drops one of
 *   S's predicates and keeps `c = v` in A_d (the apriori check; at d = 1 that is `c = v` ∈ A_1);
 * - a candidate with at least one row counts as evaluated; with size ≥ min support and error
 *   sum > 0 it is offered to the top k and (below maxLevel) joins level d + 1.
 * `evaluated` = level-1 values with a row + candidates with a row; `pruned` = slices of levels
 * 1 … maxLevel − 1 not expanded because of the bound (each counted once).
 */
export function searchLevels(
  columns: readonly Pick<SliceSearchColumn, 'name' | 'cardinality' | 'valueText'>[], source: SliceSource,
  n: number, errorMean: number, settings: { alpha: number; maxLevel: number; minSupport: number; k: number }, signal?: AbortSignal,
): { top: FoundSlice[]; evaluated: number; pruned: number } {
  const { alpha, maxLevel, minSupport, k } = settings;
  const tk = topK(columns, n, errorMean, alpha, k);
  let evaluated = 0;
  let pruned = 0;
  const bound = (node: Node): number => sliceScoreBound(node.size, node.errorSum, node.maxError, minSupport, n, errorMean, alpha);
  const worthExpanding = (node: Node): boolean => {
    const keep = tk.reaches(bound(node));
    if (!keep) pruned++;
    return keep;
  };
  const checkAbort = (): void => { if (signal?.aborted) throw signal.reason ?? new Error('aborted'); };
  const out = new SliceStatsBuffer();

  const liveValues: number[][] = [];
  let level: Node[] = [];
  columns.forEach((col, c) => {
    out.reset(col.cardinality);
    source.level1(c, out);
    const lives: number[] = [];
    for (let v = 0; v < col.cardinality; v++) {
      const size = out.size[v]!;
      if (size === 0) continue;
      evaluated++;
      if (size >= minSupport && out.errorSum[v]! > 0) {
        lives.push(v);
        const node: Node = { preds: [[c, v]], size, errorSum: out.errorSum[v]!, maxError: out.maxError[v]! };
        level.push(node);
        tk.offer(node);
      }
    }
    source.live(c, lives);
    liveValues.push(lives);
  });

  for (let depth = 1; depth < maxLevel && level.length > 0; depth++) {
    checkAbort();
    const expandable = level.filter(worthExpanding);
    const alive = new Set(expandable.map((node) => keyOf(node.preds)));
    const next: Node[] = [];
    // Best bounds first: good slices early raise the threshold for the rest.
    expandable.sort((a, b) => bound(b) - bound(a));
    for (const node of expandable) {
      checkAbort();
      if (depth > 1 && !worthExpanding(node)) continue;
      const lastCol = node.preds[node.preds.length - 1]![0];
      const candidates: [number, number][] = [];
      for (let c = lastCol + 1; c < columns.length; c++) {
        for (const v of liveValues[c]!) {
          if (node.preds.every((_, drop) => alive.has(keyOf([...node.preds.filter((__, j) => j !== drop), [c, v]])))) candidates.push([c, v]);
        }
      }
      if (candidates.length === 0) continue;
      out.reset(candidates.length);
      source.children(node.preds, candidates, out);
      for (let i = 0; i < candidates.length; i++) {
        const size = out.size[i]!;
        if (size === 0) continue;
        evaluated++;
        if (size < minSupport || !(out.errorSum[i]! > 0)) continue;
        const child: Node = { preds: [...node.preds, candidates[i]!], size, errorSum: out.errorSum[i]!, maxError: out.maxError[i]! };
        tk.offer(child);
        if (depth + 1 < maxLevel) next.push(child);
      }
    }
    level = next;
  }
  return { top: tk.top, evaluated, pruned };
}

/** Exact top-k SliceLine search over the rows given (every row's error must be defined, ≥ 0): the hash join source. */
export function findSlices(columns: readonly SliceSearchColumn[], errors: Float64Array, options: SliceSearchOptions = {}): SliceSearchResult {
  const setup = searchSetup(columns, errors, options);
  if (setup.empty) return setup.empty;
  const { n } = setup;
  // Per-value row lists (ascending) of the live level-1 values.
  const rowLists: (Int32Array | null)[][] = [];
  const counts = new ValueCounts(columns);
  const { cnt, es, em } = counts;
  let scratch = new Int32Array(0);
  const source: SliceSource = {
    level1(c, out) { counts.level1(columns[c]!, errors, out); },
    live(c, values) {
      const col = columns[c]!;
      const lists: (Int32Array | null)[] = new Array<Int32Array | null>(col.cardinality).fill(null);
      for (const v of values) lists[v] = new Int32Array(cnt[v]!);
      const fill = new Int32Array(col.cardinality);
      const codes = col.codes;
      for (let i = 0; i < n; i++) {
        const list = lists[codes[i]!];
        if (list) list[fill[codes[i]!]!++] = i;
      }
      rowLists.push(lists);
    },
    children(preds, candidates, out) {
      // The node's rows: the smallest predicate's list filtered by the others' codes.
      let smallest = preds[0]!;
      for (const p of preds) if (rowLists[p[0]]![p[1]]!.length < rowLists[smallest[0]]![smallest[1]]!.length) smallest = p;
      const base = rowLists[smallest[0]]![smallest[1]]!;
      let rows: Int32Array;
      if (preds.length === 1) rows = base;
      else {
        if (scratch.length < base.length) scratch = new Int32Array(base.length);
        let m = 0;
        const others = preds.filter((p) => p !== smallest);
        for (let r = 0; r < base.length; r++) {
          const i = base[r]!;
          let ok = true;
          for (const [c, v] of others) if (columns[c]!.codes[i] !== v) { ok = false; break; }
          if (ok) scratch[m++] = i;
        }
        rows = scratch.subarray(0, m);
      }
      // One grouped pass over the rows per target column.
      for (let i = 0; i < candidates.length;) {
        const c = candidates[i]![0];
        let j = i;
        while (j < candidates.length && candidates[j]![0] === c) j++;
        counts.count(columns[c]!, errors, rows);
        for (let t = i; t < j; t++) { const v = candidates[t]![1]; out.size[t] = cnt[v]!; out.errorSum[t] = es[v]!; out.maxError[t] = em[v]!; }
        i = j;
      }
    },
  };
  const { top, evaluated, pruned } = searchLevels(columns, source, n, setup.errorMean, setup, options.signal);
  return setup.result(top, evaluated, pruned);
}

// ---------------------------------------------------------------------------------------------
// Numeric bins
// ---------------------------------------------------------------------------------------------

/** Bin edges of a numeric column: numpy.quantile(x, [1/8, …, 7/8]) (linear), duplicates removed. */
export function quantileEdges(sortedValues: ArrayLike<number>): number[] {
  const edges: number[] = [];
  for (let q = 1; q <= 7; q++) {
    const e = quantileSorted(sortedValues, q / 8);
    if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  }
  return edges;
}

/** Bin of x: 0 for x ≤ e1, k for e_k < x ≤ e_{k+1}, edges.length for x > last edge. */
export function binOf(x: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// Holdout statistics
// ---------------------------------------------------------------------------------------------

export interface SliceTest {
  readonly size: number;
  readonly errorMean: number;
  readonly ci: [number, number];
  readonly diff: number;
  readonly p: number;
  q: number;
  readonly selectedOnSameData: boolean;
}

/**
 * Statistics of one slice on the evaluation rows: `inSlice[i]` for each evaluation row i, its
 * error `errors[i]`. Wilson interval for 0/1 errors, Student t otherwise; Welch test against
 * the complement. q is filled in by `fillQValues`.
 */
export function sliceTest(inSlice: ArrayLike<boolean | number>, errors: ArrayLike<number>, binary: boolean, selectedOnSameData: boolean): SliceTest {
  let n1 = 0; let s1 = 0; let n2 = 0; let s2 = 0;
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i]!;
    if (inSlice[i]) { n1++; s1 += e; } else { n2++; s2 += e; }
  }
  const m1 = n1 > 0 ? s1 / n1 : NaN;
  const m2 = n2 > 0 ? s2 / n2 : NaN;
  // Two-pass variances (sum of squared deviations) for accuracy.
  let d1 = 0; let d2 = 0;
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i]!;
    if (inSlice[i]) d1 += (e - m1) * (e - m1); else d2 += (e - m2) * (e - m2);
  }
  const v1 = n1 > 1 ? d1 / (n1 - 1) : NaN;
  const v2 = n2 > 1 ? d2 / (n2 - 1) : NaN;
  const ci: [number, number] = binary ? wilsonInterval(s1, n1) : tInterval(m1, v1, n1);
  return { size: n1, errorMean: m1, ci, diff: m1 - m2, p: welchTTest(m1, v1, n1, m2, v2, n2).p, q: NaN, selectedOnSameData };
}

/** Benjamini–Hochberg over the reported slices. */
export function fillQValues(tests: SliceTest[]): void {
  const q = benjaminiHochberg(tests.map((t) => t.p));
  tests.forEach((t, i) => { t.q = q[i]!; });
}
