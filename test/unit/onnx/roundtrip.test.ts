/**
 * Round trips (decode → encode → decode) over the fixtures and over seeded random models, and a
 * seeded fuzz of truncated / corrupted fixture bytes: only typed errors, never a crash.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InspectorError } from '../../../extension/core/errors';
import type { ModelProto, NodeProto, TensorProto } from '../../../extension/core/onnx';
import { addGraphOutput, decodeModel, encodeModel, loadModel, saveModel, summarizeModel } from '../../../extension/core/onnx';
import { FIXTURES, fixture, fixtureBytes, tempDir } from './helpers';
import { join } from 'node:path';

const FIXTURE_NAMES = readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx')).sort();

describe('onnx round trip over the fixtures', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: encode(decode(bytes)) is byte-identical and re-decodes to an equal message and summary`, () => {
      const bytes = fixtureBytes(name);
      const first = decodeModel(bytes, fixture(name));
      const encoded = encodeModel(first.proto);
      // protobufjs writes fields in field-number order like the onnx serializer; these files are
      // written by onnx, so the bytes come back identical.
      assert.deepEqual(Buffer.from(encoded), Buffer.from(bytes));
      const second = decodeModel(encoded, fixture(name));
      assert.deepEqual(second.proto, first.proto);
      assert.deepEqual(summarizeModel(second), summarizeModel(first));
    });
  }
});

/** A random MLP-like model: layers of MatMul+Add with random widths, names and metadata. */
const randomModel = fc
  .record({
    widths: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 5 }),
    batch: fc.oneof(fc.constant<string | number>('batch'), fc.integer({ min: 1, max: 8 })),
    irVersion: fc.integer({ min: 4, max: 10 }),
    opset: fc.integer({ min: 7, max: 21 }),
    metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }),
    useFloatData: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .map(buildModel);

function tensor(name: string, dims: number[], useFloatData: boolean, seed: number): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: count }, (_, i) => Math.fround(Math.sin(seed + i)));
  const base: TensorProto = { name, dims, dataType: 1, floatData: [], int32Data: [], stringData: [], int64Data: [], externalData: [], doubleData: [], uint64Data: [] };
  if (useFloatData) return { ...base, floatData: values };
  return { ...base, rawData: new Uint8Array(new Float32Array(values).buffer) };
}

interface Built {
  proto: ModelProto;
  parameters: number;
  nodes: number;
}

function buildModel(r: { widths: number[]; batch: string | number; irVersion: number; opset: number; metadata: Record<string, string>; useFloatData: boolean; seed: number }): Built {
  const dim = (d: string | number): { dimValue: number } | { dimParam: string } => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let parameters = 0;
  let current = 'x';
  for (let layer = 0; layer + 1 < r.widths.length; layer++) {
    const fanIn = r.widths[layer] ?? 1;
    const fanOut = r.widths[layer + 1] ?? 1;
    initializers.push(tensor(`W${layer}`, [fanIn, fanOut], r.useFloatData, r.seed + layer), tensor(`b${layer}`, [fanOut], r.useFloatData, r.seed - layer));
    parameters += fanIn * fanOut + fanOut;
    nodes.push({ name: `mm${layer}`, opType: 'MatMul', input: [current, `W${layer}`], output: [`h${layer}`], attribute: [] });
    nodes.push({ name: `add${layer}`, opType: 'Add', input: [`h${layer}`, `b${layer}`], output: [`y${layer}`], attribute: [] });
    current = `y${layer}`;
  }
  const valueInfo = (name: string, width: number) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [dim(r.batch), dim(width)] } } } });
  const proto: ModelProto = {
    irVersion: r.irVersion,
    opsetImport: [{ domain: '', version: r.opset }],
    producerName: 'fast-check',
    metadataProps: Object.entries(r.metadata).map(([key, value]) => ({ key, value })),
    trainingInfo: [],
    functions: [],
    graph: {
      name: 'random',
      node: nodes,
      initializer: initializers,
      sparseInitializer: [],
      input: [valueInfo('x', r.widths[0] ?? 1)],
      output: [valueInfo(current, r.widths[r.widths.length - 1] ?? 1)],
      valueInfo: [],
      quantizationAnnotation: [],
    },
  };
  return { proto, parameters, nodes: nodes.length };
}

