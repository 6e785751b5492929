import * as vscode from 'vscode';
import { CancelledError, InspectorError } from '../core/errors';
import { RpcError } from '../protocol/rpc';
import type { RuntimeInfo } from '../protocol/runtime';
import type { WorkerRequest } from '../protocol/worker';
import { runInWorker } from './analysisWorker';
import { log } from './log';
import { saveReport } from './reportStore';
import { showReport } from './reportPanel';
import { showBudgets } from './budgetDiagnostics';
import type { BudgetResult } from '../protocol/budgets';
import type { RuntimeStatusService } from './runtimeStatus';

/** One running analysis per kind: a new run cancels the old one. */
const running = new Map<string, AbortController>();

export interface AnalysisRun<T> {
  readonly kind: string;
  readonly title: string;
  readonly run: (signal: AbortSignal, progress: (fraction: number, message: string) => void) => Promise<T>;
}

/**
 * Runs an analysis with a cancellable notification progress; errors become messages that name
 * the file and the cause. Returns undefined when cancelled or failed (already reported).
 */
export async function runWithProgress<T>(analysis: AnalysisRun<T>, onRuntimeUnavailable?: (message: string) => void): Promise<T | undefined> {
  running.get(analysis.kind)?.abort();
  const controller = new AbortController();
  running.set(analysis.kind, controller);
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: analysis.title, cancellable: true }, async (progress, token) => {
      const cancellation = token.onCancellationRequested(() => controller.abort());
      let reported = 0;
      try {
        return await analysis.run(controller.signal, (fraction, message) => {
          const increment = Math.max(0, fraction * 100 - reported);
          reported += increment;
          progress.report({ increment, message });
        });
      } finally {
        cancellation.dispose();
      }
    });
  } catch (error) {
    const kind = error instanceof InspectorError ? error.kind : error instanceof RpcError ? error.kind : undefined;
    if (error instanceof CancelledError || kind === 'cancelled' || controller.signal.aborted) {
      log().info(`${analysis.title}: cancelled`);
      return undefined;
    }
    const code = error instanceof InspectorError || error instanceof RpcError ? error.code : undefined;
    if (code === 'runtime.unavailable') onRuntimeUnavailable?.(error instanceof Error ? error.message : String(error));
    const message = error instanceof Error ? error.message : String(error);
    if (kind === 'bad-input') {
      log().warn(`${analysis.title}: ${message}`);
      void vscode.window.showErrorMessage(`${analysis.title}: ${message}`);
    } else {
      log().error(`${analysis.title} failed: ${message}`, ...(error instanceof Error && error.stack ? [error.stack] : []));
      void vscode.window.showErrorMessage(`${analysis.title} failed: ${message}`, 'Show Log').then((c) => { if (c) log().show(); });
    }
    return undefined;
  } finally {
    if (running.get(analysis.kind) === controller) running.delete(analysis.kind);
  }
}

/** A report an analysis produces: the runtime it used, when it ran a model. */
interface AnalysisReport {
  readonly runtime?: RuntimeInfo | null;
}

/**
 * The common path of every analysis: run its request in the worker with a cancellable progress,
 * record the provider used, save the report under .bias-inspector/reports and show it beside.
 */
export async function runAndShowReport<R extends AnalysisReport>(
  extensionUri: vscode.Uri,
  runtime: RuntimeStatusService,
  model: vscode.Uri,
  analysis: { readonly kind: string; readonly reportKind: string; readonly title: string; readonly request: WorkerRequest },
): Promise<R | undefined> {
  const report = await runWithProgress({
    kind: analysis.kind,
    title: `${analysis.title}: ${vscode.workspace.asRelativePath(model)}`,
    run: (signal, onProgress) => runInWorker<R>(extensionUri, analysis.request, signal, onProgress),
  }, (message) => runtime.recordUnavailable(message));
  if (!report) return undefined;
  if (report.runtime) runtime.recordSession(report.runtime);
  const file = await saveReport(model, analysis.reportKind, report);
  log().info(`${analysis.reportKind} report saved to ${file.fsPath}`);
  showBudgets(report as { budgets?: readonly BudgetResult[] }, file);
  showReport(extensionUri, report, file, vscode.ViewColumn.Beside);
  return report;
}
