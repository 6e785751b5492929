/**
 * Existing quantized checkpoints: the hand-built QDQ and QOperator twins of a float MLP
 * (test/fixtures/quant/make-qdq.py, weights quantized by FORMULAS.md §C's int8 rule) matched to
 * the float model with errors equal to numpy's direct computation; the per-group run; and the
 * runQuant entry (report keys, impact + sensitivity on the float twin, bad input).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { runQuant } from '../../../extension/core/analyze/quant';
import { BadInputError, CancelledError } from '../../../extension/core/errors';
import { loadSpec } from '../../../extension/core/data';
import type { ResolvedSpec } from '../../../extension/core/data';
import { findInitializer, loadModel, tensorToFloat32 } from '../../../extension/core/onnx';
import { compareCheckpointWeights, dequantize, findQuantizedWeights } from '../../../extension/core/quant/dequantized';
import { compareCheckpoint } from '../../../extension/core/analyze/quantCheckpoint';
import { fakeQuantize } from '../../../extension/core/quant/quantize';
import type { QuantCheckpointTensor } from '../../../extension/protocol/quant';

const DIR = resolve(__dirname, '../../fixtures/quant');
const at = (name: string): string => join(DIR, name);
type Expected = Record<string, Record<string, { mse: number; sqnr_db: number; max_abs: number; rel_fro: number; cosine: number }>>;
const expected = JSON.parse(readFileSync(at('expected.json'), 'utf8')) as Expected;

function close(a: number, b: number, rel = 1e-12): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

function assertErrors(t: QuantCheckpointTensor, want: Expected[string][string] | undefined): void {
  assert.ok(want, `no expectation for ${t.name}`);
  assert.equal(t.mse, want.mse, `${t.name} mse`);
  assert.equal(t.max_abs, want.max_abs, `${t.name} max_abs`);
  for (const k of ['sqnr_db', 'rel_fro', 'cosine'] as const) assert.ok(close(t[k], want[k]), `${t.name} ${k}: ${t[k]} vs ${want[k]}`);
}

describe('dequantize', () => {
  it('(q − zp)·scale per axis in float32', () => {
    const q = Int32Array.from([0, 1, 2, 3, 4, 5]);
    const out = dequantize(q, [2, 3], Float32Array.of(0.5, 0.25, 0.1), Int32Array.of(1, 0, 2), 1);
    assert.deepEqual([...out], [-0.5, 0.25, 0, 1, 1, Math.fround(Math.fround(0.1) * 3)]);
    assert.deepEqual([...dequantize(q, [6], Float32Array.of(2), null, null)], [0, 2, 4, 6, 8, 10]);
  });
});

describe('QDQ checkpoint', () => {
  it('matches both weights to the float twin with numpy\'s errors; the bias kept in float is listed', async () => {
    const c = await compareCheckpointWeights(await loadModel(at('qdq.onnx')), await loadModel(at('float.onnx')), { minElements: 16 });
    assert.equal(c.style, 'qdq');
    assert.deepEqual(c.tensors.map((t) => [t.name, t.quantized, t.node, t.op, t.dtype, t.axis, t.elements]), [
      ['fc1.weight', 'fc1.weight_quantized', 'fc1', 'MatMul', 'int8', 1, 128],
      ['fc2.weight', 'fc2.weight_quantized', 'fc2', 'MatMul', 'uint8', null, 64],
    ]);
    for (const t of c.tensors) assertErrors(t, expected.qdq?.[t.name]);
    assert.deepEqual(c.unmatched, { float: [{ name: 'fc1.bias', reason: 'kept in float in the quantized model' }], quantized: [] });
  });

  it('its int8 weights are exactly FORMULAS.md\'s int8 rule (fakeQuantize per channel of MatMul B)', async () => {
    const q = await loadModel(at('qdq.onnx'));
    const f = await loadModel(at('float.onnx'));
    const { weights } = await findQuantizedWeights(q);
    const fc1 = weights.find((w) => w.name === 'fc1.weight_quantized');
    assert.ok(fc1);
    const w = findInitializer(f.proto, 'fc1.weight');
    assert.ok(w);
    const x = await tensorToFloat32(f, w);
    assert.deepEqual([...fc1.values], [...fakeQuantize(x, [4, 32], 'int8', { channelAxis: 1 })]);
  });

  it('runs both models over the data: per-group deltas with counts that add up', async () => {
    const spec = await loadSpec(at('float.bias.json'));
    const r = await compareCheckpoint(at('qdq.onnx'), at('float.onnx'), spec, { providers: ['cpu'] });
    const i = r.impact;
    assert.ok(i && r.baseline);
    assert.equal(i.format, 'checkpoint');
    assert.equal(i.count, 400);
    assert.equal(i.quantizedTensors, 2);
    assert.deepEqual(i.byGroup.map((g) => g.group), [{ group: 'a' }, { group: 'b' }]);
    assert.equal(i.byGroup.reduce((a, g) => a + g.count, 0), 400);
    assert.ok(i.agreement > 0.98 && i.agreement <= 1);
    assert.ok(i.kl > 0 && i.kl < 1e-3);
    assert.ok(Math.abs(i.metrics.overall.loss - r.baseline.overall.loss - i.lossDelta) < 1e-12);
  });
});

describe('QOperator checkpoint', () => {
  it('matches QLinearMatMul\'s weight through the data input despite unrelated names', async () => {
    const c = await compareCheckpointWeights(await loadModel(at('qop.onnx')), await loadModel(at('float.onnx')), { minElements: 16 });
    assert.equal(c.style, 'qoperator');
    assert.deepEqual(c.tensors.map((t) => [t.name, t.quantized, t.node, t.op, t.dtype, t.axis]), [['fc2.weight', 'W_q', 'qlinear_0', 'QLinearMatMul', 'uint8', null]]);
    assertErrors(c.tensors[0] as QuantCheckpointTensor, expected.qop?.['fc2.weight']);
    assert.deepEqual(c.unmatched.float.map((u) => u.name), ['fc1.weight', 'fc1.bias']);
  });

  it('a float model given as the checkpoint is a clear error', async () => {
    await assert.rejects(compareCheckpointWeights(await loadModel(at('float.onnx')), await loadModel(at('float.onnx'))),
      (e: unknown) => e instanceof BadInputError && e.code === 'quant.not-quantized' && e.message.includes('float.onnx'));
  });
});

describe('runQuant', () => {
  let spec: ResolvedSpec;
  before(async () => { spec = await loadSpec(at('float.bias.json')); });

  it('with a spec: weights, one impact entry per format, baseline and sensitivity in one report', async () => {
    const fractions: number[] = [];
    const r = await runQuant(spec, {
      model: at('float.onnx'), formats: 'int8,int4', minElements: 16, sensitivity: true, budget: 0.001, providers: ['cpu'],
      onProgress: (f) => fractions.push(f),
    });
    assert.equal(r.kind, 'quantization');
    assert.deepEqual(Object.keys(r), ['schema', 'kind', 'createdAt', 'model', 'runtime', 'data', 'spec', 'quantization']);
    assert.equal(r.spec, spec.specPath);
    assert.equal(r.data?.rows, 400);
    assert.equal(r.runtime?.used, 'cpu');
    const q = r.quantization;
    assert.deepEqual(q.formats, ['int8', 'int4']);
    assert.deepEqual(q.impact?.map((i) => i.format), ['int8', 'int4']);
    assert.equal(q.baseline?.overall.count, 400);
    assert.equal(q.sensitivity?.layers.length, 3);
    assert.ok(q.sensitivity?.suggestion.metBudget);
    assert.ok((q.sensitivity?.suggestion.measured.worstGroupLossDelta ?? Infinity) <= 0.001);
    assert.equal(fractions.at(-1), 1);
    for (let k = 1; k < fractions.length; k++) assert.ok((fractions[k] ?? 0) >= (fractions[k - 1] ?? 0) - 1e-12, 'progress never goes back');
  });

  it('with --float: the checkpoint section, no per-tensor formats', async () => {
    const r = await runQuant(spec, { model: at('qdq.onnx'), float: at('float.onnx'), providers: ['cpu'] });
    assert.deepEqual(r.quantization.formats, []);
    assert.equal(r.quantization.checkpoint?.tensors.length, 2);
    assert.equal(r.quantization.impact?.[0]?.format, 'checkpoint');
  });

  it('stops with CancelledError when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(runQuant(spec, { model: at('float.onnx'), formats: 'int8', minElements: 16, providers: ['cpu'], signal: controller.signal }), (e: unknown) => e instanceof CancelledError);
  });

  it('sensitivity without a spec and a negative budget are bad input', async () => {
    await assert.rejects(runQuant(undefined, { model: at('float.onnx'), sensitivity: true, providers: ['cpu'] }), (e: unknown) => e instanceof BadInputError && e.code === 'quant.sensitivity-needs-spec');
    await assert.rejects(runQuant(spec, { model: at('float.onnx'), sensitivity: true, budget: -1, minElements: 16, formats: 'int8', providers: ['cpu'] }), (e: unknown) => e instanceof BadInputError && /--budget -1/.test(e.message));
  });
});
