import * as vscode from 'vscode';
import { join } from 'node:path';
import { runQuantAnalysis, type QuantAnalysisOptions } from '../core/analyze/quant';
import type { ResolvedSpec } from '../core/data';
import type { QuantizationReport } from '../protocol/quant';
import { log } from './log';
import { saveReport } from './reportStore';
import { showReport } from './reportPanel';
import { runWithProgress } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { settings } from './settings';
import { findSpec } from './specFlow';
import { loadSpec } from '../core/data';

function baseOptions(extensionUri: vscode.Uri): Pick<QuantAnalysisOptions, 'providers' | 'threads' | 'batchSize' | 'workerPath'> {
  return {
    providers: settings.providers(),
    threads: settings.threads(),
    batchSize: settings.batchSize(),
    workerPath: join(extensionUri.fsPath, 'dist', 'workers', 'quant.worker.js'),
  };
}

async function specIfAny(model: vscode.Uri): Promise<ResolvedSpec | undefined> {
  const path = await findSpec(model);
  return path ? loadSpec(path) : undefined;
}

async function runAndShow(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri, title: string, options: QuantAnalysisOptions): Promise<QuantizationReport | undefined> {
  const report = await runWithProgress({
    kind: 'quant',
    title: `${title}: ${vscode.workspace.asRelativePath(model)}`,
    run: (signal, onProgress) => runQuantAnalysis(model.fsPath, { ...options, signal, onProgress }),
  }, (message) => runtime.recordUnavailable(message));
  if (!report) return undefined;
  if (report.runtime) runtime.recordSession(report.runtime);
  const file = await saveReport(model, 'quantization', report);
  log().info(`quantization report saved to ${file.fsPath}`);
  showReport(extensionUri, report, file, vscode.ViewColumn.Beside);
  return report;
}

/**
 * Quantization Error: every float weight × every format; with the model's spec also the impact
 * on outputs per group and the per-layer sensitivity over its data.
 */
export async function quantizationError(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri): Promise<QuantizationReport | undefined> {
  const spec = await specIfAny(model);
  if (!spec) log().info(`no spec for ${model.fsPath}: per-tensor error only (Create Analysis Spec adds the per-group impact)`);
  return runAndShow(extensionUri, runtime, model, 'Quantization Error', {
    ...baseOptions(extensionUri),
    ...(spec ? { spec, sensitivity: true, maxRows: settings.maxRows() || 2000 } : {}),
  });
}

/** Compare Models with a quantized checkpoint and its float model: weight error and per-group deltas. */
export async function compareCheckpoint(extensionUri: vscode.Uri, runtime: RuntimeStatusService, quantized: vscode.Uri, float: vscode.Uri): Promise<QuantizationReport | undefined> {
  const spec = (await specIfAny(float)) ?? (await specIfAny(quantized));
  return runAndShow(extensionUri, runtime, quantized, 'Compare Models', {
    ...baseOptions(extensionUri),
    float: float.fsPath,
    ...(spec ? { spec } : {}),
  });
}
