import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { axisView } from '../../../extension/core/quant/axis';
import { tensorError } from '../../../extension/core/quant/error';
import { E2M1, E4M3 } from '../../../extension/core/quant/minifloat';
import { mxFakeQuantize, mxSharedExponent } from '../../../extension/core/quant/mx';
import { nvfp4FakeQuantize } from '../../../extension/core/quant/nvfp4';
import { fakeQuantize, fakeQuantizeDetailed } from '../../../extension/core/quant/quantize';

/** FORMULAS.md §C: V_i = (−1)^i·(i+1)·0.37, i = 0..31, as float32. */
const V = Float32Array.from({ length: 32 }, (_, i) => (-1) ** i * (i + 1) * 0.37);

describe('quant/mx worked examples of FORMULAS.md §C', () => {
  const block = new Float32Array([0.5, -1.25, 2.5, 7.0]);

  it('MXFP4 block [0.5, -1.25, 2.5, 7]: X = 1, RNE -> [0.5, -1, 2, 6]', () => {
    const r = fakeQuantizeDetailed(block, [4], 'mxfp4');
    assert.deepEqual(Array.from(r.values), [0.5, -1, 2, 6]);
    assert.ok(r.scaleInfo.kind === 'mx' && r.scaleInfo.exponents[0] === 0);
  });

  it('MXFP4 RHAZ -> [0.5, -1.5, 3, 6]', () => {
    assert.deepEqual(Array.from(fakeQuantize(block, [4], 'mxfp4', { mxRounding: 'rhaz' })), [0.5, -1.5, 3, 6]);
  });

  it('MSE of the 32-value V for MXFP8-E4M3, MXFP6-E2M3, MXFP4, MXINT8', () => {
    const mse = (f: 'mxfp8_e4m3' | 'mxfp6_e2m3' | 'mxfp4' | 'mxint8'): number => tensorError(V, fakeQuantize(V, [32], f)).mse;
    assert.equal(mse('mxfp8_e4m3'), 0.036886722750993695);
    assert.equal(mse('mxfp6_e2m3'), 0.03800000433626982);
    assert.equal(mse('mxfp4'), 0.5973749961406312);
    assert.equal(mse('mxint8'), 0.0011249994561395305);
  });
});

describe('quant/mx shared exponent and blocks', () => {
  it('e = floor(log2 amax) - emax, read from bits: amax just below 2^k stays in the lower binade', () => {
    const belowEight = Math.fround(8 - 2 ** -21);
    assert.equal(mxSharedExponent(belowEight, 2), 0);
    assert.equal(mxSharedExponent(8, 2), 1);
    // MXFP4 of [7.9999995]: X = 1, saturates to 6 (a log2 that rounds up would give X = 2 -> 8)
    assert.deepEqual(Array.from(fakeQuantize(new Float32Array([belowEight]), [1], 'mxfp4')), [6]);
  });

  it('clamps the shared exponent to [-127, 127]; a zero block gets -127 and stays zero', () => {
    assert.equal(mxSharedExponent(0, 8), -127);
    assert.equal(mxSharedExponent(2 ** -140, 0), -127);
    assert.equal(mxSharedExponent(3e38, 0), 127);
    const r = mxFakeQuantize(new Float32Array([0, -0, 0]), { outer: 1, length: 3, inner: 1 }, E4M3);
    assert.deepEqual(Array.from(r.exponents), [-127]);
    assert.ok(Object.is(r.values[0], 0) && Object.is(r.values[1], -0));
  });

  it('tiny blocks under the -127 clamp lose precision like the hardware would', () => {
    // amax 2^-140, MXINT8: X = 2^-127 (clamped), elements k/64·2^-127 -> 2^-140 = 2^-7·2^-133 -> k = 0.5 -> 0
    const r = fakeQuantize(new Float32Array([2 ** -140, 2 ** -133]), [2], 'mxint8');
    assert.deepEqual(Array.from(r), [0, 2 ** -133]);
  });

  it('blocks are 32 long with a trailing partial block, each with its own scale', () => {
    const x = new Float32Array(40);
    x[0] = 100; // block 0: X = 2^(6-8) for E4M3
    x[1] = 0.01; // 0.01/X = 0.04 = 10.24·2^-8 (normal binade 2^-5, quantum 2^-8) -> 10·2^-8·X
    x[33] = 0.01; // block 1 alone: exact-ish
    const r = fakeQuantizeDetailed(x, [40], 'mxfp8_e4m3');
    assert.ok(r.scaleInfo.kind === 'mx');
    if (r.scaleInfo.kind === 'mx') assert.deepEqual(Array.from(r.scaleInfo.exponents), [-2, -15]);
    assert.equal(r.values[0], 96);
    assert.equal(r.values[1], 10 * 2 ** -8 * 2 ** -2);
    x[1] = 0.0001; // 0.0001/X = 0.0004 = 0.2·2^-9 (E4M3 min subnormal) -> 0
    assert.ok(Object.is(fakeQuantize(x, [40], 'mxfp8_e4m3')[1], 0));
    assert.equal(r.values[33], 1.25 * 2 ** -7); // 0.01 / 2^-15 = 327.68 -> 320 (quantum 32 at 2^8)
  });

  it('NaN/Inf pass through and do not set the block scale', () => {
    const r = fakeQuantize(new Float32Array([NaN, 1.25, Infinity, -7]), [4], 'mxfp4');
    assert.ok(Number.isNaN(r[0]));
    assert.deepEqual(Array.from(r.slice(1)), [1, Infinity, -6]);
  });

  it('a strided block axis gives the same values as quantizing the transpose along its last axis', () => {
    // MatMul B [K=40, N=3], blocks along K (axis 0)
    const K = 40;
    const N = 3;
    const b = Float32Array.from({ length: K * N }, (_, j) => Math.sin(j * 1.7) * (1 + (j % 7)));
    const bt = new Float32Array(K * N);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) bt[n * K + k] = b[k * N + n] ?? 0;
    for (const f of ['mxfp4', 'mxint8', 'nvfp4', 'mxfp6_e3m2'] as const) {
      const q = fakeQuantize(b, [K, N], f, { blockAxis: 0 });
      const qt = fakeQuantize(bt, [N, K], f, { blockAxis: 1 });
      for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) assert.equal(q[k * N + n], qt[n * K + k], `${f} ${k},${n}`);
    }
  });

  it('Conv W blocks run over [Co, Ci·kh·kw] and never cross output channels', () => {
    // [Co=2, Ci=3, 2, 2]: 12 elements per output channel -> one (partial) block each
    const w = Float32Array.from({ length: 24 }, (_, j) => (j < 12 ? 0.001 * (j + 1) : 10 * (j - 11)));
    const r = fakeQuantizeDetailed(w, [2, 3, 2, 2], 'mxfp8_e4m3', { blockAxis: 1, blockFlattenTrailing: true });
    assert.ok(r.scaleInfo.kind === 'mx');
    if (r.scaleInfo.kind === 'mx') assert.deepEqual(Array.from(r.scaleInfo.exponents), [-7 - 8, 6 - 8]);
    assert.equal(r.values[0], 0.0009765625); // 0.001 in channel 0's own scale 2^-15: 32.77 -> 32
    // without flattening, axis 1 blocks would run over Ci only (stride 4) and mix nothing either,
    // but give 8 scales: check the view sizes
    assert.deepEqual(axisView([2, 3, 2, 2], 1, true), { outer: 2, length: 12, inner: 1 });
    assert.deepEqual(axisView([2, 3, 2, 2], 1, false), { outer: 2, length: 3, inner: 4 });
  });
});

