import * as vscode from 'vscode';
import { CancelledError, InspectorError } from '../core/errors';
import { RpcError } from '../protocol/rpc';
import type { AnalysisWorkerMethods } from '../protocol/worker';
import { runAnalysisInWorker } from './analysisWorker';
import { log } from './log';
import { saveReport } from './reportStore';
import { showReport } from './reportPanel';
import { showBudgets } from './budgetDiagnostics';
import type { BudgetResult } from '../protocol/budgets';
import type { RuntimeStatusService } from './runtimeStatus';
import type { ReportView } from '../protocol/groupsTabs';

/** One running analysis per kind: a new run cancels the old one. */
const running = new Map<string, AbortController>();

export interface AnalysisRun<T> {
  readonly kind: string;
  readonly title: string;
  readonly run: (signal: AbortSignal, progress: (fraction: number, message: string) => void) => Promise<T>;
  /** The spec the run reads: a failure then offers to open it. */
  readonly specPath?: string;
}

/** A failure notification: Open Spec (when there is one) and Show Output, never silence. */
export function showRunFailure(message: string, specPath: string | undefined): void {
  const actions = [...(specPath ? ['Open Spec'] : []), 'Show Output'];
  void vscode.window.showErrorMessage(message, ...actions).then((choice) => {
    if (choice === 'Open Spec' && specPath) void vscode.window.showTextDocument(vscode.Uri.file(specPath));
    if (choice === 'Show Output') log().show();
  });
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
      showRunFailure(`${analysis.title}: ${message}`, analysis.specPath);
    } else {
      log().error(`${analysis.title} failed: ${message}`, ...(error instanceof Error && error.stack ? [error.stack] : []));
      showRunFailure(`${analysis.title} failed: ${message}`, analysis.specPath);
    }
    return undefined;
  } finally {
    if (running.get(analysis.kind) === controller) running.delete(analysis.kind);
  }
}

/** The analyses whose reply is a report to save and show. */
type ReportMethod = 'groups' | 'compare' | 'attention' | 'quant' | 'slices' | 'thresholds' | 'probe' | 'probeAttention';

/**
 * The common path of every analysis: run it in the worker with a cancellable progress, record
 * the provider used, save the report under .bias-inspector/reports and show it beside.
 */
export async function runAndShowReport<M extends ReportMethod>(
  extensionUri: vscode.Uri,
  runtime: RuntimeStatusService,
  model: vscode.Uri,
  title: string,
  method: M,
  params: AnalysisWorkerMethods[M][0],
  view?: ReportView,
): Promise<AnalysisWorkerMethods[M][1] | undefined> {
  const specPath = (params as { readonly specPath?: string | null }).specPath ?? undefined;
  const report = await runWithProgress({
    kind: method,
    title: `${title}: ${vscode.workspace.asRelativePath(model)}`,
    ...(specPath ? { specPath } : {}),
    run: (signal, onProgress) => runAnalysisInWorker(extensionUri, method, params, signal, onProgress),
  }, (message) => runtime.recordUnavailable(message));
  if (!report) return undefined;
  if (report.runtime) runtime.recordSession(report.runtime);
  const file = await saveReport(model, report.kind, report);
  log().info(`${report.kind} report saved to ${file.fsPath}`);
  showBudgets(report as { budgets?: readonly BudgetResult[] }, file);
  showReport(extensionUri, report, file, vscode.ViewColumn.Beside, view);
  return report;
}
