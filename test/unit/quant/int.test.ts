import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeScaleZeroPoint, intFakeQuantize, intRange } from '../../../extension/core/quant/int';
import { fakeQuantizeDetailed } from '../../../extension/core/quant/quantize';

const W = new Float32Array([0.5, -1.0, 0.25, 1.27, -0.003]);

/** q recovered from x̂ = (q − zp)·scale (exact for these small integers). */
function levels(values: Float32Array, scale: number, zp: number): number[] {
  return Array.from(values, (v) => Math.round(v / scale) + zp);
}

describe('quant/int ranges', () => {
  it('int8 sym [-127,127], int8 asym [-128,127], int4 sym and asym [-8,7]', () => {
    assert.deepEqual(intRange({ bits: 8, symmetric: true }), { qmin: -127, qmax: 127 });
    assert.deepEqual(intRange({ bits: 8, symmetric: false }), { qmin: -128, qmax: 127 });
    assert.deepEqual(intRange({ bits: 4, symmetric: true }), { qmin: -8, qmax: 7 });
    assert.deepEqual(intRange({ bits: 4, symmetric: false }), { qmin: -8, qmax: 7 });
  });
});

describe('quant/int worked example of FORMULAS.md §C', () => {
  it('int8 symmetric: scale 0.01 (float32), q = [50, -100, 25, 127, 0]', () => {
    const r = intFakeQuantize(W, [5], { bits: 8, symmetric: true }, null);
    assert.equal(r.scales[0], Math.fround(0.01));
    assert.equal(r.zeroPoints[0], 0);
    assert.deepEqual(levels(r.values, Math.fround(0.01), 0), [50, -100, 25, 127, 0]);
    assert.deepEqual(Array.from(r.values), [50, -100, 25, 127, 0].map((q) => Math.fround(q * Math.fround(0.01))));
  });

  it('int4 symmetric: scale 0.1693333238363266, q = [3, -6, 1, 7, 0], x̂(1.27) = 1.18533', () => {
    const r = intFakeQuantize(W, [5], { bits: 4, symmetric: true }, null);
    const s = 0.1693333238363266;
    assert.equal(r.scales[0], s);
    assert.deepEqual(levels(r.values, s, 0), [3, -6, 1, 7, 0]);
    assert.equal(r.values[3], Math.fround(7 * s));
    assert.equal(r.values[3]?.toFixed(5), '1.18533');
  });

  it('the same through fakeQuantizeDetailed (per tensor)', () => {
    const r = fakeQuantizeDetailed(W, [5], 'int4_per_tensor');
    assert.equal(r.scaleInfo.kind, 'int');
    if (r.scaleInfo.kind === 'int') assert.equal(r.scaleInfo.scales[0], 0.1693333238363266);
  });
});

