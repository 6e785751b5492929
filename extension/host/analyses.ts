import * as vscode from 'vscode';
import type { AnalysisKind } from '../protocol/messages';
import { allowModelExecution } from './trust';
import { pickModel } from './pickModel';
import { analyzeGroups } from './groupsAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { createSpecGuided, defaultSpecPath } from './specFlow';
import { reportError } from './log';

/** The command behind each analysis launcher. */
export const ANALYSIS_COMMANDS: Readonly<Record<AnalysisKind, string>> = {
  groups: 'biasInspector.analyzeGroups',
  attention: 'biasInspector.attentionHeatmaps',
  quant: 'biasInspector.quantizationError',
};

/** Analyses present in this build. The others say plainly which issue brings them. */
export const AVAILABLE_ANALYSES: Readonly<Record<AnalysisKind, boolean>> = {
  groups: true,
  attention: false,
  quant: false,
};

const TITLES: Readonly<Record<AnalysisKind, string>> = {
  groups: 'Analyze Groups',
  attention: 'Attention Heatmaps',
  quant: 'Quantization Error',
};

const PENDING_ISSUE: Readonly<Record<AnalysisKind, string>> = {
  groups: '#4 (per-group loss and fairness)',
  attention: '#5 (attention-bias heatmaps)',
  quant: '#6 (quantization error views)',
};

/** Says plainly that an analysis is not in this build yet. */
function notYet(analysis: AnalysisKind, model: vscode.Uri): void {
  void vscode.window.showInformationMessage(
    `${TITLES[analysis]} is not available in this build yet: it arrives with issue ${PENDING_ISSUE[analysis]}. ` +
    `${vscode.workspace.asRelativePath(model)} can already be inspected in the model editor.`,
  );
}

type Runner = (model: vscode.Uri) => Promise<unknown>;

async function runAnalysis(analysis: AnalysisKind, uri: unknown, runners: Partial<Record<AnalysisKind, Runner>>): Promise<void> {
  const model = await pickModel(uri, `${TITLES[analysis]}: pick a model`);
  if (!model) return;
  if (!allowModelExecution(TITLES[analysis])) return;
  const runner = runners[analysis];
  if (!AVAILABLE_ANALYSES[analysis] || !runner) {
    notYet(analysis, model);
    return;
  }
  try {
    await runner(model);
  } catch (error) {
    reportError(TITLES[analysis], error);
  }
}

export function register(context: vscode.ExtensionContext, runtime: RuntimeStatusService): void {
  const runners: Partial<Record<AnalysisKind, Runner>> = {
    groups: (model) => analyzeGroups(context.extensionUri, runtime, model),
  };
  for (const analysis of Object.keys(ANALYSIS_COMMANDS) as AnalysisKind[]) {
    context.subscriptions.push(vscode.commands.registerCommand(ANALYSIS_COMMANDS[analysis], (uri: unknown) => runAnalysis(analysis, uri, runners)));
  }
  context.subscriptions.push(vscode.commands.registerCommand('biasInspector.createSpec', async (uri: unknown) => {
    const model = await pickModel(uri, 'Create Analysis Spec: pick a model');
    if (!model) return;
    try {
      const path = await createSpecGuided(model);
      if (path) await vscode.window.showTextDocument(vscode.Uri.file(path));
    } catch (error) {
      reportError(`Create Analysis Spec (${defaultSpecPath(model)})`, error);
    }
  }));
}
