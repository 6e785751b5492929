import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  binOf, compareSlices, defaultMinSupport, fillQValues, findSlices, quantileEdges, sliceScore, sliceScoreBound, sliceTest,
  type FoundSlice, type SliceSearchColumn,
} from '../../../extension/core/metrics/slices';
import { chosenSearch, findSlicesBitset, popcount32, searchSlices } from '../../../extension/core/metrics/sliceBitsets';
import {
  benjaminiHochberg, studentTCdf, studentTQuantile, studentTTwoSided, welchTTest, wilsonInterval, Z_975,
} from '../../../extension/core/metrics/significance';

interface Vectors {
  t: { t: number; df: number; cdf: number; twoSided: number }[];
  tQuantile: { q: number; df: number; x: number }[];
  welch: { a: number[]; b: number[]; t: number; p: number }[];
  z975: number;
  wilson: { k: number; n: number; ci: [number, number] }[];
  bh: { p: number[]; q: number[] }[];
  edges: { x: number[]; edges: number[] }[];
  holdout: {
    n: number; mask: number[]; err01: number[]; errFloat: number[];
    binary: { size: number; errorMean: number; ci: [number, number]; diff: number; p: number };
    float: { size: number; errorMean: number; ci: [number, number]; diff: number; p: number };
  };
}
const V = JSON.parse(readFileSync(join(__dirname, '../../fixtures/slices/vectors.json'), 'utf8')) as Vectors;
const near = (a: number, b: number, tol: number, what: string): void => {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
};

const column = (name: string, values: readonly string[]): SliceSearchColumn => {
  const dict = [...new Set(values)].sort();
  const codes = Int32Array.from(values, (v) => dict.indexOf(v));
  return { name, codes, cardinality: dict.length, valueText: (c) => dict[c]! };
};

test('score: hand-computed SliceLine values and the default minimum support', () => {
  // n = 100, ē = 0.1; |S| = 20 with 8 errors: 0.95·(0.4/0.1 − 1) − 0.05·(100/20 − 1) = 2.85 − 0.2
  assert.equal(sliceScore(20, 8, 100, 0.1, 0.95), 0.95 * 3 - 0.05 * 4);
  near(sliceScore(20, 8, 100, 0.1, 0.95), 2.65, 1e-15, 'score');
  // the whole data set scores 0; a slice with the mean error scores the size penalty only
  assert.equal(sliceScore(100, 10, 100, 0.1, 0.95), 0);
  near(sliceScore(50, 5, 100, 0.1, 0.95), -0.05, 1e-15, 'mean-error slice');
  assert.equal(defaultMinSupport(1000), 32);
  assert.equal(defaultMinSupport(3201), 33);
  assert.equal(defaultMinSupport(1_000_000), 10000);
});

test('score bound: no sub-slice of S scores above it (exhaustive over sizes and error sums)', () => {
  const n = 200; const mean = 0.2; const alpha = 0.95; const minSup = 10;
  for (const [size, errorSum, maxError] of [[60, 30, 1], [60, 3, 1], [40, 12, 0.5], [15, 14, 1], [100, 50, 2]] as const) {
    const bound = sliceScoreBound(size, errorSum, maxError, minSup, n, mean, alpha);
    for (let ss = minSup; ss <= size; ss++) {
      const maxSum = Math.min(errorSum, ss * maxError);
      assert.ok(sliceScore(ss, maxSum, n, mean, alpha) <= bound + 1e-12, `size ${size} sum ${errorSum}: ss ${ss}`);
    }
    assert.ok(bound >= sliceScore(size, errorSum, n, mean, alpha) - 1e-12);
  }
  assert.equal(sliceScoreBound(5, 3, 1, 10, 200, 0.2, 0.95), -Infinity);
});

