/**
 * The bitset variant of the SliceLine search (FORMULAS.md §E; issue 11 item 1): every live
 * level-1 value `column = code` is a bitset of the searched rows (Uint32Array, one bit per row).
 * A candidate child `S ∧ c = v` is counted by AND-ing S's bitset with the value's and taking the
 * popcount; for 0/1 errors its error sum is the popcount of that AND with the error bitset, other
 * errors are summed over the set bits in row order (so sums equal the hash search's bit for bit).
 * S's bitset (the AND of its predicates' bitsets) is built once per expansion and compacted to
 * its non-zero words, so a small slice costs few words per candidate.
 *
 * Pruning is the hash search's (slices.ts): minimum support, error sum > 0, the score upper bound
 * against the running k-th score, and the apriori check (every sub-slice that drops one of S's
 * predicates and keeps `c = v` must be alive on the level above, level 1 included). The top k is
 * the same as the hash search's and as exhaustive enumeration (property test over both).
 */
import {
  findSlices, searchSetup, sliceScoreBound, topK, ValueCounts,
  type SliceSearchColumn, type SliceSearchOptions, type SliceSearchResult,
} from './slices';

/**
 * How the search counts candidate slices: grouped row passes (hash), bitset AND + popcount, or
 * auto — bitsets for 0/1 errors (misclassification), the hash search for real-valued errors
 * (loss, squared error), where the bitset search must visit every set bit to sum the errors and
 * is slower. Measured on scripts/bench/slices.mjs (BENCHMARKS.md).
 */
export type SliceSearchStrategy = 'hash' | 'bitset' | 'auto';

export const DEFAULT_SLICE_SEARCH: SliceSearchStrategy = 'auto';

/** True when every error is 0 or 1 (the popcount path of the bitset search). */
export function zeroOneErrors(errors: Float64Array): boolean {
  for (let i = 0; i < errors.length; i++) if (errors[i] !== 0 && errors[i] !== 1) return false;
  return true;
}

/** The strategy `auto` picks for these errors. */
export function chosenSearch(errors: Float64Array, strategy: SliceSearchStrategy = DEFAULT_SLICE_SEARCH): 'hash' | 'bitset' {
  return strategy === 'auto' ? (zeroOneErrors(errors) ? 'bitset' : 'hash') : strategy;
}

/** The exact top-k search with the strategy asked for (default DEFAULT_SLICE_SEARCH). */
export function searchSlices(columns: readonly SliceSearchColumn[], errors: Float64Array, options: SliceSearchOptions & { readonly search?: SliceSearchStrategy } = {}): SliceSearchResult {
  return chosenSearch(errors, options.search) === 'bitset' ? findSlicesBitset(columns, errors, options) : findSlices(columns, errors, options);
}

/** Bits set in a 32-bit word. */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

interface Node {
  readonly preds: (readonly [number, number])[];
  readonly size: number;
  readonly errorSum: number;
  readonly maxError: number;
}

const keyOf = (preds: readonly (readonly [number, number])[]): string => preds.map(([c, v]) => `${c}:${v}`).join('|');

