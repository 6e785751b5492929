import * as vscode from 'vscode';

/**
 * Model execution loads a native runtime over workspace files: refused in untrusted workspaces
 * (inspection still works). Returns true when execution may go ahead.
 */
export function allowModelExecution(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    `${action} runs the model, and this workspace is not trusted. Inspection works in restricted mode; trust the workspace to run models.`,
    'Manage Workspace Trust',
  ).then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}
