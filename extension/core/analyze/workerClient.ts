/**
 * The caller's side of the analysis worker (analysis.worker.ts): one analysis in a fresh worker
 * thread, typed per method (protocol/worker.ts). The VS Code host runs every analysis through
 * this; tests use it to run the worker entry exactly as the host does.
 */
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../errors';
import { RpcEndpoint, type MethodMap, type NotificationMap, type RpcMessage } from '../../protocol/rpc';
import type { AnalysisWorkerMethods, AnalysisWorkerNotes } from '../../protocol/worker';

export interface WorkerRunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (fraction: number, message: string) => void;
  /** Node flags of the worker (tests run the TypeScript entry with ['--require', 'tsx/cjs']). */
  readonly execArgv?: readonly string[];
}

/**
 * Runs `method` in a fresh worker started from `workerPath` (dist/workers/analysis.worker.js).
 * Cancelling terminates the worker (native inference included) and rejects with CancelledError;
 * an error the analysis throws arrives as an RpcError with its code and kind.
 */
export function runInWorker<M extends keyof AnalysisWorkerMethods>(
  workerPath: string, method: M, params: AnalysisWorkerMethods[M][0], options: WorkerRunOptions = {},
): Promise<AnalysisWorkerMethods[M][1]> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new CancelledError());
  const worker = new Worker(workerPath, options.execArgv ? { execArgv: [...options.execArgv] } : {});
  const rpc = new RpcEndpoint<AnalysisWorkerMethods, MethodMap, NotificationMap, AnalysisWorkerNotes>({
    post: (message: RpcMessage) => worker.postMessage(message),
    onNotify: (_method, params) => options.onProgress?.(params.fraction, params.message),
    timeoutMs: 0,
  });
  worker.on('message', (message: unknown) => rpc.handle(message));
  return new Promise<AnalysisWorkerMethods[M][1]>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      rpc.dispose();
      void worker.terminate();
      outcome();
    };
    const onAbort = (): void => finish(() => reject(new CancelledError()));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('error', (error) => finish(() => reject(error)));
    // A worker that ends without replying (process.exit in a dependency, a fatal error the
    // thread reports only by exiting) would otherwise leave the caller waiting forever.
    worker.on('exit', (code) => finish(() => reject(new Error(`the ${method} analysis worker stopped (exit code ${code}) before it replied; see the Bias Inspector log`))));
    rpc.request(method, params, 0).then(
      (result) => finish(() => resolve(result)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
