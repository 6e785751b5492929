import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkRowSums, float16ToFloat32, viewAttention } from '../../../extension/core/attention/layout';
import { BadInputError } from '../../../extension/core/errors';

/** Deterministic row-stochastic [B, H, T, T] probabilities (softmax of a seeded LCG). */
function probabilities(B: number, H: number, T: number, seed = 1): Float32Array {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const out = new Float32Array(B * H * T * T);
  for (let r = 0; r < B * H * T; r++) {
    const logits = Array.from({ length: T }, () => 4 * next());
    const z = logits.reduce((s, x) => s + Math.exp(x), 0);
    logits.forEach((x, j) => (out[r * T + j] = Math.exp(x) / z));
  }
  return out;
}

describe('attention layout views', () => {
  it('[B,H,T,T] and [B*H,T,T] give identical per-head maps (property, seeded)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (B, H, T, seed) => {
      const data = probabilities(B, H, T, Math.abs(seed) % 1000 + 1);
      const four = viewAttention(data, [B, H, T, T]);
      const three = viewAttention(data, [B * H, T, T], { heads: H });
      assert.equal(four.layout, '[B,H,T,T]');
      assert.equal(three.layout, '[B*H,T,T]');
      assert.deepEqual([three.batch, three.heads, three.seqLen], [B, H, T]);
      for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) assert.deepEqual(Array.from(four.map(b, h)), Array.from(three.map(b, h)));
    }), { seed: 3, numRuns: 40 });
  });

  it('map(b, h)[i·T + j] is element [b, h, i, j] and is a view, not a copy', () => {
    const B = 2, H = 3, T = 4;
    const data = Float32Array.from({ length: B * H * T * T }, (_, x) => x);
    const view = viewAttention(data, [B, H, T, T]);
    const m = view.map(1, 2);
    assert.equal(m[2 * T + 3], ((1 * H + 2) * T + 2) * T + 3);
    assert.equal(m.buffer, data.buffer);
    assert.equal(m.byteOffset, (1 * H + 2) * T * T * 4);
    assert.deepEqual(view.maps(0).map((x) => x[0]), [0, 16, 32]);
    assert.throws(() => view.map(2, 0), RangeError);
  });

  it('rejects shapes that do not fit, naming the tensor and the cause', () => {
    const data = new Float32Array(2 * 3 * 4 * 4);
    const rejects = (dims: number[], options: { heads?: number; tensor?: string; file?: string }, pattern: RegExp): void =>
      assert.throws(() => viewAttention(data, dims, options), (e: unknown) => e instanceof BadInputError && e.code === 'attention-shape' && pattern.test(e.message));
    rejects([6, 4, 4], { tensor: 'attn_probs' }, /'attn_probs'.*needs the number of heads/);
    rejects([6, 4, 4], { heads: 4 }, /not a multiple of 4 heads/);
    rejects([2, 3, 4, 4], { heads: 2 }, /expected 2 heads/);
    rejects([2, 3, 8, 2], {}, /last two axes/);
    rejects([2, 3, 4, 5], {}, /last two axes/);
    rejects([2, 2, 4, 4], {}, /holds 96 values, the shape needs 64/);
    rejects([96], {}, /expected \[B, H, T, T\]/);
    assert.throws(() => viewAttention(data, [6, 4, 4], { file: 'model.onnx' }), (e: unknown) => e instanceof BadInputError && e.file === 'model.onnx');
  });

  it('float16 bits widen exactly', () => {
    const bits = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x0001, 0x7bff, 0x7c00, 0xfc00, 0x8000, 0x3555]);
    const out = Array.from(float16ToFloat32(bits));
    assert.deepEqual(out.slice(0, 8), [1, -2, 0.5, 2 ** -24, 65504, Infinity, -Infinity, -0]);
    assert.equal(out[8], Math.fround(0.333251953125));
    assert.ok(Number.isNaN(float16ToFloat32(Uint16Array.from([0x7e00]))[0]));
  });

  it('softmax rows sum to 1 within 1e-5 and the check reports the worst row', () => {
    const data = probabilities(2, 2, 5);
    const view = viewAttention(data, [2, 2, 5, 5]);
    const good = checkRowSums(view);
    assert.equal(good.ok, true);
    assert.equal(good.rowsChecked, 20);
    assert.ok(good.worst !== undefined && good.worst.deviation < 1e-6);
    data[((1 * 2 + 0) * 5 + 3) * 5 + 1]! += 0.01; // sample 1, head 0, row 3
    const bad = checkRowSums(view);
    assert.equal(bad.ok, false);
    assert.deepEqual([bad.worst?.sample, bad.worst?.head, bad.worst?.row], [1, 0, 3]);
    assert.ok(Math.abs(bad.worst!.deviation - 0.01) < 1e-6);
    assert.equal(checkRowSums(view, { tolerance: 0.02 }).ok, true);
  });

  it('checks only valid rows over valid keys; NaN rows are the worst', () => {
    // One sample, one head, T = 3, valid length 2: rows 0..1 sum to 1 over keys 0..1, row 2 is garbage.
    const data = Float32Array.from([0.5, 0.5, 0, 0.25, 0.75, 0, 9, 9, 9]);
    const view = viewAttention(data, [1, 1, 3, 3]);
    const check = checkRowSums(view, { validity: [2] });
    assert.equal(check.ok, true);
    assert.equal(check.rowsChecked, 2);
    assert.equal(checkRowSums(view).ok, false);
    data[1] = Number.NaN;
    const nan = checkRowSums(view, { validity: [2] });
    assert.equal(nan.ok, false);
    assert.equal(nan.worst?.row, 0);
    assert.ok(Number.isNaN(nan.worst!.deviation));
  });
});
