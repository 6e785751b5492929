/**
 * worker_threads entry (bundled to dist/workers/attention.worker.js): aggregates the attention
 * batches posted by `workerSink` (maps in shared slots, facts packed) while the main thread runs
 * the next batch.
 */
import { parentPort } from 'node:worker_threads';
import { InspectorError } from '../errors';
import { AttentionAggregator } from './aggregate';
import { slotLayers, type AttentionWorkerReply, type AttentionWorkerRequest } from './sink';

const port = parentPort;
if (port !== null) {
  let aggregator: AttentionAggregator | undefined;
  const slots: SharedArrayBuffer[] = [];
  let failed = false;
  port.on('message', (req: AttentionWorkerRequest) => {
    if (req.type === 'init') failed = false; // a new run on a reused worker
    if (failed) return;
    try {
      if (req.type === 'init') {
        aggregator = new AttentionAggregator(req.options);
        slots.length = 0;
      }
      else if (!aggregator) throw new InspectorError('attention.worker-order', 'failure', 'attention worker: a batch came before init');
      else if (req.type === 'batch') {
        if (req.buffer) slots[req.slot] = req.buffer;
        const buffer = slots[req.slot];
        if (!buffer) throw new InspectorError('attention.worker-order', 'failure', `attention worker: slot ${req.slot} has no buffer`);
        aggregator.addPacked(slotLayers(buffer, req.layers, req.facts.groupSet.length, req.heads, req.T), req.heads, req.T, req.facts);
        port.postMessage({ type: 'ack' } satisfies AttentionWorkerReply);
      } else {
        port.postMessage({ type: 'result', aggregate: aggregator.finish() } satisfies AttentionWorkerReply);
      }
    } catch (error) {
      failed = true;
      const e = error instanceof InspectorError ? error : undefined;
      port.postMessage({ type: 'error', code: e?.code ?? 'attention.worker-error', kind: e?.kind ?? 'failure', message: error instanceof Error ? error.message : String(error) } satisfies AttentionWorkerReply);
    }
  });
}
