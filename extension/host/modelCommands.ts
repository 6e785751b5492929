import * as vscode from 'vscode';
import { MODEL_VIEW_TYPE } from './commandIds';
import { pickModel, selectedModels } from './pickModel';
import { selectExecutionProvider, type RuntimeStatusService } from './runtimeStatus';
import { engine } from './loadEngine';
import { compareCheckpoint } from './quantAnalysis';
import { compareModels } from './compareAnalysis';
import { allowModelExecution } from './trust';
import { log, reportError } from './log';

async function openSideBySide(a: vscode.Uri, b: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('vscode.openWith', a, MODEL_VIEW_TYPE, vscode.ViewColumn.One);
  await vscode.commands.executeCommand('vscode.openWith', b, MODEL_VIEW_TYPE, vscode.ViewColumn.Two);
}

/** Opening models, comparing two side by side, and choosing the execution provider. */
export function register(context: vscode.ExtensionContext, runtime: RuntimeStatusService): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('biasInspector.openModel', async (uri: unknown) => {
      const model = uri instanceof vscode.Uri ? uri : await pickModel(undefined, 'Open Model: pick an ONNX model');
      if (model) await vscode.commands.executeCommand('vscode.openWith', model, MODEL_VIEW_TYPE);
    }),
    vscode.commands.registerCommand('biasInspector.compareModels', async (first: unknown, all: unknown) => {
      let models = selectedModels(first, all);
      if (models.length !== 2) {
        const picked = await vscode.window.showOpenDialog({ title: 'Compare Models: pick two ONNX models', canSelectMany: true, filters: { 'ONNX model': ['onnx'] } });
        models = picked ?? [];
      }
      const [a, b] = models;
      if (models.length !== 2 || !a || !b) {
        void vscode.window.showWarningMessage(`Compare Models needs exactly two .onnx files (got ${models.length}).`);
        return;
      }
      // A quantized checkpoint next to a float model: dequantized weight error and per-group deltas.
      try {
        const [qa, qb] = await Promise.all([engine().inspectModel(a.fsPath), engine().inspectModel(b.fsPath)]);
        const quantized = qa.quantization.quantized !== qb.quantization.quantized ? (qa.quantization.quantized ? [a, b] : [b, a]) : undefined;
        if (!quantized) {
          // Two checkpoints of the same model: per-group comparison on the rows of one spec. Its
          // report shows both models' summaries side by side; in Restricted Mode (no execution)
          // the two model views open side by side instead.
          log().info(`Compare Models: ${qa.quantization.quantized ? 'both' : 'neither'} quantized; comparing per group`);
          if (allowModelExecution('Compare Models')) await compareModels(context.extensionUri, runtime, a, b);
          else await openSideBySide(a, b);
          return;
        }
        await openSideBySide(a, b);
        const [q, f] = quantized as [vscode.Uri, vscode.Uri];
        if (allowModelExecution('Compare Models')) await compareCheckpoint(context.extensionUri, runtime, q, f);
      } catch (error) {
        reportError('Compare Models', error);
      }
    }),
    vscode.commands.registerCommand('biasInspector.selectExecutionProvider', selectExecutionProvider),
  );
}