test('a planted slice is found first; text, sizes and order follow FORMULAS.md §E', () => {
  const n = 400;
  const region = Array.from({ length: n }, (_, i) => ['N', 'E', 'S', 'W'][i % 4]!);
  const device = Array.from({ length: n }, (_, i) => ['desktop', 'mobile'][Math.floor(i / 4) % 2]!);
  const errors = new Float64Array(n);
  for (let i = 0; i < n; i++) errors[i] = region[i] === 'W' && device[i] === 'mobile' ? (i % 8 === 7 ? 1 : 0) : (i % 10 === 0 ? 1 : 0);
  // W & mobile rows are i ≡ 7 (mod 8): 50 rows, every one an error
  const r = findSlices([column('region', region), column('device', device)], errors, { minSupport: 20 });
  const best = r.top[0]!;
  assert.equal(best.text, 'region = W & device = mobile');
  assert.equal(best.size, 50);
  assert.equal(best.errorSum, 50);
  const total = errors.reduce((a, b) => a + b, 0);
  assert.equal(r.errorMean, total / n);
  assert.equal(best.score, sliceScore(50, 50, n, total / n, 0.95));
  for (let i = 1; i < r.top.length; i++) assert.ok(compareSlices(r.top[i - 1]!, r.top[i]!) < 0);
  // Counters (slices.ts searchLevels): 4 + 2 level-1 values evaluated; E (odd i, never i % 10 = 0)
  // has no error, so only N, S, W are expanded, each into device = desktop / mobile (6 non-empty
  // candidates; W & desktop has no error but has rows); device has no later column. No bound cut.
  for (const found of [r, findSlicesBitset([column('region', region), column('device', device)], errors, { minSupport: 20 })]) {
    assert.equal(found.evaluated, 6 + 6);
    assert.equal(found.pruned, 0);
  }
});

test('edge cases: no errors, one value for every row, a column of distinct values', () => {
  const n = 100;
  const none = findSlices([column('a', Array.from({ length: n }, (_, i) => String(i % 3)))], new Float64Array(n));
  assert.deepEqual(none.top, []);
  assert.equal(none.errorMean, 0);
  const errors = Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0));
  const one = findSlices([column('c', Array.from({ length: n }, () => 'x'))], errors, { minSupport: 1 });
  assert.deepEqual(one.top, [], 'the whole data set scores 0, and only scores > 0 are reported');
  const ids = findSlices([column('id', Array.from({ length: n }, (_, i) => `r${i}`))], errors);
  assert.deepEqual(ids.top, [], 'every value below the minimum support');
  assert.equal(ids.evaluated, n);
});

test('popcount32 counts the bits of any 32-bit word', () => {
  for (const [x, c] of [[0, 0], [1, 1], [0xffffffff, 32], [0x80000000, 1], [-1, 32], [0x55555555, 16], [0x0f0f0f01, 13]] as const) assert.equal(popcount32(x), c, String(x));
});

test('bitset and hash searches agree on a larger case: top k, sizes, error sums bit for bit, and the planted slice', () => {
  const n = 5003; // not a multiple of 32: the last word is partial
  let s = 7;
  const rnd = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  const columns = [3, 7, 2, 5, 4, 9].map((card, c) => ({ name: `c${c}`, codes: Int32Array.from({ length: n }, () => Math.floor(rnd() * card)), cardinality: card, valueText: (v: number) => `v${v}` }));
  for (const fractional of [false, true]) {
    const errors = Float64Array.from({ length: n }, (_, i) => {
      const planted = columns[1]!.codes[i] === 2 && columns[4]!.codes[i] === 1;
      if (rnd() >= (planted ? 0.7 : 0.1)) return 0;
      return fractional ? 0.1 + rnd() : 1;
    });
    const hash = findSlices(columns, errors, { k: 15 });
    const bitset = findSlicesBitset(columns, errors, { k: 15 });
    assert.deepEqual(bitset.top, hash.top);
    assert.deepEqual([bitset.evaluated, bitset.pruned], [hash.evaluated, hash.pruned], 'one definition of the counters');
    assert.equal(bitset.top[0]!.text, 'c1 = v2 & c4 = v1');
    // auto: bitsets for 0/1 errors, the hash search for real-valued ones
    assert.equal(chosenSearch(errors), fractional ? 'hash' : 'bitset');
    assert.deepEqual(searchSlices(columns, errors, { k: 15 }).top, hash.top);
  }
});

