/**
 * analyzeWeights: which tensors, which axes, values equal to a direct fakeQuantize + tensorError,
 * skipped reasons, the integer-only error, external data, workers, cancellation, progress.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BadInputError, CancelledError } from '../../../extension/core/errors';
import { decodeModel, encodeModel, loadModel, nodeFileAccess, tensorToFloat32, weightTensors } from '../../../extension/core/onnx';
import type { FileAccess, LoadedModel } from '../../../extension/core/onnx';
import { analyzeWeights } from '../../../extension/core/quant/analyze';
import { tensorError } from '../../../extension/core/quant/error';
import { FORMAT_IDS } from '../../../extension/core/quant/formats';
import type { FormatId } from '../../../extension/core/quant/formats';
import { fakeQuantize, fakeQuantizeDetailed, representableGrid } from '../../../extension/core/quant/quantize';
import type { QuantizationSection, QuantTensorInfo } from '../../../extension/protocol/quant';
import { constant, f16, f32, ints, model, node, seeded } from './models';

const ROOT = resolve(__dirname, '../../..');
const FIXTURES = join(ROOT, 'test/fixtures/onnx');
const WORKER = join(ROOT, 'extension/core/quant/quant.worker.ts');

/** NaN-aware deep equality of metric records. */
function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

function info(s: QuantizationSection, name: string): QuantTensorInfo {
  const i = s.tensorInfo.find((t) => t.name === name);
  assert.ok(i, `no tensorInfo for ${name}`);
  return i;
}

/** Every tensor × format entry equals a direct fake quantization with the recorded axes. */
async function assertMatchesDirect(loaded: LoadedModel, s: QuantizationSection): Promise<void> {
  const weights = new Map(weightTensors(loaded.proto).map((w) => [w.name, w.tensor]));
  assert.equal(s.tensors.length, s.tensorInfo.length * s.formats.length);
  let k = 0;
  for (const t of s.tensorInfo) {
    const tensor = weights.get(t.name);
    assert.ok(tensor);
    const x = await tensorToFloat32(loaded, tensor);
    for (const format of s.formats) {
      const row = s.tensors[k++];
      assert.ok(row);
      assert.deepEqual([row.name, row.format], [t.name, format]);
      const q = fakeQuantize(x, [...t.shape], format, { channelAxis: t.channelAxis, blockAxis: t.blockAxis, blockFlattenTrailing: t.blockFlattenTrailing, mxRounding: s.settings.mxRounding });
      const e = tensorError(x, q);
      for (const key of ['mse', 'sqnr_db', 'max_abs', 'rel_fro', 'cosine'] as const) {
        assert.ok(sameNumber(row[key], e[key]), `${t.name} ${format} ${key}: ${row[key]} != ${e[key]}`);
      }
    }
  }
}

// ---- a synthetic model covering every consumer kind ----

const W_NAN = seeded(32 * 40, 9);
W_NAN[3] = NaN;
W_NAN[100] = NaN;
W_NAN[200] = Infinity;
W_NAN[300] = -Infinity;
const W_OUT = Float32Array.from(seeded(64 * 64, 10), (v) => v * 0.01);
W_OUT[5 * 64 + 7] = 100; // one outlier at row 5, column 7

