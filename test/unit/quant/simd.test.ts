/**
 * The WebAssembly SIMD kernels (extension/core/quant/simd) against the scalar code, bit for bit:
 * seeded property tests over shapes, axes (contiguous and strided channels and blocks, partial
 * blocks, tails that are not a multiple of 4) and data with ties, subnormals, zeros of both signs,
 * NaN and ±Inf. Also: the assembler's output validates, and the covered layouts do use the kernels.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FORMAT_IDS } from '../../../extension/core/quant/formats';
import type { FormatId } from '../../../extension/core/quant/formats';
import { E4M3 } from '../../../extension/core/quant/minifloat';
import { fakeQuantizeDetailed } from '../../../extension/core/quant/quantize';
import type { QuantizeOptions } from '../../../extension/core/quant/quantize';
import { simdKernels } from '../../../extension/core/quant/simd/kernels';
import { tensorError } from '../../../extension/core/quant/error';
import { KERNELS_WAT } from '../../../extension/core/quant/simd/source';
import { assembleWat } from '../../../extension/core/quant/simd/wat';
import { seededRandom } from '../../../extension/core/runtime/forward';

const SEED = 20261206;

/** Values of every kind the formats treat specially, drawn with a seeded generator. */
function makeData(n: number, seed: number, specials: boolean): Float32Array {
  const rnd = seededRandom(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const kind = rnd();
    if (kind < 0.5) x[i] = (rnd() + rnd() + rnd() - 1.5) * 2 ** Math.floor(rnd() * 16 - 8);
    else if (kind < 0.8) x[i] = (Math.floor(rnd() * 512) - 256) / 2 ** Math.floor(rnd() * 8); // grid midpoints
    else if (kind < 0.85) x[i] = (rnd() - 0.5) * 2 ** -130; // subnormals
    else if (kind < 0.9) x[i] = rnd() < 0.5 ? 0 : -0;
    else if (kind < 0.93 && specials) x[i] = [NaN, Infinity, -Infinity][Math.floor(rnd() * 3)] ?? NaN;
    else x[i] = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 6);
  }
  return x;
}

function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, what);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) {
      assert.fail(`${what}: at ${i} simd ${a[i]} (0x${ua[i]?.toString(16)}) scalar ${b[i]} (0x${ub[i]?.toString(16)})`);
    }
  }
}

function compare(data: Float32Array, shape: number[], format: FormatId, opts: QuantizeOptions): void {
  const what = `${format} [${shape.join(',')}] ${JSON.stringify(opts)}`;
  const simd = fakeQuantizeDetailed(data, shape, format, { ...opts, kernels: 'simd' });
  const scalar = fakeQuantizeDetailed(data, shape, format, { ...opts, kernels: 'scalar' });
  sameBits(simd.values, scalar.values, what);
  assert.deepEqual(simd.scaleInfo, scalar.scaleInfo, what);
}

