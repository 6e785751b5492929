/**
 * Fused attention ops rewritten into primitives (issue 13) and the opset-9 SVTR-style graph whose
 * Softmax axis is decided on the first batch. References: fused-reference.json, computed with
 * NumPy from each op's specification by test/fixtures/attention/make-fused-fixtures.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Tensor } from 'onnxruntime-node';
import { loadModel, rewriteFusedAttention, type AttributeProto, type ModelProto, type NodeProto } from '../../../extension/core/onnx';
import { confirmSites, exposeAttention, findAttention, softmaxRows } from '../../../extension/core/attention/extract';
import { checkFirstBatch, prepareAttention, type PreparedAttention } from '../../../extension/core/attention/prepare';
import { BadInputError, InspectorError } from '../../../extension/core/errors';
import { loadOrt } from '../../../extension/core/runtime';
import { maxDiff, session } from './ortSession';

const fixtures = resolve(__dirname, '../../fixtures/attention');
interface ModelReference { probabilities: number[]; probabilitiesShape: number[]; attn_out: number[]; logits: number[] }
const reference = JSON.parse(readFileSync(join(fixtures, 'fused-reference.json'), 'utf8')) as {
  feeds: { input_ids: number[][]; attention_mask: number[][] };
  models: Record<string, ModelReference>;
};

function feeds(): Record<string, Tensor> {
  const ort = loadOrt();
  const rows = reference.feeds.input_ids;
  const dims = [rows.length, rows[0]!.length];
  const tensor = (r: number[][]): Tensor => new ort.Tensor('int64', BigInt64Array.from(r.flat().map(BigInt)), dims);
  return { input_ids: tensor(reference.feeds.input_ids), attention_mask: tensor(reference.feeds.attention_mask) };
}

const FUSED: readonly [string, string, number][] = [
  ['ms_attention.onnx', 'com.microsoft/Attention', 2],
  ['ms_attention_causal.onnx', 'com.microsoft/Attention', 2],
  ['ms_attention_2b.onnx', 'com.microsoft/Attention', 2],
  ['mha.onnx', 'com.microsoft/MultiHeadAttention', 2],
  ['gqa.onnx', 'com.microsoft/GroupQueryAttention', 4],
  ['onnx_attention.onnx', 'ai.onnx/Attention', 4],
];

for (const [name, op, heads] of FUSED) {
  test(`${name}: onnxruntime runs the fused op as its spec says; the rewrite's probabilities and outputs equal the NumPy recomputation`, async () => {
    const path = join(fixtures, name);
    const ref = reference.models[name]!;
    // The fixture itself: onnxruntime-node's CPU kernel agrees with the NumPy reading of the spec.
    const original = await session(path);
    const out = await original.run(feeds());
    assert.ok(maxDiff(out['attn_out']!.data as Float32Array, ref.attn_out) < 1e-5, 'original attn_out vs NumPy');
    assert.ok(maxDiff(out['logits']!.data as Float32Array, ref.logits) < 1e-5, 'original logits vs NumPy');
    await original.release();

    const loaded = await loadModel(path);
    const prepared = prepareAttention(loaded.proto, path);
    assert.deepEqual(prepared.rewrite.rewritten.map((r) => `${r.domain}/${r.op}`), [op]);
    assert.deepEqual(prepared.rewrite.blocked, []);
    assert.equal(prepared.rewrite.rewritten[0]!.heads, heads);
    const sites = prepared.graph.sites;
    assert.equal(sites.length, 1);
    assert.equal(sites[0]!.tensor, prepared.rewrite.rewritten[0]!.probabilities);
    assert.equal(sites[0]!.decide, 'graph');
    // The loaded model is not modified: it still holds the fused node.
    assert.ok(loaded.proto.graph!.node.some((n) => n.opType === op.split('/')[1]));

    const exposed = await session(exposeAttention(prepared.proto, prepared.graph));
    const run = await exposed.run(feeds());
    const probs = run[sites[0]!.tensor]!;
    assert.deepEqual(probs.dims.map(Number), ref.probabilitiesShape);
    assert.ok(maxDiff(probs.data as Float32Array, ref.probabilities) < 1e-5, 'probabilities vs NumPy');
    assert.ok(maxDiff(run['attn_out']!.data as Float32Array, ref.attn_out) < 1e-5, 'rewritten attn_out vs NumPy');
    assert.ok(maxDiff(run['logits']!.data as Float32Array, ref.logits) < 1e-5, 'rewritten logits vs NumPy');
    // The first-batch check passes (and returns the same sites).
    const checked = await checkFirstBatch(prepared, exposed, feeds(), { file: path, original: path, originalOutputs: ['logits', 'attn_out'], providers: ['cpu'] });
    assert.deepEqual(checked.sites.map((s) => s.tensor), [sites[0]!.tensor]);
    await exposed.release();
  });
}

test('the unfused export of the same weights gives the same probabilities as the rewritten com.microsoft Attention', async () => {
  const ref = reference.models['ms_attention_unfused.onnx']!;
  assert.deepEqual(ref.probabilities, reference.models['ms_attention.onnx']!.probabilities);
  const path = join(fixtures, 'ms_attention_unfused.onnx');
  const prepared = prepareAttention((await loadModel(path)).proto, path);
  assert.equal(prepared.rewrite.rewritten.length, 0);
  const exposed = await session(exposeAttention(prepared.proto, prepared.graph));
  const run = await exposed.run(feeds());
  assert.ok(maxDiff(run[prepared.graph.sites[0]!.tensor]!.data as Float32Array, ref.probabilities) < 1e-5);
  await exposed.release();
});

test('com.microsoft Attention with mask_index [2B] on a left-padded batch: the rewrite equals onnxruntime, keys before the start get no mass', async () => {
  const path = join(fixtures, 'ms_attention_2b.onnx');
  const ort = loadOrt();
  const ids = [[0, 0, 5, 9, 3], [4, 8, 15, 16, 23], [0, 0, 0, 7, 1]];
  const mask = [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 1, 1]];
  const tensor = (r: number[][]): Tensor => new ort.Tensor('int64', BigInt64Array.from(r.flat().map(BigInt)), [3, 5]);
  const left = (): Record<string, Tensor> => ({ input_ids: tensor(ids), attention_mask: tensor(mask) });
  const original = await session(path);
  const want = await original.run(left());
  await original.release();
  const prepared = prepareAttention((await loadModel(path)).proto, path);
  const exposed = await session(exposeAttention(prepared.proto, prepared.graph));
  const got = await exposed.run(left());
  assert.ok(maxDiff(got['attn_out']!.data as Float32Array, want['attn_out']!.data as Float32Array) < 1e-5);
  const probs = got[prepared.graph.sites[0]!.tensor]!.data as Float32Array; // [3, 2, 5, 5]
  for (let b = 0; b < 3; b++) {
    const start = mask[b]!.indexOf(1);
    for (let r = 0; r < 2 * 5; r++) for (let j = 0; j < start; j++) assert.ok(probs[(b * 10 + r) * 5 + j]! < 1e-12, `row ${b}: key ${j} before the start`);
  }
  await checkFirstBatch(prepared, exposed, left(), { file: path, original: path, originalOutputs: ['logits', 'attn_out'], providers: ['cpu'] });
  await exposed.release();
});

test('ONNX Attention with a KV cache: past concatenated, causal frontier offset by the past length, present outputs; equal to NumPy and onnxruntime', async () => {
  const path = join(fixtures, 'onnx_attention_past.onnx');
  const ref = reference.models['onnx_attention_past.onnx'] as ModelReference & { past_key: number[]; past_value: number[]; pastShape: number[] };
  const ort = loadOrt();
  const withPast = (): Record<string, Tensor> => ({
    ...feeds(),
    past_key: new ort.Tensor('float32', Float32Array.from(ref.past_key), ref.pastShape),
    past_value: new ort.Tensor('float32', Float32Array.from(ref.past_value), ref.pastShape),
  });
  const original = await session(path);
  const want = await original.run(withPast());
  await original.release();
  assert.ok(maxDiff(want['attn_out']!.data as Float32Array, ref.attn_out) < 1e-5, 'onnxruntime vs NumPy');
  const prepared = prepareAttention((await loadModel(path)).proto, path);
  const exposed = await session(exposeAttention(prepared.proto, prepared.graph));
  const got = await exposed.run(withPast());
  const probs = got[prepared.graph.sites[0]!.tensor]!;
  assert.deepEqual(probs.dims.map(Number), [3, 4, 6, 8]);
  assert.ok(maxDiff(probs.data as Float32Array, ref.probabilities) < 1e-5, 'probabilities vs NumPy');
  assert.ok(maxDiff(got['attn_out']!.data as Float32Array, ref.attn_out) < 1e-5);
  for (const name of ['present_key', 'present_value']) assert.ok(maxDiff(got[name]!.data as Float32Array, want[name]!.data as Float32Array) < 1e-6, name);
  await checkFirstBatch(prepared, exposed, withPast(), { file: path, original: path, originalOutputs: ['logits', 'attn_out', 'present_key', 'present_value'], providers: ['cpu'] });
  await exposed.release();
});

test('GroupQueryAttention with a KV cache: rotary at the positions after the past, causal frontier offset, present outputs; equal to NumPy and onnxruntime', async () => {
  const path = join(fixtures, 'gqa_past.onnx');
  const ref = reference.models['gqa_past.onnx'] as ModelReference & { past_key: number[]; past_value: number[]; pastShape: number[] };
  const ort = loadOrt();
  // onnxruntime's CPU kernel takes a past with several new tokens only for batch 1: the first row.
  const [B, S, P] = [1, 6, ref.pastShape[2]!];
  const third = <T extends { length: number; slice(a: number, b: number): T }>(x: T): T => x.slice(0, x.length / 3);
  const pastShape = [1, ...ref.pastShape.slice(1)];
  const withPast = (): Record<string, Tensor> => ({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(reference.feeds.input_ids[0]!.map(BigInt)), [1, S]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(B * (P + S)).fill(1n), [B, P + S]),
    past_key: new ort.Tensor('float32', Float32Array.from(third(ref.past_key)), pastShape),
    past_value: new ort.Tensor('float32', Float32Array.from(third(ref.past_value)), pastShape),
  });
  const original = await session(path);
  const want = await original.run(withPast());
  await original.release();
  assert.ok(maxDiff(want['attn_out']!.data as Float32Array, third(ref.attn_out)) < 1e-5, 'onnxruntime vs NumPy');
  const prepared = prepareAttention((await loadModel(path)).proto, path);
  const exposed = await session(exposeAttention(prepared.proto, prepared.graph));
  const got = await exposed.run(withPast());
  const probs = got[prepared.graph.sites[0]!.tensor]!;
  assert.deepEqual(probs.dims.map(Number), [B, 4, S, P + S]);
  assert.ok(maxDiff(probs.data as Float32Array, third(ref.probabilities)) < 1e-5, 'probabilities vs NumPy');
  for (const name of ['attn_out', 'present_key', 'present_value']) assert.ok(maxDiff(got[name]!.data as Float32Array, want[name]!.data as Float32Array) < 1e-5, name);
  await exposed.release();
});

test('MultiHeadAttention: the rewrite\'s probabilities equal the softmax of onnxruntime\'s own qk output', async () => {
  const path = join(fixtures, 'mha_qk.onnx');
  const batch = JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8')) as { input_ids: number[][]; attention_mask: number[][] };
  const ort = loadOrt();
  const dims = [batch.input_ids.length, batch.input_ids[0]!.length];
  const input = (): Record<string, Tensor> => ({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(batch.input_ids.flat().map(BigInt)), dims),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(batch.attention_mask.flat().map(BigInt)), dims),
  });
  const loaded = await loadModel(path);
  // onnxruntime's kernel: the optional qk output (pre-softmax logits) exposed, softmax applied here.
  const raw = findAttention(loaded.proto, path);
  const kernel = await session(exposeAttention(loaded.proto, raw));
  const qk = (await kernel.run(input()))[raw.sites[0]!.tensor]!;
  const want = softmaxRows(Float32Array.from(qk.data as Float32Array), dims[1]!);
  await kernel.release();
  const prepared = prepareAttention(loaded.proto, path);
  assert.deepEqual(prepared.graph.sites.map((s) => s.kind), ['softmax']);
  const exposed = await session(exposeAttention(prepared.proto, prepared.graph));
  const got = (await exposed.run(input()))[prepared.graph.sites[0]!.tensor]!;
  assert.deepEqual(got.dims, qk.dims);
  assert.ok(maxDiff(got.data as Float32Array, want) < 1e-6);
  await exposed.release();
});

test('com.microsoft Attention with past/present (GPT-2 style): equal to NumPy and onnxruntime, present included', async () => {
  const path = join(fixtures, 'ms_attention_past.onnx');
  const ref = reference.models['ms_attention_past.onnx'] as ModelReference & { past: number[]; pastShape: number[]; attention_mask: number[][] };
  const ort = loadOrt();
  const withPast = (): Record<string, Tensor> => ({
    input_ids: feeds()['input_ids']!,
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(ref.attention_mask.flat().map(BigInt)), [3, 8]),
    past: new ort.Tensor('float32', Float32Array.from(ref.past), ref.pastShape),
  });
  const original = await session(path);
  const want = await original.run(withPast());
  await original.release();
  assert.ok(maxDiff(want['attn_out']!.data as Float32Array, ref.attn_out) < 1e-5, 'onnxruntime vs NumPy');
  const prepared = prepareAttention((await loadModel(path)).proto, path);
  const exposed = await session(exposeAttention(prepared.proto, prepared.graph));
  const got = await exposed.run(withPast());
  const probs = got[prepared.graph.sites[0]!.tensor]!;
  assert.deepEqual(probs.dims.map(Number), ref.probabilitiesShape);
  assert.ok(maxDiff(probs.data as Float32Array, ref.probabilities) < 1e-5, 'probabilities vs NumPy');
  for (const name of ['attn_out', 'present']) assert.ok(maxDiff(got[name]!.data as Float32Array, want[name]!.data as Float32Array) < 1e-5, name);
  await exposed.release();
});

test('a rewrite that does not reproduce the model fails the first-batch check, naming the op and the output', async () => {
  const path = join(fixtures, 'ms_attention.onnx');
  const prepared = prepareAttention((await loadModel(path)).proto, path);
  // Corrupt the rewritten copy: the scale constant of the logits (1/sqrt(4) = 0.5) becomes 0.6.
  const graph = prepared.proto.graph!;
  const mul = graph.node.find((n) => n.opType === 'Mul' && n.name?.startsWith('/attn_9/'))!;
  const scale = graph.initializer.find((t) => t.name === mul.input[1])!;
  assert.equal(new DataView(scale.rawData!.buffer, scale.rawData!.byteOffset, 4).getFloat32(0, true), 0.5);
  const bad: PreparedAttention = { ...prepared, proto: prepared.proto };
  const raw = new Uint8Array(4);
  new DataView(raw.buffer).setFloat32(0, 0.6, true);
  scale.rawData = raw;
  const exposed = await session(exposeAttention(bad.proto, bad.graph));
  await assert.rejects(checkFirstBatch(bad, exposed, feeds(), { file: path, original: path, originalOutputs: ['logits', 'attn_out'], providers: ['cpu'] }), (e: unknown) => {
    assert.ok(e instanceof InspectorError);
    assert.equal(e.code, 'attention.rewrite-mismatch');
    assert.match(e.message, /after rewriting \/attn_9 \(com\.microsoft Attention\) into primitive ops, output 'logits' differs from the original model's on the first batch by/);
    return true;
  });
  await exposed.release();
});

function setAttribute(model: ModelProto, op: string, attribute: AttributeProto): ModelProto {
  const node = model.graph!.node.find((n: NodeProto) => n.opType === op)!;
  node.attribute = [...node.attribute.filter((a) => a.name !== attribute.name), attribute];
  return model;
}

const intAttribute = (name: string, i: number): AttributeProto => ({ name, type: 2, i, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] });

test('an attribute the rewrite does not cover blocks it, and the analysis error names it', async () => {
  const path = join(fixtures, 'gqa.onnx');
  const model = setAttribute((await loadModel(path)).proto, 'GroupQueryAttention', intAttribute('local_window_size', 2));
  const rewrite = rewriteFusedAttention(model);
  assert.deepEqual(rewrite.rewritten, []);
  assert.deepEqual(rewrite.blocked.map((b) => [b.op, b.reason]), [['GroupQueryAttention', 'attribute local_window_size = 2 (sliding window)']]);
  assert.throws(() => prepareAttention(model, 'gqa.onnx'), (e: unknown) => {
    assert.ok(e instanceof BadInputError);
    assert.equal(e.code, 'attention.none');
    assert.match(e.message, /Blocking fused ops: \/gqa_\d+ \(com\.microsoft GroupQueryAttention\): the rewrite into primitive ops is blocked by attribute local_window_size = 2/);
    return true;
  });
  const attention = setAttribute((await loadModel(join(fixtures, 'ms_attention.onnx'))).proto, 'Attention', intAttribute('do_rotary', 1));
  assert.match(rewriteFusedAttention(attention).blocked[0]!.reason, /^attribute do_rotary = 1/);
});

test('ranks come from value info or from the producers (Gather, MatMul); an unknown producer blocks the rewrite, naming the input', async () => {
  const model = (await loadModel(join(fixtures, 'mha.onnx'))).proto;
  model.graph!.valueInfo = model.graph!.valueInfo.filter((v) => !/^matmul/.test(v.name ?? ''));
  // Without the value info the ranks follow Gather(table, ids [B,T]) -> [B,T,E] -> MatMul -> rank 3.
  assert.equal(rewriteFusedAttention(model).rewritten.length, 1);
  const mha = model.graph!.node.find((n) => n.opType === 'MultiHeadAttention')!;
  const query = model.graph!.node.find((n) => n.output[0] === mha.input[0])!;
  query.domain = 'custom.ops';
  const rewrite = rewriteFusedAttention(model);
  assert.equal(rewrite.rewritten.length, 0);
  assert.match(rewrite.blocked[0]!.reason, /^the rank of input query 'matmul_out_\d+' cannot be inferred from the graph$/);
});

test('opset-9 SVTR-style graph: Softmax(axis=3) of unknown rank is decided on the first batch; maps equal NumPy', async () => {
  const path = join(fixtures, 'svtr_opset9.onnx');
  const ref = reference.models['svtr_opset9.onnx']!;
  const loaded = await loadModel(path);
  // Weights are in Constant nodes, as in PaddleOCR's exports.
  assert.equal(loaded.proto.graph!.initializer.length, 0);
  const prepared = prepareAttention(loaded.proto, path);
  assert.deepEqual(prepared.graph.sites.map((s) => [s.node, s.decide, s.layout]), [['/svtr0/Softmax_40', 'run', undefined], ['/svtr1/Softmax_90', 'run', undefined]]);
  assert.match(prepared.graph.sites[0]!.undecided!, /Softmax \(opset 9\) with axis=3: the rank of its input cannot be inferred/);
  const exposed = await session(exposeAttention(prepared.proto, prepared.graph));
  const checked = await checkFirstBatch(prepared, exposed, feeds(), { file: path, original: path, originalOutputs: ['logits', 'attn_out'], providers: ['cpu'] });
  assert.deepEqual(checked.sites.map((s) => [s.decide, s.layout]), [['graph', '[B,H,T,T]'], ['graph', '[B,H,T,T]']]);
  const run = await exposed.run(feeds());
  const both = [...run[checked.sites[0]!.tensor]!.data as Float32Array, ...run[checked.sites[1]!.tensor]!.data as Float32Array];
  assert.ok(maxDiff(both, ref.probabilities) < 1e-5);
  await exposed.release();
});

test('confirmSites: an undecided Softmax whose rows do not sum to 1 over the last axis is dropped with the reason', async () => {
  const path = join(fixtures, 'svtr_opset9.onnx');
  const graph = findAttention((await loadModel(path)).proto, path);
  const [a, b] = graph.sites;
  const good = { dims: [1, 1, 2, 2], data: Float32Array.of(0.25, 0.75, 1, 0) };
  const bad = { dims: [1, 1, 2, 2], data: Float32Array.of(0.1, 0.2, 0.3, 0.4) }; // normalised over the last two axes together
  const kept = confirmSites(graph, new Map([[a!.tensor, good], [b!.tensor, bad]]), path);
  assert.deepEqual(kept.sites.map((s) => [s.node, s.layer]), [[a!.node, 0]]);
  assert.match(kept.rejected.at(-1)!.reason, /has a row over the last axis summing to 0\.300000, so it does not normalise over the keys/);
  assert.throws(() => confirmSites(graph, new Map([[a!.tensor, bad], [b!.tensor, { dims: [4, 4], data: new Float32Array(16) }]]), path), (e: unknown) => {
    assert.ok(e instanceof BadInputError);
    assert.equal(e.code, 'attention.none');
    assert.match(e.message, /has shape \[4, 4\], not \[B, H, T, T\]/);
    return true;
  });
});
