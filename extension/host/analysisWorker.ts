import * as vscode from 'vscode';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../core/errors';
import { RpcEndpoint, type RpcMessage } from '../protocol/rpc';
import type { AnalysisWorkerMethods, AnalysisWorkerNotes, WorkerRequest, WorkerRunSettings } from '../protocol/worker';
import { settings } from './settings';
import { assertModelExecutionAllowed } from './trust';

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
  try {
    assertModelExecutionAllowed(request);
  } catch (error) {
    return Promise.reject(error);
  }
  const worker = new Worker(vscode.Uri.joinPath(extensionUri, 'dist', 'workers', 'analysis.worker.js').fsPath);
  const rpc = new RpcEndpoint<AnalysisWorkerMethods, Record<never, [unknown, unknown]>, Record<never, unknown>, AnalysisWorkerNotes>({
    post: (message: RpcMessage) => worker.postMessage(message),
    onNotify: (_method, params) => onProgress(params.fraction, params.message),
    timeoutMs: 0,
  });
  worker.on('message', (message: unknown) => rpc.handle(message));
  return new Promise<T>((resolve, reject) => {
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
    // thread reports only by exiting) would otherwise leave the progress notification forever.
    worker.on('exit', (code) => finish(() => reject(new Error(`the ${request.kind} analysis worker stopped (exit code ${code}) before it replied; see the Bias Inspector log`))));
    rpc.request('run', request, 0).then(
      (result) => finish(() => resolve(result as T)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
