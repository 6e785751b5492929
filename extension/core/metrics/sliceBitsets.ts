/**
 * The bitset variant of the SliceLine search (FORMULAS.md §E; issue 11 item 1): every live
 * level-1 value `column = code` is a bitset of the searched rows (Uint32Array, one bit per row).
 * A candidate child `S ∧ c = v` is counted by AND-ing S's bitset with the value's and taking the
 * popcount; for 0/1 errors its error sum is the popcount of that AND with the error bitset, other
 * errors are summed over the set bits in row order (so sums equal the hash search's bit for bit).
 * S's bitset (the AND of its predicates' bitsets) is built once per expansion and compacted to
 * its non-zero words, so a small slice costs few words per candidate.
 *
 * Enumeration, pruning and counters are the shared `searchLevels` (slices.ts): only the counting
 * is this file's. The top k, `evaluated` and `pruned` are the same as the hash search's, and the
 * top k as exhaustive enumeration (property test over both).
 */
import {
  findSlices, searchLevels, searchSetup, ValueCounts,
  type SliceSearchColumn, type SliceSearchOptions, type SliceSearchResult, type SliceSource,
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

/** Exact top-k SliceLine search with per-value bitsets (every row's error must be defined, ≥ 0): the bitset source of `searchLevels`. */
export function findSlicesBitset(columns: readonly SliceSearchColumn[], errors: Float64Array, options: SliceSearchOptions = {}): SliceSearchResult {
  const setup = searchSetup(columns, errors, options);
  if (setup.empty) return setup.empty;
  const { n, minSupport } = setup;

  const words = (n + 31) >>> 5;
  const binary = zeroOneErrors(errors);
  const errorBits = new Uint32Array(binary ? words : 0);
  if (binary) for (let i = 0; i < n; i++) if (errors[i] === 1) errorBits[i >>> 5]! |= 1 << (i & 31);

  // Per-value bitsets of the live level-1 values; the expanded node's bitset, compacted: word indices and words.
  const bits: (Uint32Array | null)[][] = [];
  const counts = new ValueCounts(columns);
  const nodeWords = new Uint32Array(words);
  const nzIndex = new Int32Array(words);
  const nzWords = new Uint32Array(words);
  const nzErrors = new Uint32Array(words);
  const source: SliceSource = {
    level1(c, out) { counts.level1(columns[c]!, errors, out); },
    live(c, values) {
      const col = columns[c]!;
      const sets: (Uint32Array | null)[] = new Array<Uint32Array | null>(col.cardinality).fill(null);
      for (const v of values) sets[v] = new Uint32Array(words);
      const codes = col.codes;
      for (let i = 0; i < n; i++) {
        const set = sets[codes[i]!];
        if (set) set[i >>> 5]! |= 1 << (i & 31);
      }
      bits.push(sets);
    },
    children(preds, candidates, out) {
      // The node's bitset: AND of its predicates' bitsets, compacted to its non-zero words.
      nodeWords.set(bits[preds[0]![0]]![preds[0]![1]]!);
      for (let p = 1; p < preds.length; p++) {
        const other = bits[preds[p]![0]]![preds[p]![1]]!;
        for (let w = 0; w < words; w++) nodeWords[w]! &= other[w]!;
      }
      let nz = 0;
      for (let w = 0; w < words; w++) {
        const x = nodeWords[w]!;
        if (x !== 0) { nzIndex[nz] = w; nzWords[nz] = x; if (binary) nzErrors[nz] = x & errorBits[w]!; nz++; }
      }
      for (let i = 0; i < candidates.length; i++) {
        const [c, v] = candidates[i]!;
        const set = bits[c]![v]!;
        let size = 0;
        if (binary) {
          let ones = 0;
          for (let j = 0; j < nz; j++) {
            const b = set[nzIndex[j]!]!;
            size += popcount32(nzWords[j]! & b);
            ones += popcount32(nzErrors[j]! & b);
          }
          out.size[i] = size; out.errorSum[i] = ones; out.maxError[i] = ones > 0 ? 1 : 0;
          continue;
        }
        // Size first (popcount): a candidate below the minimum support needs no error sum.
        for (let j = 0; j < nz; j++) size += popcount32(nzWords[j]! & set[nzIndex[j]!]!);
        out.size[i] = size;
        if (size < minSupport) continue;
        let errorSum = 0;
        let maxError = 0;
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
        out.errorSum[i] = errorSum; out.maxError[i] = maxError;
      }
    },
  };
  const { top, evaluated, pruned } = searchLevels(columns, source, n, setup.errorMean, setup, options.signal);
  return setup.result(top, evaluated, pruned);
}
