import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  difference,
  differenceBetween,
  equalizedOddsDifference,
  equalizedOddsRatio,
  ratio,
  ratioBetween,
  ratioToOverall,
  worstIndex,
} from '../../../extension/core/metrics/disparity';
import { eceBin } from '../../../extension/core/metrics/accumulator';
import { percentileInterval, quantileSorted, Xoshiro128 } from '../../../extension/core/metrics/stats';

const example = { tpr: [0.5, 2 / 3], fpr: [0.5, 1 / 3], overallTpr: 0.6, overallFpr: 0.4 };

test('§B equalized odds: worst_case and mean, between_groups and to_overall', () => {
  assert.equal(equalizedOddsDifference(example), 0.16666666666666669);
  assert.equal(equalizedOddsDifference(example, 'to_overall'), 0.09999999999999998);
  assert.equal(equalizedOddsRatio(example), 0.6666666666666666);
  assert.equal(equalizedOddsRatio(example, 'between_groups', 'mean'), 0.7083333333333333);
  assert.equal(equalizedOddsDifference(example, 'between_groups', 'mean'), (0.16666666666666663 + 0.16666666666666669) / 2);
});

test('difference and ratio: NaN cells skipped, 0/0 -> NaN, min 0 -> 0', () => {
  assert.equal(differenceBetween([0.2, NaN, 0.7]), 0.49999999999999994);
  assert.equal(ratioBetween([0, 0.5]), 0);
  assert.ok(Number.isNaN(ratioBetween([0, 0])));
  assert.ok(Number.isNaN(ratioBetween([NaN])));
  assert.ok(Number.isNaN(differenceBetween([])));
  assert.equal(difference([0.2, 0.7], 0.5, 'to_overall'), 0.3);
});

test('ratio to_overall inverts ratios above 1', () => {
  // r = [0.5, 1.6] -> [0.5, 0.625]; min 0.5
  assert.equal(ratioToOverall([0.25, 0.8], 0.5), 0.5);
  // r = [1.25, 1.6] -> inverted [0.8, 0.625]
  assert.equal(ratio([0.625, 0.8], 0.5, 'to_overall'), 0.625);
  assert.equal(ratioToOverall([0.3], 0), 0); // r = inf, inverted -> 0
});

test('worst group: argmin when higher is better, argmax otherwise, first on ties, NaN skipped', () => {
  assert.equal(worstIndex([0.9, NaN, 0.4, 0.4], true), 2);
  assert.equal(worstIndex([0.1, 0.3, NaN, 0.3], false), 1);
  assert.equal(worstIndex([NaN], true), -1);
});

function nextUp(x: number): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  v.setBigUint64(0, v.getBigUint64(0) + 1n);
  return v.getFloat64(0);
}

test('ECE bins: (b/15, (b+1)/15] with float64 edges, including values where c·15 rounds across an edge', () => {
  for (let b = 1; b <= 15; b++) {
    const edge = b / 15;
    assert.equal(eceBin(edge), b - 1, `edge ${b}/15`);
    if (b < 15) assert.equal(eceBin(nextUp(edge)), b, `just above ${b}/15`);
  }
  assert.equal(eceBin(0), 0);
  assert.equal(eceBin(0.4), 5); // right-closed: 0.4 = 6/15 belongs to bin 5
  // just above 11/15, c·15 rounds down to exactly 11: the naive ceil(c·15) − 1 gives 10
  const justAbove = nextUp(11 / 15);
  assert.equal(justAbove, 0.7333333333333334);
  assert.equal(Math.ceil(justAbove * 15) - 1, 10);
  assert.equal(eceBin(justAbove), 11);
  assert.equal(eceBin(0.95), 14);
  assert.equal(eceBin(0.7), 10);
  assert.equal(eceBin(NaN), -1);
});

test("numpy's linear quantile (with numpy's lerp) and percentile intervals", () => {
  const s = [1, 2, 3, 4];
  assert.equal(quantileSorted(s, 0.5), 2.5);
  assert.equal(quantileSorted(s, 0.025), 1.075);
  assert.equal(quantileSorted(s, 0.975), 3.925);
  assert.equal(quantileSorted([5], 0.3), 5);
  assert.ok(Number.isNaN(quantileSorted([], 0.5)));
  // numpy: np.quantile([0.1, 0.7, 0.2], [0.025, 0.975]) -> [0.10500000000000001, 0.6749999999999999]
  const [lo, hi] = percentileInterval([0.1, NaN, 0.7, 0.2], 0.95);
  assert.equal(lo, 0.10500000000000001);
  assert.equal(hi, 0.6749999999999999);
});

test('xoshiro128**: deterministic per seed, uniform enough', () => {
  const a = new Xoshiro128(42);
  const b = new Xoshiro128(42);
  const c = new Xoshiro128(43);
  const xs = Array.from({ length: 5 }, () => a.nextU32());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.nextU32()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.nextU32()));
  const counts = new Array<number>(10).fill(0);
  const r = new Xoshiro128(7);
  for (let i = 0; i < 100000; i++) {
    const k = r.nextInt(10);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  for (const k of counts) assert.ok(Math.abs(k - 10000) < 500, `bucket ${k}`);
});
