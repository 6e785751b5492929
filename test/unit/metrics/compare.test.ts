import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupMetricsBuilder } from '../../../extension/core/metrics/groups';
import { compareBuilders, verdictOf, worstDirection } from '../../../extension/core/metrics/compare';
import { benjaminiHochberg, mcnemarExact } from '../../../extension/core/metrics/mcnemar';
import { Xoshiro128, quantileSorted } from '../../../extension/core/metrics/stats';
import { BadInputError } from '../../../extension/core/errors';
import type { CompareGroup } from '../../../extension/protocol/compare';
import { EXAMPLE, binaryBatch, close, scoreFor } from './fixtures';

/** Exact values from Python: 2·Σ_{k≤min} C(n,k)/2^n with fractions.Fraction and math.comb. */
const MCNEMAR: [number, number, number][] = [
  [0, 0, 1], [3, 0, 0.25], [5, 1, 0.21875], [1, 5, 0.21875], [10, 4, 0.1795654296875], [7, 7, 1], [8, 7, 1],
  [12, 30, 0.007915897334896727], [0, 1, 1], [0, 10, 0.001953125], [100, 130, 0.055613577781392386],
  [2000, 2150, 0.02071545604926722], [12, 1, 0.00341796875], [15, 3, 0.007537841796875], [13, 10, 0.6776394844055176],
];

test('McNemar exact p-values match exact binomial sums', () => {
  for (const [b, c, p] of MCNEMAR) close(mcnemarExact(b, c), p, 1e-12);
  assert.throws(() => mcnemarExact(-1, 2), RangeError);
});

test('Benjamini–Hochberg q-values (step-up, monotone, NaN left out)', () => {
  assert.deepEqual(benjaminiHochberg([0.01, 0.04, 0.03, 0.005]), [0.02, 0.04, 0.04, 0.02]);
  assert.deepEqual(benjaminiHochberg([0.5, NaN, 0.5]), [0.5, NaN, 0.5]);
  assert.deepEqual(benjaminiHochberg([0.9, 0.8]), [0.9, 0.9]);
  assert.deepEqual(benjaminiHochberg([]), []);
});

test('verdict and worst-Δ directions (FORMULAS.md §G)', () => {
  assert.equal(verdictOf(0.01, 5, 1), 'worse');
  assert.equal(verdictOf(0.01, 1, 5), 'better');
  assert.equal(verdictOf(0.05, 5, 1), 'same');
  assert.equal(verdictOf(NaN, 5, 1), 'same');
  assert.equal(worstDirection('accuracy'), 'lowest');
  assert.equal(worstDirection('fpr'), 'highest');
  assert.equal(worstDirection('loss'), 'highest');
  assert.equal(worstDirection('selection_rate'), 'largest-abs');
});

/** The §B example as model A; model B predicts [1,1,0,0 | 1,1,0,0,0,1]. */
const PRED_B = [1, 1, 0, 0, 1, 1, 0, 0, 0, 1];
function side(pred: readonly number[]): GroupMetricsBuilder {
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  b.add(binaryBatch(EXAMPLE.y, EXAMPLE.conf.map((c, i) => scoreFor(c, pred[i] as number)), [EXAMPLE.groups]));
  return b;
}
const byName = (groups: readonly CompareGroup[], name: string): CompareGroup => {
  const g = groups.find((x) => (x.group === 'overall' ? 'overall' : Object.values(x.group).join('/')) === name);
  assert.ok(g, name);
  return g;
};

