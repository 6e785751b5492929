/**
 * The model summary ("N attention blocks") and the attention analysis use one detector (issue
 * 13): on every model in examples/ and the test fixtures they count the same attention layers of
 * the main graph, and name the same nodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadModel, summarizeModel } from '../../../extension/core/onnx';
import { prepareAttention } from '../../../extension/core/attention/prepare';
import { BadInputError } from '../../../extension/core/errors';

const root = resolve(__dirname, '../../..');

function onnxFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return onnxFiles(path);
    return name.endsWith('.onnx') ? [path] : [];
  });
}

const models = [...onnxFiles(join(root, 'examples')), ...onnxFiles(join(root, 'test/fixtures'))].sort();

test('there are models to compare (examples and fixtures, fused and opset-9 ones among them)', () => {
  const names = models.map((m) => relative(root, m));
  const wanted = [
    'examples/tiny-transformer.onnx', 'examples/tiny-lm.onnx', 'examples/tiny-lm-debiased.onnx', 'test/fixtures/attention/svtr_opset9.onnx',
    // one of each fused op
    'test/fixtures/attention/ms_attention.onnx', 'test/fixtures/attention/mha.onnx', 'test/fixtures/attention/gqa.onnx', 'test/fixtures/attention/onnx_attention.onnx',
  ];
  for (const want of wanted) {
    assert.ok(names.includes(want), want);
  }
});

for (const path of models) {
  const name = relative(root, path);
  test(`summary and analysis agree: ${name}`, async (t) => {
    let loaded;
    try {
      loaded = await loadModel(path);
    } catch (error) {
      // Deliberately broken fixtures (truncated, bad external data) have no attention to compare.
      if (error instanceof BadInputError) { t.skip(`not loadable: ${error.code}`); return; }
      throw error;
    }
    const blocks = summarizeModel(loaded).attention.blocks.filter((b) => b.graph === '');
    let sites: string[];
    try {
      const prepared = prepareAttention(loaded.proto, path);
      const fused = new Map(prepared.rewrite.rewritten.map((r) => [r.probabilities, r.node]));
      // A rewritten fused op's Softmax stands for the fused node the summary lists.
      sites = prepared.graph.sites.map((s) => fused.get(s.tensor) ?? s.node);
    } catch (error) {
      if (!(error instanceof BadInputError) || error.code !== 'attention.none') throw error;
      // No site: every fused op the summary lists must be one the analysis names as blocking.
      for (const b of blocks) assert.equal(b.kind, 'fused', `${name}: the summary lists Softmax ${b.node} the analysis does not find`);
      if (blocks.length > 0) assert.match(error.message, /Blocking fused ops/, name);
      return;
    }
    assert.equal(blocks.length, sites.length, `${name}: summary ${blocks.length} blocks (${blocks.map((b) => b.node).join(', ')}), analysis ${sites.length} (${sites.join(', ')})`);
    assert.deepEqual(blocks.map((b) => b.node || `${b.op}#${b.index}`), sites, name);
  });
}
