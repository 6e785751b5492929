import * as vscode from 'vscode';
import { activeModel } from './activeModel';

/**
 * The model a command acts on: the Explorer's selection, else the active model editor, else a
 * quick pick of the workspace's .onnx files (or a file dialog when there are none).
 */
export async function pickModel(arg: unknown, title: string): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const active = activeModel();
  if (active) return active;
  const found = await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 200);
  if (found.length === 0) {
    const picked = await vscode.window.showOpenDialog({ title, canSelectMany: false, filters: { 'ONNX model': ['onnx'] } });
    return picked?.[0];
  }
  const pick = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })).sort((a, b) => a.label.localeCompare(b.label)),
    { title, placeHolder: 'ONNX models in this workspace' },
  );
  return pick?.uri;
}

/** Explorer multi-selection passes (clicked, all selected); the palette passes nothing. */
export function selectedModels(first: unknown, all: unknown): vscode.Uri[] {
  if (Array.isArray(all)) return all.filter((u): u is vscode.Uri => u instanceof vscode.Uri && u.fsPath.endsWith('.onnx'));
  return first instanceof vscode.Uri ? [first] : [];
}