/** Exhaustive enumeration straight from the definition. */
function bruteForce(columns: readonly SliceSearchColumn[], errors: Float64Array, alpha: number, maxLevel: number, minSupport: number, k: number): FoundSlice[] {
  const n = errors.length;
  const total = errors.reduce((a, b) => a + b, 0);
  const mean = total / n;
  const out: FoundSlice[] = [];
  const subsets: number[][] = [];
  const rec = (start: number, cur: number[]): void => {
    if (cur.length > 0) subsets.push([...cur]);
    if (cur.length === maxLevel) return;
    for (let c = start; c < columns.length; c++) rec(c + 1, [...cur, c]);
  };
  rec(0, []);
  for (const cols of subsets) {
    const groups = new Map<string, { codes: number[]; size: number; sum: number }>();
    for (let i = 0; i < n; i++) {
      const codes = cols.map((c) => columns[c]!.codes[i]!);
      const key = codes.join(',');
      const g = groups.get(key) ?? { codes, size: 0, sum: 0 };
      g.size++;
      g.sum += errors[i]!;
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      if (g.size < minSupport || !(g.sum > 0)) continue;
      const score = sliceScore(g.size, g.sum, n, mean, alpha);
      if (!(score > 0)) continue;
      const predicates = cols.map((c, j) => [c, g.codes[j]!] as const);
      out.push({ predicates, text: predicates.map(([c, v]) => `${columns[c]!.name} = ${columns[c]!.valueText(v)}`).join(' & '), size: g.size, errorSum: g.sum, errorMean: g.sum / g.size, score });
    }
  }
  return out.sort(compareSlices).slice(0, k);
}

test('property: both pruned searches (hash, bitset) return exactly the top k of exhaustive enumeration', () => {
  fc.assert(fc.property(
    fc.integer({ min: 30, max: 260 }),
    fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 25 }),
    fc.constantFrom(0.5, 0.9, 0.95, 0.99),
    fc.boolean(),
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    (n, cards, maxLevel, k, minSupport, alpha, fractional, seed) => {
      let s = seed >>> 0;
      const rnd = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
      const columns = cards.map((card, c) => {
        const codes = Int32Array.from({ length: n }, () => Math.floor(rnd() ** (1 + c % 2) * card));
        return { name: `c${c}`, codes, cardinality: card, valueText: (v: number) => `v${v}` };
      });
      // Errors concentrated on a random planted slice; fractional errors are multiples of 1/8 so sums are exact.
      const errors = Float64Array.from({ length: n }, (_, i) => {
        const planted = columns[0]!.codes[i] === 0 && (columns.length < 2 || columns[1]!.codes[i] === 0);
        const p = planted ? 0.6 : 0.15;
        if (rnd() >= p) return 0;
        return fractional ? Math.ceil(rnd() * 16) / 8 : 1;
      });
      const brute = bruteForce(columns, errors, alpha, maxLevel, minSupport, k).map((t) => [t.text, t.size, t.errorSum, t.score]);
      const counters: [number, number][] = [];
      for (const search of ['hash', 'bitset', 'auto'] as const) {
        const fast = searchSlices(columns, errors, { alpha, maxLevel, minSupport, k, search });
        assert.deepEqual(fast.top.map((t) => [t.text, t.size, t.errorSum, t.score]), brute, search);
        counters.push([fast.evaluated, fast.pruned]);
      }
      // One definition of `evaluated` and `pruned` (slices.ts searchLevels) for every search.
      assert.deepEqual(counters[1], counters[0]);
      assert.deepEqual(counters[2], counters[0]);
    },
  ), { numRuns: 300, seed: 11 });
});

