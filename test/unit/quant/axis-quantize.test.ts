import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadInputError } from '../../../extension/core/errors';
import { axisView, normalizeAxis, quantAxesFor } from '../../../extension/core/quant/axis';
import { FORMAT_IDS } from '../../../extension/core/quant/formats';
import { fakeQuantize, fakeQuantizeDetailed, representableGrid } from '../../../extension/core/quant/quantize';

describe('quant/axis quantAxesFor', () => {
  it('MatMul B [K, N]: channel 1, block 0; batched B: last and second to last', () => {
    assert.deepEqual(quantAxesFor({ op: 'MatMul', inputIndex: 1, attrs: {} }, 2), { channelAxis: 1, blockAxis: 0, blockFlattenTrailing: false });
    assert.deepEqual(quantAxesFor({ op: 'MatMul', inputIndex: 1, attrs: {} }, 3), { channelAxis: 2, blockAxis: 1, blockFlattenTrailing: false });
    assert.deepEqual(quantAxesFor({ op: 'MatMul', inputIndex: 0, attrs: {} }, 2), { channelAxis: 0, blockAxis: 1, blockFlattenTrailing: false });
  });

  it('Gemm B: channel 0 / block 1 with transB, channel 1 / block 0 without (absent = 0)', () => {
    assert.deepEqual(quantAxesFor({ op: 'Gemm', inputIndex: 1, attrs: { transB: 1 } }, 2), { channelAxis: 0, blockAxis: 1, blockFlattenTrailing: false });
    assert.deepEqual(quantAxesFor({ op: 'Gemm', inputIndex: 1, attrs: {} }, 2), { channelAxis: 1, blockAxis: 0, blockFlattenTrailing: false });
    assert.deepEqual(quantAxesFor({ op: 'Gemm', inputIndex: 1, attrs: { transB: 0 } }, 2), { channelAxis: 1, blockAxis: 0, blockFlattenTrailing: false });
    assert.deepEqual(quantAxesFor({ op: 'Gemm', inputIndex: 0, attrs: { transA: 1 } }, 2), { channelAxis: 1, blockAxis: 0, blockFlattenTrailing: false });
  });

  it('Conv W: channel 0, block axis 1 flattened with the kernel; ConvTranspose channel 1', () => {
    assert.deepEqual(quantAxesFor({ op: 'Conv', inputIndex: 1, attrs: { group: 1 } }, 4), { channelAxis: 0, blockAxis: 1, blockFlattenTrailing: true });
    assert.deepEqual(quantAxesFor({ op: 'ConvTranspose', inputIndex: 1, attrs: {} }, 4), { channelAxis: 1, blockAxis: 0, blockFlattenTrailing: false });
  });

  it('other consumers: channel 0, last axis; rank <= 1: per tensor', () => {
    assert.deepEqual(quantAxesFor({ op: 'Gather', inputIndex: 0, attrs: {} }, 2), { channelAxis: 0, blockAxis: 1, blockFlattenTrailing: false });
    assert.deepEqual(quantAxesFor({ op: 'Conv', inputIndex: 2, attrs: {} }, 1), { channelAxis: null, blockAxis: 0, blockFlattenTrailing: false });
  });

  it('axisView and normalizeAxis', () => {
    assert.deepEqual(axisView([4, 5, 6], 1), { outer: 4, length: 5, inner: 6 });
    assert.deepEqual(axisView([], 0), { outer: 1, length: 1, inner: 1 });
    assert.equal(normalizeAxis(-1, [3, 4], 'block axis'), 1);
    assert.throws(
      () => normalizeAxis(2, [3, 4], 'block axis', 'fc.weight'),
      (e: unknown) => e instanceof BadInputError && e.code === 'quant.bad-axis' && e.message === 'tensor "fc.weight": block axis 2 is out of range for shape [3, 4]',
    );
  });
});

