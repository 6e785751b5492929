/**
 * Fused-attention variants beyond fused.test.ts (issue 13): MultiHeadAttention with past, bias,
 * attention_bias and unidirectional, or with key/value already in heads; GroupQueryAttention with
 * position_ids, interleaved rotary and softcap; ONNX Attention (opset 23) with 4-D inputs, a float
 * mask, scale and softcap. References: fused-variants-reference.json, NumPy recomputations from
 * each op's specification by test/fixtures/attention/make-fused-variants.py. Each model: onnxruntime's
 * kernel vs NumPy, the rewrite's probabilities and outputs vs NumPy (1e-5), the first-batch check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Tensor } from 'onnxruntime-node';
import { loadModel, rewriteFusedAttention, type AttributeProto, type ModelProto, type NodeProto } from '../../../extension/core/onnx';
import { exposeAttention } from '../../../extension/core/attention/extract';
import { checkFirstBatch, prepareAttention } from '../../../extension/core/attention/prepare';
import { BadInputError } from '../../../extension/core/errors';
import { loadOrt } from '../../../extension/core/runtime';
import { maxDiff, session } from './ortSession';

const fixtures = resolve(__dirname, '../../fixtures/attention');
interface ModelReference {
  probabilities: number[]; probabilitiesShape: number[]; attn_out: number[]; logits: number[];
  [extra: string]: unknown;
}
const reference = JSON.parse(readFileSync(join(fixtures, 'fused-variants-reference.json'), 'utf8')) as {
  feeds: { input_ids: number[][]; attention_mask: number[][] };
  models: Record<string, ModelReference>;
};

const int64 = (rows: number[][]): Tensor => new (loadOrt().Tensor)('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]!.length]);
const float = (data: unknown, dims: unknown): Tensor => new (loadOrt().Tensor)('float32', Float32Array.from(data as number[]), dims as number[]);

/** The feeds of a model: ids, its mask, and the extra inputs the reference recorded. */
function feeds(name: string): Record<string, Tensor> {
  const ref = reference.models[name]!;
  const out: Record<string, Tensor> = { input_ids: int64(reference.feeds.input_ids), attention_mask: int64((ref['attention_mask'] as number[][] | undefined) ?? reference.feeds.attention_mask) };
  if (ref['past_key']) {
    out['past_key'] = float(ref['past_key'], ref['pastShape']);
    out['past_value'] = float(ref['past_value'], ref['pastShape']);
  }
  if (ref['attention_bias']) out['attention_bias'] = float(ref['attention_bias'], ref['attentionBiasShape']);
  if (ref['position_ids']) out['position_ids'] = int64(ref['position_ids'] as number[][]);
  return out;
}

const VARIANTS: readonly [string, string, number, readonly string[]][] = [
  ['mha_past_bias.onnx', 'com.microsoft/MultiHeadAttention', 2, ['present_key', 'present_value']],
  ['mha_kv4d.onnx', 'com.microsoft/MultiHeadAttention', 2, []],
  ['mha_kv4d_bias.onnx', 'com.microsoft/MultiHeadAttention', 2, []],
  ['gqa_variants.onnx', 'com.microsoft/GroupQueryAttention', 4, []],
  ['gqa_bidirectional.onnx', 'com.microsoft/GroupQueryAttention', 4, []],
  ['onnx_attention_4d.onnx', 'ai.onnx/Attention', 4, []],
];