test('§B example, A vs B: Δ, flips, McNemar, worst Δ (hand-computed)', async () => {
  const s = await compareBuilders(side(EXAMPLE.yhat), side(PRED_B), { minGroupSize: 1 });
  assert.deepEqual(s.byGroup.map((g) => g.group), ['overall', { g: 'a' }, { g: 'b' }]);
  assert.deepEqual(s.byGroup.map((g) => g.level), ['overall', 'column', 'column']);
  const [overall, a, b] = [byName(s.byGroup, 'overall'), byName(s.byGroup, 'a'), byName(s.byGroup, 'b')];
  // accuracy: A a 2/4, b 4/6, overall 6/10; B a 4/4, b 2/6, overall 6/10
  assert.deepEqual(a.metrics['accuracy'], { a: 0.5, b: 1, delta: 0.5 });
  assert.equal(b.metrics['accuracy']?.a, 4 / 6);
  assert.equal(b.metrics['accuracy']?.b, 2 / 6);
  close(b.metrics['accuracy']?.delta ?? NaN, -1 / 3);
  assert.equal(overall.metrics['accuracy']?.delta, 0);
  // TPR: a 0.5 -> 1, b 2/3 -> 1/3; FPR: a 0.5 -> 0, b 1/3 -> 2/3; selection rates unchanged
  assert.equal(a.metrics['tpr']?.delta, 0.5);
  close(b.metrics['tpr']?.delta ?? NaN, -1 / 3);
  assert.equal(a.metrics['fpr']?.delta, -0.5);
  close(b.metrics['fpr']?.delta ?? NaN, 1 / 3);
  assert.equal(a.metrics['selection_rate']?.delta, 0);
  // flips: rows 2, 3 fixed (group a), rows 7, 10 broken (group b)
  assert.deepEqual(a.flips, { count: 2, share: 0.5, fixed: 2, broken: 0 });
  assert.deepEqual(b.flips, { count: 2, share: 2 / 6, fixed: 0, broken: 2 });
  assert.deepEqual(overall.flips, { count: 4, share: 0.4, fixed: 2, broken: 2 });
  assert.deepEqual([a.mcnemar, b.mcnemar, overall.mcnemar], [{ p: 0.5, q: 0.5 }, { p: 0.5, q: 0.5 }, { p: 1, q: 1 }]);
  assert.deepEqual(s.byGroup.map((g) => g.verdict), ['same', 'same', 'same']);
  assert.deepEqual(s.worstDelta['accuracy']?.group, { g: 'b' });
  close(s.worstDelta['accuracy']?.delta ?? NaN, -1 / 3);
  assert.deepEqual(s.worstDelta['fpr']?.group, { g: 'b' });
  assert.deepEqual(s.worstDelta['tpr']?.group, { g: 'b' });
  // equalized odds difference: A 1/6, B max(1 − 1/3, 2/3 − 0) = 2/3
  close(s.disparity?.['equalized_odds_difference']?.a ?? NaN, 1 / 6);
  close(s.disparity?.['equalized_odds_difference']?.b ?? NaN, 2 / 3);
  close(s.disparity?.['equalized_odds_difference']?.delta ?? NaN, 0.5);
  assert.deepEqual(s.flipRows.map((r) => [r.row, r.kind, r.group['g'], r.label, r.predA, r.predB]), [
    [7, 'broken', 'b', 1, 1, 0], [10, 'broken', 'b', 0, 0, 1], [2, 'fixed', 'a', 1, 0, 1], [3, 'fixed', 'a', 0, 1, 0],
  ]);
  // with the default minGroupSize (30) every group is small: no worst Δ
  const small = await compareBuilders(side(EXAMPLE.yhat), side(PRED_B));
  assert.deepEqual(small.worstDelta, {});
  assert.equal(small.byGroup[1]?.small, true);
});

/** Two sensitive columns, 40 rows per intersection, all labels 1; (broken, fixed) per cell. */
const CELLS: [string, string, number, number][] = [['F', 'p', 12, 1], ['F', 'q', 3, 2], ['M', 'p', 1, 9], ['M', 'q', 0, 0]];
function twoColumnSides(): [GroupMetricsBuilder, GroupMetricsBuilder] {
  const s: string[] = [];
  const r: string[] = [];
  const pa: number[] = [];
  const pb: number[] = [];
  for (const [sv, rv, broken, fixed] of CELLS) {
    for (let i = 0; i < 40; i++) {
      s.push(sv);
      r.push(rv);
      pa.push(i < broken ? 1 : i < broken + fixed ? 0 : 1);
      pb.push(i < broken ? 0 : 1);
    }
  }
  const y = pa.map(() => 1);
  const make = (pred: number[]): GroupMetricsBuilder => {
    const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['s', 'r'] });
    b.add(binaryBatch(y, pred.map((p) => (p === 1 ? 0.8 : 0.2)), [s, r]));
    return b;
  };
  return [make(pa), make(pb)];
}

test('groups and intersections: McNemar p and BH q over the family (exact, from Python)', async () => {
  const [a, b] = twoColumnSides();
  const s = await compareBuilders(a, b);
  const expect: Record<string, [number, number, number, number, string]> = {
    // name: broken, fixed, p, q, verdict
    'F': [15, 3, 0.007537841796875, 0.0301513671875, 'worse'],
    'M': [1, 9, 0.021484375, 0.04296875, 'better'],
    'p': [13, 10, 0.6776394844055176, 1, 'same'],
    'q': [3, 2, 1, 1, 'same'],
    'F/p': [12, 1, 0.00341796875, 0.02734375, 'worse'],
    'F/q': [3, 2, 1, 1, 'same'],
    'M/p': [1, 9, 0.021484375, 0.04296875, 'better'],
    'M/q': [0, 0, 1, 1, 'same'],
  };
  assert.equal(s.byGroup.length, 9);
  for (const [name, [broken, fixed, p, q, verdict]] of Object.entries(expect)) {
    const g = byName(s.byGroup, name);
    assert.equal(g.flips.broken, broken, name);
    assert.equal(g.flips.fixed, fixed, name);
    close(g.mcnemar.p, p, 1e-12);
    close(g.mcnemar.q, q, 1e-12);
    assert.equal(g.verdict, verdict, name);
    assert.equal(g.level, name.includes('/') ? 'intersection' : 'column');
  }
  const overall = byName(s.byGroup, 'overall');
  close(overall.mcnemar.p, 0.5715881884098053, 1e-12);
  assert.equal(overall.mcnemar.q, overall.mcnemar.p);
  // worst accuracy Δ over groups and intersections with ≥ 30 rows: F/p loses 11 of 40
  assert.deepEqual(s.worstDelta['accuracy']?.group, { s: 'F', r: 'p' });
  close(s.worstDelta['accuracy']?.delta ?? NaN, -11 / 40);
});

