/**
 * worker_threads entry (bundled to dist/workers/quant.worker.js): serves `run` requests of
 * `QuantPool` over protocol/rpc.ts, transferring the buffers back with the reply.
 */
import { parentPort } from 'node:worker_threads';
import { RpcEndpoint, type MethodMap, type NotificationMap, type RpcMessage } from '../../protocol/rpc';
import { resultTransferList, runQuantJob, type QuantWorkerMethods } from './job';

const port = parentPort;
if (port !== null) {
  // Buffers of the result being replied (one job at a time per worker).
  let transfer: ArrayBuffer[] = [];
  const rpc = new RpcEndpoint<MethodMap, QuantWorkerMethods, NotificationMap, NotificationMap>({
    post: (message: RpcMessage) => {
      const list = message.kind === 'reply' && message.ok ? transfer : [];
      transfer = [];
      port.postMessage(message, list);
    },
    onRequest: (_method, job) => {
      const result = runQuantJob(job);
      transfer = resultTransferList(result);
      return result;
    },
    timeoutMs: 0,
  });
  port.on('message', (message: unknown) => rpc.handle(message));
}
