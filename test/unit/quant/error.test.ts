import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadInputError } from '../../../extension/core/errors';
import { blockOutliers, tensorError } from '../../../extension/core/quant/error';

describe('quant/tensorError', () => {
  it('worked example of FORMULAS.md §C', () => {
    const m = tensorError(new Float32Array([1, -2, 3, 0.5]), new Float32Array([1, -2, 2, 0.5]));
    assert.deepEqual(m, {
      count: 4,
      nonFinite: 0,
      mse: 0.25,
      sqnr_db: 11.53814864344529,
      rel_fro: 0.26490647141300877,
      max_abs: 1,
      cosine: 0.97988300169602,
    });
  });

  it('no error: SQNR +Infinity, everything else 0 / 1', () => {
    const x = new Float32Array([0.5, -3]);
    const m = tensorError(x, x.slice());
    assert.deepEqual([m.mse, m.sqnr_db, m.rel_fro, m.max_abs, m.cosine], [0, Infinity, 0, 0, 1]);
  });

  it('a zero norm: cosine NaN; x = 0 with error gives rel_fro +Infinity and SQNR -Infinity', () => {
    const m = tensorError(new Float32Array([0, 0]), new Float32Array([0, 0.5]));
    assert.ok(Number.isNaN(m.cosine));
    assert.equal(m.rel_fro, Infinity);
    assert.equal(m.sqnr_db, -Infinity);
    assert.equal(m.mse, 0.125);
    const z = tensorError(new Float32Array([1, 2]), new Float32Array([0, 0]));
    assert.ok(Number.isNaN(z.cosine));
    assert.equal(z.rel_fro, 1);
    assert.equal(z.sqnr_db, 0);
  });

  it('NaN/Inf weights are counted and excluded from every sum', () => {
    const x = new Float32Array([1, NaN, -2, Infinity, 3, 0.5, -Infinity]);
    const q = new Float32Array([1, NaN, -2, Infinity, 2, 0.5, -Infinity]);
    const m = tensorError(x, q);
    assert.equal(m.count, 4);
    assert.equal(m.nonFinite, 3);
    assert.equal(m.mse, 0.25);
    assert.equal(m.sqnr_db, 11.53814864344529);
    assert.equal(m.cosine, 0.97988300169602);
  });

  it('all weights non-finite: count 0, metrics NaN, SQNR +Infinity', () => {
    const m = tensorError(new Float32Array([NaN, Infinity]), new Float32Array([NaN, Infinity]));
    assert.equal(m.count, 0);
    assert.equal(m.nonFinite, 2);
    assert.ok(Number.isNaN(m.mse) && Number.isNaN(m.max_abs) && Number.isNaN(m.rel_fro) && Number.isNaN(m.cosine));
    assert.equal(m.sqnr_db, Infinity);
  });

  it('a finite weight quantized to NaN poisons the metrics instead of being hidden', () => {
    const m = tensorError(new Float32Array([1, 2]), new Float32Array([1, NaN]));
    assert.equal(m.nonFinite, 0);
    assert.ok(Number.isNaN(m.mse) && Number.isNaN(m.max_abs));
  });

  it('sums in float64: tiny errors on a large tensor are not lost', () => {
    const n = 100000;
    const x = new Float32Array(n).fill(1);
    const q = new Float32Array(n).fill(Math.fround(1 + 2 ** -23));
    const m = tensorError(x, q);
    assert.equal(m.mse, 2 ** -46);
    assert.equal(m.max_abs, 2 ** -23);
  });

  it('rejects different lengths', () => {
    assert.throws(() => tensorError(new Float32Array(2), new Float32Array(3), 'w'), (e: unknown) => e instanceof BadInputError && e.code === 'quant.length-mismatch' && e.message.startsWith('tensor "w"'));
  });
});

describe('quant/blockOutliers', () => {
  it('counts |x| > 6·RMS(tensor) per block, in (outer, block, inner) order', () => {
    // 64 ones and two spikes of 100: RMS = sqrt((62 + 20000)/64) = 17.70 -> threshold 106.2: no outlier
    const x = new Float32Array(64).fill(1);
    x[3] = 100;
    x[40] = -100;
    const none = blockOutliers(x, { outer: 1, length: 64, inner: 1 }, 32);
    assert.equal(none.total, 0);
    assert.equal(none.threshold, 6 * Math.sqrt((62 + 20000) / 64));
    // 1024 ones and one spike of 100: RMS = sqrt((1023 + 10000)/1024) = 3.28 -> threshold 19.7
    const y = new Float32Array(1024).fill(1);
    y[1000] = 100;
    const one = blockOutliers(y, { outer: 1, length: 1024, inner: 1 }, 32);
    assert.equal(one.total, 1);
    assert.equal(one.blocksWithOutliers, 1);
    assert.equal(one.counts.length, 32);
    assert.equal(one.counts[31], 1);
  });

  it('uses the strided view: blocks along axis 0 of [64, 2]', () => {
    const x = new Float32Array(128).fill(0.1);
    x[2 * 40 + 1] = 50; // row 40, column 1 -> block 1 of column 1 -> index (0·2 + 1)·2 + 1 = 3
    const r = blockOutliers(x, { outer: 1, length: 64, inner: 2 }, 32);
    assert.deepEqual(Array.from(r.counts), [0, 0, 0, 1]);
  });

  it('ignores NaN/Inf and a custom k', () => {
    const x = new Float32Array([1, -1, 1, -1, 3, NaN, Infinity]);
    // RMS over finite = sqrt(13/5) = 1.61; k = 1.5 -> 2.42: only the 3
    const r = blockOutliers(x, { outer: 1, length: 7, inner: 1 }, 4, 1.5);
    assert.deepEqual(Array.from(r.counts), [0, 1]);
    assert.equal(blockOutliers(new Float32Array(4), { outer: 1, length: 4, inner: 1 }, 4).total, 0);
  });
});
