import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupMetricsBuilder, type MetricDisparity } from '../../../extension/core/metrics/groups';
import type { BinaryMetrics } from '../../../extension/core/metrics/accumulator';
import { percentileInterval, Xoshiro128 } from '../../../extension/core/metrics/stats';
import { CancelledError } from '../../../extension/core/errors';
import { binaryBatch } from './fixtures';

/** Reasonable data: 1200 rows, groups F/M with accuracies about 0.85 / 0.7, seeded. */
function dataset(seed: number, n = 1200): { y: number[]; p: number[]; g: string[] } {
  const r = new Xoshiro128(seed);
  const y: number[] = [];
  const p: number[] = [];
  const g: string[] = [];
  for (let i = 0; i < n; i++) {
    const group = r.nextFloat() < 0.4 ? 'F' : 'M';
    const label = r.nextFloat() < 0.5 ? 1 : 0;
    const right = r.nextFloat() < (group === 'F' ? 0.85 : 0.7);
    const conf = 0.5 + 0.5 * r.nextFloat();
    y.push(label);
    p.push(right === (label === 1) ? conf : 1 - conf);
    g.push(group);
  }
  return { y, p, g };
}

function builder(d: ReturnType<typeof dataset>): GroupMetricsBuilder {
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['sex'] });
  b.add(binaryBatch(d.y, d.p, [d.g]));
  return b;
}

test('bootstrap, row sampler = non-stratified resample of all rows with the seeded PRNG, numpy percentile', async () => {
  const d = dataset(3, 300);
  const s = await builder(d).finish({ bootstrap: 50, seed: 11, sampler: 'rows' });
  // the same replicates by hand: 300 draws per replicate from one xoshiro128** stream
  const r = new Xoshiro128(11);
  const acc: number[] = [];
  const accF: number[] = [];
  for (let b = 0; b < 50; b++) {
    let correct = 0;
    let fCorrect = 0;
    let fCount = 0;
    for (let j = 0; j < 300; j++) {
      const i = r.nextInt(300);
      const ok = ((d.p[i] as number) > 0.5 ? 1 : 0) === d.y[i] ? 1 : 0;
      correct += ok;
      if (d.g[i] === 'F') {
        fCount++;
        fCorrect += ok;
      }
    }
    acc.push(correct / 300);
    accF.push(fCorrect / fCount);
  }
  assert.deepEqual(s.overall.ci?.accuracy, percentileInterval(acc, 0.95));
  assert.deepEqual(s.byGroup[0]?.ci?.accuracy, percentileInterval(accF, 0.95));
  assert.deepEqual(s.bootstrap, { replicates: 50, seed: 11, confidence: 0.95, method: 'percentile', scheme: 'multinomial', sampler: 'rows' });
});

test('intervals contain the point estimate on reasonable data (≥ 400 rows per group, rates away from 0 and 1)', async () => {
  const s = await builder(dataset(5)).finish({ bootstrap: 200, seed: 1 });
  const inside = (ci: readonly [number, number] | undefined, v: number, what: string): void => {
    assert.ok(ci !== undefined, what);
    assert.ok(ci[0] <= v && v <= ci[1], `${what}: ${v} outside [${ci[0]}, ${ci[1]}]`);
    assert.ok(ci[0] < ci[1], `${what}: empty interval`);
  };
  for (const entry of [s.overall, ...s.byGroup]) {
    const m = entry as BinaryMetrics;
    for (const k of ['loss', 'accuracy', 'selection_rate', 'tpr', 'fpr', 'precision', 'brier', 'ece'] as const) {
      inside(entry.ci?.[k], m[k], k);
    }
  }
  // a clear gap (0.85 vs 0.7): its difference's interval contains it and excludes 0
  const acc = s.disparity.accuracy as MetricDisparity;
  inside(acc.ci?.difference, acc.difference, 'accuracy difference');
  assert.ok((acc.ci?.difference[0] ?? 0) > 0);
  inside(acc.ci?.worstValue, acc.worstValue, 'worst accuracy');
  inside(s.disparityCi?.equalized_odds_difference, s.disparity.equalized_odds_difference as number, 'EO difference');
  // per-column tables carry intervals too
  assert.ok(s.byColumn[0]?.byGroup[0]?.ci?.accuracy);
  assert.ok(s.byColumn[0]?.disparityCi?.demographic_parity_difference);
});

test('same seed -> same intervals; another seed -> different; point estimates unchanged', async () => {
  const d = dataset(9, 400);
  const a = await builder(d).finish({ bootstrap: 40, seed: 7 });
  const b = await builder(d).finish({ bootstrap: 40, seed: 7 });
  const c = await builder(d).finish({ bootstrap: 40, seed: 8 });
  const plain = await builder(d).finish();
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.overall.ci, c.overall.ci);
  assert.equal((a.overall as BinaryMetrics).accuracy, (plain.overall as BinaryMetrics).accuracy);
  assert.equal(plain.overall.ci, undefined);
});

test('a group absent from some replicates is skipped there, not zeroed', async () => {
  // 1 row of group "z" among 40: absent from about (39/40)^40 ≈ 36% of replicates
  const y = Array.from({ length: 40 }, (_, i) => i % 2);
  const p = y.map((v) => (v === 1 ? 0.8 : 0.3));
  const g = y.map((_, i) => (i === 0 ? 'z' : 'a'));
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  b.add(binaryBatch(y, p, [g]));
  const s = await b.finish({ bootstrap: 100, seed: 2 });
  const z = s.byGroup[1];
  assert.deepEqual(z?.group, { g: 'z' });
  // z's only row is correct: accuracy is 1 in every replicate where z exists
  assert.deepEqual(z?.ci?.accuracy, [1, 1]);
});

test('cancellation and progress', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(() => builder(dataset(1, 100)).finish({ bootstrap: 10, signal: controller.signal }), (e: unknown) => e instanceof CancelledError);
  const seen: number[] = [];
  await builder(dataset(1, 100)).finish({ bootstrap: 5, onProgress: (f) => seen.push(f) });
  assert.equal(seen.at(-1), 1);
});