for (const [name, op, heads, presents] of VARIANTS) {
  test(`${name}: onnxruntime's kernel and the rewrite into primitive ops both equal the NumPy recomputation of the spec`, async () => {
    const path = join(fixtures, name);
    const ref = reference.models[name]!;
    const original = await session(path);
    const want = await original.run(feeds(name));
    await original.release();
    assert.ok(maxDiff(want['attn_out']!.data as Float32Array, ref.attn_out) < 1e-5, `onnxruntime attn_out vs NumPy: ${maxDiff(want['attn_out']!.data as Float32Array, ref.attn_out)}`);
    assert.ok(maxDiff(want['logits']!.data as Float32Array, ref.logits) < 1e-5, 'onnxruntime logits vs NumPy');
    for (const p of presents) assert.ok(maxDiff(want[p]!.data as Float32Array, ref[p] as number[]) < 1e-5, `onnxruntime ${p} vs NumPy`);

    const prepared = prepareAttention((await loadModel(path)).proto, path);
    assert.deepEqual(prepared.rewrite.rewritten.map((r) => `${r.domain}/${r.op}`), [op]);
    assert.deepEqual(prepared.rewrite.blocked, []);
    assert.equal(prepared.rewrite.rewritten[0]!.heads, heads);
    const exposed = await session(exposeAttention(prepared.proto, prepared.graph));
    const got = await exposed.run(feeds(name));
    const probs = got[prepared.graph.sites[0]!.tensor]!;
    assert.deepEqual(probs.dims.map(Number), ref.probabilitiesShape);
    assert.ok(maxDiff(probs.data as Float32Array, ref.probabilities) < 1e-5, `probabilities vs NumPy: ${maxDiff(probs.data as Float32Array, ref.probabilities)}`);
    assert.ok(maxDiff(got['attn_out']!.data as Float32Array, ref.attn_out) < 1e-5, 'rewritten attn_out vs NumPy');
    assert.ok(maxDiff(got['logits']!.data as Float32Array, ref.logits) < 1e-5, 'rewritten logits vs NumPy');
    for (const p of presents) assert.ok(maxDiff(got[p]!.data as Float32Array, ref[p] as number[]) < 1e-6, `rewritten ${p} vs NumPy`);
    const checked = await checkFirstBatch(prepared, exposed, feeds(name), { file: path, original: path, originalOutputs: ['logits', 'attn_out', ...presents], providers: ['cpu'] });
    assert.equal(checked.sites.length, 1);
    await exposed.release();
  });
}

const attribute = (name: string, value: number): AttributeProto => ({ name, type: 2, i: value, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] });

test('what a rewrite does not cover blocks it, and the reason names the attribute, input or output', async () => {
  const load = async (name: string): Promise<ModelProto> => (await loadModel(join(fixtures, name))).proto;
  const node = (model: ModelProto, op: string): NodeProto => model.graph!.node.find((n) => n.opType === op)!;
  const reason = (model: ModelProto): string => {
    const r = rewriteFusedAttention(model);
    assert.equal(r.rewritten.length, 0);
    return r.blocked[0]!.reason;
  };
  // GroupQueryAttention: the windowed cache, a normalised Q/K, the qk output before softmax.
  let m = await load('gqa_variants.onnx');
  node(m, 'GroupQueryAttention').attribute.push(attribute('sliding_window_cache', 1));
  assert.equal(reason(m), 'attribute sliding_window_cache = 1 (window-sized KV cache)');
  m = await load('gqa_variants.onnx');
  const gqa = node(m, 'GroupQueryAttention');
  while (gqa.input.length < 16) gqa.input.push('');
  gqa.input[15] = 'emb_1';
  assert.equal(reason(m), 'input k_norm_weight (emb_1)');
  m = await load('gqa_variants.onnx');
  node(m, 'GroupQueryAttention').output.push('qk');
  node(m, 'GroupQueryAttention').attribute.push(attribute('qk_output', 1));
  assert.equal(reason(m), 'output output_qk with attribute qk_output = 1 (only 2, the probabilities, is rewritten)');
  // MultiHeadAttention: a beam-search cache indirection.
  m = await load('mha_kv4d.onnx');
  const mha = node(m, 'MultiHeadAttention');
  while (mha.input.length < 10) mha.input.push('');
  mha.input[9] = 'attention_mask';
  assert.equal(reason(m), 'input cache_indirection (beam search)');
  // ONNX Attention with 4-D inputs whose head axis the graph does not tell (no value info).
  m = await load('onnx_attention_4d.onnx');
  m.graph!.valueInfo = [];
  assert.match(reason(m), /^(the rank of input Q '[^']+' cannot be inferred from the graph|4-D Q and K whose head axis \(1\) is not known from the graph)$/);
  m = await load('onnx_attention_4d.onnx');
  node(m, 'Attention').output.push('', '', 'qk');
  node(m, 'Attention').attribute.push(attribute('qk_matmul_output_mode', 2));
  assert.equal(reason(m), 'output qk_matmul_output with qk_matmul_output_mode = 2 (only 3, the probabilities, is rewritten)');
  // The analysis names the blocked op and the reason.
  m = await load('gqa_variants.onnx');
  node(m, 'GroupQueryAttention').attribute.push(attribute('sliding_window_cache', 1));
  assert.throws(() => prepareAttention(m, 'gqa_variants.onnx'), (e: unknown) => e instanceof BadInputError && /\(com\.microsoft GroupQueryAttention\): the rewrite into primitive ops is blocked by attribute sliding_window_cache = 1/.test(e.message));
});
