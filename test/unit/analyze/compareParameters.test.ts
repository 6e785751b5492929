/**
 * "Parameters that changed" of a comparison (issue 12 item 3): weights matched by name; per
 * tensor in both with the same dtype and shape, elements changed, max |B − A| and
 * ‖B − A‖₂ / ‖A‖₂, hand-computed on tiny models; a model against its own copy changes nothing;
 * the demo pair against NumPy (values printed by /usr/bin/python3 with onnx.numpy_helper, in
 * float64); the report, the CLI text and the view's text carry it.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeModel, diffWeights, encodeModel, externalRef, loadModel, nodeFileAccess, weightTensors, type FileAccess, type ModelProto, type NodeProto, type TensorProto } from '../../../extension/core/onnx';
import { fixture } from '../onnx/helpers';
import { runCompare } from '../../../extension/core/analyze/compare';
import { loadSpec } from '../../../extension/core/data';
import { formatCompare } from '../../../extension/cli/formatCompare';
import { parameterChangeText, parametersChangedText } from '../../../extension/protocol/compare';
import { tabularModel } from './tabularModel';

const EMPTY = { floatData: [], int32Data: [], stringData: [], int64Data: [], externalData: [], doubleData: [], uint64Data: [] };
const f32 = (name: string, dims: number[], values: number[]): TensorProto => ({ ...EMPTY, name, dims, dataType: 1, rawData: new Uint8Array(new Float32Array(values).buffer) });
const i64 = (name: string, values: number[]): TensorProto => ({ ...EMPTY, name, dims: [values.length], dataType: 7, int64Data: values });
const constant = (output: string, t: TensorProto): NodeProto => ({ name: output, opType: 'Constant', input: [], output: [output], attribute: [{ name: 'value', type: 4, t }] } as unknown as NodeProto);

function model(initializers: TensorProto[], constants: NodeProto[] = []): ModelProto {
  return {
    irVersion: 8, opsetImport: [{ domain: '', version: 13 }], metadataProps: [], trainingInfo: [], functions: [], producerName: 'test',
    graph: {
      name: 'g', node: [...constants, { name: 'gemm', opType: 'Gemm', input: ['x', 'W', 'b'], output: ['y'], attribute: [] }],
      initializer: initializers, sparseInitializer: [],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 2 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 2 }] } } } }],
      valueInfo: [], quantizationAnnotation: [],
    },
  } as ModelProto;
}
const loaded = (m: ModelProto, label: string): ReturnType<typeof decodeModel> => decodeModel(encodeModel(m), label);

describe('compare: parameters that changed', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'bi-compare-params-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('one weight changed: counts, max |Δ|, rel. L2 and share by hand; only-in-A/B, reshaped, int and zero-norm tensors', async () => {
    const a = loaded(model([
      f32('W', [2, 2], [1, 2, 3, 4]), f32('b', [2], [0.5, -0.5]), f32('zero', [2], [0, 0]),
      f32('gone', [1], [7]), f32('grows', [2], [1, 1]), i64('axes', [0, 1, 2]),
    ], [constant('scale', f32('', [2], [2, 2]))]), 'a.onnx');
    const b = loaded(model([
      f32('W', [2, 2], [1, 2, 3, 5]), f32('b', [2], [0.5, -0.5]), f32('zero', [2], [0, 0.25]),
      f32('new', [1], [7]), f32('grows', [3], [1, 1, 1]), i64('axes', [0, 1, 3]),
    ], [constant('scale', f32('', [2], [2, 1]))]), 'b.onnx');
    const p = await diffWeights(a, b);
    assert.equal(p.tensorsA, 7);
    assert.equal(p.tensorsB, 7);
    // W, b, zero, axes, scale are in both with the same shape
    assert.equal(p.compared, 5);
    assert.equal(p.unchanged, 1);
    assert.equal(p.elements, 4 + 2 + 2 + 3 + 2);
    assert.equal(p.elementsChanged, 1 + 1 + 1 + 1);
    // scale: |Δ| 1 on one of 2, ‖Δ‖/‖A‖ = 1/√8; W: 1/√30; then zero (‖A‖ = 0) and axes (int64): NaN last, by share then name
    assert.deepEqual(p.changed.map((c) => c.name), ['scale', 'W', 'zero', 'axes']);
    const [scale, w, zero, axes] = p.changed;
    assert.deepEqual({ ...w }, { name: 'W', dtype: 'float32', shape: [2, 2], elements: 4, changed: 1, share: 0.25, maxAbs: 1, relL2: 1 / Math.sqrt(30) });
    assert.equal(scale!.relL2, 1 / Math.sqrt(8));
    assert.equal(scale!.share, 0.5);
    assert.equal(zero!.maxAbs, 0.25);
    assert.ok(Number.isNaN(zero!.relL2));
    assert.equal(axes!.dtype, 'int64');
    assert.equal(axes!.changed, 1);
    assert.ok(Number.isNaN(axes!.maxAbs));
    assert.deepEqual([p.onlyA, p.onlyB, p.reshaped], [1, 1, 1]);
    assert.deepEqual(p.onlyInA, [{ name: 'gone', dtype: 'float32', shape: [1] }]);
    assert.deepEqual(p.onlyInB, [{ name: 'new', dtype: 'float32', shape: [1] }]);
    assert.deepEqual(p.reshapedTensors, [{ name: 'grows', a: { name: 'grows', dtype: 'float32', shape: [2] }, b: { name: 'grows', dtype: 'float32', shape: [3] } }]);
    assert.equal(parametersChangedText(p), 'Parameters that changed: 4 of 5 tensors (4 of 13 values); 1 only in A, 1 only in B, 1 with another shape or dtype');
    assert.equal(parameterChangeText(w!), 'W [2, 2] rel. L2 0.18, max |Δ| 1.0, 25% of values');
    assert.equal(parameterChangeText(zero!), 'zero [2] rel. L2 —, max |Δ| 0.25, 50% of values');
  });

  it('the lists are capped at `listed`, their counts are not', async () => {
    const a = loaded(model([f32('W', [1], [1]), f32('b', [1], [1]), f32('c', [1], [1])]), 'a.onnx');
    const b = loaded(model([f32('W', [1], [1])]), 'b.onnx');
    const p = await diffWeights(a, b, { listed: 1 });
    assert.equal(p.onlyA, 2);
    assert.deepEqual(p.onlyInA.map((t) => t.name), ['b']);
    assert.equal(p.listed, 1);
  });

  it('a model against its own copy: nothing changed', async () => {
    const bytes = tabularModel({ width: 3 });
    const p = await diffWeights(decodeModel(bytes, 'a.onnx'), decodeModel(bytes.slice(), 'b.onnx'));
    assert.deepEqual({ compared: p.compared, unchanged: p.unchanged, changed: p.changed, elements: p.elements, elementsChanged: p.elementsChanged, onlyA: p.onlyA, onlyB: p.onlyB, reshaped: p.reshaped },
      { compared: 2, unchanged: 2, changed: [], elements: 3 * 2 + 2, elementsChanged: 0, onlyA: 0, onlyB: 0, reshaped: 0 });
    assert.equal(parametersChangedText(p), 'Parameters that changed: 0 of 2 tensors (0 of 8 values)');
  });

  it('the demo pair income-mlp-prev -> income-mlp against NumPy', async () => {
    const p = await diffWeights(await loadModel('examples/income-mlp-prev.onnx'), await loadModel('examples/income-mlp.onnx'));
    // name: [max |Δ|, ‖Δ‖/‖A‖, elements] from numpy (float64 over the float32 values)
    const numpy: Record<string, [number, number, number]> = {
      'mean': [0.1459674835205078, 0.003290160302159569, 6],
      'std': [0.11231708526611328, 0.009415634342632559, 6],
      'net.0.weight': [1.1780903041362762, 1.3039876099994057, 192],
      'net.0.bias': [0.9827108383178711, 1.3537358484070618, 32],
      'net.2.weight': [2.1640965342521667, 1.1638567669330344, 1024],
      'net.2.bias': [0.595854789018631, 1.2804700100458093, 32],
      'net.4.weight': [1.1157351732254028, 1.0603141283937407, 64],
      'net.4.bias': [0.11312788724899292, 1.1828796925001952, 2],
    };
    assert.equal(p.compared, 8);
    assert.equal(p.unchanged, 0);
    assert.equal(p.elementsChanged, 1358);
    assert.deepEqual(p.changed.map((c) => c.name), ['net.0.bias', 'net.0.weight', 'net.2.bias', 'net.4.bias', 'net.2.weight', 'net.4.weight', 'std', 'mean']);
    for (const c of p.changed) {
      const [maxAbs, rel, n] = numpy[c.name]!;
      assert.equal(c.maxAbs, maxAbs, c.name);
      assert.ok(Math.abs(c.relL2 - rel) < 1e-12 * rel, `${c.name}: ${c.relL2} vs ${rel}`);
      assert.equal(c.changed, n);
      assert.equal(c.share, 1);
    }
  });

  it('external data: one value changed in B\'s side file; each tensor read by its range, never a whole file', async () => {
    const copy = (side: string): string => {
      mkdirSync(join(dir, side));
      copyFileSync(fixture('external-data.onnx'), join(dir, side, 'm.onnx'));
      copyFileSync(fixture('external-data.bin'), join(dir, side, 'external-data.bin'));
      return join(dir, side, 'm.onnx');
    };
    const pa = copy('ext-a');
    const pb = copy('ext-b');
    const reads: number[] = [];
    const files: FileAccess = { stat: (f) => nodeFileAccess.stat(f), read: (f, offset, length, signal) => { reads.push(length); return nodeFileAccess.read(f, offset, length, signal); } };
    const a = await loadModel(pa, { files });
    const w2 = weightTensors(a.proto).find((w) => w.name === 'W2')!;
    const ref = externalRef(w2.tensor, pa);
    const bin = readFileSync(join(dir, 'ext-b', 'external-data.bin'));
    const old = bin.readFloatLE(ref.offset + 4);
    bin.writeFloatLE(old + 0.5, ref.offset + 4);
    writeFileSync(join(dir, 'ext-b', 'external-data.bin'), bin);
    const b = await loadModel(pb, { files });
    const p = await diffWeights(a, b);
    assert.equal(p.compared, 4);
    assert.deepEqual(p.changed.map((c) => [c.name, c.changed, c.maxAbs]), [['W2', 1, 0.5]]);
    assert.ok(reads.length === 8 && reads.every((n) => n < 232), `reads: ${reads.join(', ')}`);
  });

  it('the compare report, the CLI text: demo pair, and a model against its copy', async () => {
    const report = await runCompare(await loadSpec('examples/income-compare.bias.json'), { providers: ['cpu'], target: { kind: 'referenceModel' }, bootstrap: 0 });
    const p = report.compare.parameters!;
    assert.equal(p.changed.length, 8);
    assert.equal(p.changed[0]!.name, 'net.0.bias');
    const text = formatCompare(report.compare);
    assert.match(text, /Parameters that changed: 8 of 8 tensors \(1358 of 1358 values\)\n {2}net\.0\.bias \[32\] rel\. L2 1\.4, max \|Δ\| 0\.98, 100% of values\n/);

    const copy = join(dir, 'copy.onnx');
    copyFileSync('examples/income-mlp.onnx', copy);
    const spec = await loadSpec('examples/income-mlp.bias.json');
    const same = await runCompare(spec, { providers: ['cpu'], target: { kind: 'model-b', model: copy }, bootstrap: 0 });
    assert.equal(same.compare.parameters!.changed.length, 0);
    assert.equal(same.compare.parameters!.unchanged, 8);
    assert.match(formatCompare(same.compare), /Parameters that changed: 0 of 8 tensors \(0 of 1358 values\)/);
  });

  it('prediction files have no parameters section', async () => {
    const a = join(dir, 'pa.csv');
    const b = join(dir, 'pb.csv');
    writeFileSync(a, 'y,g,s\n1,a,0.9\n0,b,0.2\n');
    writeFileSync(b, 'y,g,s\n1,a,0.8\n0,b,0.6\n');
    const spec = await (await import('../../../extension/core/data')).resolveSpec({ data: a, task: 'binary', label: 'y', groups: ['g'], predictions: { file: a, score: 's' } }, { baseDir: dir });
    const report = await runCompare(spec, { providers: ['cpu'], target: { kind: 'predictions-b', file: b }, bootstrap: 0, minGroupSize: 1 });
    assert.equal(report.compare.parameters, undefined);
  });
});

describe('compare: parameter texts of a saved report (NaN saved as "NaN")', () => {
  it('reads "NaN" strings as NaN', () => {
    const c = { name: 'axes', dtype: 'int64', shape: [3], elements: 3, changed: 1, share: 1 / 3, maxAbs: 'NaN', relL2: 'NaN' } as unknown as Parameters<typeof parameterChangeText>[0];
    assert.equal(parameterChangeText(c), 'axes [3] rel. L2 —, max |Δ| —, 33% of values');
  });
});
