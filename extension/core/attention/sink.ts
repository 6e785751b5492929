/**
 * Where a pipeline's attention batches go: an `AttentionAggregator` in this thread, or one in a
 * worker thread (`attention.worker.ts`) so that aggregation overlaps the next onnxruntime run,
 * which onnxruntime-node executes synchronously on the calling thread. The worker reads the maps
 * from `maxInFlight` SharedArrayBuffer slots that this thread copies each batch into (a copy is
 * cheaper than transferring onnxruntime's buffers, and the worker allocates nothing per batch);
 * the per-sample facts travel packed (`PackedFacts`). Memory stays flat.
 */
import { Worker } from 'node:worker_threads';
import { BadInputError, InspectorError, type ErrorKind } from '../errors';
import { RpcEndpoint, RpcError, type MethodMap, type NotificationMap, type RpcMessage } from '../../protocol/rpc';
import { AttentionAggregator, type AttentionAggregate, type AttentionAggregatorOptions, type PackedFacts } from './aggregate';

/** One batch: per layer, [B, H, T, T] contiguous float32 (both export layouts are this order). */
export interface AttentionBatch {
  readonly T: number;
  readonly heads: number;
  readonly layers: readonly Float32Array[];
  readonly facts: PackedFacts;
}

export interface AttentionSink {
  add(batch: AttentionBatch): Promise<void>;
  finish(): Promise<AttentionAggregate>;
  close(): Promise<void>;
}

/** Aggregation in the calling thread. */
export function localSink(options: AttentionAggregatorOptions): AttentionSink & { readonly aggregator: AttentionAggregator } {
  const aggregator = new AttentionAggregator(options);
  return {
    aggregator,
    add: async (batch) => aggregator.addPacked(batch.layers, batch.heads, batch.T, batch.facts),
    finish: async () => aggregator.finish(),
    close: async () => undefined,
  };
}

/** A batch whose maps are in slot `slot` (its buffer comes along when new or grown): layer l at float offset l·B·H·T², B = facts.groupSet.length. */
export interface AttentionSlotBatch {
  readonly slot: number;
  readonly buffer?: SharedArrayBuffer;
  readonly T: number;
  readonly heads: number;
  readonly layers: number;
  readonly facts: PackedFacts;
}

/** The attention worker's methods on its RPC channel (protocol/rpc.ts); a batch's reply frees its slot. */
export type AttentionWorkerMethods = {
  init: [AttentionAggregatorOptions, null];
  batch: [AttentionSlotBatch, null];
  finish: [Record<string, never>, AttentionAggregate];
};

