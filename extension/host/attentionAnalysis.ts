import * as vscode from 'vscode';
import type { AttentionReport } from '../protocol/attention';
import { runAnalysisInWorker, runOverrides } from './analysisWorker';
import { registerReportHandler } from './reportPanel';
import { runAndShowReport } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { specForModel } from './specFlow';

/** Attention Heatmaps: dataset and per-group aggregates, biases; per-sample maps on request. */
export async function attentionHeatmaps(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri): Promise<AttentionReport | undefined> {
  const specPath = await specForModel(model);
  if (!specPath) return undefined;
  return runAndShowReport(extensionUri, runtime, model, 'Attention Heatmaps', 'attention', { specPath, overrides: runOverrides() });
}

/** Serves a report panel's per-sample requests by re-running the model on that one row. */
export function register(context: vscode.ExtensionContext): void {
  const extensionUri = context.extensionUri;
  context.subscriptions.push(registerReportHandler('attention', async (_method, params, report, signal) => {
    const specPath = (report as { spec?: unknown }).spec;
    const row = (params as { row?: unknown }).row;
    if (typeof specPath !== 'string' || specPath === '') throw new Error('this report names no spec file, so its samples cannot be re-run');
    if (typeof row !== 'number' || !Number.isInteger(row) || row < 0) throw new Error(`bad sample index ${JSON.stringify(row)}`);
    return runAnalysisInWorker(extensionUri, 'attentionSample', { specPath, row, overrides: runOverrides() }, signal, () => undefined);
  }));
}
