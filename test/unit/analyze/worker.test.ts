import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { RpcEndpoint, RpcError, type RpcMessage } from '../../../extension/protocol/rpc';
import type { AnalysisWorkerMethods, AnalysisWorkerNotes, WorkerRequest } from '../../../extension/protocol/worker';

const root = resolve(__dirname, '../../..');
const settings = { providers: ['cpu'] as const, batchSize: 512, maxRows: 0, threads: 0, minGroupSize: 30 };

/** Runs one request through the bundled worker (npm test builds dist/ first), as the host does. */
async function runBundled(request: WorkerRequest): Promise<{ result: unknown; progress: number[] }> {
  const worker = new Worker(resolve(root, 'dist/workers/analysis.worker.js'));
  const progress: number[] = [];
  const rpc = new RpcEndpoint<AnalysisWorkerMethods, Record<never, [unknown, unknown]>, Record<never, unknown>, AnalysisWorkerNotes>({
    post: (m: RpcMessage) => worker.postMessage(m),
    onNotify: (_m, p) => progress.push(p.fraction),
    timeoutMs: 0,
  });
  worker.on('message', (m: unknown) => rpc.handle(m));
  try {
    return { result: await rpc.request('run', request, 0), progress };
  } finally {
    rpc.dispose();
    await worker.terminate();
  }
}

test('the analysis worker runs a groups analysis and reports progress', async () => {
  const { result, progress } = await runBundled({ kind: 'groups', specPath: resolve(root, 'examples/income-mlp.bias.json'), settings, bootstrap: 0, seed: 0 });
  const report = result as { kind: string; data: { rows: number }; groups: { disparity: { accuracy: { worstGroup: unknown } } } };
  assert.equal(report.kind, 'groups');
  assert.equal(report.data.rows, 6000);
  assert.deepEqual(report.groups.disparity.accuracy.worstGroup, { sex: 'F', race: 'B' });
  assert.equal(progress.at(-1), 1);
});

test('a bad spec comes back as an error with the engine code and kind', async () => {
  await assert.rejects(
    runBundled({ kind: 'groups', specPath: resolve(root, 'examples/missing.bias.json'), settings, bootstrap: 0, seed: 0 }),
    (e: unknown) => e instanceof RpcError && e.kind === 'bad-input' && e.code === 'file-not-found' && e.message.includes('missing.bias.json'),
  );
});

test('an attention sample comes back with its maps as transferred buffers', async () => {
  const { result } = await runBundled({ kind: 'attentionSample', specPath: resolve(root, 'examples/tiny-transformer.bias.json'), row: 0, settings });
  const sample = result as { tokens: string[]; layers: { heads: number; T: number; data: ArrayBuffer }[] };
  assert.equal(sample.layers.length, 2);
  const first = sample.layers[0];
  assert.ok(first && first.data instanceof ArrayBuffer);
  assert.equal(first.data.byteLength, first.heads * first.T * first.T * 4);
  assert.equal(sample.tokens.length, first.T);
});
