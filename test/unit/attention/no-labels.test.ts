/**
 * Attention reads no labels (issue 13, DESIGN.md §3): a spec without `task` and `label` runs the
 * attention analysis, including through fused ops and on the opset-9 graph, and the CLI
 * `bias-inspector attention` works on each fixture model; the analyses that score predictions
 * (groups) still ask for the task, naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSpec, resolveSpec } from '../../../extension/core/data';
import { runAttention } from '../../../extension/core/analyze/attention';
import { runGroups } from '../../../extension/core/analyze/groups';
import { BadInputError } from '../../../extension/core/errors';

const root = resolve(__dirname, '../../..');
const fixtures = join(root, 'test/fixtures/attention');
const cli = join(root, 'dist/cli.js');

test('a spec file without task and label loads, and the attention analysis runs on it through a fused op', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-nolabels-'));
  try {
    const path = join(dir, 'a.bias.json');
    writeFileSync(path, JSON.stringify({ model: join(fixtures, 'gqa.onnx'), data: join(fixtures, 'samples.jsonl'), inputs: { input_ids: { column: 'ids' } }, groups: ['group'] }));
    const spec = await loadSpec(path);
    assert.equal(spec.task, undefined);
    const report = await runAttention(spec, { providers: ['cpu'], batchSize: 8 });
    assert.equal(report.attention.layers, 1);
    assert.equal(report.attention.heads, 4);
    assert.equal(report.data.rows, 40);
    assert.deepEqual(report.attention.sources.map((s) => s.kind), ['softmax']);
    // Every row of every map sums to 1 over the valid keys (checked by the pipeline on real data).
    assert.ok(report.attention.rowSums.rows > 0 && report.attention.rowSums.maxDeviation < 1e-5, JSON.stringify(report.attention.rowSums));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the groups analysis scores predictions: without a task it names the field', async () => {
  const spec = await resolveSpec({ model: join(fixtures, 'ms_attention.onnx'), data: join(fixtures, 'samples.jsonl'), inputs: { input_ids: { column: 'ids' } }, label: 'label', groups: ['group'] }, { baseDir: root });
  await assert.rejects(runGroups(spec, { providers: ['cpu'] }), (e: unknown) => {
    assert.ok(e instanceof BadInputError);
    assert.equal(e.code, 'spec.task');
    assert.match(e.message, /field "task": the groups analysis scores predictions and needs the task/);
    return true;
  });
});

for (const model of ['svtr_opset9', 'ms_attention', 'ms_attention_causal', 'mha', 'gqa', 'onnx_attention']) {
  test(`bias-inspector attention works on ${model}.onnx (no task, no label)`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bi-cli-attn-'));
    try {
      const out = join(dir, 'r.json');
      const r = spawnSync(process.execPath, [cli, 'attention', '--model', join(fixtures, `${model}.onnx`), '--data', join(fixtures, 'samples.jsonl'), '--group', 'group', '--ep', 'cpu', '--json', out], { encoding: 'utf8', cwd: root });
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(readFileSync(out, 'utf8')) as { kind: string; attention: { layers: number; heads: number; samples: number; rowSums: { maxDeviation: number } } };
      assert.equal(report.kind, 'attention');
      assert.equal(report.attention.layers, model === 'svtr_opset9' ? 2 : 1);
      assert.equal(report.attention.heads, model === 'gqa' || model === 'onnx_attention' ? 4 : 2);
      assert.equal(report.attention.samples, 40);
      // The SVTR-style graph, like PaddleOCR's, reads no mask: its padded keys take attention.
      if (model !== 'svtr_opset9') assert.ok(report.attention.rowSums.maxDeviation < 1e-5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
