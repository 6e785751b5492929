/**
 * worker_threads entry (bundled to dist/workers/attention.worker.js): aggregates the attention
 * batches posted by `workerSink` (maps in shared slots, facts packed) while the main thread runs
 * the next batch. Serves `AttentionWorkerMethods` over protocol/rpc.ts.
 */
import { parentPort } from 'node:worker_threads';
import { RpcEndpoint, type MethodMap, type NotificationMap, type RpcMessage } from '../../protocol/rpc';
import { InspectorError } from '../errors';
import { AttentionAggregator } from './aggregate';
import { slotLayers, type AttentionWorkerMethods } from './sink';

const port = parentPort;
if (port !== null) {
  let aggregator: AttentionAggregator | undefined;
  const slots: SharedArrayBuffer[] = [];
  /** The run's first error: later batches of that run are not aggregated. */
  let failure: unknown;
  const guard = <T>(work: () => T): T => {
    if (failure !== undefined) throw failure;
    try {
      return work();
    } catch (error) {
      failure = error;
      throw error;
    }
  };
  type Handlers = { readonly [M in keyof AttentionWorkerMethods]: (params: AttentionWorkerMethods[M][0]) => AttentionWorkerMethods[M][1] };
  const handlers: Handlers = {
    init: (options) => {
      failure = undefined; // a new run on a reused worker
      aggregator = new AttentionAggregator(options);
      slots.length = 0;
      return null;
    },
    batch: (req) => guard(() => {
      if (!aggregator) throw new InspectorError('attention.worker-order', 'failure', 'attention worker: a batch came before init');
      if (req.buffer) slots[req.slot] = req.buffer;
      const buffer = slots[req.slot];
      if (!buffer) throw new InspectorError('attention.worker-order', 'failure', `attention worker: slot ${req.slot} has no buffer`);
      aggregator.addPacked(slotLayers(buffer, req.layers, req.facts.groupSet.length, req.heads, req.T), req.heads, req.T, req.facts);
      return null;
    }),
    finish: () => guard(() => {
      if (!aggregator) throw new InspectorError('attention.worker-order', 'failure', 'attention worker: finish came before init');
      return aggregator.finish();
    }),
  };
  const serve = <M extends keyof AttentionWorkerMethods>(method: M, params: AttentionWorkerMethods[M][0]): AttentionWorkerMethods[M][1] => {
    const handler: Handlers[M] = handlers[method];
    return handler(params);
  };
  const rpc = new RpcEndpoint<MethodMap, AttentionWorkerMethods, NotificationMap, NotificationMap>({
    post: (message: RpcMessage) => port.postMessage(message),
    onRequest: serve,
    timeoutMs: 0,
  });
  port.on('message', (message: unknown) => rpc.handle(message));
}