function zoo(): LoadedModel {
  const nodes = [
    node('Gemm', ['x', 'W_gemm_t', 'b_small'], ['g1'], { transB: 1 }),
    node('Gemm', ['g1', 'W_gemm'], ['g2'], { transB: 0 }),
    node('Conv', ['g2', 'W_conv'], ['c1']),
    node('MatMul', ['c1', 'W_mm'], ['m1']),
    node('Transpose', ['W_tr'], ['W_tr_t'], {}, [1, 0]),
    node('MatMul', ['m1', 'W_tr_t'], ['m2']),
    constant('W_const', f32('W_const_value', [40, 40], seeded(1600, 4))),
    node('MatMul', ['m2', 'W_const'], ['m3']),
    node('Cast', ['W_f16'], ['W_f16_f32'], { to: 1 }),
    node('MatMul', ['m3', 'W_f16_f32'], ['m4']),
    node('MatMul', ['m4', 'W_shared'], ['m5']),
    node('Gemm', ['m5', 'W_shared'], ['m6'], { transB: 1 }),
    node('MatMul', ['m6', 'W_nan'], ['m7']),
    node('MatMul', ['m7', 'W_allnan'], ['m8']),
    node('MatMul', ['m8', 'W_out'], ['m9']),
    node('Reshape', ['m9', 'shape'], ['m10']),
    node('Add', ['m10', 'hand'], ['y']),
  ];
  const initializers = [
    f32('W_gemm_t', [64, 32], seeded(64 * 32, 1)),
    f32('b_small', [8], seeded(8, 2)),
    f32('W_gemm', [32, 64], seeded(32 * 64, 2)),
    f32('W_conv', [16, 8, 3, 3], seeded(16 * 8 * 9, 3)),
    f32('W_mm', [32, 48], seeded(32 * 48, 5)),
    f32('W_tr', [48, 32], seeded(48 * 32, 6)),
    f16('W_f16', [32, 64], Array.from({ length: 32 * 64 }, (_, i) => ((i % 17) - 8) / 2)),
    f32('W_shared', [32, 32], seeded(1024, 7)),
    f32('W_nan', [32, 40], W_NAN),
    f32('W_allnan', [32, 32], new Float32Array(1024).fill(NaN)),
    f32('W_out', [64, 64], W_OUT),
    ints('shape', [2], 7, [-1, 4]),
    ints('W_int8', [64, 64], 3, Array.from({ length: 4096 }, (_, i) => (i % 255) - 127)),
    f32('W_unused', [33, 33], seeded(33 * 33, 8)),
    f32('hand', [4], new Float32Array([0.5, -1.25, 2.5, 7.0])),
  ];
  return decodeModel(encodeModel(model(nodes, initializers)), '/virtual/zoo.onnx');
}

