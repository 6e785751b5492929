import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { runInWorker } from '../../../extension/core/analyze';
import { RpcError } from '../../../extension/protocol/rpc';
import type { RunOverrides } from '../../../extension/protocol/worker';

const root = resolve(__dirname, '../../..');
/** The bundled worker (npm test builds dist/ first), started as the host starts it. */
const workerPath = resolve(root, 'dist/workers/analysis.worker.js');
const overrides: RunOverrides = { providers: ['cpu'], batchSize: 512, bootstrap: 0 };

test('the analysis worker runs a groups analysis, replies with a typed report and reports progress', async () => {
  const progress: number[] = [];
  const report = await runInWorker(workerPath, 'groups', { specPath: resolve(root, 'examples/income-mlp.bias.json'), overrides }, { onProgress: (f) => progress.push(f) });
  assert.equal(report.kind, 'groups');
  assert.equal(report.data.rows, 6000);
  const accuracy = report.groups.disparity.accuracy;
  assert.ok(typeof accuracy === 'object');
  assert.deepEqual(accuracy.worstGroup, { sex: 'F', race: 'B' });
  assert.equal(report.groups.bootstrap, undefined, 'bootstrap: 0 turns the intervals off');
  assert.equal(progress.at(-1), 1);
});

test('a bad spec comes back as an error with the engine code and kind', async () => {
  await assert.rejects(
    runInWorker(workerPath, 'groups', { specPath: resolve(root, 'examples/missing.bias.json'), overrides }),
    (e: unknown) => e instanceof RpcError && e.kind === 'bad-input' && e.code === 'file-not-found' && e.message.includes('missing.bias.json'),
  );
});

test('an attention sample comes back with its maps as transferred buffers', async () => {
  const sample = await runInWorker(workerPath, 'attentionSample', { specPath: resolve(root, 'examples/tiny-transformer.bias.json'), row: 0, overrides });
  assert.equal(sample.layers.length, 2);
  const first = sample.layers[0];
  assert.ok(first && first.data instanceof ArrayBuffer);
  assert.equal(first.data.byteLength, first.heads * first.T * first.T * 4);
  assert.equal(sample.tokens.length, first.T);
});
