/**
 * Where a pipeline's attention batches go: an `AttentionAggregator` in this thread, or one in a
 * worker thread (`attention.worker.ts`) so that aggregation overlaps the next onnxruntime run,
 * which onnxruntime-node executes synchronously on the calling thread. Batches cross as
 * transferred ArrayBuffers; at most `maxInFlight` batches wait in the worker (memory stays flat).
 */
import { Worker } from 'node:worker_threads';
import { BadInputError, InspectorError, type ErrorKind } from '../errors';
import { AttentionAggregator, type AttentionAggregate, type AttentionAggregatorOptions, type GroupKey } from './aggregate';
import type { Validity } from './positions';

/** Per-sample facts of a batch (maps travel apart, one buffer per layer). */
export interface BatchSample {
  readonly validity: Validity;
  readonly spans: Readonly<Record<string, readonly number[] | undefined>>;
  readonly special?: Uint8Array;
  readonly groups: readonly GroupKey[];
  readonly where: string;
}

/** One batch: per layer, [B, H, T, T] contiguous float32 (both export layouts are this order). */
export interface AttentionBatch {
  readonly T: number;
  readonly heads: number;
  readonly layers: readonly Float32Array[];
  readonly samples: readonly BatchSample[];
}

export interface AttentionSink {
  add(batch: AttentionBatch): Promise<void>;
  finish(): Promise<AttentionAggregate>;
  close(): Promise<void>;
}

/** Adds a batch to an aggregator (shared by both sinks). */
export function addBatch(aggregator: AttentionAggregator, batch: AttentionBatch): void {
  aggregator.addBatch(batch.layers, batch.heads, batch.T, batch.samples);
}

/** Aggregation in the calling thread. */
export function localSink(options: AttentionAggregatorOptions): AttentionSink & { readonly aggregator: AttentionAggregator } {
  const aggregator = new AttentionAggregator(options);
  return {
    aggregator,
    add: async (batch) => addBatch(aggregator, batch),
    finish: async () => aggregator.finish(),
    close: async () => undefined,
  };
}

/** Messages to and from the attention worker. */
export type AttentionWorkerRequest =
  | { readonly type: 'init'; readonly options: AttentionAggregatorOptions }
  | { readonly type: 'batch'; readonly batch: AttentionBatch }
  | { readonly type: 'finish' };
export type AttentionWorkerReply =
  | { readonly type: 'ack' }
  | { readonly type: 'result'; readonly aggregate: AttentionAggregate }
  | { readonly type: 'error'; readonly code: string; readonly kind: ErrorKind; readonly message: string };

/** Aggregation in a worker thread; `workerPath` is the bundled attention.worker.js (or the .ts with tsx). */
export function workerSink(options: AttentionAggregatorOptions, workerPath: string | URL, execArgv?: readonly string[], maxInFlight = 4): AttentionSink {
  const worker = new Worker(workerPath, execArgv ? { execArgv: [...execArgv] } : {});
  let failure: InspectorError | undefined;
  let inFlight = 0;
  const waiters: (() => void)[] = [];
  let result: ((a: AttentionAggregate) => void) | undefined;
  const wake = (): void => { for (const w of waiters.splice(0)) w(); };
  const fail = (error: InspectorError): void => {
    failure ??= error;
    wake();
  };
  worker.on('message', (reply: AttentionWorkerReply) => {
    if (reply.type === 'ack') { inFlight--; wake(); } else if (reply.type === 'result') { result?.(reply.aggregate); } else fail(reply.kind === 'bad-input' ? new BadInputError(reply.code, reply.message) : new InspectorError(reply.code, reply.kind, reply.message));
  });
  worker.on('error', (cause) => fail(new InspectorError('attention.worker-failed', 'failure', `attention worker failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })));
  worker.on('exit', (code) => { if (code !== 0) fail(new InspectorError('attention.worker-failed', 'failure', `attention worker exited with code ${code}`)); });
  worker.postMessage({ type: 'init', options } satisfies AttentionWorkerRequest);
  const wait = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));
  return {
    async add(batch) {
      while (inFlight >= maxInFlight && !failure) await wait();
      if (failure) throw failure;
      inFlight++;
      const layers = batch.layers.map((l) => (l.byteOffset === 0 && l.byteLength === l.buffer.byteLength ? l : l.slice()));
      worker.postMessage({ type: 'batch', batch: { ...batch, layers } } satisfies AttentionWorkerRequest, layers.map((l) => l.buffer as ArrayBuffer));
    },
    async finish() {
      if (failure) throw failure;
      const done = new Promise<AttentionAggregate>((resolve) => { result = resolve; });
      worker.postMessage({ type: 'finish' } satisfies AttentionWorkerRequest);
      const aggregate = await Promise.race([done, (async () => { while (!failure) await wait(); throw failure; })()]);
      return aggregate;
    },
    async close() {
      await worker.terminate();
    },
  };
}
