import * as vscode from 'vscode';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../core/errors';
import { RpcEndpoint, type RpcMessage } from '../protocol/rpc';
import type { AnalysisWorkerMethods, AnalysisWorkerNotes, WorkerRequest, WorkerRunSettings } from '../protocol/worker';
import { settings } from './settings';

/** The VS Code settings an analysis run takes, read now. */
export function runSettings(): WorkerRunSettings {
  return {
    providers: settings.providers(),
    batchSize: settings.batchSize(),
    maxRows: settings.maxRows(),
    threads: settings.threads(),
    minGroupSize: settings.minGroupSize(),
  };
}

/**
 * Runs one analysis in a fresh worker thread, off the extension host's thread. Cancelling
 * terminates the worker (native inference included) and rejects with CancelledError.
 */
export function runInWorker<T>(extensionUri: vscode.Uri, request: WorkerRequest, signal: AbortSignal | undefined, onProgress: (fraction: number, message: string) => void): Promise<T> {
  if (signal?.aborted) return Promise.reject(new CancelledError());
  const worker = new Worker(vscode.Uri.joinPath(extensionUri, 'dist', 'workers', 'analysis.worker.js').fsPath);
  const rpc = new RpcEndpoint<AnalysisWorkerMethods, Record<never, [unknown, unknown]>, Record<never, unknown>, AnalysisWorkerNotes>({
    post: (message: RpcMessage) => worker.postMessage(message),
    onNotify: (_method, params) => onProgress(params.fraction, params.message),
    timeoutMs: 0,
  });
  worker.on('message', (message: unknown) => rpc.handle(message));
  return new Promise<T>((resolve, reject) => {
    const stop = (): void => {
      rpc.dispose();
      void worker.terminate();
    };
    const onAbort = (): void => {
      stop();
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      stop();
      reject(error);
    });
    rpc.request('run', request, 0).then((result) => {
      signal?.removeEventListener('abort', onAbort);
      stop();
      resolve(result as T);
    }, (error: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      stop();
      reject(error);
    });
  });
}