describe('quant/nvfp4', () => {
  it('worked example: s2, block scales [224, 448], first values', () => {
    const r = nvfp4FakeQuantize(V, { outer: 1, length: 32, inner: 1 });
    assert.equal(r.tensorScale, 0.004404761828482151);
    assert.deepEqual(Array.from(r.blockScales), [224, 448]);
    const first = [0.49333334, -0.98666668, 0.98666668, -1.48, 1.97333336, -1.97333336, 2.96, -2.96].map(Math.fround);
    assert.deepEqual(Array.from(r.values.slice(0, 8)), first);
  });

  it('amax = 0 gives all zeros and s2 = 0', () => {
    const r = nvfp4FakeQuantize(new Float32Array(20), { outer: 1, length: 20, inner: 1 });
    assert.equal(r.tensorScale, 0);
    assert.deepEqual(Array.from(r.values), new Array(20).fill(0));
  });

  it('a block whose E4M3 scale rounds to 0 is flushed to zeros', () => {
    // block 0 amax 1e-6 vs tensor amax 1000: amax_b/(6·s2) = 1e-6·448/1000 ≈ 4.5e-7 < 2^-10 -> s_b = 0
    const x = new Float32Array(32);
    x[0] = 1e-6;
    x[1] = -5e-7;
    x[16] = 1000;
    const r = nvfp4FakeQuantize(x, { outer: 1, length: 32, inner: 1 });
    assert.deepEqual(Array.from(r.blockScales), [0, 448]);
    assert.ok(Object.is(r.values[0], 0) && Object.is(r.values[1], -0));
    assert.equal(r.values[16], 1000);
  });

  it('block scale is E4M3-rounded, so elements can exceed 6·s_b·s2 and saturate', () => {
    // two blocks; block 1 amax 0.9·amax: 0.9·448 = 403.2 -> E4M3 416 (quantum 32)
    const x = new Float32Array(32);
    x[0] = 1;
    x[16] = 0.9;
    x[17] = -0.3;
    const r = nvfp4FakeQuantize(x, { outer: 1, length: 32, inner: 1 });
    assert.equal(r.blockScales[1], 416);
    const s2 = Math.fround(1 / 2688);
    const c = Math.fround(416 * s2);
    assert.equal(r.values[16], Math.fround(Math.fround(6 * 416) * s2)); // 0.9/c = 5.81 -> 6
    assert.equal(r.values[17], Math.fround(Math.fround(-2 * 416) * s2)); // 0.3/c = 1.94 -> 2
    assert.ok(Math.abs(0.3 / c - 1.94) < 0.01);
    assert.equal(E2M1.max, 6);
  });
});
