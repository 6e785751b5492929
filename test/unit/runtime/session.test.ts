import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { maxRelativeDifference, openSession, runForward, seededRandom, syntheticFeeds } from '../../../extension/core/runtime';
import { inspectModel } from '../../../extension/core/onnx';

const mlp = join(__dirname, '../../fixtures/onnx/mlp.onnx');

test('a session on cpu records the provider used and the requested order', async () => {
  const { session, info } = await openSession(mlp, mlp, { providers: ['cpu'] });
  try {
    assert.equal(info.used, 'cpu');
    assert.deepEqual(info.requested, ['cpu']);
    assert.equal(info.fallbackReason, undefined);
    assert.match(info.ortVersion, /^1\.\d+\.\d+/);
  } finally {
    await session.release();
  }
});

test('a provider that cannot start falls back to the next, and the reason is recorded', async () => {
  // dml and coreml never start on linux; on other platforms this test still checks fallback to cpu.
  const other = process.platform === 'win32' ? 'coreml' : 'dml';
  const { session, info } = await openSession(mlp, mlp, { providers: [other, 'cpu'] });
  await session.release();
  assert.equal(info.used, 'cpu');
  assert.match(info.fallbackReason ?? '', new RegExp(`^${other}: `));
});

test('synthetic feeds are seeded and shaped from the model inputs; cpu vs cpu differs by 0', async () => {
  const summary = await inspectModel(mlp);
  const a = syntheticFeeds(summary.inputs, { batch: 3, sequenceLength: 5, seed: 7, vocab: 50 }, mlp);
  const b = syntheticFeeds(summary.inputs, { batch: 3, sequenceLength: 5, seed: 7, vocab: 50 }, mlp);
  const first = Object.values(a)[0];
  assert.ok(first);
  assert.equal(first.dims[0], 3);
  assert.deepEqual(Array.from(first.data as Float32Array), Array.from(Object.values(b)[0]?.data as Float32Array));
  const r1 = await runForward(mlp, mlp, a, 'cpu', 1);
  const r2 = await runForward(mlp, mlp, b, 'cpu', 1);
  for (const [name, out] of Object.entries(r1.outputs)) {
    assert.equal(maxRelativeDifference(out.data, r2.outputs[name]?.data ?? new Float32Array()), 0);
  }
});

test('maxRelativeDifference and seededRandom', () => {
  assert.equal(maxRelativeDifference(new Float32Array([1, 2]), new Float32Array([1, 4])), 0.5);
  assert.equal(maxRelativeDifference(new Float32Array([1]), new Float32Array([1, 2])), Infinity);
  const r = seededRandom(1);
  const values = [r(), r(), r()];
  const again = seededRandom(1);
  assert.deepEqual(values, [again(), again(), again()]);
  assert.ok(values.every((v) => v >= 0 && v < 1));
});