/** Reference paired bootstrap of accuracy per group, written from FORMULAS.md §B/§G directly. */
function referenceAccuracyIntervals(y: number[], pa: number[], pb: number[], groups: string[], replicates: number, seed: number): Map<string, [number, number]> {
  const n = y.length;
  const rng = new Xoshiro128(seed);
  const names = ['overall', ...new Set(groups)];
  const deltas = new Map<string, number[]>(names.map((g) => [g, []]));
  for (let r = 0; r < replicates; r++) {
    const counts = new Array<number>(n).fill(0);
    for (let j = 0; j < n; j++) counts[rng.nextInt(n)]! += 1;
    for (const g of names) {
      let w = 0; let ca = 0; let cb = 0;
      for (let i = 0; i < n; i++) {
        if (g !== 'overall' && groups[i] !== g) continue;
        const m = counts[i]!;
        w += m;
        ca += m * (pa[i] === y[i] ? 1 : 0);
        cb += m * (pb[i] === y[i] ? 1 : 0);
      }
      if (w > 0) deltas.get(g)!.push(cb / w - ca / w);
    }
  }
  const out = new Map<string, [number, number]>();
  for (const [g, d] of deltas) {
    const s = Float64Array.from(d).sort();
    out.set(g, [quantileSorted(s, 0.025), quantileSorted(s, 0.975)]);
  }
  return out;
}

test('paired bootstrap, row sampler: one resample per replicate applied to both models (reference implementation)', async () => {
  const s = await compareBuilders(side(EXAMPLE.yhat), side(PRED_B), { bootstrap: 300, seed: 7, minGroupSize: 1, sampler: 'rows' });
  assert.deepEqual(s.bootstrap, { replicates: 300, seed: 7, confidence: 0.95, method: 'paired-percentile' });
  const ref = referenceAccuracyIntervals(EXAMPLE.y, EXAMPLE.yhat, PRED_B, EXAMPLE.groups, 300, 7);
  for (const g of s.byGroup) {
    const name = g.group === 'overall' ? 'overall' : (g.group['g'] as string);
    const [lo, hi] = ref.get(name)!;
    const ci = g.metrics['accuracy']?.ci;
    assert.ok(ci, name);
    close(ci[0], lo, 1e-12);
    close(ci[1], hi, 1e-12);
  }
  // a paired interval is tighter than the difference of two unpaired ones would suggest: identical models give exactly [0, 0]
  const same = await compareBuilders(side(EXAMPLE.yhat), side(EXAMPLE.yhat), { bootstrap: 50, seed: 1, minGroupSize: 1 });
  for (const g of same.byGroup) {
    for (const m of Object.values(g.metrics)) {
      assert.equal(m.delta === 0 || Number.isNaN(m.delta), true);
      if (!Number.isNaN(m.delta)) assert.deepEqual(m.ci, [0, 0]);
    }
    assert.deepEqual(g.flips, { count: 0, share: 0, fixed: 0, broken: 0 });
    assert.deepEqual(g.mcnemar, { p: 1, q: 1 });
    assert.equal(g.verdict, 'same');
  }
  assert.deepEqual(same.flipRows, []);
});

test('A side equals the groups analysis of A (same §B definitions)', async () => {
  const a = side(EXAMPLE.yhat);
  const s = await compareBuilders(a, side(PRED_B), { minGroupSize: 1 });
  const groups = await side(EXAMPLE.yhat).finish();
  for (const m of ['loss', 'accuracy', 'tpr', 'fpr', 'brier', 'ece', 'precision']) {
    assert.equal(byName(s.byGroup, 'overall').metrics[m]?.a, (groups.overall as unknown as Record<string, number>)[m], m);
    assert.equal(byName(s.byGroup, 'a').metrics[m]?.a, (groups.byGroup[0] as unknown as Record<string, number>)[m], m);
  }
});

test('rows that differ between the sides are bad input', async () => {
  const other = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  other.add(binaryBatch(EXAMPLE.y.slice(0, 9), EXAMPLE.conf.slice(0, 9), [EXAMPLE.groups.slice(0, 9)]));
  await assert.rejects(compareBuilders(side(EXAMPLE.yhat), other, { names: ['a.onnx', 'b.onnx'] }), (e: unknown) =>
    e instanceof BadInputError && e.code === 'compare.rows-differ' && /a\.onnx and b\.onnx: 10 rows against 9/.test(e.message));
  const relabelled = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  relabelled.add(binaryBatch(EXAMPLE.y.map((v, i) => (i === 3 ? 1 - v : v)), EXAMPLE.conf, [EXAMPLE.groups]));
  await assert.rejects(compareBuilders(side(EXAMPLE.yhat), relabelled), /row 4 has label 0 in one and 1 in the other/);
});
