import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSpec, resolveSpec, type ResolvedSpec } from '../../../extension/core/data';
import { AttentionSampler, runAttentionSample, runAttention } from '../../../extension/core/analyze/attention';
import type { AttentionReport } from '../../../extension/protocol/attention';
import { analyzeBias } from '../../../extension/core/attention';
import { findInitializer, loadModel, tensorToFloat32 } from '../../../extension/core/onnx';
import { BadInputError } from '../../../extension/core/errors';
import { reportToJson } from '../../../extension/core/report';

const fixtures = resolve(__dirname, '../../fixtures/attention');
const examples = resolve(__dirname, '../../../examples');
const tmp = mkdtempSync(join(tmpdir(), 'attention-pipeline-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const reference = JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8')) as { bhtt: number[][][][][]; alibi_slopes: number[]; input_ids: number[][] };

function fixtureSpec(model: string, data = join(fixtures, 'samples.jsonl'), extra: Record<string, unknown> = {}): Promise<ResolvedSpec> {
  return resolveSpec({
    model: join(fixtures, model), data, task: 'binary', inputs: { input_ids: { column: 'ids' } }, groups: ['group'],
    attention: { tokens: 'tokens', spans: { term: 'span' } }, ...extra,
  }, { baseDir: fixtures });
}

function jsonl(name: string, rows: readonly Record<string, unknown>[]): string {
  const path = join(tmp, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

const decode = (s: string): Float32Array => {
  const bytes = Buffer.from(s, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};

let demoReport: AttentionReport | undefined;
async function demo(): Promise<AttentionReport> {
  demoReport ??= await runAttention(await loadSpec(join(examples, 'tiny-transformer.bias.json')), { providers: ['cpu'], maxRows: 240, batchSize: 64 });
  return demoReport;
}

test('demo transformer: every layer and head, rows sum to 1, per-group entries, §4 key order', async () => {
  const r = await demo();
  assert.equal(r.schema, 'bias-inspector.report/1');
  assert.equal(r.kind, 'attention');
  assert.equal(r.runtime.used, 'cpu');
  const a = r.attention;
  assert.deepEqual(Object.keys(a).slice(0, 6), ['layers', 'heads', 'layout', 'perHead', 'byGroup', 'bias']);
  assert.deepEqual([a.layers, a.heads, a.layout, a.samples, a.causal], [2, 4, '[B,H,T,T]', 240, false]);
  assert.deepEqual(a.perHead.map((h) => `${h.layer}/${h.head}`), ['0/0', '0/1', '0/2', '0/3', '1/0', '1/1', '1/2', '1/3']);
  for (const h of a.perHead) {
    assert.ok(h.entropy > 0 && h.entropy < Math.log(13), `entropy ${h.entropy}`);
    assert.ok(h.firstTokenMass > 0 && h.firstTokenMass < 1);
    assert.ok(h.spanMass.identity! > 0 && h.spanMass.identity! < 1);
    assert.equal(h.specialTokenMass, h.firstTokenMass, '[CLS] is the only special token and always first');
  }
  assert.ok(a.rowSums.rows > 1000);
  assert.ok(a.rowSums.maxDeviation < 1e-5, `worst row sum deviation ${a.rowSums.maxDeviation}`);
  assert.deepEqual(a.byGroup.map((g) => g.group.identity), ['black', 'christian', 'gay', 'muslim', 'none', 'straight', 'white']);
  assert.equal(a.byGroup.reduce((n, g) => n + g.samples, 0), 240);
  assert.equal(a.ranking.length, 8);
  assert.equal(a.maps.overall.length, 8);
  assert.equal(decode(a.maps.overall[0]!.data).length, a.maps.window ** 2);
  assert.equal(a.entropy.overall.length, 8);
  const json = JSON.parse(reportToJson(r)) as { attention: { bias: unknown[] } };
  assert.equal(json.attention.bias.length, 8);
});

test('demo transformer: the learned relative-position bias is found per head with the rank of its Toeplitz matrix; the mask is told apart', async () => {
  const r = await demo();
  const T = r.attention.biasMatrices!.T;
  assert.equal(T, 13, 'default T = min(64, longest row)');
  const loaded = await loadModel(join(examples, 'tiny-transformer.onnx'));
  for (const layer of [0, 1]) {
    const table = await tensorToFloat32(loaded, findInitializer(loaded.proto, `blocks.${layer}.attn.rel_bias.weight`)!);
    const [rows, heads] = [findInitializer(loaded.proto, `blocks.${layer}.attn.rel_bias.weight`)!.dims[0]!, 4];
    const K = (rows - 1) / 2;
    for (let h = 0; h < heads; h++) {
      const matrix: Float64Array = Float64Array.from({ length: T * T }, (_, c: number): number => table[(Math.max(-K, Math.min(K, (c % T) - Math.floor(c / T))) + K) * heads + h]!);
      const expected = analyzeBias(matrix, T);
      assert.ok(expected);
      const entry = r.attention.bias!.find((b) => b.layer === layer && b.head === h)!;
      assert.equal(entry.kind, 'relative');
      assert.equal(entry.rank, expected.rank);
      assert.ok(Math.abs(entry.energy[0]! - expected.energy[0]!) < 1e-5);
      const stored = decode(r.attention.biasMatrices!.matrices.find((m) => m.layer === layer && m.head === h)!.data);
      assert.ok(stored.every((x, c) => Math.abs(x - matrix[c]!) < 1e-6));
    }
  }
  assert.deepEqual(r.attention.sources.map((s) => [s.biasNode, s.maskNode]), [
    ['/blocks.0/attn/Add_1', '/blocks.0/attn/Add_2 (derives from model input attention_mask)'],
    ['/blocks.1/attn/Add_1', '/blocks.1/attn/Add_2 (derives from model input attention_mask)'],
  ]);
});

test('both layouts give the same per-head and per-group numbers', async () => {
  const a = await runAttention(await fixtureSpec('bhtt.onnx'), { providers: ['cpu'], batchSize: 7 });
  const b = await runAttention(await fixtureSpec('folded.onnx'), { providers: ['cpu'], batchSize: 16 });
  assert.equal(a.attention.layout, '[B,H,T,T]');
  assert.equal(b.attention.layout, '[B*H,T,T]');
  assert.deepEqual([b.attention.layers, b.attention.heads, b.attention.samples], [2, 3, 40]);
  const close = (x: number, y: number): boolean => (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) < 1e-6;
  a.attention.perHead.forEach((h, i) => {
    const g = b.attention.perHead[i]!;
    assert.deepEqual([g.layer, g.head], [h.layer, h.head]);
    assert.ok(close(h.entropy, g.entropy) && close(h.firstTokenMass, g.firstTokenMass) && close(h.spanMass.term!, g.spanMass.term!));
  });
  a.attention.byGroup.forEach((group, i) => group.perHead.forEach((h, j) => assert.ok(close(h.entropy, b.attention.byGroup[i]!.perHead[j]!.entropy))));
  assert.ok(a.attention.rowSums.maxDeviation < 1e-5 && b.attention.rowSums.maxDeviation < 1e-5);
  assert.deepEqual(a.attention.bias?.map((e) => [e.layer, e.head, e.kind]), [[0, 0, 'relative'], [0, 1, 'relative'], [0, 2, 'relative']]);
  assert.deepEqual(b.attention.bias?.map((e) => e.rank), a.attention.bias?.map((e) => e.rank));
});

test('per-sample maps equal the numpy reference for the hand-built graph, in both layouts', async () => {
  const data = jsonl('reference.jsonl', [{ ids: reference.input_ids[0], tokens: ['[CLS]', 'a', 'b', 'c', 'd', 'e'], group: 'a', span: [2], label: 0 }]);
  for (const model of ['bhtt.onnx', 'folded.onnx']) {
    const sample = await runAttentionSample(await fixtureSpec(model, data), 0, { providers: ['cpu'] });
    assert.deepEqual(sample.tokens, ['[CLS]', 'a', 'b', 'c', 'd', 'e']);
    assert.equal(sample.validLength, 6);
    assert.deepEqual(sample.group, { group: 'a' });
    assert.deepEqual(sample.layers.map((l) => [l.layer, l.heads, l.T]), [[0, 3, 6], [1, 3, 6]]);
    sample.layers.forEach((l) => {
      const maps = new Float32Array(l.data);
      const expected = reference.bhtt[l.layer]![0]!.flat(2);
      assert.ok(maps.every((x, c) => Math.abs(x - expected[c]!) < 1e-5), `${model} layer ${l.layer}`);
    });
  }
});

test('ALiBi + causal mask: bias kind alibi with the planted slopes, the causal mask is not a bias, rows attend causally', async () => {
  const spec = await fixtureSpec('alibi_causal.onnx');
  const r = await runAttention(spec, { providers: ['cpu'], length: 16 });
  const a = r.attention;
  assert.equal(a.causal, true);
  assert.deepEqual(a.bias?.map((b) => [b.kind, b.rank]), [['alibi', 2], ['alibi', 2], ['alibi', 2], ['alibi', 2]]);
  a.bias!.forEach((b, h) => assert.ok(Math.abs(b.slope! - reference.alibi_slopes[h]!) < 1e-5));
  assert.equal(a.biasMatrices?.T, 16);
  assert.match(a.sources[0]!.maskNode ?? '', /causal_add_67 \(constant: only 0 and ≤ −1e4\)/);
  assert.ok(a.rowSums.maxDeviation < 1e-5);
});

test('input longer than the position table: error naming the row and the limit', async () => {
  const rows = Array.from({ length: 3 }, (_, r) => ({ ids: Array.from({ length: r === 2 ? 20 : 8 }, (_, j) => 2 + (j % 9)), group: 'a', label: 0 }));
  const spec = await resolveSpec({ model: join(fixtures, 'abs_pos.onnx'), data: jsonl('long.jsonl', rows), task: 'binary', inputs: { input_ids: { column: 'ids' } } }, { baseDir: tmp });
  await assert.rejects(runAttention(spec, { providers: ['cpu'] }), (e: unknown) => {
    assert.ok(e instanceof BadInputError);
    assert.equal(e.code, 'attention.too-long');
    assert.match(e.message, /row 3 has 20 tokens, and .*abs_pos\.onnx accepts sequences of at most 16 \(position table pos\.weight_\d+ \(16 rows\)\)/);
    return true;
  });
});

test('demo transformer accepts sequence lengths 13, 31 and 64', async () => {
  const rows = [13, 31, 64].map((n, r) => ({ ids: [2, ...Array.from({ length: n - 1 }, (_, j) => 3 + ((j * 7 + r) % 160))], label: 0, identity: 'none', identity_span: [] }));
  const data = jsonl('lengths.jsonl', rows);
  const spec = await resolveSpec({ model: join(examples, 'tiny-transformer.onnx'), data, task: 'binary', inputs: { input_ids: { column: 'ids' } }, groups: ['identity'] }, { baseDir: tmp });
  const r = await runAttention(spec, { providers: ['cpu'], batchSize: 1 });
  assert.equal(r.attention.samples, 3);
  assert.ok(r.attention.rowSums.maxDeviation < 1e-5);
  assert.equal(r.attention.biasMatrices?.T, 64);
  const sampler = await AttentionSampler.open(spec, { providers: ['cpu'] });
  try {
    for (const [row, n] of [[0, 13], [1, 31], [2, 64]] as const) {
      const s = await sampler.sample(row);
      assert.deepEqual(s.layers.map((l) => [l.heads, l.T]), [[4, n], [4, n]]);
      assert.deepEqual(s.tokens.slice(0, 2), ['0', '1'], 'positions label the axes without a tokens column');
      const maps = new Float32Array(s.layers[1]!.data);
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += maps[i * n + j]!;
        assert.ok(Math.abs(sum - 1) < 1e-5);
      }
    }
    await assert.rejects(sampler.sample(3), (e: unknown) => e instanceof BadInputError && e.code === 'attention.row');
  } finally {
    await sampler.close();
  }
});

test('aggregation in a worker thread gives the same report numbers as in-process', async () => {
  const spec = await fixtureSpec('bhtt.onnx');
  const local = await runAttention(spec, { providers: ['cpu'], batchSize: 8 });
  const worker = await runAttention(spec, {
    providers: ['cpu'], batchSize: 8, workerPath: resolve(__dirname, '../../../extension/core/attention/attention.worker.ts'), workerExecArgv: ['--require', 'tsx/cjs'],
  });
  assert.deepEqual(worker.attention.perHead, local.attention.perHead);
  assert.deepEqual(worker.attention.byGroup, local.attention.byGroup);
  assert.deepEqual(worker.attention.maps, local.attention.maps);
});

test('§B groups: a row with a missing sensitive value is in its columns\' groups but in no intersection (3 columns)', async () => {
  const source = readFileSync(join(fixtures, 'samples.jsonl'), 'utf8').trim().split('\n').slice(0, 6).map((l) => JSON.parse(l) as Record<string, unknown>);
  const values = [['F', 'x', 'u'], ['M', 'x', 'u'], ['F', 'y', 'u'], ['F', 'x', 'u'], ['M', 'y', 'v'], ['F', 'x', null]];
  const rows: Record<string, unknown>[] = source.map((r, i) => { const [a, b, c] = values[i]!; return { ...r, a, b, c }; });
  rows.push({ ...source[0], ids: null, a: 'F', b: 'x', c: 'u' }); // skipped, by reason
  const spec = await fixtureSpec('bhtt.onnx', jsonl('three-columns.jsonl', rows), { groups: ['a', 'b', 'c'] });
  const r = await runAttention(spec, { providers: ['cpu'] });
  const keyOf = (g: Record<string, string>): string => Object.entries(g).map(([k, v]) => `${k}=${v}`).join(',');
  const byKey = new Map(r.attention.byGroup.map((g) => [keyOf(g.group), g.samples]));
  // single columns: row 5 (c missing) counts in a=F and b=x
  assert.equal(byKey.get('a=F'), 4);
  assert.equal(byKey.get('b=x'), 4);
  assert.equal(byKey.get('c=u'), 4);
  // intersections name every sensitive column; row 5 joins none of them (no partial {a, b} group)
  const intersections = r.attention.byGroup.filter((g) => Object.keys(g.group).length > 1);
  assert.deepEqual(intersections.map((g) => Object.keys(g.group).length), intersections.map(() => 3));
  assert.equal(byKey.get('a=F,b=x,c=u'), 2);
  assert.equal(intersections.reduce((n, g) => n + g.samples, 0), 5);
  assert.equal(r.attention.samples, 6);
  assert.deepEqual(r.data, { path: spec.data, rows: 7, skippedRows: 1, skipReasons: { 'missing token ids': 1 } });
});