describe('quant/analyzeWeights on a synthetic model', () => {
  let loaded: LoadedModel;
  let s: QuantizationSection;
  before(async () => {
    loaded = zoo();
    s = await analyzeWeights(loaded, { minElements: 1000 });
  });

  it('analyses every float weight ≥ minElements, in weight order, with every format', () => {
    assert.deepEqual(s.formats, [...FORMAT_IDS]);
    assert.deepEqual(s.tensorInfo.map((t) => t.name), ['W_gemm_t', 'W_gemm', 'W_conv', 'W_mm', 'W_tr', 'W_f16', 'W_shared', 'W_nan', 'W_out', 'W_unused', 'W_const']);
    assert.equal(s.tensors.length, 11 * 17);
  });

  it('skips small, integer and all-NaN tensors with the reason', () => {
    assert.deepEqual(s.skipped.map((k) => [k.name, k.code]), [
      ['b_small', 'too-small'],
      ['shape', 'not-float'],
      ['W_int8', 'not-float'],
      ['hand', 'too-small'],
      ['W_allnan', 'non-finite'],
    ]);
    assert.equal(s.skipped[0]?.reason, '8 elements, below the minimum of 1000');
    assert.equal(s.skipped[2]?.reason, 'int8 tensor: only float weights are quantized');
    assert.equal(s.skipped[4]?.reason, 'all 1024 values are NaN or ±Inf');
  });

  it('chooses axes from the consuming op (Gemm transB, Conv, MatMul, through Transpose and Cast)', () => {
    const axes = (n: string): unknown => {
      const i = info(s, n);
      return [i.op, i.inputIndex, i.channelAxis, i.blockAxis, i.blockFlattenTrailing, i.via];
    };
    assert.deepEqual(axes('W_gemm_t'), ['Gemm', 1, 0, 1, false, []]);
    assert.deepEqual(axes('W_gemm'), ['Gemm', 1, 1, 0, false, []]);
    assert.deepEqual(axes('W_conv'), ['Conv', 1, 0, 1, true, []]);
    assert.deepEqual(axes('W_mm'), ['MatMul', 1, 1, 0, false, []]);
    // W_tr [48, 32] is transposed to [32, 48] = MatMul B [K, N]: N is the weight's axis 0
    assert.deepEqual(axes('W_tr'), ['MatMul', 1, 0, 1, false, ['Transpose']]);
    assert.deepEqual(axes('W_f16'), ['MatMul', 1, 1, 0, false, ['Cast']]);
    assert.deepEqual(axes('W_const'), ['MatMul', 1, 1, 0, false, []]);
    assert.deepEqual(axes('W_unused'), [null, -1, 0, 1, false, []]);
    assert.equal(info(s, 'W_const').source, 'constant');
    assert.equal(info(s, 'W_f16').dtype, 'float16');
  });

  it('records a second consumer whose axes differ, and keeps the first', () => {
    const shared = info(s, 'W_shared');
    assert.deepEqual([shared.op, shared.channelAxis, shared.blockAxis], ['MatMul', 1, 0]);
    assert.deepEqual(shared.axisConflicts, [{ op: 'Gemm', node: 'Gemm_m6', inputIndex: 1, channelAxis: 0, blockAxis: 1 }]);
    assert.deepEqual(info(s, 'W_mm').axisConflicts, []);
  });

  it('graph order: the direct consumer\'s node index (the Cast for W_f16); unconsumed weights after every node', () => {
    assert.deepEqual(s.tensorInfo.map((t) => t.graphIndex), [0, 1, 2, 3, 4, 8, 10, 12, 14, 17 + 13, 7]);
  });

  it('every value equals a direct fakeQuantize + tensorError of the tensor', async () => {
    await assertMatchesDirect(loaded, s);
  });

  it('NaN/Inf values are counted, excluded from the metrics, and the rest analysed', () => {
    assert.equal(info(s, 'W_nan').nonFinite, 4);
    const row = s.tensors.find((t) => t.name === 'W_nan' && t.format === 'int8');
    assert.ok(row && Number.isFinite(row.sqnr_db) && row.sqnr_db > 30);
    const h = info(s, 'W_nan').histogram;
    assert.equal(h.counts.reduce((a, b) => a + b, 0), 32 * 40 - 4);
  });

  it('histograms: 64 bins over [−amax, amax] holding every finite value', () => {
    for (const t of s.tensorInfo) {
      assert.equal(t.histogram.counts.length, 64);
      assert.equal(t.histogram.min, -t.histogram.max);
      assert.equal(t.histogram.counts.reduce((a, b) => a + b, 0), t.elements - t.nonFinite);
    }
    // W_f16 holds (k − 8)/2 for k = 0..16: amax 4, the value 4 lands in the last bin, −4 in the first
    const h = info(s, 'W_f16').histogram;
    assert.equal(h.max, 4);
    const n4 = Array.from({ length: 32 * 64 }, (_, i) => i % 17).filter((k) => k === 16).length;
    assert.equal(h.counts[63], n4);
    assert.equal(h.counts[0], Array.from({ length: 32 * 64 }, (_, i) => i % 17).filter((k) => k === 0).length);
  });

  it('outliers per block: the planted value is found in the right block for both block sizes', () => {
    const o = info(s, 'W_out').outliers;
    assert.equal(o.total, 1);
    assert.equal(o.k, 6);
    // blocks run along axis 0 (MatMul B): view [1, 64, 64]; row 5 is block 0, column 7 → index 7
    assert.deepEqual(o.byBlockSize.map((b) => [b.blockSize, b.blocks, b.blocksWithOutliers, b.maxInBlock, b.top]), [
      [32, 2 * 64, 1, 1, [{ block: 7, count: 1 }]],
      [16, 4 * 64, 1, 1, [{ block: 7, count: 1 }]],
    ]);
    assert.equal(info(s, 'W_mm').outliers.total, 0);
  });

  it('per-tensor grids use the scales of fakeQuantizeDetailed', async () => {
    const perTensor: FormatId[] = ['int8_per_tensor', 'int4_per_tensor', 'int8_asym_per_tensor', 'int4_asym_per_tensor', 'fp8_e4m3', 'fp8_e5m2'];
    assert.equal(s.grids.length, s.tensorInfo.length * perTensor.length);
    const tensor = weightTensors(loaded.proto).find((w) => w.name === 'W_nan')?.tensor;
    assert.ok(tensor);
    const x = await tensorToFloat32(loaded, tensor);
    for (const format of perTensor) {
      const g = s.grids.find((e) => e.name === 'W_nan' && e.format === format);
      assert.ok(g);
      const d = fakeQuantizeDetailed(x, [32, 40], format).scaleInfo;
      if (d.kind === 'int') {
        assert.deepEqual([g.scale, g.zeroPoint], [d.scales[0], d.zeroPoints[0]]);
        assert.deepEqual(g.values, Array.from(representableGrid(format, { scale: d.scales[0] ?? 0, zeroPoint: d.zeroPoints[0] ?? 0 })));
      } else if (d.kind === 'fp8') {
        assert.equal(g.scale, d.scale);
        assert.deepEqual(g.values, Array.from(representableGrid(format, { scale: d.scale })));
      } else assert.fail(`unexpected scale kind for ${format}`);
      // every quantized value lies on the grid
      const grid = new Set(g.values);
      const q = fakeQuantize(x, [32, 40], format);
      for (const v of q) if (Number.isFinite(v)) assert.ok(grid.has(v === 0 ? 0 : v), `${format}: ${v} off the grid`);
    }
  });

  it('summaryByFormat: mean and worst SQNR, element-weighted MSE', () => {
    for (const f of s.summaryByFormat) {
      const rows = s.tensors.filter((t) => t.format === f.format);
      const worst = rows.reduce((a, b) => (b.sqnr_db < a.sqnr_db ? b : a));
      assert.deepEqual([f.worstTensor, f.worstSqnrDb], [worst.name, worst.sqnr_db]);
      const finite = rows.filter((r) => Number.isFinite(r.sqnr_db));
      assert.ok(Math.abs(f.meanSqnrDb - finite.reduce((a, r) => a + r.sqnr_db, 0) / finite.length) < 1e-9);
      const counts = rows.map((r) => info(s, r.name)).map((i) => i.elements - i.nonFinite);
      const expected = rows.reduce((a, r, i) => a + r.mse * (counts[i] ?? 0), 0) / counts.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(f.totalMse - expected) <= 1e-12 * expected);
    }
  });

  it('hand check: MXFP4 of the block [0.5, −1.25, 2.5, 7] (FORMULAS.md §C) → [0.5, −1, 2, 6]', async () => {
    const r = await analyzeWeights(loaded, { minElements: 4, formats: 'mxfp4,int8' });
    const row = r.tensors.find((t) => t.name === 'hand' && t.format === 'mxfp4');
    // e = [0, 0.25, 0.5, 1]: Σe² = 1.3125, Σx² = 57.0625, ⟨x, x̂⟩ = 0.25 + 1.25 + 5 + 42 = 48.5, ‖x̂‖² = 41.25
    assert.deepEqual(row, {
      name: 'hand',
      format: 'mxfp4',
      mse: 1.3125 / 4,
      sqnr_db: 10 * Math.log10(57.0625 / 1.3125),
      max_abs: 1,
      rel_fro: Math.sqrt(1.3125) / Math.sqrt(57.0625),
      cosine: 48.5 / (Math.sqrt(57.0625) * Math.sqrt(41.25)),
    });
    const h = info(r, 'hand');
    assert.deepEqual([h.channelAxis, h.blockAxis, h.op], [null, 0, 'Add']);
    // rhaz rounds −1.25 to −1.5 and 2.5 to 3: e = [0, 0.25, 0.5, 1] in magnitude as well
    const rh = await analyzeWeights(loaded, { minElements: 4, formats: 'mxfp4', mxRounding: 'rhaz' });
    assert.equal(rh.settings.mxRounding, 'rhaz');
    assert.equal(rh.tensors.find((t) => t.name === 'hand')?.cosine, (0.25 + 1.875 + 7.5 + 42) / (Math.sqrt(57.0625) * Math.sqrt(0.25 + 2.25 + 9 + 36)));
  });

  it('formats are parsed by the formats module; unknown names are its error', async () => {
    const r = await analyzeWeights(loaded, { formats: ['nvfp4', 'int8'] });
    assert.deepEqual(r.formats, ['nvfp4', 'int8']);
    assert.deepEqual(r.tensors.slice(0, 2).map((t) => t.format), ['nvfp4', 'int8']);
    await assert.rejects(analyzeWeights(loaded, { formats: 'int8,int3' }), (e: unknown) => e instanceof BadInputError && e.code === 'quant.unknown-format' && /unknown format "int3"/.test(e.message));
    await assert.rejects(analyzeWeights(loaded, { minElements: 0 }), (e: unknown) => e instanceof BadInputError && e.code === 'quant.bad-min-elements');
  });
});

