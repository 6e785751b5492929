import * as vscode from 'vscode';
import type { AttentionReport } from '../core/analyze/attention';
import { runInWorker, runSettings } from './analysisWorker';
import type { AttentionReportView } from '../protocol/attention';
import { registerReportHandler } from './reportPanel';
import { runAndShowReport } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { specForModel } from './specFlow';

/** Compile-time check that the engine's report is what the UI renders. */
export const asAttentionView = (report: AttentionReport): AttentionReportView => report;

/** Attention Heatmaps: dataset and per-group aggregates, biases; per-sample maps on request. */
export async function attentionHeatmaps(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri): Promise<AttentionReport | undefined> {
  const spec = await specForModel(extensionUri, model, 'attention');
  if (!spec) return undefined;
  return runAndShowReport<AttentionReport>(extensionUri, runtime, model, {
    kind: 'attention', reportKind: 'attention', title: 'Attention Heatmaps',
    request: { kind: 'attention', specPath: spec.specPath, settings: runSettings() }, specPath: spec.specPath,
  });
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
