import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fmix32, POISSON1_CDF_U32, poissonWeight, poissonWeights, rowKey, rowKeysOf, seedKey } from '../../../extension/core/metrics/poisson';

describe('counter-based Poisson(1) bootstrap weights', () => {
  it('fmix32 is murmur3 fmix32 (reference values)', () => {
    // Reference values of MurmurHash3's fmix32 (smhasher), computed by hand from its definition.
    assert.equal(fmix32(0), 0);
    assert.equal(fmix32(1), 0x514e28b7);
    assert.equal(fmix32(0xffffffff), 0x81f16f39);
  });

  it('tabulates the Poisson(1) CDF', () => {
    assert.equal(POISSON1_CDF_U32[0], Math.round(Math.exp(-1) * 2 ** 32));
    assert.equal(POISSON1_CDF_U32[1], Math.round(2 * Math.exp(-1) * 2 ** 32));
    assert.equal(POISSON1_CDF_U32[2], Math.round(2.5 * Math.exp(-1) * 2 ** 32));
    assert.ok(POISSON1_CDF_U32[11]! <= 2 ** 32 && POISSON1_CDF_U32[11]! > 2 ** 32 - 8);
  });

  it('is a pure function of (seed, row, replicate): shards agree with one pass', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => i + 1);
    const whole = new Int32Array(rows.length);
    poissonWeights(rowKeysOf(7, rows), 3, whole);
    const a = new Int32Array(400);
    const b = new Int32Array(600);
    poissonWeights(rowKeysOf(7, rows.slice(0, 400)), 3, a);
    poissonWeights(rowKeysOf(7, rows.slice(400)), 3, b);
    assert.deepEqual([...a, ...b], [...whole]);
    const s = seedKey(7);
    for (let i = 0; i < rows.length; i += 97) assert.equal(poissonWeight(rowKey(s, rows[i]!), 3), whole[i]);
  });

  it('has the moments of Poisson(1) and uncorrelated replicates, rows and seeds', () => {
    const n = 200_000;
    const rows = Array.from({ length: n }, (_, i) => i + 1);
    const keys = rowKeysOf(1, rows);
    const w0 = new Int32Array(n);
    const w1 = new Int32Array(n);
    poissonWeights(keys, 0, w0);
    poissonWeights(keys, 1, w1);
    const other = new Int32Array(n);
    poissonWeights(rowKeysOf(2, rows), 0, other);
    const mean = (w: Int32Array): number => w.reduce((s, x) => s + x, 0) / w.length;
    const cov = (a: Int32Array, b: Int32Array): number => {
      const ma = mean(a);
      const mb = mean(b);
      let s = 0;
      for (let i = 0; i < a.length; i++) s += (a[i]! - ma) * (b[i]! - mb);
      return s / a.length;
    };
    // Standard errors at n = 2e5: mean 0.0022, variance ~0.005, covariance 0.0022.
    assert.ok(Math.abs(mean(w0) - 1) < 0.01, `mean ${mean(w0)}`);
    assert.ok(Math.abs(cov(w0, w0) - 1) < 0.02, `variance ${cov(w0, w0)}`);
    assert.ok(Math.abs(cov(w0, w1)) < 0.01, `replicates ${cov(w0, w1)}`);
    assert.ok(Math.abs(cov(w0, other)) < 0.01, `seeds ${cov(w0, other)}`);
    const lag = (w: Int32Array): number => cov(w.subarray(0, n - 1), w.subarray(1));
    assert.ok(Math.abs(lag(w0)) < 0.01, `neighbouring rows ${lag(w0)}`);
    // P(0) = P(1) = e^-1, P(2) = e^-1/2
    const share = (k: number): number => w0.reduce((s, x) => s + (x === k ? 1 : 0), 0) / n;
    assert.ok(Math.abs(share(0) - Math.exp(-1)) < 0.005);
    assert.ok(Math.abs(share(1) - Math.exp(-1)) < 0.005);
    assert.ok(Math.abs(share(2) - Math.exp(-1) / 2) < 0.004);
  });

  it('keys rows beyond 2^32 apart from their low 32 bits', () => {
    const s = seedKey(0);
    assert.notEqual(rowKey(s, 5), rowKey(s, 5 + 2 ** 32));
  });
});