describe('quant/analyzeWeights: integer-only and small models', () => {
  const code = (e: unknown): string => (e instanceof BadInputError ? e.code : 'not a BadInputError');

  it('a QDQ model: already quantized, and its small float tensors are named', async () => {
    const path = join(FIXTURES, 'qdq.onnx');
    await assert.rejects(analyzeWeights(path), (e: unknown) => {
      assert.equal(code(e), 'quant.no-float-weights');
      assert.equal(
        (e as Error).message,
        `${path}: no float weight tensors with ≥ 1024 elements: the model is already quantized (3 low-bit weight tensors, 3 quantization ops); use Compare Models against its float checkpoint; its 2 float tensors are smaller (largest 'x_scale', 1 element); lower the minimum size (--min-elements) to analyse them`,
      );
      return true;
    });
  });

  it('an int8-only model: already quantized, nothing about small tensors', async () => {
    const m = decodeModel(encodeModel(model([node('MatMulInteger', ['x', 'Wq'], ['y'])], [ints('Wq', [64, 64], 3, new Array(4096).fill(1))])), '/virtual/int8.onnx');
    await assert.rejects(analyzeWeights(m), (e: unknown) => {
      assert.equal(code(e), 'quant.no-float-weights');
      assert.equal((e as Error).message, '/virtual/int8.onnx: no float weight tensors with ≥ 1024 elements: the model is already quantized (1 low-bit weight tensor, 1 quantization op); use Compare Models against its float checkpoint');
      return true;
    });
  });

  it('a float model whose weights are all small: says so and how to include them', async () => {
    const path = join(FIXTURES, 'mlp.onnx');
    await assert.rejects(analyzeWeights(path), (e: unknown) => {
      assert.equal((e as Error).message, `${path}: no float weight tensors with ≥ 1024 elements: its 4 float tensors are smaller (largest 'W1', 32 elements); lower the minimum size (--min-elements) to analyse them`);
      return true;
    });
  });

  it('fixtures with a lower minimum: MLP, Constant-node weights, subgraph weights', async () => {
    const mlp = await loadModel(join(FIXTURES, 'mlp.onnx'));
    const s = await analyzeWeights(mlp, { minElements: 1 });
    assert.deepEqual(s.tensorInfo.map((t) => [t.name, t.op, t.channelAxis, t.blockAxis]), [
      ['W1', 'MatMul', 1, 0],
      ['b1', 'Add', null, 0],
      ['W2', 'MatMul', 1, 0],
      ['b2', 'Add', null, 0],
    ]);
    await assertMatchesDirect(mlp, s);
    const cw = await loadModel(join(FIXTURES, 'constant-weights.onnx'));
    const c = await analyzeWeights(cw, { minElements: 1, formats: 'int8,mxfp4' });
    assert.deepEqual(c.tensorInfo.map((t) => [t.name, t.source, t.op, t.inputIndex, t.channelAxis, t.blockAxis]), [
      ['W', 'constant', 'Gemm', 1, 1, 0],
      ['b', 'constant', 'Gemm', 2, null, 0],
    ]);
    await assertMatchesDirect(cw, c);
    const sub = await analyzeWeights(join(FIXTURES, 'if-subgraph.onnx'), { minElements: 1, formats: 'int8' });
    assert.deepEqual(sub.tensorInfo.map((t) => [t.name, t.graphPath, t.op]), [['two', '', 'Mul'], ['one', "node 'choose' then_branch", 'Add']]);
  });
});