describe('quant/quantize dispatch', () => {
  const x = Float32Array.from({ length: 64 }, (_, j) => Math.cos(j) * (j % 5));

  it('every format returns a new array of the same length and leaves the input alone', () => {
    const copy = x.slice();
    for (const f of FORMAT_IDS) {
      const y = fakeQuantize(x, [8, 8], f);
      assert.equal(y.length, 64, f);
      assert.notEqual(y.buffer, x.buffer);
    }
    assert.deepEqual(x, copy);
  });

  it('per-channel int defaults to axis 0 for rank >= 2; null or rank 1 is per tensor', () => {
    const a = fakeQuantizeDetailed(x, [8, 8], 'int8');
    assert.ok(a.scaleInfo.kind === 'int' && a.scaleInfo.scales.length === 8 && a.scaleInfo.channelAxis === 0);
    const b = fakeQuantizeDetailed(x, [8, 8], 'int8', { channelAxis: null });
    assert.ok(b.scaleInfo.kind === 'int' && b.scaleInfo.scales.length === 1);
    assert.deepEqual(b.values, fakeQuantize(x, [8, 8], 'int8_per_tensor'));
    assert.deepEqual(fakeQuantize(x, [64], 'int4'), fakeQuantize(x, [64], 'int4_per_tensor'));
    const c = fakeQuantizeDetailed(x, [8, 8], 'int8', { channelAxis: -1 });
    assert.ok(c.scaleInfo.kind === 'int' && c.scaleInfo.channelAxis === 1);
  });

  it('block formats default to the last axis', () => {
    assert.deepEqual(fakeQuantize(x, [2, 32], 'mxfp4'), fakeQuantize(x, [2, 32], 'mxfp4', { blockAxis: 1 }));
    const d = fakeQuantizeDetailed(x, [2, 32], 'nvfp4');
    assert.ok(d.scaleInfo.kind === 'nvfp4' && d.scaleInfo.blockScales.length === 4 && d.scaleInfo.blockAxis === 1);
  });

  it('a scalar is quantized as one element', () => {
    // amax 2.5: X = 2^(1-2), 2.5/X = 5 is a tie between 4 and 6 -> 4 -> 2
    assert.deepEqual(Array.from(fakeQuantize(new Float32Array([2.5]), [], 'mxfp4')), [2]);
  });

  it('rejects a shape that does not match the data, naming the tensor', () => {
    assert.throws(
      () => fakeQuantize(x, [8, 9], 'int8', { tensor: 'w' }),
      (e: unknown) => e instanceof BadInputError && e.code === 'quant.shape-mismatch' && e.message.includes('tensor "w": shape [8, 9] (72 elements)'),
    );
    assert.throws(() => fakeQuantize(x, [64], 'mxfp4', { blockAxis: 3 }), { code: 'quant.bad-axis' });
  });
});

describe('quant/representableGrid', () => {
  it('int formats: integer levels times the scale, shifted by the zero point', () => {
    assert.deepEqual(Array.from(representableGrid('int4')), [-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(representableGrid('int8').length, 255);
    assert.equal(representableGrid('int8_asym_per_tensor').length, 256);
    const g = representableGrid('int4_asym_per_tensor', { scale: 0.25, zeroPoint: -5 });
    assert.deepEqual([g[0], g[15]], [-0.75, 3]);
  });

  it('fp8: the element grid times the per-tensor scale', () => {
    const g = representableGrid('fp8_e4m3', { scale: 2 });
    assert.equal(g.length, 253);
    assert.deepEqual([g[0], g[126], g[127], g[252]], [-896, 0, 2 ** -8, 896]);
  });

  it('block formats: the unscaled element grid, ascending', () => {
    assert.deepEqual(Array.from(representableGrid('nvfp4')), [-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 6]);
    assert.deepEqual(Array.from(representableGrid('mxfp4', { scale: 8 })), Array.from(representableGrid('nvfp4')));
    const m = representableGrid('mxint8');
    assert.deepEqual([m[0], m[127], m[254]], [-127 / 64, 0, 127 / 64]);
  });
});