describe('onnx saveModel', () => {
  it('writes an edited model that loads back with the edit and leaves no temp file', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const original = decodeModel(fixtureBytes('attention-unfused.onnx'), fixture('attention-unfused.onnx'));
      const path = join(dir, 'with-probs.onnx');
      await saveModel(path, addGraphOutput(original.proto, 'probs'));
      const reloaded = summarizeModel(await loadModel(path));
      assert.deepEqual(reloaded.outputs.map((o) => o.name), ['class_probs', 'probs']);
      assert.equal(reloaded.parameters.total, 217);
      assert.deepEqual(readdirSync(dir), ['with-probs.onnx']);
    } finally {
      cleanup();
    }
  });
});

describe('onnx round trip over seeded random models', () => {
  it('encode → decode gives the same message, and the summary counts what was built', () => {
    fc.assert(
      fc.property(randomModel, (built) => {
        const bytes = encodeModel(built.proto);
        const loaded = decodeModel(bytes, '/virtual/random.onnx');
        const summary = summarizeModel(loaded);
        assert.equal(summary.parameters.total, built.parameters);
        assert.equal(summary.nodeCount, built.nodes);
        assert.equal(summary.irVersion, built.proto.irVersion);
        assert.deepEqual(summary.inputs.map((i) => i.name), ['x']);
        assert.equal(summary.inputs[0]?.shape?.[0], built.proto.graph?.input[0]?.type?.tensorType?.shape?.dim[0]?.dimParam ?? built.proto.graph?.input[0]?.type?.tensorType?.shape?.dim[0]?.dimValue);
        // Re-encoding the decoded message reproduces the bytes exactly.
        assert.deepEqual(Buffer.from(encodeModel(loaded.proto)), Buffer.from(bytes));
      }),
      { seed: 20240601, numRuns: 60 },
    );
  });
});

const KNOWN_CODES = new Set([
  'onnx.empty', 'onnx.not-onnx', 'onnx.truncated', 'onnx.corrupt', 'onnx.no-graph', 'onnx.no-ir-version', 'onnx.no-opset',
  'onnx.huge-dim', 'onnx.bad-dim', 'onnx.data-size', 'onnx.external-path',
]);

/** Decodes and summarises; returns the error code, or 'ok'. Anything but a typed error fails. */
function outcome(bytes: Uint8Array): string {
  try {
    summarizeModel(decodeModel(bytes, '/fuzz/model.onnx'));
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof InspectorError, `untyped error: ${String(e)}`);
    assert.ok(KNOWN_CODES.has(e.code), `unexpected code ${e.code}`);
    assert.ok(e.message.startsWith('/fuzz/model.onnx: '), e.message);
    return e.code;
  }
}

describe('onnx fuzz (seeded)', () => {
  const sources = FIXTURE_NAMES.map((name) => fixtureBytes(name));

  it('every truncation of every fixture is a typed error (mostly onnx.truncated) or a valid shorter model', () => {
    const codes = new Map<string, number>();
    for (const bytes of sources) {
      // Every cut of the small fixtures; about 600 evenly spread cuts of the larger ones.
      const stride = Math.max(1, Math.floor(bytes.length / 600));
      for (let cut = 0; cut < bytes.length; cut += cut + stride < bytes.length ? stride : 1) {
        const prefix = bytes.subarray(0, cut);
        const code = outcome(prefix);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (code === 'ok') {
          // Only a cut on a top-level field boundary after graph and opset_import loads: the
          // prefix is then itself a complete model (it lost trailing opsets or metadata), which
          // no reader can tell from a file written that way.
          const model = decodeModel(prefix, '/fuzz/model.onnx').proto;
          assert.ok(model.graph && model.opsetImport.length > 0);
          assert.deepEqual(Buffer.from(encodeModel(model)), Buffer.from(prefix));
        }
      }
    }
    assert.ok((codes.get('ok') ?? 0) <= sources.length * 2, JSON.stringify([...codes]));
    const truncated = codes.get('onnx.truncated') ?? 0;
    const total = [...codes.values()].reduce((a, b) => a + b, 0);
    assert.ok(truncated / total > 0.95, `truncated share ${truncated}/${total}: ${JSON.stringify([...codes])}`);
  });

  it('random byte corruption gives a model or a typed error, never a crash', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sources.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (which, edits) => {
          const original = sources[which] ?? new Uint8Array(0);
          const bytes = original.slice();
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          outcome(bytes);
        },
      ),
      { seed: 7, numRuns: 600 },
    );
  });
});
