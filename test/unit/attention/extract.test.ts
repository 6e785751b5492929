import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeModel, loadModel, type ModelProto } from '../../../extension/core/onnx';
import { exposeAttention, findAttention, resolveHeads, softmaxRows, type AttentionGraph } from '../../../extension/core/attention/extract';
import { viewAttention } from '../../../extension/core/attention';
import { BadInputError } from '../../../extension/core/errors';
import { loadOrt } from '../../../extension/core/runtime';

const fixtures = resolve(__dirname, '../../fixtures/attention');
const demo = resolve(__dirname, '../../../examples/tiny-transformer.onnx');
const fixture = (name: string): string => join(fixtures, `${name}.onnx`);
interface Reference { input_ids: number[][]; attention_mask: number[][]; bhtt: number[][][][][]; alibi_causal: number[][][][]; alibi_slopes: number[] }
const reference = JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8')) as Reference;

async function proto(path: string): Promise<ModelProto> {
  return (await loadModel(path)).proto;
}

/** Runs the exposed copy on the reference batch; returns each site's data and dims. */
async function runExposed(model: ModelProto, graph: AttentionGraph, withMask: boolean): Promise<{ data: Float32Array; dims: number[] }[]> {
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(encodeModel(exposeAttention(model, graph)), { graphOptimizationLevel: 'disabled' });
  try {
    const dims = [reference.input_ids.length, reference.input_ids[0]!.length];
    const tensor = (rows: number[][]): InstanceType<typeof ort.Tensor> => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), dims);
    const feeds = withMask ? { input_ids: tensor(reference.input_ids), attention_mask: tensor(reference.attention_mask) } : { input_ids: tensor(reference.input_ids) };
    const out = await session.run(feeds, graph.sites.map((s) => s.tensor));
    return graph.sites.map((s) => ({ data: out[s.tensor]!.data as Float32Array, dims: out[s.tensor]!.dims.map(Number) }));
  } finally {
    await session.release();
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('demo transformer: two Softmax layers of 4 heads, [B,H,T,T], relative bias told apart from the padding mask', async () => {
  const graph = findAttention(await proto(demo), demo);
  assert.equal(graph.sites.length, 2);
  assert.deepEqual(graph.sites.map((s) => [s.layer, s.node, s.heads, s.layout, s.kind]), [
    [0, '/blocks.0/attn/Softmax', 4, '[B,H,T,T]', 'softmax'],
    [1, '/blocks.1/attn/Softmax', 4, '[B,H,T,T]', 'softmax'],
  ]);
  for (const site of graph.sites) {
    const byTensor = Object.fromEntries(site.terms.map((t) => [t.tensor, t]));
    assert.equal(byTensor['/Mul_output_0']?.source, 'input');
    assert.deepEqual(byTensor['/Mul_output_0']?.inputs, ['attention_mask']);
    assert.equal(byTensor[`/blocks.${site.layer}/attn/Transpose_2_output_0`]?.source, 'constant');
    assert.equal(byTensor[`/blocks.${site.layer}/attn/Transpose_2_output_0`]?.node, `/blocks.${site.layer}/attn/Add_1`);
  }
});

test('hand-built [B,H,T,T]: exposed maps equal a direct numpy computation, layer by layer and head by head', async () => {
  const model = await proto(fixture('bhtt'));
  const graph = findAttention(model);
  assert.deepEqual(graph.sites.map((s) => [s.layer, s.heads, s.layout]), [[0, 3, '[B,H,T,T]'], [1, 3, '[B,H,T,T]']]);
  assert.deepEqual(graph.sites.map((s) => s.terms.map((t) => t.source).sort()), [['constant', 'input'], ['input']]);
  const outputs = await runExposed(model, graph, true);
  outputs.forEach((out, layer) => {
    assert.deepEqual(out.dims, [2, 3, 6, 6]);
    const view = viewAttention(out.data, out.dims, { heads: 3 });
    for (let b = 0; b < 2; b++) {
      for (let h = 0; h < 3; h++) assert.ok(maxDiff(view.map(b, h), reference.bhtt[layer]![b]![h]!.flat()) < 1e-5, `layer ${layer} sample ${b} head ${h}`);
    }
  });
});

test('hand-built [B*H,T,T]: heads found in the reshape target (batch × 3), maps identical to the [B,H,T,T] export', async () => {
  const model = await proto(fixture('folded'));
  const graph = findAttention(model);
  assert.deepEqual(graph.sites.map((s) => [s.layer, s.heads, s.layout]), [[0, 3, '[B*H,T,T]'], [1, 3, '[B*H,T,T]']]);
  const outputs = await runExposed(model, graph, true);
  outputs.forEach((out, layer) => {
    assert.deepEqual(out.dims, [6, 6, 6]);
    const { heads, layout } = resolveHeads(graph.sites[layer]!, out.dims, 2);
    assert.equal(heads, 3);
    assert.equal(layout, '[B*H,T,T]');
    const view = viewAttention(out.data, out.dims, { heads });
    for (let b = 0; b < 2; b++) {
      for (let h = 0; h < 3; h++) assert.ok(maxDiff(view.map(b, h), reference.bhtt[layer]![b]![h]!.flat()) < 1e-5);
    }
  });
});

test('resolveHeads: [B*H,T,T] without graph heads uses axis 0 / batch; a mismatch with the graph is an error', async () => {
  const site = { ...findAttention(await proto(fixture('folded'))).sites[0]!, heads: undefined, headsFrom: '' };
  assert.deepEqual(resolveHeads(site, [8, 5, 5], 2), { layout: '[B*H,T,T]', heads: 4 });
  assert.throws(() => resolveHeads(site, [7, 5, 5], 2), (e: unknown) => e instanceof BadInputError && e.code === 'attention.heads' && /axis 0 \/ batch 2/.test(e.message));
  const bhtt = findAttention(await proto(fixture('bhtt'))).sites[0]!;
  assert.throws(() => resolveHeads(bhtt, [2, 4, 5, 5], 2), (e: unknown) => e instanceof BadInputError && /graph says 3 heads/.test(e.message));
});

test('opset 11 Softmax(axis=3) on a rank-4 input is accepted; ALiBi and the causal mask are both constant terms', async () => {
  const model = await proto(fixture('alibi_causal'));
  const graph = findAttention(model);
  assert.equal(graph.sites.length, 1);
  const site = graph.sites[0]!;
  assert.deepEqual([site.heads, site.layout], [4, '[B,H,T,T]']);
  assert.deepEqual(site.terms.map((t) => [t.node, t.source]).sort(), [['/alibi_add_65', 'constant'], ['/causal_add_67', 'constant']]);
  const [out] = await runExposed(model, graph, false);
  assert.ok(maxDiff(out!.data, reference.alibi_causal.flat(3)) < 1e-5);
});

test('opset 11 Softmax over axis 1 of a rank-4 input is rejected with the reason, and the error lists it', async () => {
  const model = await proto(fixture('alibi_causal'));
  const softmax = model.graph!.node.find((n) => n.opType === 'Softmax')!;
  softmax.attribute.find((a) => a.name === 'axis')!.i = 1;
  assert.throws(() => findAttention(model, 'alibi_causal.onnx'), (e: unknown) => {
    assert.ok(e instanceof BadInputError);
    assert.equal(e.code, 'attention.none');
    assert.match(e.message, /Softmax nodes found \(1\).*\/Softmax_69: Softmax \(opset 11\) with axis=1 flattens a rank-4 input from axis 1/);
    return true;
  });
});

test('a model without attention gets a message listing each Softmax node and why it was rejected', async () => {
  const path = fixture('no_attention');
  await assert.rejects(async () => findAttention(await proto(path), path), (e: unknown) => {
    assert.ok(e instanceof BadInputError);
    assert.equal(e.code, 'attention.none');
    assert.equal(e.file, path);
    assert.match(e.message, /Softmax nodes found \(2\), none of them attention/);
    assert.match(e.message, /\/gate\/Softmax_5: its input does not derive from a MatMul of two computed tensors/);
    assert.match(e.message, /\/classifier\/Softmax_9: /);
    return true;
  });
});

test('without the rewrite, com.microsoft Attention blocks extraction: the message names the node and why', async () => {
  await assert.rejects(async () => findAttention(await proto(fixture('fused_attention')), 'fused.onnx'), (e: unknown) => {
    assert.ok(e instanceof BadInputError);
    assert.match(e.message, /Blocking fused ops: \/attention_9 \(com\.microsoft Attention\): .*no probability output; rewrite it into primitive ops first/);
    return true;
  });
});

test('com.microsoft MultiHeadAttention: its qk output is exposed, softmax applied, padded keys get no mass', async () => {
  const model = await proto(fixture('mha_qk'));
  const graph = findAttention(model);
  assert.deepEqual(graph.sites.map((s) => [s.kind, s.heads, s.applySoftmax]), [['multihead-qk', 2, true]]);
  assert.deepEqual(graph.sites[0]!.terms.map((t) => [t.source, t.inputs]), [['input', ['attention_mask']]]);
  const [out] = await runExposed(model, graph, true);
  assert.deepEqual(out!.dims, [2, 2, 6, 6]);
  const probs = softmaxRows(Float32Array.from(out!.data), 6);
  const view = viewAttention(probs, out!.dims);
  for (let h = 0; h < 2; h++) {
    for (let i = 0; i < 6; i++) {
      const row = Array.from(view.map(1, h).subarray(i * 6, i * 6 + 6));
      assert.ok(Math.abs(row.reduce((s, x) => s + x, 0) - 1) < 1e-6);
      assert.ok(row[4]! < 1e-6 && row[5]! < 1e-6, 'padded keys 4 and 5 are masked');
    }
  }
});

test('softmaxRows: rows of logits become probabilities (stable for large values)', () => {
  const out = softmaxRows(Float32Array.of(0, Math.log(3), 1000, 1000), 2);
  assert.ok(Math.abs(out[0]! - 0.25) < 1e-7 && Math.abs(out[1]! - 0.75) < 1e-7);
  assert.deepEqual(Array.from(out.subarray(2)), [0.5, 0.5]);
});

test('exposeAttention writes a copy: the loaded model keeps its outputs', async () => {
  const model = await proto(fixture('bhtt'));
  const graph = findAttention(model);
  const copy = exposeAttention(model, graph, ['transpose_out_86']);
  assert.deepEqual(model.graph!.output.map((o) => o.name), ['logits']);
  assert.deepEqual(copy.graph!.output.map((o) => o.name), ['logits', 'l0/Softmax_out_92', 'l1/Softmax_out_138', 'transpose_out_86']);
});
