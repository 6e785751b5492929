/** Freeing a large buffer (a model file's bytes) before onnxruntime loads its own copy. */
import { MessageChannel } from 'node:worker_threads';

/**
 * Model files smaller than this keep their JS copy until the collector takes it: freeing it now
 * costs a timer turn (~1 ms, a fifth of the demo LM's fixed cost per probe), and two copies of a
 * file this small are no memory problem.
 */
export const RELEASE_MIN_BYTES = 8 << 20;

/**
 * Frees the memory of `bytes` now instead of at the next garbage collection, by transferring its
 * buffer into a message that is never delivered (the buffer is detached: every view on it, such
 * as the decoded model's weights, reads as empty afterwards). The memory goes back when the closed
 * ports drop the message, on the next turn of the event loop, which the promise waits for
 * (measured: 400 MB still resident right after the transfer and after setImmediate, gone after a
 * timer turn). Buffers that cannot be transferred (part of a pool, shared) are left to the collector.
 */
export async function releaseBytes(bytes: Uint8Array): Promise<void> {
  const buffer = bytes.buffer;
  if (!(buffer instanceof ArrayBuffer) || bytes.byteLength < buffer.byteLength) return;
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(null, [buffer]);
  } catch {
    // not transferable
  } finally {
    port1.close();
    port2.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 0));
}