test('statistics match scipy: Student t, Welch, Wilson, BH', () => {
  for (const v of V.t) {
    near(studentTCdf(v.t, v.df), v.cdf, 1e-12, `t cdf ${v.t} ${v.df}`);
    near(studentTTwoSided(v.t, v.df), v.twoSided, 1e-11, `t two-sided ${v.t} ${v.df}`);
  }
  for (const v of V.tQuantile) {
    // scipy's ppf is within ~1e-9 for fractional df (its own cdf at its ppf is off by 2e-10); ours inverts the cdf exactly
    const x = studentTQuantile(v.q, v.df);
    near(x, v.x, Number.isInteger(v.df) ? 1e-10 : 1e-8, `t ppf ${v.q} ${v.df}`);
    near(studentTCdf(x, v.df), v.q, 1e-14, `cdf(ppf) ${v.q} ${v.df}`);
  }
  for (const w of V.welch) {
    const m = (x: number[]): number => x.reduce((a, b) => a + b, 0) / x.length;
    const va = (x: number[]): number => { const mu = m(x); return x.reduce((a, b) => a + (b - mu) ** 2, 0) / (x.length - 1); };
    const r = welchTTest(m(w.a), va(w.a), w.a.length, m(w.b), va(w.b), w.b.length);
    near(r.t, w.t, 1e-10, 'welch t');
    near(r.p, w.p, 1e-9, 'welch p');
  }
  assert.equal(Z_975, V.z975);
  for (const w of V.wilson) {
    const ci = wilsonInterval(w.k, w.n);
    near(ci[0], w.ci[0], 1e-14, 'wilson lo');
    near(ci[1], w.ci[1], 1e-14, 'wilson hi');
  }
  for (const b of V.bh) benjaminiHochberg(b.p).forEach((q, i) => near(q, b.q[i]!, 1e-15, `bh ${i}`));
  assert.deepEqual(benjaminiHochberg([0.01, Number.NaN, 0.02]).map((q) => Number.isNaN(q) ? 'nan' : q), [0.02, 'nan', 0.02]);
});

test('bins: numpy.quantile edges (linear, duplicates removed) and left-open right-closed bins', () => {
  for (const e of V.edges) {
    const sorted = Float64Array.from(e.x).sort();
    assert.deepEqual(quantileEdges(sorted), e.edges);
  }
  const edges = [1, 2, 5];
  assert.deepEqual([-10, 1, 1.5, 2, 3, 5, 5.01, 99].map((x) => binOf(x, edges)), [0, 0, 1, 1, 2, 2, 3, 3]);
});

test('holdout statistics on odd rows match numpy/scipy (0/1 errors: Wilson; losses: Student t)', () => {
  const h = V.holdout;
  const odd = (x: number[]): number[] => x.filter((_, i) => i % 2 === 1);
  const mask = odd(h.mask);
  for (const [key, errs] of [['binary', h.err01], ['float', h.errFloat]] as const) {
    const t = sliceTest(mask, odd(errs), key === 'binary', false);
    const want = h[key];
    assert.equal(t.size, want.size);
    near(t.errorMean, want.errorMean, 1e-14, `${key} mean`);
    near(t.ci[0], want.ci[0], 1e-10, `${key} ci lo`);
    near(t.ci[1], want.ci[1], 1e-10, `${key} ci hi`);
    near(t.diff, want.diff, 1e-13, `${key} diff`);
    near(t.p, want.p, 1e-8, `${key} p`);
    assert.equal(t.selectedOnSameData, false);
  }
  const tests = [sliceTest([1, 1, 0, 0, 0], [1, 1, 0, 0, 1], true, true), sliceTest([1, 0, 1, 0, 0], [1, 0, 0, 0, 1], true, true)];
  fillQValues(tests);
  assert.deepEqual(tests.map((t) => t.q), benjaminiHochberg(tests.map((t) => t.p)));
});
