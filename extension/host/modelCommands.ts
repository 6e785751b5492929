import * as vscode from 'vscode';
import { MODEL_VIEW_TYPE } from './modelEditor';
import { pickModel, selectedModels } from './pickModel';
import { selectExecutionProvider } from './runtimeStatus';

/** Opening models, comparing two side by side, and choosing the execution provider. */
export function register(context: vscode.ExtensionContext): void {
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
      // Side by side summaries now; the weight-error comparison of a quantized checkpoint against
      // its float model arrives with issue #6.
      await vscode.commands.executeCommand('vscode.openWith', a, MODEL_VIEW_TYPE, vscode.ViewColumn.One);
      await vscode.commands.executeCommand('vscode.openWith', b, MODEL_VIEW_TYPE, vscode.ViewColumn.Two);
    }),
    vscode.commands.registerCommand('biasInspector.selectExecutionProvider', selectExecutionProvider),
  );
}