describe('quant/analyzeWeights: external data', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'quant-ext-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads external tensors lazily: only the analysed ones, and matches the bytes', async () => {
    const reads: string[] = [];
    const files: FileAccess = {
      stat: (p) => nodeFileAccess.stat(p),
      read: (p, offset, length, signal) => {
        reads.push(`${offset}+${length}`);
        return nodeFileAccess.read(p, offset, length, signal);
      },
    };
    const loaded = await loadModel(join(FIXTURES, 'external-data.onnx'), { files });
    assert.deepEqual(reads, []);
    const s = await analyzeWeights(loaded, { minElements: 16 });
    assert.deepEqual(reads, ['0+128', '160+64']); // W1 and W2; b1 (8) and b2 (2) are too small
    assert.deepEqual(s.tensorInfo.map((t) => t.name), ['W1', 'W2']);
    const bin = readFileSync(join(FIXTURES, 'external-data.bin'));
    const w1 = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + 128));
    const row = s.tensors.find((t) => t.name === 'W1' && t.format === 'int4');
    const e = tensorError(w1, fakeQuantize(w1, [4, 8], 'int4', { channelAxis: 1 }));
    assert.deepEqual(row, { name: 'W1', format: 'int4', mse: e.mse, sqnr_db: e.sqnr_db, max_abs: e.max_abs, rel_fro: e.rel_fro, cosine: e.cosine });
    await assertMatchesDirect(loaded, s);
  });

  it('unreadable external tensors are skipped with the cause; none readable is an error', async () => {
    copyFileSync(join(FIXTURES, 'external-data.onnx'), join(dir, 'external-data.onnx'));
    writeFileSync(join(dir, 'external-data.bin'), readFileSync(join(FIXTURES, 'external-data.bin')).subarray(0, 160));
    const s = await analyzeWeights(join(dir, 'external-data.onnx'), { minElements: 16, formats: 'int8' });
    assert.deepEqual(s.tensorInfo.map((t) => t.name), ['W1']);
    const skip = s.skipped.find((k) => k.name === 'W2');
    assert.equal(skip?.code, 'unreadable');
    assert.match(skip?.reason ?? '', /tensor 'W2' needs bytes 160\.\.224 of .*external-data\.bin, which has only 160 bytes/);
    rmSync(join(dir, 'external-data.bin'));
    await assert.rejects(analyzeWeights(join(dir, 'external-data.onnx'), { minElements: 16 }), (e: unknown) => {
      assert.ok(e instanceof BadInputError);
      assert.equal(e.code, 'quant.nothing-analysed');
      assert.match(e.message, /no float weight could be analysed: 'W1': .*which does not exist; 'W2': /);
      return true;
    });
  });
});

