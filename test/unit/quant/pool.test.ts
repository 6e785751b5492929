/**
 * The pool runs the real worker source through tsx (`execArgv: ['--require', 'tsx/cjs']`), the same
 * module esbuild bundles to dist/workers/quant.worker.js.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CancelledError, InspectorError } from '../../../extension/core/errors';
import { tensorError } from '../../../extension/core/quant/error';
import { resultTransferList, runQuantJob } from '../../../extension/core/quant/job';
import type { QuantJob } from '../../../extension/core/quant/job';
import { QuantPool } from '../../../extension/core/quant/pool';
import { fakeQuantize } from '../../../extension/core/quant/quantize';

const WORKER = join(__dirname, '..', '..', '..', 'extension', 'core', 'quant', 'quant.worker.ts');

function tensor(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * (1 + (i % 13)));
}

function job(data: Float32Array, shape: number[], returnValues = true): QuantJob {
  return { tensor: 'layer.weight', data, shape, formats: ['int8', 'mxfp4', 'nvfp4'], options: { channelAxis: 1, blockAxis: 0 }, returnValues };
}

describe('quant/job handler (in-thread)', () => {
  it('returns metrics per format, values on request, its transfer list; throws typed errors', () => {
    const x = tensor(64, 1);
    const result = runQuantJob(job(x, [8, 8], false));
    assert.deepEqual(result.results.map((r) => r.format), ['int8', 'mxfp4', 'nvfp4']);
    assert.equal(result.results[0]?.values, undefined);
    assert.deepEqual(result.results[1]?.error, tensorError(x, fakeQuantize(x, [8, 8], 'mxfp4', { blockAxis: 0 })));
    assert.equal(resultTransferList(result).length, 1);
    assert.throws(() => runQuantJob(job(x, [8, 9])), (e: unknown) => e instanceof InspectorError && e.code === 'quant.shape-mismatch' && e.kind === 'bad-input');
  });
});

describe('quant/QuantPool (worker_threads through tsx)', () => {
  const pool = new QuantPool({ workerPath: WORKER, execArgv: ['--require', 'tsx/cjs'], size: 2 });
  after(() => pool.dispose());

  it('defaults to at most 2 workers', () => {
    const p = new QuantPool({ workerPath: WORKER });
    assert.ok(p.size >= 1 && p.size <= 2);
    void p.dispose();
  });

  it('runs jobs in workers with the buffer transferred there and back; results match in-thread', async () => {
    const inputs = [tensor(4096, 1), tensor(4096, 2)];
    const expected = inputs.map((x) => fakeQuantize(x, [64, 64], 'mxfp4', { blockAxis: 0 }));
    const copies = inputs.map((x) => x.slice());
    const running = inputs.map((x) => pool.run(job(x, [64, 64])));
    // both jobs are dispatched at once (2 workers): their buffers moved to the workers
    for (const x of inputs) assert.equal(x.length, 0, 'the caller\'s buffer is transferred, not copied');
    const results = await Promise.all(running);
    results.forEach((r, k) => {
      assert.deepEqual(r.data, copies[k]);
      assert.deepEqual(r.results[1]?.values, expected[k]);
      assert.equal(r.results[1]?.error.count, 4096);
    });
  });

  it('copies a view on part of a larger buffer instead of detaching it', async () => {
    const big = tensor(128, 4);
    const view = big.subarray(64);
    const r = await pool.run(job(view, [8, 8]));
    assert.equal(big.length, 128);
    assert.deepEqual(r.data, big.subarray(64));
  });

  it('rejects with the worker-side typed error', async () => {
    await assert.rejects(pool.run(job(tensor(10, 5), [3, 3])), (e: unknown) => e instanceof InspectorError && e.code === 'quant.shape-mismatch' && e.kind === 'bad-input' && e.message.includes('layer.weight'));
  });

  it('cancels a queued job and an already aborted one', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(pool.run(job(tensor(64, 6), [8, 8]), { signal: ac.signal }), CancelledError);
    const one = new QuantPool({ workerPath: WORKER, execArgv: ['--require', 'tsx/cjs'], size: 1 });
    const ac2 = new AbortController();
    const first = one.run(job(tensor(64, 7), [8, 8]));
    const second = one.run(job(tensor(64, 8), [8, 8]), { signal: ac2.signal });
    ac2.abort();
    await assert.rejects(second, CancelledError);
    assert.equal((await first).results.length, 3);
    await one.dispose();
  });

  it('cancels a running job by replacing its worker; the pool keeps working', async () => {
    const one = new QuantPool({ workerPath: WORKER, execArgv: ['--require', 'tsx/cjs'], size: 1 });
    const ac = new AbortController();
    const running = one.run(job(tensor(1 << 20, 9), [1024, 1024]), { signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    await assert.rejects(running, CancelledError);
    const r = await one.run(job(tensor(64, 10), [8, 8]));
    assert.equal(r.results[0]?.format, 'int8');
    await one.dispose();
  });

  it('a worker that cannot start rejects with quant.worker-failed; dispose rejects later runs', async () => {
    const broken = new QuantPool({ workerPath: join(__dirname, 'no-such-worker.js'), size: 1 });
    await assert.rejects(broken.run(job(tensor(64, 11), [8, 8])), (e: unknown) => e instanceof InspectorError && e.code === 'quant.worker-failed' && e.message.includes('layer.weight'));
    await broken.dispose();
    await assert.rejects(broken.run(job(tensor(64, 12), [8, 8])), { code: 'quant.pool-disposed' });
  });
});
