import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualThresholds, thresholdCurves, type ThresholdData } from '../../../extension/core/metrics/thresholds';
import { constraintDisparity, objectiveOf, pointRule, presetChoices, thresholdsJson, whatIf } from '../../../webview/charts/thresholdWhatIf';
import { sliceSentenceText } from '../../../webview/charts/sliceText';
import type { SliceEntry } from '../../../extension/protocol/slices';

function data(seed: number, n: number): ThresholdData {
  let s = seed;
  const rnd = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  const group = Int32Array.from({ length: n }, () => Math.floor(rnd() * 3));
  const labels = Uint8Array.from({ length: n }, () => (rnd() < 0.4 ? 1 : 0));
  const scores = Float64Array.from(labels, (y) => Math.round((y ? 0.3 + rnd() * 0.7 : rnd() * 0.8) * 1000) / 1000);
  return { scores, labels, group, groupNames: ['a', 'b', 'c'] };
}

test('slider what-if from the curves equals the engine recounting every row, at every grid threshold tried', () => {
  const d = data(3, 900);
  const steps = 100;
  const curves = thresholdCurves(d, steps).map((c, g) => ({ group: { g: d.groupNames[g]! }, ...c }));
  const section = { curves, steps, sensitive: ['g'] };
  for (const indices of [[50, 50, 50], [0, 100, 37], [13, 77, 99], [100, 0, 1]]) {
    const w = whatIf(section, indices);
    const m = manualThresholds(d, indices.map((j) => j / steps));
    assert.deepEqual(w.groups, m.groups);
    assert.deepEqual(w.overall, m.overall);
    assert.deepEqual(w.disparity, m.disparity);
    assert.equal(objectiveOf('accuracy_score', w), m.overall.accuracy);
    assert.equal(constraintDisparity('demographic_parity', w), m.disparity.demographic_parity_difference);
    assert.equal(constraintDisparity('equalized_odds', w), m.disparity.equalized_odds_difference);
  }
  // preset: one threshold 0.5 for every group
  assert.deepEqual(presetChoices({ ...section, groups: [], front: [] }, 'single'), [50, 50, 50]);
  const json = JSON.parse(thresholdsJson(section, [10, 20, 30], whatIf(section, [10, 20, 30]))) as { thresholds: { group: { g: string }; threshold: number }[] };
  assert.deepEqual(json.thresholds, [{ group: { g: 'a' }, threshold: 0.1 }, { group: { g: 'b' }, threshold: 0.2 }, { group: { g: 'c' }, threshold: 0.3 }]);
});

test('a randomised point in words: mixture, single threshold, and p_ignore', () => {
  const base = { group: { g: 'a' }, count: 10, selection_rate: 0, tpr: 0, fpr: 0, objective: 0 };
  assert.equal(pointRule({ ...base, p0: 0.25, threshold0: 0.4, threshold1: 0.55 }), '0.2500·[P > 0.4000] + 0.7500·[P > 0.5500]');
  assert.equal(pointRule({ ...base, p0: 1, threshold0: 0.4, threshold1: 0.55 }), '[P > 0.4000]');
  assert.equal(pointRule({ ...base, p0: 0.5, threshold0: 'inf', threshold1: '-inf' }), '0.5000·[P > ∞] + 0.5000·[P > −∞]');
  assert.equal(pointRule({ ...base, p0: 0, threshold0: 0.4, threshold1: 0.55, pIgnore: 0.2, predictionConstant: 0.3 }), '0.2000·0.3000 + 0.8000·([P > 0.5500])');
});

test('slice sentence in plain words, with the marks of small and not significant slices', () => {
  const s: SliceEntry = {
    text: 'region = W & device = mobile', predicates: [], size: 210, errorSum: 73, errorMean: 73 / 210, score: 1.1,
    test: { size: 185, errorMean: 0.3459, ci: [0.28, 0.41], diff: 0.2493, p: 3.6e-11, q: 1.8e-10, selectedOnSameData: false }, metrics: { count: 395, loss: 1 },
  };
  assert.equal(sliceSentenceText(s, 'misclassification'), 'region = W and device = mobile: error 34.6% vs 9.7% elsewhere, n = 185, q = 1.8e-10');
  assert.equal(sliceSentenceText({ ...s, small: true, test: { ...s.test, q: 0.2, selectedOnSameData: true } }, 'misclassification'),
    'region = W and device = mobile: error 34.6% vs 9.7% elsewhere, n = 185, q = 0.20 (small; not significant; found and tested on the same rows)');
});
