import type * as vscode from 'vscode';
import type { QuantizationReport } from '../protocol/quant';
import { log } from './log';
import { runAndShowReport } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { findSpec } from './specFlow';
import { runOverrides } from './analysisWorker';

interface QuantRun {
  readonly specPath: string | null;
  readonly floatPath: string | null;
  readonly sensitivity: boolean;
}

function runAndShow(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri, title: string, run: QuantRun): Promise<QuantizationReport | undefined> {
  return runAndShowReport(extensionUri, runtime, model, title, 'quant', { modelPath: model.fsPath, ...run, overrides: runOverrides() });
}

/**
 * Quantization Error: every float weight × every format; with the model's spec also the impact
 * on outputs per group and the per-layer sensitivity over its data.
 */
export async function quantizationError(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri): Promise<QuantizationReport | undefined> {
  const spec = await findSpec(model);
  if (!spec) log().info(`no spec for ${model.fsPath}: per-tensor error only (Create Analysis Spec adds the per-group impact)`);
  return runAndShow(extensionUri, runtime, model, 'Quantization Error', { specPath: spec ?? null, floatPath: null, sensitivity: spec !== undefined });
}

/** Compare Models with a quantized checkpoint and its float model: weight error and per-group deltas. */
export async function compareCheckpoint(extensionUri: vscode.Uri, runtime: RuntimeStatusService, quantized: vscode.Uri, float: vscode.Uri): Promise<QuantizationReport | undefined> {
  const spec = (await findSpec(float)) ?? (await findSpec(quantized));
  return runAndShow(extensionUri, runtime, quantized, 'Compare Models', { specPath: spec ?? null, floatPath: float.fsPath, sensitivity: false });
}
