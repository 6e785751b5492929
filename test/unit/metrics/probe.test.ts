// Probe statistics (FORMULAS.md §H) against hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterfactualStats, groupScoreStats, logSoftmaxAt, logSumExp } from '../../../extension/core/metrics/probe';
import { percentileInterval, Xoshiro128 } from '../../../extension/core/metrics/stats';

test('per-group skew: count, selection rate (s > 0), mean; a row without a group counts in overall only', () => {
  const scores = Float64Array.from([1, -1, 2, 0.5, -3]);
  const group = Int32Array.from([0, 0, 1, 1, -1]);
  const { overall, byGroup } = groupScoreStats(scores, group, 2, true, { replicates: 0, seed: 0 });
  assert.deepEqual(overall, { count: 5, selection_rate: 3 / 5, meanScore: -0.5 / 5, ci: null, selectionCi: null });
  assert.deepEqual(byGroup[0], { count: 2, selection_rate: 0.5, meanScore: 0, ci: null, selectionCi: null });
  assert.deepEqual(byGroup[1], { count: 2, selection_rate: 1, meanScore: 1.25, ci: null, selectionCi: null });
  // s = 0 is not positive; not a skew: no selection rate.
  assert.equal(groupScoreStats(Float64Array.from([0, 0]), Int32Array.from([0, 0]), 1, true, { replicates: 0, seed: 0 }).overall.selection_rate, 0);
  assert.equal(groupScoreStats(scores, group, 2, false, { replicates: 0, seed: 0 }).byGroup[0]!.selection_rate, null);
});

test('per-group skew interval: non-stratified resamples of all rows, percentile of the replicate means', () => {
  const scores = Float64Array.from([1, -1, 2, 0.5, -3, 4, 0.25]);
  const group = Int32Array.from([0, 0, 1, 1, -1, 0, 1]);
  const B = 50;
  const { byGroup, overall } = groupScoreStats(scores, group, 2, true, { replicates: B, seed: 7 });
  // The same draws, spelled out: per replicate n indices in [0, n); a group absent from a replicate is skipped.
  const rng = new Xoshiro128(7);
  const means = [new Float64Array(B), new Float64Array(B), new Float64Array(B)];
  for (let r = 0; r < B; r++) {
    const sum = [0, 0, 0];
    const count = [0, 0, 0];
    for (let k = 0; k < scores.length; k++) {
      const i = rng.nextInt(scores.length);
      sum[2]! += scores[i]!;
      count[2]!++;
      if (group[i]! >= 0) {
        sum[group[i]!]! += scores[i]!;
        count[group[i]!]!++;
      }
    }
    for (let g = 0; g < 3; g++) means[g]![r] = count[g]! > 0 ? sum[g]! / count[g]! : Number.NaN;
  }
  assert.deepEqual(byGroup[0]!.ci, percentileInterval(means[0]!, 0.95));
  assert.deepEqual(byGroup[1]!.ci, percentileInterval(means[1]!, 0.95));
  assert.deepEqual(overall.ci, percentileInterval(means[2]!, 0.95));
  const [lo, hi] = byGroup[0]!.ci!;
  assert.ok(lo >= -1 && hi <= 4 && lo <= byGroup[0]!.meanScore && byGroup[0]!.meanScore <= hi);
  // Every score equal: the interval is that value.
  assert.deepEqual(groupScoreStats(Float64Array.from([2, 2, 2]), Int32Array.from([0, 0, 0]), 1, true, { replicates: 20, seed: 1 }).byGroup[0]!.ci, [2, 2]);
});

test('counterfactual pairs: mean Δ over templates, flips where the sign of s differs, the flipping templates', () => {
  const a = Float64Array.from([1, -1, 2]);
  const b = Float64Array.from([0.5, 0.5, -1]);
  const c = Float64Array.from([1, -2, 3]);
  const { byGroup, pairs } = counterfactualStats([a, b, c], [[a], [b, Float64Array.from([-1, -1, -1])], [c]], true, { replicates: 0, seed: 0 });
  assert.deepEqual(pairs.map((p) => [p.g, p.h]), [[0, 1], [0, 2], [1, 2]]);
  assert.equal(pairs[0]!.meanDelta, (0.5 - 1.5 + 3) / 3);
  assert.equal(pairs[0]!.flips, 2);
  assert.equal(pairs[0]!.flipShare, 2 / 3);
  assert.deepEqual(pairs[0]!.templates, [1, 2]);
  assert.equal(pairs[1]!.meanDelta, (0 + 1 - 1) / 3);
  assert.equal(pairs[1]!.flips, 0);
  assert.deepEqual(pairs[2]!.templates, [1, 2]);
  // Selection rate over every filled prompt of the group: b's terms give 2 of 6 positive.
  assert.equal(byGroup[1]!.prompts, 6);
  assert.equal(byGroup[1]!.selection_rate, 2 / 6);
  assert.equal(byGroup[0]!.meanScore, 2 / 3);
  // Not a skew: no flips.
  const plain = counterfactualStats([a, b], [[a], [b]], false, { replicates: 0, seed: 0 });
  assert.equal(plain.pairs[0]!.flips, null);
  assert.equal(plain.pairs[0]!.flipShare, null);
  assert.deepEqual(plain.pairs[0]!.templates, []);
});

test('counterfactual intervals resample templates: Δ replicates are differences of the groups\' replicate means', () => {
  const a = Float64Array.from([1, -1, 2, 0.5]);
  const b = Float64Array.from([0.5, 0.5, -1, 2]);
  const B = 40;
  const { byGroup, pairs } = counterfactualStats([a, b], [[a], [b]], true, { replicates: B, seed: 3 });
  const rng = new Xoshiro128(3);
  const ra = new Float64Array(B);
  const rb = new Float64Array(B);
  for (let r = 0; r < B; r++) {
    for (let k = 0; k < 4; k++) {
      const t = rng.nextInt(4);
      ra[r]! += a[t]! / 4;
      rb[r]! += b[t]! / 4;
    }
  }
  assert.deepEqual(byGroup[0]!.ci, percentileInterval(ra, 0.95));
  const d = ra.map((x, r) => x - rb[r]!);
  const [lo, hi] = percentileInterval(d, 0.95);
  assert.ok(Math.abs(pairs[0]!.ci![0] - lo) < 1e-12 && Math.abs(pairs[0]!.ci![1] - hi) < 1e-12);
});

test('log-softmax at ids in float64 and log-sum-exp', () => {
  const logits = Float32Array.from([9, 9, 1, 2, 3, 9]);
  const z = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  const [l0, l2] = logSoftmaxAt(logits, 2, 3, [0, 2]);
  assert.ok(Math.abs(l0! - (1 - z)) < 1e-15 && Math.abs(l2! - (3 - z)) < 1e-15);
  assert.ok(Math.abs(logSumExp([Math.log(0.25), Math.log(0.5)]) - Math.log(0.75)) < 1e-15);
  assert.equal(logSumExp([]), -Infinity);
  assert.equal(logSumExp([-1000, -1000]), -1000 + Math.log(2));
});
