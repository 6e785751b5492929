import * as vscode from 'vscode';
import { writeFile } from 'node:fs/promises';
import type { ExportRequest } from '../protocol/messages';
import { log } from './log';

/** Saves a chart exported by a webview, through a save dialog next to `near`. */
export async function saveExport(near: vscode.Uri, request: ExportRequest): Promise<{ savedTo: string | null }> {
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(near, request.suggestedName),
    filters: request.format === 'svg' ? { 'SVG image': ['svg'] } : request.format === 'json' ? { JSON: ['json'] } : { 'PNG image': ['png'] },
  });
  if (!target) return { savedTo: null };
  const bytes = typeof request.data === 'string' ? Buffer.from(request.data, 'utf8') : Buffer.from(request.data);
  await writeFile(target.fsPath, bytes);
  log().info(`exported ${request.format.toUpperCase()} to ${target.fsPath}`);
  return { savedTo: target.fsPath };
}
