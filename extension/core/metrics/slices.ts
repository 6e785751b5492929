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
  /** Slices whose size and error sum were computed. */
  readonly evaluated: number;
  /** Slices whose expansion the score bound cut. */
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
export function sliceText(columns: readonly SliceSearchColumn[], predicates: readonly (readonly [number, number])[]): string {
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

export function topK(columns: readonly SliceSearchColumn[], n: number, errorMean: number, alpha: number, k: number): TopK {
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
}

/** The settings of a search with their defaults, the mean error, and the empty result when there is nothing to search. */
export function searchSetup(columns: readonly SliceSearchColumn[], errors: Float64Array, options: SliceSearchOptions): {
  n: number; alpha: number; maxLevel: number; minSupport: number; k: number; errorMean: number;
  result: (top: FoundSlice[], evaluated: number, pruned: number) => SliceSearchResult; empty: SliceSearchResult | null;
} {
  const n = errors.length;
  const alpha = options.alpha ?? SLICE_DEFAULTS.alpha;
  const maxLevel = Math.min(options.maxLevel ?? SLICE_DEFAULTS.maxLevel, columns.length);
  const minSupport = options.minSupport ?? defaultMinSupport(n);
  const k = options.k ?? SLICE_DEFAULTS.k;
  let total = 0;
  for (let i = 0; i < n; i++) total += errors[i]!;
  const errorMean = n > 0 ? total / n : NaN;
  const result = (top: FoundSlice[], evaluated: number, pruned: number): SliceSearchResult =>
    ({ n, errorMean, alpha, maxLevel: options.maxLevel ?? SLICE_DEFAULTS.maxLevel, minSupport, evaluated, pruned, top });
  const empty = n === 0 || !(total > 0) || k <= 0 ? result([], 0, 0) : null;
  if (!empty) for (const c of columns) if (c.codes.length !== n) throw new Error(`slice column ${c.name}: ${c.codes.length} codes for ${n} rows`);
  return { n, alpha, maxLevel, minSupport, k, errorMean, result, empty };
}

/** Exact top-k SliceLine search over the rows given (every row's error must be defined, ≥ 0). */
export function findSlices(columns: readonly SliceSearchColumn[], errors: Float64Array, options: SliceSearchOptions = {}): SliceSearchResult {
  const { n, alpha, maxLevel, minSupport, k, errorMean, result, empty } = searchSetup(columns, errors, options);
  if (empty) return empty;

  const tk = topK(columns, n, errorMean, alpha, k);
  const { top, offer } = tk;
  let evaluated = 0;
  let pruned = 0;
  /** Expand only when some descendant could still enter the top k (margin against rounding). */
  const worthExpanding = (node: Node): boolean => {
    const keep = tk.reaches(sliceScoreBound(node.size, node.errorSum, node.maxError, minSupport, n, errorMean, alpha));
    if (!keep) pruned++;
    return keep;
  };
  const checkAbort = (): void => { if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted'); };

  // Level 1: per-value counts, and per-value row lists (ascending) of the live values.
  const rowLists: (Int32Array | null)[][] = [];
  let level: Node[] = [];
  const counts = new ValueCounts(columns);
  const { cnt, es, em } = counts;
  columns.forEach((col, c) => {
    counts.count(col, errors);
    const codes = col.codes;
    const lists: (Int32Array | null)[] = new Array<Int32Array | null>(col.cardinality).fill(null);
    const fill = new Int32Array(col.cardinality);
    for (let v = 0; v < col.cardinality; v++) {
      evaluated += cnt[v]! > 0 ? 1 : 0;
      if (cnt[v]! >= minSupport && es[v]! > 0) {
        lists[v] = new Int32Array(cnt[v]!);
        const node: Node = { preds: [[c, v]], size: cnt[v]!, errorSum: es[v]!, maxError: em[v]! };
        level.push(node);
        offer(node);
      }
    }
    for (let i = 0; i < n; i++) {
      const list = lists[codes[i]!];
      if (list) list[fill[codes[i]!]!++] = i;
    }
    rowLists.push(lists);
  });

  // Levels 2..maxLevel.
  let scratch = new Int32Array(0);
  for (let depth = 1; depth < maxLevel && level.length > 0; depth++) {
    checkAbort();
    const expandable = level.filter(worthExpanding);
    const alive = new Set(expandable.map((node) => keyOf(node.preds)));
    const next: Node[] = [];
    // Best bounds first: good slices early raise the threshold for the rest.
    expandable.sort((a, b) => sliceScoreBound(b.size, b.errorSum, b.maxError, minSupport, n, errorMean, alpha)
      - sliceScoreBound(a.size, a.errorSum, a.maxError, minSupport, n, errorMean, alpha));
    for (const node of expandable) {
      checkAbort();
      if (depth > 1 && !worthExpanding(node)) continue;
      const lastCol = node.preds[node.preds.length - 1]![0];
      // Apriori (hash join): column c can only give a child c = v when every sub-slice that
      // drops one predicate of the node and keeps c = v is alive; level 1 is checked per value.
      const targets: number[] = [];
      for (let c = lastCol + 1; c < columns.length; c++) {
        const lists = rowLists[c]!;
        let any = false;
        for (let v = 0; v < lists.length && !any; v++) {
          if (!lists[v]) continue;
          if (depth === 1) { any = true; break; }
          any = node.preds.every((_, drop) => alive.has(keyOf([...node.preds.filter((__, j) => j !== drop), [c, v]])));
        }
        if (any) targets.push(c);
      }
      if (targets.length === 0) continue;
      // The node's rows: the smallest predicate's list filtered by the others' codes.
      let smallest = node.preds[0]!;
      for (const p of node.preds) if (rowLists[p[0]]![p[1]]!.length < rowLists[smallest[0]]![smallest[1]]!.length) smallest = p;
      const base = rowLists[smallest[0]]![smallest[1]]!;
      let rows: Int32Array;
      if (node.preds.length === 1) rows = base;
      else {
        if (scratch.length < base.length) scratch = new Int32Array(base.length);
        let m = 0;
        const others = node.preds.filter((p) => p !== smallest);
        for (let r = 0; r < base.length; r++) {
          const i = base[r]!;
          let ok = true;
          for (const [c, v] of others) if (columns[c]!.codes[i] !== v) { ok = false; break; }
          if (ok) scratch[m++] = i;
        }
        rows = scratch.subarray(0, m);
      }
      for (const c of targets) {
        const col = columns[c]!;
        counts.count(col, errors, rows);
        for (let v = 0; v < col.cardinality; v++) {
          if (cnt[v] === 0) continue;
          evaluated++;
          if (cnt[v]! < minSupport || !(es[v]! > 0)) continue;
          const child: Node = { preds: [...node.preds, [c, v]], size: cnt[v]!, errorSum: es[v]!, maxError: em[v]! };
          offer(child);
          if (depth + 1 < maxLevel) next.push(child);
        }
      }
    }
    level = next;
  }
  return result(top, evaluated, pruned);
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