describe('quant/int scale and zero point', () => {
  it('asymmetric int8: range includes 0, zp = RNE(qmin - rmin/scale64)', () => {
    // rmin = min(0.5, 0) = 0 -> zp = -128; scale = 2/255
    const p = computeScaleZeroPoint(0.5, 2, { bits: 8, symmetric: false });
    assert.equal(p.zeroPoint, -128);
    assert.equal(p.scale, Math.fround(2 / 255));
    const q = computeScaleZeroPoint(-1, 3, { bits: 8, symmetric: false });
    assert.equal(q.scale, Math.fround(4 / 255));
    assert.equal(q.zeroPoint, Math.round(-128 + 255 / 4)); // -64.25 -> -64
  });

  it('symmetric int4 zp = RNE(-0.5) = 0 (not -1)', () => {
    assert.equal(computeScaleZeroPoint(-1, 1, { bits: 4, symmetric: true }).zeroPoint, 0);
  });

  it('a scale below float32 tiny becomes 1 with zp 0 (all-zero channel)', () => {
    assert.deepEqual(computeScaleZeroPoint(0, 0, { bits: 8, symmetric: true }), { scale: 1, zeroPoint: 0 });
    assert.deepEqual(computeScaleZeroPoint(0, 1e-40, { bits: 8, symmetric: false }), { scale: 1, zeroPoint: 0 });
    const r = intFakeQuantize(new Float32Array([0, 0, 0]), [3], { bits: 8, symmetric: true }, null);
    assert.deepEqual(Array.from(r.values), [0, 0, 0]);
  });

  it('rmax - rmin is float32: 1 - (-2^-30) rounds to 1 before the division', () => {
    const p = computeScaleZeroPoint(-(2 ** -30), 1, { bits: 8, symmetric: false });
    assert.equal(p.scale, Math.fround(1 / 255));
  });

  it('int4 symmetric: +a clips to 7, -a = -7.5·scale is a real tie going to -8 (RNE)', () => {
    // a = 1.5: scale = 3/15 = 0.2 (float64) -> float32 0.2; -1.5/0.2f = -7.4999998 in float64
    // but fround(-1.5 / 0.2f) = -7.5 exactly -> RNE -> -8.
    const w = new Float32Array([1.5, -1.5]);
    const r = intFakeQuantize(w, [2], { bits: 4, symmetric: true }, null);
    const s = Math.fround(0.2);
    assert.equal(Math.fround(-1.5 / s), -7.5);
    assert.deepEqual(Array.from(r.values), [Math.fround(7 * s), Math.fround(-8 * s)]);
  });

  it('asymmetric int4 with exact arithmetic: scale 0.25, zp -5, ties to even', () => {
    // rmin = -0.75, rmax = 3: dr = 3.75, scale = 0.25, zp = RNE(-8 + 3) = -5
    const w = new Float32Array([-0.75, 0.25, 3, 0, -0.625, 0.375, 0.125]);
    const r = intFakeQuantize(w, [7], { bits: 4, symmetric: false }, null);
    assert.equal(r.scales[0], 0.25);
    assert.equal(r.zeroPoints[0], -5);
    // -0.625/0.25 = -2.5 -> -2; 0.375/0.25 = 1.5 -> 2; 0.125/0.25 = 0.5 -> 0
    assert.deepEqual(Array.from(r.values), [-0.75, 0.25, 3, 0, -0.5, 0.5, 0]);
    assert.deepEqual(levels(r.values, 0.25, -5), [-8, -4, 7, -5, -7, -3, -5]);
  });

  it('asymmetric zero point tie: qmin - rmin/scale = -5.5 -> RNE -6 (not -5)', () => {
    // rmin = -0.625, rmax = 3.125: scale 0.25, -8 + 2.5 = -5.5
    assert.deepEqual(computeScaleZeroPoint(-0.625, 3.125, { bits: 4, symmetric: false }), { scale: 0.25, zeroPoint: -6 });
  });

  it('asymmetric zero point with an inexact float32 range: -8 - (-0.7f)/scale64 = -4.50000006 -> -5', () => {
    const p = computeScaleZeroPoint(Math.fround(-0.7), Math.fround(2.3), { bits: 4, symmetric: false });
    assert.equal(p.zeroPoint, -5);
    assert.equal(p.scale, Math.fround(Math.fround(Math.fround(2.3) + Math.fround(0.7)) / 15));
  });
});

describe('quant/int per channel', () => {
  it('one scale per index of the channel axis (MatMul B [K, N], axis 1)', () => {
    // K = 2, N = 3: columns [1, -2], [0.5, 0.25], [0, 0]
    const w = new Float32Array([1, 0.5, 0, -2, 0.25, 0]);
    const r = intFakeQuantize(w, [2, 3], { bits: 8, symmetric: true }, 1);
    assert.deepEqual(Array.from(r.scales), [Math.fround(4 / 254), Math.fround(1 / 254), 1]);
    assert.equal(r.values[3], -2);
    assert.equal(r.values[1], 0.5);
    assert.equal(r.values[4], Math.fround(Math.round(0.25 / Math.fround(1 / 254)) * Math.fround(1 / 254)));
  });

  it('axis 0 (Conv W [Co, Ci, k]) groups contiguous rows', () => {
    const w = new Float32Array([1, -1, 0.5, 0.5, 127, -50, 25, 0]);
    const r = intFakeQuantize(w, [2, 2, 2], { bits: 8, symmetric: true }, 0);
    assert.deepEqual(Array.from(r.scales), [Math.fround(2 / 254), 1]);
    assert.deepEqual(Array.from(r.values.slice(4)), [127, -50, 25, 0]);
    // channel 0: scale 1/127, 0.5·127 = 63.5 is a tie -> 64
    assert.equal(r.values[2], Math.fround(64 * Math.fround(1 / 127)));
  });

  it('NaN and Inf are excluded from the channel range and copied through', () => {
    const w = new Float32Array([NaN, 1, Infinity, -0.5, -Infinity, 0.25]);
    const r = intFakeQuantize(w, [6], { bits: 8, symmetric: true }, null);
    assert.equal(r.scales[0], Math.fround(2 / 254));
    assert.ok(Number.isNaN(r.values[0]));
    const s = Math.fround(1 / 127);
    // -0.5·127 = -63.5 -> -64 (tie to even); 0.25·127 = 31.75 -> 32
    assert.deepEqual(Array.from(r.values.slice(1)), [1, Infinity, Math.fround(-64 * s), -Infinity, Math.fround(32 * s)]);
  });

  it('never produces a negative zero', () => {
    const r = intFakeQuantize(new Float32Array([-0.001, 1, -0]), [3], { bits: 8, symmetric: true }, null);
    assert.ok(Object.is(r.values[0], 0) && Object.is(r.values[2], 0));
  });
});
