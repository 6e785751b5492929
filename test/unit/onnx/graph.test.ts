/** Graph queries and surgery (copy-on-write), checked by running the rewritten model in ORT. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addGraphOutput,
  allGraphs,
  consumers,
  decodeModel,
  encodeModel,
  findInitializer,
  loadModel,
  producers,
} from '../../../extension/core/onnx';
import { fixture, fixtureBytes } from './helpers';

interface OrtTensor {
  data: Float32Array;
  dims: readonly number[];
}
interface OrtModule {
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: { create(bytes: Uint8Array): Promise<{ run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>; release(): Promise<void>; outputNames: readonly string[] }> };
}

describe('onnx graph queries', () => {
  it('maps producers and consumers', async () => {
    const model = await loadModel(fixture('attention-unfused.onnx'));
    const graph = model.proto.graph;
    assert.ok(graph);
    const byOutput = producers(graph);
    assert.equal(byOutput.get('probs')?.node.name, 'attn_softmax');
    assert.equal(byOutput.get('probs')?.index, 7);
    assert.equal(byOutput.get('x'), undefined);
    assert.deepEqual(consumers(graph).get('x')?.map((r) => r.node.name), ['q_proj', 'k_proj', 'v_proj']);
    assert.deepEqual(consumers(graph).get('probs')?.map((r) => r.node.name), ['attn_v']);
  });

  it('finds initializers and lists subgraphs with their place', async () => {
    const model = await loadModel(fixture('if-subgraph.onnx'));
    assert.deepEqual(findInitializer(model.proto, 'two')?.dims, [3]);
    assert.equal(findInitializer(model.proto, 'one'), undefined, 'subgraph initializers are not main-graph initializers');
    assert.deepEqual(
      allGraphs(model.proto).map((s) => [s.path, s.depth, s.graph.name]),
      [
        ['', 0, 'if_subgraph'],
        // onnx.helper writes attributes sorted by name.
        ["node 'choose' else_branch", 1, 'else_branch'],
        ["node 'choose' then_branch", 1, 'then_branch'],
      ],
    );
  });
});

describe('onnx graph surgery', () => {
  it('addGraphOutput returns a copy with the new output and leaves the loaded model alone', async () => {
    const model = await loadModel(fixture('attention-unfused.onnx'));
    const before = JSON.stringify(model.proto.graph?.output);
    const edited = addGraphOutput(model.proto, 'probs', { file: model.path });
    assert.equal(JSON.stringify(model.proto.graph?.output), before);
    assert.deepEqual(edited.graph?.output.map((o) => o.name), ['class_probs', 'probs']);
    assert.notEqual(edited.graph, model.proto.graph);
    // Weight bytes are shared, not copied.
    assert.equal(edited.graph?.initializer[0]?.rawData, model.proto.graph?.initializer[0]?.rawData);
    // Existing outputs are not duplicated.
    assert.deepEqual(addGraphOutput(edited, 'probs').graph?.output.length, 2);
  });

  it('types the new output from arguments when given', () => {
    const model = decodeModel(fixtureBytes('mlp.onnx'), fixture('mlp.onnx'));
    const edited = addGraphOutput(model.proto, 'h2', { elemType: 1, shape: ['batch', 8] });
    assert.deepEqual(edited.graph?.output[1], { name: 'h2', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 8 }] } } } });
  });

  it('refuses a tensor nothing provides', () => {
    const model = decodeModel(fixtureBytes('mlp.onnx'), fixture('mlp.onnx'));
    assert.throws(() => addGraphOutput(model.proto, 'nope', { file: model.path }), {
      code: 'onnx.no-tensor',
      message: `${fixture('mlp.onnx')}: no node, input or initializer of the main graph provides a tensor named 'nope'`,
    });
  });

  it('onnxruntime runs the rewritten model and returns attention probabilities whose rows sum to 1', async () => {
    const model = await loadModel(fixture('attention-unfused.onnx'));
    const bytes = encodeModel(addGraphOutput(model.proto, 'probs'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require('onnxruntime-node') as OrtModule;
    const session = await ort.InferenceSession.create(bytes);
    try {
      const batch = 2;
      const seq = 3;
      const x = new Float32Array(batch * seq * 8).map((_, i) => Math.sin(i));
      const mask = new Float32Array(batch * seq);
      const out = await session.run({ x: new ort.Tensor('float32', x, [batch, seq, 8]), mask: new ort.Tensor('float32', mask, [batch, 1, seq]) });
      const probs = out.probs;
      assert.ok(probs);
      assert.deepEqual(Array.from(probs.dims), [batch, seq, seq]);
      for (let row = 0; row < batch * seq; row++) {
        const sum = Array.from(probs.data.subarray(row * seq, row * seq + seq)).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-5, `row ${row} sums to ${sum}`);
      }
    } finally {
      await session.release();
    }
  });
});
