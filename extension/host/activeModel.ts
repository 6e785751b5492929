/**
 * The model of the most recently focused model editor that is still open: the target of palette
 * commands run without an Explorer selection. The model editor reports focus and disposal.
 */
import type * as vscode from 'vscode';

let active: { readonly panel: vscode.WebviewPanel; readonly uri: vscode.Uri } | undefined;

export function activeModel(): vscode.Uri | undefined {
  return active?.uri;
}

/** `panel` showing `uri` became the active editor. */
export function setActiveModel(panel: vscode.WebviewPanel, uri: vscode.Uri): void {
  active = { panel, uri };
}

/** `panel` closed: a closed editor must not stay the target of palette commands. */
export function clearActiveModel(panel: vscode.WebviewPanel): void {
  if (active?.panel === panel) active = undefined;
}
