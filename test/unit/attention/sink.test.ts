import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { packFacts, type SampleFacts } from '../../../extension/core/attention/aggregate';
import { localSink, workerSink, type AttentionBatch } from '../../../extension/core/attention/sink';
import { BadInputError } from '../../../extension/core/errors';

const workerPath = resolve(__dirname, '../../../extension/core/attention/attention.worker.ts');
const execArgv = ['--require', 'tsx/cjs'];
const options = { layers: 2, heads: 2, maxLen: 3, spans: ['s'] };

/** B samples of length T, every map row a softmax of seeded pseudo-random logits. */
function batch(B: number, T: number, seed: number, spans = ['s']): AttentionBatch {
  let x = seed;
  const next = (): number => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) * 6 - 3;
  const layers = [0, 1].map(() => {
    const data = new Float32Array(B * 2 * T * T);
    for (let r = 0; r < B * 2 * T; r++) {
      const e = Array.from({ length: T }, () => Math.exp(next()));
      const z = e.reduce((a, b) => a + b, 0);
      e.forEach((v, j) => (data[r * T + j] = v / z));
    }
    return data;
  });
  const facts: SampleFacts[] = Array.from({ length: B }, (_, b) => ({
    validity: Math.max(1, T - (b % 3)), spans: { s: b % 2 ? [1] : [] }, groups: [{ g: b % 2 ? 'odd' : 'even' }], where: `row ${b}`,
  }));
  return { T, heads: 2, layers, facts: packFacts(facts, T, spans) };
}

async function run(sink: ReturnType<typeof localSink> | ReturnType<typeof workerSink>, batches: readonly AttentionBatch[]): Promise<unknown> {
  try {
    for (const b of batches) await sink.add({ ...b, layers: b.layers.map((l) => l.slice()) });
    return await sink.finish();
  } finally {
    await sink.close();
  }
}

test('worker sink: same aggregate as in-process; a reused worker starts each run afresh, also after a failed run', async () => {
  const first = [batch(5, 4, 1), batch(3, 2, 2), batch(7, 4, 3)];
  const second = [batch(4, 3, 4)];
  const local1 = await run(localSink(options), first);
  const local2 = await run(localSink(options), second);
  assert.deepStrictEqual(await run(workerSink(options, workerPath, execArgv, 2), first), local1);
  assert.deepStrictEqual(await run(workerSink(options, workerPath, execArgv, 2), second), local2, 'second run on the kept worker');
  await assert.rejects(run(workerSink(options, workerPath, execArgv), [batch(2, 2, 5, [])]), (e: unknown) => e instanceof BadInputError && e.code === 'attention-sample-shape');
  assert.deepStrictEqual(await run(workerSink(options, workerPath, execArgv), second), local2, 'after a failed run');
  // Two sinks at once get two workers.
  const [a, b] = await Promise.all([run(workerSink(options, workerPath, execArgv), first), run(workerSink(options, workerPath, execArgv), second)]);
  assert.deepStrictEqual([a, b], [local1, local2]);
});

test('worker sink: a worker whose run filled large shared slots is not kept idle with them (its memory is released at close)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const settle = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    return process.memoryUsage().arrayBuffers;
  };
  const before = await settle();
  // 3 batches of 48 MiB each: three shared slots of 48 MiB, 144 MiB in all.
  const B = 12, T = 1024;
  const samples = await run(workerSink({ layers: 1, heads: 1, maxLen: 4 }, workerPath, execArgv), Array.from({ length: 3 }, () => ({
    T, heads: 1, layers: [new Float32Array(B * T * T)], facts: packFacts(Array.from({ length: B }, (): SampleFacts => ({ validity: 4 })), T, []),
  })));
  assert.equal((samples as { samples: number }).samples, 3 * B);
  const retained = (await settle()) - before;
  assert.ok(retained < 32 * 2 ** 20, `${(retained / 2 ** 20).toFixed(0)} MiB of array buffers still held after close`);
});
