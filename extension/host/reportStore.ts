import * as vscode from 'vscode';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { engine } from './loadEngine';

const saved = new vscode.EventEmitter<vscode.Uri>();
/** Fired after a report was saved (model editors refresh their report list). */
export const onDidSaveReport = saved.event;

export function register(context: vscode.ExtensionContext): void {
  context.subscriptions.push(saved);
}

/** Folder of saved reports: `.bias-inspector/reports/` in the workspace folder holding the model. */
export function reportsFolder(model: vscode.Uri): vscode.Uri {
  const folder = vscode.workspace.getWorkspaceFolder(model) ?? vscode.workspace.workspaceFolders?.[0];
  const root = folder?.uri ?? vscode.Uri.joinPath(model, '..');
  return vscode.Uri.joinPath(root, '.bias-inspector', 'reports');
}

/** Saves a report as `<model>.<kind>.<timestamp>.json`; returns its URI. Model files are never touched. */
export async function saveReport(model: vscode.Uri, kind: string, report: unknown): Promise<vscode.Uri> {
  const folder = reportsFolder(model);
  await mkdir(folder.fsPath, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '-').replace('Z', '');
  const file = join(folder.fsPath, `${basename(model.fsPath, '.onnx')}.${kind}.${stamp}.json`);
  await writeFile(file, engine().reportToJson(report), 'utf8');
  const uri = vscode.Uri.file(file);
  saved.fire(uri);
  return uri;
}
