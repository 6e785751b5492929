import * as vscode from 'vscode';
import type { AnalysisKind } from '../protocol/messages';
import { allowModelExecution } from './trust';
import { pickModel } from './pickModel';
import { analyzeGroups } from './groupsAnalysis';
import * as attention from './attentionAnalysis';
import { quantizationError } from './quantAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { createSpecGuided, defaultSpecPath, findSpec, type FlowAnalysis } from './specFlow';
import { log, reportError } from './log';
import { showRunFailure } from './runAnalysis';
import { ANALYSIS_COMMANDS } from './commandIds';

const TITLES: Readonly<Record<AnalysisKind, string>> = {
  groups: 'Analyze Groups',
  attention: 'Attention Heatmaps',
  quant: 'Quantization Error',
};

type Runner = (model: vscode.Uri) => Promise<unknown>;

async function runAnalysis(analysis: AnalysisKind, uri: unknown, runners: Readonly<Record<AnalysisKind, Runner>>): Promise<void> {
  const model = await pickModel(uri, `${TITLES[analysis]}: pick a model`);
  if (!model) return;
  if (!allowModelExecution(TITLES[analysis])) return;
  try {
    await runners[analysis](model);
  } catch (error) {
    // A spec that does not load (or a flow that failed) is a notification that can open it.
    const message = error instanceof Error ? error.message : String(error);
    log().error(`${TITLES[analysis]}: ${message}`, ...(error instanceof Error && error.stack ? [error.stack] : []));
    showRunFailure(`${TITLES[analysis]}: ${message}`, await findSpec(model).catch(() => undefined));
  }
}

export function register(context: vscode.ExtensionContext, runtime: RuntimeStatusService): void {
  const runners: Readonly<Record<AnalysisKind, Runner>> = {
    groups: (model) => analyzeGroups(context.extensionUri, runtime, model),
    attention: (model) => attention.attentionHeatmaps(context.extensionUri, runtime, model),
    quant: (model) => quantizationError(context.extensionUri, runtime, model),
  };
  attention.register(context);
  for (const analysis of Object.keys(ANALYSIS_COMMANDS) as AnalysisKind[]) {
    context.subscriptions.push(vscode.commands.registerCommand(ANALYSIS_COMMANDS[analysis], (uri: unknown) => runAnalysis(analysis, uri, runners)));
  }
  context.subscriptions.push(vscode.commands.registerCommand('biasInspector.createSpec', async (uri: unknown) => {
    const model = await pickModel(uri, 'Create Analysis Spec: pick a model');
    if (!model) return;
    const analysis = await vscode.window.showQuickPick<vscode.QuickPickItem & { value: FlowAnalysis }>([
      { label: TITLES.groups, description: 'per-group metrics: asks for the label, task and group columns', value: 'groups' },
      { label: TITLES.attention, description: 'attention maps: needs no label', value: 'attention' },
    ], { title: `Create Analysis Spec for ${vscode.workspace.asRelativePath(model)}: the analysis it is for`, ignoreFocusOut: true });
    if (!analysis) return;
    try {
      const path = await createSpecGuided(context.extensionUri, model, analysis.value);
      // The analysis the spec was written for runs at once (it finds the saved spec).
      if (path) await runAnalysis(analysis.value, model, runners);
    } catch (error) {
      reportError(`Create Analysis Spec (${defaultSpecPath(model)})`, error);
    }
  }));
}
