import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  manualThresholds, optimizeThresholds, thresholdCurves, unitGrid, type ThresholdConstraint, type ThresholdData, type ThresholdObjective,
} from '../../../extension/core/metrics/thresholds';

interface Fit {
  constraint: ThresholdConstraint; objective: ThresholdObjective; overall: number;
  groups: { group: string; p0: number; threshold0: number | string; threshold1: number | string; pIgnore?: number; predictionConstant?: number; count: number; selection_rate: number; tpr: number; fpr: number; objective: number }[];
  front?: { tolerance: number; indices: number[]; value?: number; p0?: number[] }[];
}
interface Case { name: string; a: string[]; b: string[]; label: number[]; score: number[]; fits: Fit[] }
const V = JSON.parse(readFileSync(join(__dirname, '../../fixtures/thresholds/fairlearn-vectors.json'), 'utf8')) as { fairlearn: string; cases: Case[] };

const data = (c: Case): ThresholdData => {
  const merged = c.a.map((a, i) => `${a},${c.b[i]}`);
  const groupNames = [...new Set(merged)].sort();
  return { scores: Float64Array.from(c.score), labels: Uint8Array.from(c.label), group: Int32Array.from(merged, (m) => groupNames.indexOf(m)), groupNames };
};
const num = (t: number | string): number => (t === 'inf' ? Infinity : t === '-inf' ? -Infinity : Number(t));
const near = (a: number, b: number, tol: number, what: string): void => {
  assert.ok(a === b || Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
};

test(`Fairlearn ${V.fairlearn} ThresholdOptimizer: same interpolation and expected rates for every constraint and objective`, () => {
  assert.equal(V.cases.length, 3);
  for (const c of V.cases) {
    const d = data(c);
    for (const fit of c.fits) {
      const what = `${c.name} ${fit.constraint}/${fit.objective}`;
      const r = optimizeThresholds(d, { constraint: fit.constraint, objective: fit.objective, tolerances: (fit.front ?? []).map((f) => f.tolerance) });
      assert.equal(r.optimized.groups.length, fit.groups.length, what);
      fit.groups.forEach((want, g) => {
        const got = r.optimized.groups[g]!;
        const w = `${what} ${want.group}`;
        near(got.interpolation.p0, want.p0, 1e-12, `${w} p0`);
        assert.equal(got.interpolation.threshold0, num(want.threshold0), `${w} threshold0`);
        assert.equal(got.interpolation.threshold1, num(want.threshold1), `${w} threshold1`);
        if (want.pIgnore !== undefined) {
          near(got.interpolation.pIgnore!, want.pIgnore, 1e-12, `${w} pIgnore`);
          assert.equal(got.interpolation.predictionConstant, want.predictionConstant, `${w} constant`);
        } else assert.equal(got.interpolation.pIgnore, undefined);
        assert.equal(got.rates.count, want.count);
        for (const k of ['selection_rate', 'tpr', 'fpr', 'objective'] as const) near(got.rates[k], want[k], 1e-12, `${w} ${k}`);
      });
      near(r.optimized.objective, fit.overall, 1e-12, `${what} overall`);
      for (const [i, f] of (fit.front ?? []).entries()) {
        const got = r.front[i]!;
        assert.deepEqual(got.indices, f.indices, `${what} front ε=${f.tolerance}`);
        if (f.value !== undefined) assert.equal(got.fairlearnObjective, f.value, `${what} front value ε=${f.tolerance}`);
        f.p0?.forEach((p, g) => near(got.groups[g]!.interpolation.p0, p, 1e-12, `${what} front p0`));
        assert.ok(got.objective >= r.optimized.objective - 1e-12, 'a tolerance never lowers the objective');
        assert.ok(got.disparity <= f.tolerance + 1e-9, `${what}: disparity ${got.disparity} within ε=${f.tolerance}`);
      }
    }
  }
});

test('equalized odds: the objective of other kinds is refused as Fairlearn does', () => {
  const d = data(V.cases[2]!);
  assert.throws(() => optimizeThresholds(d, { constraint: 'equalized_odds', objective: 'selection_rate' }), /equalized_odds allows only/);
});

test('a group with one label only is refused (Fairlearn: degenerate labels)', () => {
  const d: ThresholdData = { scores: Float64Array.from([0.1, 0.9, 0.3, 0.4]), labels: Uint8Array.from([0, 1, 1, 1]), group: Int32Array.from([0, 0, 1, 1]), groupNames: ['a', 'b'] };
  assert.throws(() => optimizeThresholds(d, { constraint: 'demographic_parity', objective: 'accuracy_score' }), /Degenerate labels for sensitive feature value b/);
});

test('manual thresholds: hand-computed confusion rates and disparities; curves agree with a recount', () => {
  // FORMULAS.md §B example as scores: group a rows 0-3, b rows 4-9
  const y = [1, 1, 0, 0, 1, 0, 1, 0, 1, 0];
  const s = [0.9, 0.2, 0.7, 0.1, 0.8, 0.6, 0.55, 0.3, 0.4, 0.35];
  const d: ThresholdData = { scores: Float64Array.from(s), labels: Uint8Array.from(y), group: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]), groupNames: ['a', 'b'] };
  const r = manualThresholds(d, [0.5, 0.5]);
  // a: pred [1,0,1,0] -> TPR 0.5, FPR 0.5; b: pred [1,1,1,0,0,0] -> TPR 2/3, FPR 1/3
  assert.deepEqual([r.groups[0]!.tpr, r.groups[0]!.fpr, r.groups[0]!.selection_rate], [0.5, 0.5, 0.5]);
  assert.deepEqual([r.groups[1]!.tpr, r.groups[1]!.fpr, r.groups[1]!.selection_rate], [2 / 3, 1 / 3, 0.5]);
  assert.equal(r.overall.accuracy, 0.6);
  assert.equal(r.disparity.demographic_parity_difference, 0);
  assert.equal(r.disparity.equalized_odds_difference, 0.16666666666666669); // FORMULAS.md §B example
  const moved = manualThresholds(d, [0.5, 0.58]);
  assert.deepEqual([moved.groups[1]!.tpr, moved.groups[1]!.fpr], [1 / 3, 1 / 3]);
  // strict '>': a threshold equal to a score does not select it
  assert.equal(manualThresholds(d, [0.9, 0.8]).groups[0]!.selection_rate, 0);
  const curves = thresholdCurves(d, 20);
  for (let j = 0; j <= 20; j++) {
    const t = j / 20;
    const m = manualThresholds(d, [t, t]);
    curves.forEach((c, g) => {
      assert.equal(c.tp[j], m.groups[g]!.tpr * c.positives, `tp g${g} j${j}`);
      assert.equal(c.fp[j], m.groups[g]!.fpr * c.negatives, `fp g${g} j${j}`);
    });
  }
  assert.equal(unitGrid()[1], 0.001);
  assert.equal(unitGrid()[1000], 1);
});
