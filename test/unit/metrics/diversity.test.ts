import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  biasLossValue,
  diversityStats,
  featureVariances,
  normaliseVariances,
  unbiasedVariance,
} from '../../../extension/core/metrics/diversity';
import { biasLossWeight } from '../../../extension/core/metrics/losses';
import { GroupMetricsBuilder } from '../../../extension/core/metrics/groups';
import { BadInputError } from '../../../extension/core/errors';
import { close, encode } from './fixtures';

// A.4: three 1×2×2 feature maps with variances 5/3, 0, 16/3
const MAPS = Float32Array.from([1, 2, 3, 4, 7, 7, 7, 7, 0, 0, 4, 4]);
const CE = [0.41702995, 0.19673415, 1.0986123];

test('A.4 per-sample unbiased variance of flattened maps (Welford, float64)', () => {
  const v = featureVariances(MAPS, [3, 1, 2, 2]);
  close(v[0] as number, 1.6666666, 1e-7);
  assert.equal(v[1], 0);
  close(v[2] as number, 5.3333335, 1e-7);
  // Welford stays accurate with a large offset where the naive Σx² − n·mean² loses everything
  close(unbiasedVariance([1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4], 0, 4), 5 / 3, 1e-12);
  assert.ok(Number.isNaN(unbiasedVariance([1], 0, 1)));
  assert.throws(() => featureVariances(MAPS, [12, 1], 'conv5'), (e: unknown) => e instanceof BadInputError && e.code === 'feature-shape' && e.message.includes('"conv5"'));
  assert.throws(() => featureVariances(MAPS, [5, 2]), (e: unknown) => e instanceof BadInputError && e.code === 'feature-shape');
});

test('A.4 worked example: v̂, weights z and the bias-loss value', () => {
  const norm = normaliseVariances(featureVariances(MAPS, [3, 1, 2, 2]));
  close(norm.vHat[0] as number, 0.3125, 1e-15);
  assert.equal(norm.vHat[1], 0);
  assert.equal(norm.vHat[2], 1);
  assert.equal(norm.degenerate, false);
  const z = Array.from(norm.vHat, (v) => biasLossWeight(v));
  close(z[0] as number, 0.79828507, 1e-7);
  close(z[1] as number, 0.7, 1e-15);
  close(z[2] as number, 1.0498588, 1e-7);
  close(biasLossValue(norm.vHat, CE), 0.54133683, 1e-7);
});

test('max = min: v̂ = 0 and the normalisation says so; NaN variances stay NaN', () => {
  const n = normaliseVariances([2, 2, NaN]);
  assert.deepEqual(Array.from(n.vHat.subarray(0, 2)), [0, 0]);
  assert.ok(Number.isNaN(n.vHat[2]));
  assert.equal(n.degenerate, true);
  assert.equal(n.min, 2);
});

test('diversity stats: low share (v̂ ≤ τ), accuracy low vs rest, quantiles', () => {
  const vHat = [0, 0.05, 0.1, 0.5, 1];
  const correct = [0, 0, 1, 1, 1];
  const s = diversityStats(vHat, [1, 1, 1, 1, 1], correct);
  assert.equal(s.count, 5);
  assert.equal(s.lowCount, 3); // 0.1 ≤ τ counts as low
  assert.equal(s.lowShare, 0.6);
  assert.equal(s.lowAccuracy, 1 / 3);
  assert.equal(s.restAccuracy, 1);
  assert.equal(s.quantiles[2], 0.1); // median
  close(s.quantiles[0] as number, 0.02, 1e-15); // 0.1 quantile: position 0.4 between 0 and 0.05
  close(s.meanVHat, 0.33, 1e-15);
  const sub = diversityStats(vHat, [1, 1, 1, 1, 1], correct, [3, 4]);
  assert.equal(sub.lowCount, 0);
  assert.ok(Number.isNaN(sub.lowAccuracy));
});

test('builder: bias_loss groups use z·CE with dataset v̂; diversity section per group', async () => {
  const enc = encode(['a', 'a', 'b']);
  const b = new GroupMetricsBuilder({ task: 'multiclass', numClasses: 3, sensitive: ['g'], biasLoss: {} });
  b.add({
    label: Float64Array.from([0, 1, 2]),
    pred: Float64Array.from([0, 1, 0]),
    loss: Float64Array.from(CE),
    variance: featureVariances(MAPS, [3, 1, 2, 2]),
    groups: [enc.codes],
    groupValues: [enc.dict],
  });
  const s = await b.finish();
  close(s.overall.loss, 0.54133683, 1e-7);
  close(s.byGroup[1]?.loss as number, 1.0498588 * 1.0986123, 1e-7);
  const d = s.diversity;
  assert.ok(d);
  assert.equal(d.tau, 0.1);
  close(d.max, 16 / 3, 1e-15);
  close(d.overall.biasLoss, 0.54133683, 1e-7);
  assert.equal(d.overall.lowCount, 1); // the constant map
  assert.deepEqual(d.byGroup.map((g) => [g.group, g.count, g.lowCount]), [[{ g: 'a' }, 2, 1], [{ g: 'b' }, 1, 0]]);
  assert.equal(d.byGroup[0]?.lowAccuracy, 1);
  assert.equal(d.byGroup[1]?.restAccuracy, 0);
  assert.deepEqual(d.byColumn[0]?.byGroup.map((g) => g.count), [2, 1]);
});
