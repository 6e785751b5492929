import * as vscode from 'vscode';
import { join } from 'node:path';
import { loadModel, summarizeModel } from '../core/onnx';
import { analyzeWeights } from '../core/quant/analyze';
import { quantizationReport } from '../core/quant/report';
import type { QuantizationReport } from '../protocol/quant';
import { log } from './log';
import { saveReport } from './reportStore';
import { showReport } from './reportPanel';
import { runWithProgress } from './runAnalysis';

/** Quantization Error: every float weight × every format, in worker threads. */
export async function quantizationError(extensionUri: vscode.Uri, model: vscode.Uri): Promise<QuantizationReport | undefined> {
  const report = await runWithProgress({
    kind: 'quant',
    title: `Quantization Error: ${vscode.workspace.asRelativePath(model)}`,
    run: async (signal, onProgress) => {
      const loaded = await loadModel(model.fsPath, { signal });
      const section = await analyzeWeights(loaded, {
        workerPath: join(extensionUri.fsPath, 'dist', 'workers', 'quant.worker.js'),
        signal,
        onProgress,
      });
      return quantizationReport(summarizeModel(loaded), section);
    },
  });
  if (!report) return undefined;
  const file = await saveReport(model, 'quantization', report);
  log().info(`quantization report saved to ${file.fsPath}`);
  showReport(extensionUri, report, file, vscode.ViewColumn.Beside);
  return report;
}