describe('quant/analyzeWeights: demo models', () => {
  const demo = (name: string): string => join(ROOT, 'examples', name);
  const present = (name: string): boolean => existsSync(demo(name));

  it('income-mlp: Gemm transB=1 weights are per output row, blocks along the input', { skip: !present('income-mlp.onnx') }, async () => {
    const loaded = await loadModel(demo('income-mlp.onnx'));
    const s = await analyzeWeights(loaded, { minElements: 64 });
    assert.deepEqual(s.tensorInfo.map((t) => [t.name, t.op, t.channelAxis, t.blockAxis]), [
      ['net.0.weight', 'Gemm', 0, 1],
      ['net.2.weight', 'Gemm', 0, 1],
      ['net.4.weight', 'Gemm', 0, 1],
    ]);
    await assertMatchesDirect(loaded, s);
  });

  it('shapes-cnn: Conv weights flatten [Co, Ci·kh·kw] for blocks', { skip: !present('shapes-cnn.onnx') }, async () => {
    const loaded = await loadModel(demo('shapes-cnn.onnx'));
    const s = await analyzeWeights(loaded, { minElements: 64, formats: 'int8,int4_asym,mxfp4,nvfp4,fp8_e4m3' });
    assert.deepEqual(s.tensorInfo.map((t) => [t.name, t.op, t.channelAxis, t.blockAxis, t.blockFlattenTrailing]), [
      ['block1.0.weight', 'Conv', 0, 1, true],
      ['block2.0.weight', 'Conv', 0, 1, true],
      ['block3.0.weight', 'Conv', 0, 1, true],
      ['fc.weight', 'Gemm', 0, 1, false],
    ]);
    await assertMatchesDirect(loaded, s);
  });

  it('tiny-transformer: default minimum keeps the 1024+ weights; MatMul B per column', { skip: !present('tiny-transformer.onnx') }, async () => {
    const loaded = await loadModel(demo('tiny-transformer.onnx'));
    const s = await analyzeWeights(loaded, { formats: 'int8,mxfp8_e4m3' });
    assert.equal(s.tensorInfo.length, 13);
    assert.ok(s.tensorInfo.every((t) => t.elements >= 1024));
    assert.deepEqual(info(s, 'emb.weight').op, 'Gather');
    assert.ok(s.tensorInfo.filter((t) => t.op === 'MatMul').every((t) => t.channelAxis === 1 && t.blockAxis === 0));
    await assertMatchesDirect(loaded, s);
  });
});