/** Exact top-k SliceLine search with per-value bitsets (every row's error must be defined, ≥ 0). */
export function findSlicesBitset(columns: readonly SliceSearchColumn[], errors: Float64Array, options: SliceSearchOptions = {}): SliceSearchResult {
  const { n, alpha, maxLevel, minSupport, k, errorMean, result, empty } = searchSetup(columns, errors, options);
  if (empty) return empty;

  const words = (n + 31) >>> 5;
  const binary = zeroOneErrors(errors);
  const errorBits = new Uint32Array(binary ? words : 0);
  if (binary) for (let i = 0; i < n; i++) if (errors[i] === 1) errorBits[i >>> 5]! |= 1 << (i & 31);

  const tk = topK(columns, n, errorMean, alpha, k);
  let evaluated = 0;
  let pruned = 0;
  const bound = (node: Node): number => sliceScoreBound(node.size, node.errorSum, node.maxError, minSupport, n, errorMean, alpha);
  const worthExpanding = (node: Node): boolean => {
    const keep = tk.reaches(bound(node));
    if (!keep) pruned++;
    return keep;
  };
  const checkAbort = (): void => { if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted'); };

  // Level 1: per-value counts in one pass per column, then the bitsets of the live values.
  const bits: (Uint32Array | null)[][] = [];
  let level: Node[] = [];
  const counts = new ValueCounts(columns);
  const { cnt, es, em } = counts;
  columns.forEach((col, c) => {
    counts.count(col, errors);
    const codes = col.codes;
    const sets: (Uint32Array | null)[] = new Array<Uint32Array | null>(col.cardinality).fill(null);
    for (let v = 0; v < col.cardinality; v++) {
      evaluated += cnt[v]! > 0 ? 1 : 0;
      if (cnt[v]! >= minSupport && es[v]! > 0) {
        sets[v] = new Uint32Array(words);
        const node: Node = { preds: [[c, v]], size: cnt[v]!, errorSum: es[v]!, maxError: em[v]! };
        level.push(node);
        tk.offer(node);
      }
    }
    for (let i = 0; i < n; i++) {
      const set = sets[codes[i]!];
      if (set) set[i >>> 5]! |= 1 << (i & 31);
    }
    bits.push(sets);
  });

  // Levels 2..maxLevel. The expanded node's bitset, compacted: word indices and words.
  const nodeWords = new Uint32Array(words);
  const nzIndex = new Int32Array(words);
  const nzWords = new Uint32Array(words);
  const nzErrors = new Uint32Array(words);
  for (let depth = 1; depth < maxLevel && level.length > 0; depth++) {
    checkAbort();
    const expandable = level.filter(worthExpanding);
    const alive = new Set(expandable.map((node) => keyOf(node.preds)));
    const next: Node[] = [];
    expandable.sort((a, b) => bound(b) - bound(a));
    for (const node of expandable) {
      checkAbort();
      if (depth > 1 && !worthExpanding(node)) continue;
      // Candidate values c = v (later columns) whose sub-slices are all alive.
      const lastCol = node.preds[node.preds.length - 1]![0];
      const candidates: [number, number][] = [];
      for (let c = lastCol + 1; c < columns.length; c++) {
        const sets = bits[c]!;
        for (let v = 0; v < sets.length; v++) {
          if (!sets[v]) continue;
          if (node.preds.every((_, drop) => alive.has(keyOf([...node.preds.filter((__, j) => j !== drop), [c, v]])))) candidates.push([c, v]);
        }
      }
      if (candidates.length === 0) continue;
      // The node's bitset: AND of its predicates' bitsets, compacted to its non-zero words.
      const first = bits[node.preds[0]![0]]![node.preds[0]![1]]!;
      nodeWords.set(first);
      for (let p = 1; p < node.preds.length; p++) {
        const other = bits[node.preds[p]![0]]![node.preds[p]![1]]!;
        for (let w = 0; w < words; w++) nodeWords[w]! &= other[w]!;
      }
      let nz = 0;
      for (let w = 0; w < words; w++) {
        const x = nodeWords[w]!;
        if (x !== 0) { nzIndex[nz] = w; nzWords[nz] = x; if (binary) nzErrors[nz] = x & errorBits[w]!; nz++; }
      }
      for (const [c, v] of candidates) {
        const set = bits[c]![v]!;
        let size = 0;
        let errorSum = 0;
        let maxError = 0;
        if (binary) {
          let ones = 0;
          for (let j = 0; j < nz; j++) {
            const b = set[nzIndex[j]!]!;
            size += popcount32(nzWords[j]! & b);
            ones += popcount32(nzErrors[j]! & b);
          }
          errorSum = ones;
          maxError = ones > 0 ? 1 : 0;
        } else {
          // Size first (popcount): a candidate below the minimum support needs no error sum.
          for (let j = 0; j < nz; j++) size += popcount32(nzWords[j]! & set[nzIndex[j]!]!);
          if (size === 0) continue;
          evaluated++;
          if (size < minSupport) continue;
          for (let j = 0; j < nz; j++) {
            let x = nzWords[j]! & set[nzIndex[j]!]!;
            if (x === 0) continue;
            const base = nzIndex[j]! << 5;
            while (x !== 0) {
              const low = x & -x;
              const e = errors[base + 31 - Math.clz32(low)]!;
              errorSum += e;
              if (e > maxError) maxError = e;
              x ^= low;
            }
          }
        }
        if (binary) {
          if (size === 0) continue;
          evaluated++;
        }
        if (size < minSupport || !(errorSum > 0)) continue;
        const child: Node = { preds: [...node.preds, [c, v]], size, errorSum, maxError };
        tk.offer(child);
        if (depth + 1 < maxLevel) next.push(child);
      }
    }
    level = next;
  }
  return result(tk.top, evaluated, pruned);
}