describe('quant SIMD kernels', () => {
  it('assemble to a valid module with SIMD', () => {
    const bytes = assembleWat(KERNELS_WAT);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    assert.notEqual(simdKernels(), null); // validated and instantiated
  });

  it('cover the usual layouts (no scalar fallback there)', () => {
    const k = simdKernels();
    assert.ok(k !== null);
    const x = makeData(64 * 48, 1, true);
    assert.notEqual(k.int(x, [64, 48], { bits: 8, symmetric: true }, 0), null); // channel rows
    assert.notEqual(k.int(x, [64, 48], { bits: 4, symmetric: false }, 1), null); // channel columns
    assert.notEqual(k.int(x, [64, 48], { bits: 8, symmetric: true }, null), null);
    assert.notEqual(k.fp8(x, E4M3), null);
    assert.notEqual(k.mx(x, { outer: 64, length: 48, inner: 1 }, E4M3, 'rne', 32), null);
    assert.notEqual(k.mx(x, { outer: 1, length: 64, inner: 48 }, E4M3, 'rne', 32), null);
    assert.notEqual(k.nvfp4(x, { outer: 64, length: 48, inner: 1 }, 16), null);
    assert.notEqual(k.nvfp4(x, { outer: 1, length: 64, inner: 48 }, 16), null);
    assert.equal(k.mx(x, { outer: 64, length: 48, inner: 1 }, E4M3, 'rhaz', 32), null);
  });

  it('equal the scalar code bit for bit on random shapes, axes and values (seeded)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FORMAT_IDS),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1 << 30 }),
        (format, shape, ca, ba, flatten, specials, seed) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const data = makeData(n, seed, specials);
          const rank = shape.length;
          compare(data, shape, format, { channelAxis: ca % rank, blockAxis: ba % rank, blockFlattenTrailing: flatten });
        },
      ),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('equal the scalar code on weight-like tensors of every layout the analysis uses', () => {
    const cases: Array<{ shape: number[]; opts: QuantizeOptions }> = [
      { shape: [96, 64], opts: { channelAxis: 1, blockAxis: 0 } }, // MatMul B
      { shape: [96, 64], opts: { channelAxis: 0, blockAxis: 1 } }, // Gemm B transB=1
      { shape: [100, 36], opts: { channelAxis: 1, blockAxis: 0 } }, // partial blocks, 36 columns
      { shape: [8, 3, 5, 5], opts: { channelAxis: 0, blockAxis: 1, blockFlattenTrailing: true } }, // Conv W
      { shape: [1003], opts: { channelAxis: null, blockAxis: 0 } },
      { shape: [7, 50], opts: { channelAxis: 0, blockAxis: 1 } },
    ];
    let seed = 3;
    for (const { shape, opts } of cases) {
      for (const specials of [false, true]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = makeData(n, seed++, specials);
        for (const format of FORMAT_IDS) compare(data, shape, format, opts);
      }
    }
  });

  it('equal the scalar code on tensors large enough to be processed in several kernel calls', () => {
    const cases: Array<{ shape: number[]; opts: QuantizeOptions }> = [
      { shape: [300, 1000], opts: { channelAxis: 1, blockAxis: 0 } }, // strided blocks, row groups, partial last block
      { shape: [70, 2048], opts: { channelAxis: 0, blockAxis: 1 } }, // contiguous blocks, spans
      { shape: [3, 40000], opts: { channelAxis: 0, blockAxis: 1 } }, // partial contiguous blocks per row
    ];
    let seed = 11;
    for (const { shape, opts } of cases) {
      const data = makeData(shape.reduce((a, b) => a * b, 1), seed++, true);
      for (const format of ['int8', 'int8_per_tensor', 'fp8_e5m2', 'mxfp4', 'mxint8', 'nvfp4'] as const) compare(data, shape, format, opts);
    }
  });

  it('equal the scalar code on per-channel INT processed tile by tile, with ±Inf in some tiles only', () => {
    // [channels, inner] on axis 0 runs in tiles of whole channels (kernels.ts intTiled), each
    // deciding on its own whether it holds ±Inf: the tensors span several tiles, a partial last one.
    const cases = [[1000, 100], [5000, 7], [40, 4096], [3, 40000]];
    let seed = 31;
    for (const shape of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = makeData(n, seed++, false);
      const inner = shape[1]!;
      data[Math.floor(shape[0]! / 2) * inner + 3] = Infinity; // one channel of a middle tile
      data[(shape[0]! - 1) * inner] = -Infinity; // the last channel
      data[1] = NaN;
      for (const format of ['int8', 'int4', 'int8_asym', 'int4_asym'] as const) {
        compare(data, shape, format, { channelAxis: 0, blockAxis: 1 });
        compare(makeData(n, seed, false), shape, format, { channelAxis: 0, blockAxis: 1 });
      }
    }
    // Channels on the last axis (MatMul B): tiles of whole rows, ranged in a first pass.
    for (const shape of [[40000, 8], [3000, 64], [7, 40000]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = makeData(n, seed++, false);
      data[(shape[0]! - 1) * shape[1]! + 2] = Infinity; // in the last tile only
      data[5] = -Infinity;
      for (const format of ['int8', 'int4_asym'] as const) {
        compare(data, shape, format, { channelAxis: 1, blockAxis: 0 });
        compare(makeData(n, seed, false), shape, format, { channelAxis: 1, blockAxis: 0 });
      }
    }
  });

  it('give the same values as transient views of their memory (for the tensor error) as in copies', () => {
    const shape = [64, 96];
    const data = makeData(64 * 96, 77, true);
    for (const format of FORMAT_IDS) {
      const opts = { channelAxis: 1, blockAxis: 0 } as const;
      const copy = fakeQuantizeDetailed(data, shape, format, opts).values;
      const view = fakeQuantizeDetailed(data, shape, format, { ...opts, transient: true }).values;
      sameBits(view, copy, `${format} transient`);
      assert.equal(tensorError(data, view).mse, tensorError(data, copy).mse);
    }
    const a = fakeQuantizeDetailed(data, shape, 'int8', { transient: true }).values;
    const b = fakeQuantizeDetailed(data, shape, 'int8', {}).values;
    assert.notEqual(a.buffer, b.buffer); // a copy is the caller's own
  });

  it('handle all-zero, all-NaN, tiny and huge tensors like the scalar code', () => {
    const shape = [8, 32];
    const fills = [0, -0, NaN, Infinity, 1e-45, 3e38, -3e38];
    for (const v of fills) {
      const data = new Float32Array(256).fill(v);
      data[5] = 1.5;
      for (const format of FORMAT_IDS) {
        compare(new Float32Array(256).fill(v), shape, format, { channelAxis: 1, blockAxis: 0 });
        compare(data, shape, format, { channelAxis: 0, blockAxis: 1 });
      }
    }
  });
});
