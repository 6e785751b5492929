import * as vscode from 'vscode';
import { InspectorError } from '../core/errors';
import type { AnalysisWorkerMethods } from '../protocol/worker';

/** A model run refused because the workspace is not trusted (Restricted Mode). */
export class UntrustedWorkspaceError extends InspectorError {
  constructor(action: string) {
    super('workspace.untrusted', 'bad-input', `${action} runs the model, and this workspace is not trusted: trust the workspace to run models (inspection works in Restricted Mode).`);
    this.name = 'UntrustedWorkspaceError';
  }
}

/** What a worker request does, for messages; null when it runs no model (weights-only quantization). */
export function modelRunOf<M extends keyof AnalysisWorkerMethods>(method: M, params: AnalysisWorkerMethods[M][0]): string | null {
  switch (method) {
    case 'groups': return 'Analyze Groups';
    case 'attention': return 'Attention Heatmaps';
    case 'attentionSample': return `Show sample (row ${(params as AnalysisWorkerMethods['attentionSample'][0]).row})`;
    case 'quant': return (params as AnalysisWorkerMethods['quant'][0]).specPath === null ? null : 'The quantization impact';
    default: return String(method);
  }
}

/**
 * The one gate every model execution passes (analysisWorker.runAnalysisInWorker calls it before a
 * worker starts): whatever path asked — a command, a launcher, a report's "Show sample", a re-run
 * from the side bar — nothing runs in an untrusted workspace. Throws UntrustedWorkspaceError.
 */
export function assertModelExecutionAllowed<M extends keyof AnalysisWorkerMethods>(method: M, params: AnalysisWorkerMethods[M][0]): void {
  const action = modelRunOf(method, params);
  if (action !== null && !vscode.workspace.isTrusted) throw new UntrustedWorkspaceError(action);
}

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
