import * as vscode from 'vscode';
import type { AttentionReport } from '../core/analyze/attention';
import { runInWorker, runSettings } from './analysisWorker';
import type { AttentionReportView } from '../protocol/attention';
import { log } from './log';
import { saveReport } from './reportStore';
import { registerReportHandler, showReport } from './reportPanel';
import { runWithProgress } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { specForModel } from './specFlow';

/** Compile-time check that the engine's report is what the UI renders. */
const asView = (report: AttentionReport): AttentionReportView => report;

/** Attention Heatmaps: dataset and per-group aggregates, biases; per-sample maps on request. */
export async function attentionHeatmaps(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri): Promise<AttentionReport | undefined> {
  const spec = await specForModel(model);
  if (!spec) return undefined;
  const report = await runWithProgress({
    kind: 'attention',
    title: `Attention Heatmaps: ${vscode.workspace.asRelativePath(model)}`,
    run: (signal, onProgress) => runInWorker<AttentionReport>(extensionUri, { kind: 'attention', specPath: spec.specPath, settings: runSettings() }, signal, onProgress),
  }, (message) => runtime.recordUnavailable(message));
  if (!report) return undefined;
  runtime.recordSession(report.runtime);
  const file = await saveReport(model, 'attention', report);
  log().info(`attention report saved to ${file.fsPath}`);
  showReport(extensionUri, asView(report), file, vscode.ViewColumn.Beside);
  return report;
}

/** Serves a report panel's per-sample requests by re-running the model on that one row. */
export function register(context: vscode.ExtensionContext): void {
  const extensionUri = context.extensionUri;
  context.subscriptions.push(registerReportHandler('attention', async (_method, params, report, signal) => {
    const specPath = (report as { spec?: unknown }).spec;
    const row = (params as { row?: unknown }).row;
    if (typeof specPath !== 'string' || specPath === '') throw new Error('this report names no spec file, so its samples cannot be re-run');
    if (typeof row !== 'number' || !Number.isInteger(row) || row < 0) throw new Error(`bad sample index ${JSON.stringify(row)}`);
    return runInWorker(extensionUri, { kind: 'attentionSample', specPath, row, settings: runSettings() }, signal, () => undefined);
  }));
}
