/**
 * Extension entry point: wiring only. Each feature exposes `register(context)`.
 * Nothing here loads onnxruntime: the native runtime is loaded when a model first runs.
 */
import type * as vscode from 'vscode';
import * as log from './host/log';
import { RuntimeStatusService } from './host/runtimeStatus';
import * as modelEditor from './host/modelEditor';
import * as modelCommands from './host/modelCommands';
import * as analyses from './host/analyses';
import * as reportsView from './host/reportsView';
import * as reportStore from './host/reportStore';
import * as reportPanel from './host/reportPanel';
import * as slicesAnalysis from './host/slicesAnalysis';
import * as probe from './host/probeAnalysis';
import * as budgetDiagnostics from './host/budgetDiagnostics';
import * as installCuda from './host/installCuda';

export function activate(context: vscode.ExtensionContext): void {
  log.register(context);
  installCuda.register(context);
  reportStore.register(context);
  const runtime = new RuntimeStatusService();
  context.subscriptions.push(runtime);
  modelEditor.register(context, runtime);
  modelCommands.register(context, runtime);
  analyses.register(context, runtime);
  slicesAnalysis.register(context, runtime);
  probe.register(context, runtime);
  reportsView.register(context, runtime);
  reportPanel.register(context);
  budgetDiagnostics.register(context);
  log.log().info(`Model Bias Inspector ${String(context.extension.packageJSON.version)} activated`);
}

export function deactivate(): void {
  // Subscriptions are disposed by VS Code.
}