describe('quant/analyzeWeights: workers, cancellation, progress', () => {
  it('the worker pool gives exactly the in-process results (big tensors split across 2 workers)', async () => {
    const loaded = zoo();
    const inProcess = await analyzeWeights(loaded, { minElements: 1000 });
    const pooled = await analyzeWeights(loaded, { minElements: 1000, workerPath: WORKER, workerExecArgv: ['--require', 'tsx/cjs'], workers: 2, workerThreshold: 1500 });
    assert.deepEqual(pooled, inProcess);
  });

  it('an aborted signal cancels before and during the work, in-process and with workers', async () => {
    const loaded = zoo();
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(analyzeWeights(loaded, { signal: pre.signal }), CancelledError);
    for (const pool of [false, true]) {
      // abort while the second weight is being read (the first may be in a worker by then)
      const ac = new AbortController();
      let reads = 0;
      const files: FileAccess = {
        stat: (p) => nodeFileAccess.stat(p),
        read: (p, offset, length, signal) => {
          if (++reads === 2) ac.abort();
          return nodeFileAccess.read(p, offset, length, signal);
        },
      };
      const ext = await loadModel(join(FIXTURES, 'external-data.onnx'), { files });
      const options = {
        minElements: 16,
        signal: ac.signal,
        ...(pool ? { workerPath: WORKER, workerExecArgv: ['--require', 'tsx/cjs'], workers: 2, workerThreshold: 16 } : {}),
      };
      await assert.rejects(analyzeWeights(ext, options), CancelledError);
      assert.equal(reads, 2);
    }
  });

  it('progress is throttled, non-decreasing and ends at 1', async () => {
    const seen: number[] = [];
    await analyzeWeights(zoo(), { minElements: 1000, formats: 'int8', onProgress: (f) => seen.push(f) });
    assert.equal(seen[0], 0);
    assert.equal(seen[seen.length - 1], 1);
    assert.ok(seen.every((f, i) => i === 0 || f >= (seen[i - 1] ?? 0)));
    assert.ok(seen.length <= 4, `throttled to about once a second: ${seen.length} calls`);
  });
});
