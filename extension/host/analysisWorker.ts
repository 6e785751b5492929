import * as vscode from 'vscode';
import type { AnalysisWorkerMethods, RunOverrides } from '../protocol/worker';
import { settings } from './settings';
import { assertModelExecutionAllowed } from './trust';
import { engine } from './loadEngine';

/**
 * The run settings the user set explicitly in VS Code (a setting left at its default is not an
 * override: the spec's value, then the engine's default apply, as on the CLI).
 */
export function runOverrides(): RunOverrides {
  return settings.overrides();
}

/**
 * Runs one analysis in a fresh worker thread (dist/workers/analysis.worker.js), off the extension
 * host's thread. Cancelling terminates the worker and rejects with CancelledError.
 */
export function runAnalysisInWorker<M extends keyof AnalysisWorkerMethods>(
  extensionUri: vscode.Uri, method: M, params: AnalysisWorkerMethods[M][0], signal: AbortSignal | undefined,
  onProgress: (fraction: number, message: string) => void,
): Promise<AnalysisWorkerMethods[M][1]> {
  try {
    assertModelExecutionAllowed(method, params);
  } catch (error) {
    return Promise.reject(error);
  }
  const workerPath = vscode.Uri.joinPath(extensionUri, 'dist', 'workers', 'analysis.worker.js').fsPath;
  return engine().runInWorker(workerPath, method, params, { ...(signal ? { signal } : {}), onProgress });
}
