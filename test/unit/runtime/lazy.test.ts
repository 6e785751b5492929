import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../../..');

test('inspecting a model never loads the native runtime (activation and inspection work without it)', () => {
  const script = `
    const { inspectModel } = require('./extension/core/onnx');
    inspectModel('test/fixtures/onnx/mlp.onnx').then((s) => {
      const loaded = Object.keys(require.cache).filter((k) => k.includes('onnxruntime-node'));
      console.log(JSON.stringify({ nodes: s.nodeCount, loaded }));
    });`;
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { nodes: number; loaded: string[] };
  assert.ok(out.nodes > 0);
  assert.deepEqual(out.loaded, []);
});
