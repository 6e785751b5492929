/**
 * A small worker_threads pool for quantization jobs on big tensors. The tensor's buffer is
 * transferred to the worker (not copied) and comes back in the result.
 *
 * The worker script path is a parameter: the host and the CLI pass
 * `path.join(__dirname, 'workers/quant.worker.js')` (the esbuild bundle); tests pass the
 * TypeScript source with `execArgv: ['--require', 'tsx/cjs']` (on Node 20
 * `--import tsx` does not register its loader inside a worker).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CancelledError, InspectorError, throwIfAborted, type ErrorKind } from '../errors';
import { RpcEndpoint, RpcError, type MethodMap, type NotificationMap, type RpcMessage } from '../../protocol/rpc';
import type { QuantJob, QuantJobResult, QuantWorkerMethods } from './job';

export interface QuantPoolOptions {
  /** Path or file URL of the worker script. */
  workerPath: string | URL;
  /** Number of workers; default min(os.availableParallelism(), maxSize). */
  size?: number;
  /** Upper bound of the default size (2: the extension shares the machine with the editor). */
  maxSize?: number;
  /** Node flags for the workers (e.g. ['--require', 'tsx/cjs'] to run the .ts source). */
  execArgv?: string[];
}

interface Pending {
  id: number;
  job: QuantJob;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  resolve: (r: QuantJobResult) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  rpc: RpcEndpoint<QuantWorkerMethods, MethodMap, NotificationMap, NotificationMap>;
  /** Buffers of the request being posted (RpcEndpoint posts synchronously inside `request`). */
  transfer: ArrayBuffer[];
  current: Pending | null;
}

/** The engine's error from an RPC error reply (code and kind kept). */
function jobError(error: unknown): unknown {
  if (!(error instanceof RpcError)) return error;
  const kind: ErrorKind = error.kind === 'bad-input' || error.kind === 'cancelled' ? error.kind : 'failure';
  return new InspectorError(error.code ?? 'quant.worker-error', kind, error.message);
}

/**
 * Runs `QuantJob`s on up to `size` workers, first come first served. `run` rejects with
 * CancelledError when its signal fires (a running job's worker is terminated and replaced, since
 * the computation is synchronous), with the worker's typed error when the job throws, and with
 * InspectorError `quant.worker-failed` when a worker dies. `dispose` terminates all workers and
 * rejects what is pending.
 */
export class QuantPool {
  readonly size: number;
  private readonly workerPath: string | URL;
  private readonly execArgv: string[] | undefined;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private disposed = false;

  constructor(options: QuantPoolOptions) {
    this.workerPath = options.workerPath;
    this.execArgv = options.execArgv;
    this.size = Math.max(1, options.size ?? Math.min(availableParallelism(), options.maxSize ?? 2));
  }

  /**
   * Queues a job. Its `data` buffer is transferred to the worker when the job is dispatched
   * (at once when a worker is free): from then `job.data` is detached (length 0) and the result's
   * `data` holds the same values. Do not modify `job.data` while the job is queued. A view on part of a larger
   * buffer, or on a SharedArrayBuffer, is copied first so that nothing else is detached.
   */
  run(job: QuantJob, options: { signal?: AbortSignal } = {}): Promise<QuantJobResult> {
    if (this.disposed) return Promise.reject(new InspectorError('quant.pool-disposed', 'failure', 'the quantization pool was disposed'));
    try {
      throwIfAborted(options.signal);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<QuantJobResult>((resolve, reject) => {
      const pending: Pending = { id: this.nextId++, job, signal: options.signal, onAbort: () => this.abort(pending), resolve, reject };
      options.signal?.addEventListener('abort', pending.onAbort, { once: true });
      this.queue.push(pending);
      this.pump();
    });
  }

  /** Terminates every worker; pending and running jobs reject. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const err = new InspectorError('quant.pool-disposed', 'failure', 'the quantization pool was disposed');
    for (const p of this.queue.splice(0)) this.settle(p, err);
    const slots = this.slots.splice(0);
    for (const s of slots) {
      const p = s.current;
      s.current = null;
      if (p) this.settle(p, err);
      s.rpc.dispose();
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.current === null);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const pending = this.queue.shift();
      if (!pending) return;
      slot.current = pending;
      slot.worker.ref(); // a running job keeps the process alive; an idle worker does not
      const data = transferable(pending.job.data);
      slot.transfer = [data.buffer as ArrayBuffer];
      const done = (error: unknown, result?: QuantJobResult): void => {
        if (slot.current !== pending) return; // cancelled, or the worker failed: already settled
        slot.current = null;
        slot.worker.unref();
        this.settle(pending, error, result);
        this.pump();
      };
      slot.rpc.request('run', { ...pending.job, data }, 0).then((result) => done(null, result), (error: unknown) => done(jobError(error)));
    }
  }

  private spawn(): Slot {
    const options = this.execArgv === undefined ? {} : { execArgv: this.execArgv };
    const worker = new Worker(this.workerPath, options);
    const slot: Slot = {
      worker,
      current: null,
      transfer: [],
      rpc: new RpcEndpoint({
        post: (message: RpcMessage) => {
          const list = slot.transfer;
          slot.transfer = [];
          worker.postMessage(message, list);
        },
        timeoutMs: 0,
      }),
    };
    worker.on('message', (message: unknown) => slot.rpc.handle(message));
    const fail = (cause: unknown): void => {
      this.removeSlot(slot);
      const p = slot.current;
      slot.current = null;
      if (p) {
        const detail = cause instanceof Error ? cause.message : `exit code ${String(cause)}`;
        this.settle(p, new InspectorError('quant.worker-failed', 'failure', `quantization worker failed on tensor "${p.job.tensor}": ${detail}`, { cause }));
      }
      if (!this.disposed) this.pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) fail(code);
    });
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private removeSlot(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.rpc.dispose();
  }

  private abort(p: Pending): void {
    const q = this.queue.indexOf(p);
    if (q >= 0) {
      this.queue.splice(q, 1);
      this.settle(p, new CancelledError());
      return;
    }
    const slot = this.slots.find((s) => s.current === p);
    if (slot) {
      slot.current = null;
      this.removeSlot(slot);
      void slot.worker.terminate();
      this.settle(p, new CancelledError());
      this.pump();
    }
  }

  private settle(p: Pending, error: unknown, result?: QuantJobResult): void {
    p.signal?.removeEventListener('abort', p.onAbort);
    if (error !== null) p.reject(error);
    else if (result) p.resolve(result);
  }
}

/** The array itself when its buffer can be transferred whole, else a copy that can. */
function transferable(a: Float32Array): Float32Array {
  const whole = a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
  return whole ? a : a.slice();
}
