/**
 * worker_threads entry (bundled to dist/workers/quant.worker.js): runs quantization jobs posted
 * by `QuantPool`, transferring the buffers back.
 */
import { parentPort } from 'node:worker_threads';
import { handleQuantRequest } from './job';
import type { QuantWorkerRequest } from './job';

const port = parentPort;
if (port !== null) {
  port.on('message', (req: QuantWorkerRequest) => {
    const { reply, transfer } = handleQuantRequest(req);
    port.postMessage(reply, transfer);
  });
}