/** The engine's error from an RPC error reply (code and kind kept). */
function workerError(error: unknown): InspectorError {
  if (error instanceof InspectorError) return error;
  if (error instanceof RpcError) {
    const code = error.code ?? 'attention.worker-error';
    if (error.kind === 'bad-input') return new BadInputError(code, error.message);
    const kind: ErrorKind = error.kind === 'cancelled' ? 'cancelled' : 'failure';
    return new InspectorError(code, kind, error.message);
  }
  return new InspectorError('attention.worker-failed', 'failure', `attention worker failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/** The layers of a batch posted in a slot: views over its shared buffer. */
export function slotLayers(buffer: SharedArrayBuffer, layers: number, B: number, heads: number, T: number): Float32Array[] {
  const n = B * heads * T * T;
  return Array.from({ length: layers }, (_, l) => new Float32Array(buffer, l * n * 4, n));
}

/**
 * Workers that finished a run cleanly, per entry (path and execArgv), kept unref'd for the next
 * run: a new worker pays its start and a cold JIT on every run. At most IDLE_WORKERS per entry,
 * and only those whose run's slots stayed within IDLE_SLOT_BYTES.
 */
const idleWorkers = new Map<string, { worker: Worker; drop: () => void }[]>();
const IDLE_WORKERS = 2;
/**
 * An idle worker still references its last run's shared slots (until its next run, as an idle
 * thread never collects garbage): a run whose slots took more than this is not kept, so that its
 * memory goes back at close (for such batches the cold start is small against the run anyway).
 */
const IDLE_SLOT_BYTES = 32 * 2 ** 20;

function takeWorker(key: string, workerPath: string | URL, execArgv: readonly string[] | undefined): Worker {
  const idle = idleWorkers.get(key)?.pop();
  if (idle) {
    idle.worker.off('error', idle.drop).off('exit', idle.drop);
    idle.worker.ref();
    return idle.worker;
  }
  return new Worker(workerPath, execArgv ? { execArgv: [...execArgv] } : {});
}

/** Keeps a worker for the next run (its run's listeners already removed), or terminates it. */
async function releaseWorker(key: string, worker: Worker, reuse: boolean): Promise<void> {
  const idle = idleWorkers.get(key) ?? [];
  if (!reuse || idle.length >= IDLE_WORKERS) {
    await worker.terminate();
    return;
  }
  const entry = {
    worker,
    drop: (): void => {
      const at = idle.indexOf(entry);
      if (at >= 0) idle.splice(at, 1);
    },
  };
  worker.on('error', entry.drop).on('exit', entry.drop);
  worker.unref();
  idle.push(entry);
  idleWorkers.set(key, idle);
}

/**
 * Aggregation in a worker thread; `workerPath` is the bundled attention.worker.js (or the .ts with
 * tsx). A worker whose run finished cleanly is kept for the next sink (see idleWorkers).
 */
export function workerSink(options: AttentionAggregatorOptions, workerPath: string | URL, execArgv?: readonly string[], maxInFlight = 4): AttentionSink {
  const key = JSON.stringify([String(workerPath), execArgv ?? []]);
  const worker = takeWorker(key, workerPath, execArgv);
  let failure: InspectorError | undefined;
  let finished = false;
  const slots: (SharedArrayBuffer | undefined)[] = Array.from({ length: maxInFlight }, () => undefined);
  let slotBytes = 0; // of the current slots, which the worker references
  const free = slots.map((_, x) => x);
  const waiters: (() => void)[] = [];
  const wake = (): void => { for (const w of waiters.splice(0)) w(); };
  const fail = (error: unknown): void => {
    failure ??= workerError(error);
    wake();
  };
  const rpc = new RpcEndpoint<AttentionWorkerMethods, MethodMap, NotificationMap, NotificationMap>({
    post: (message: RpcMessage) => worker.postMessage(message),
    timeoutMs: 0,
  });
  const onMessage = (message: unknown): void => { rpc.handle(message); };
  const onError = (cause: unknown): void => fail(new InspectorError('attention.worker-failed', 'failure', `attention worker failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }));
  const onExit = (code: number): void => { if (code !== 0) fail(new InspectorError('attention.worker-failed', 'failure', `attention worker exited with code ${code}`)); };
  worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  rpc.request('init', options, 0).catch(fail);
  const wait = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));
  return {
    async add(batch) {
      const B = batch.facts.groupSet.length;
      const n = B * batch.heads * batch.T * batch.T;
      batch.layers.forEach((data, l) => {
        if (data.length !== n) throw new BadInputError('attention-sample-shape', `attention batch: layer ${l} has ${data.length} values, expected ${B}×${batch.heads}×${batch.T}×${batch.T}`);
      });
      while (free.length === 0 && !failure) await wait();
      if (failure) throw failure;
      const slot = free.shift()!;
      const bytes = batch.layers.length * n * 4;
      let buffer = slots[slot];
      let fresh: SharedArrayBuffer | undefined;
      if (!buffer || buffer.byteLength < bytes) {
        slotBytes += bytes - (buffer?.byteLength ?? 0);
        buffer = fresh = slots[slot] = new SharedArrayBuffer(bytes);
      }
      const views = slotLayers(buffer, batch.layers.length, B, batch.heads, batch.T);
      batch.layers.forEach((data, l) => views[l]!.set(data));
      rpc.request('batch', { slot, T: batch.T, heads: batch.heads, layers: batch.layers.length, facts: batch.facts, ...(fresh ? { buffer: fresh } : {}) }, 0).then(
        () => { free.push(slot); wake(); },
        fail,
      );
    },
    async finish() {
      if (failure) throw failure;
      const done = rpc.request('finish', {}, 0);
      done.catch(() => undefined); // a failure is also reported through fail()
      const aggregate = await Promise.race([done.catch((e: unknown) => { throw workerError(e); }), (async () => { while (!failure) await wait(); throw failure; })()]);
      finished = true;
      return aggregate;
    },
    async close() {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      rpc.dispose();
      await releaseWorker(key, worker, finished && !failure && slotBytes <= IDLE_SLOT_BYTES);
    },
  };
}
