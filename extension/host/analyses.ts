import * as vscode from 'vscode';
import type { AnalysisKind } from '../protocol/messages';
import { allowModelExecution } from './trust';
import { pickModel } from './pickModel';

/** The command behind each analysis launcher. */
export const ANALYSIS_COMMANDS: Readonly<Record<AnalysisKind, string>> = {
  groups: 'biasInspector.analyzeGroups',
  attention: 'biasInspector.attentionHeatmaps',
  quant: 'biasInspector.quantizationError',
};

/** Analyses present in this build. The others say plainly which issue brings them. */
export const AVAILABLE_ANALYSES: Readonly<Record<AnalysisKind, boolean>> = {
  groups: false,
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

async function runAnalysis(analysis: AnalysisKind, uri: unknown): Promise<void> {
  const model = await pickModel(uri, `${TITLES[analysis]}: pick a model`);
  if (!model) return;
  if (!allowModelExecution(TITLES[analysis])) return;
  if (!AVAILABLE_ANALYSES[analysis]) notYet(analysis, model);
}

export function register(context: vscode.ExtensionContext): void {
  for (const analysis of Object.keys(ANALYSIS_COMMANDS) as AnalysisKind[]) {
    context.subscriptions.push(vscode.commands.registerCommand(ANALYSIS_COMMANDS[analysis], (uri: unknown) => runAnalysis(analysis, uri)));
  }
  context.subscriptions.push(vscode.commands.registerCommand('biasInspector.createSpec', async (uri: unknown) => {
    const model = await pickModel(uri, 'Create Analysis Spec: pick a model');
    if (model) {
      void vscode.window.showInformationMessage(`The guided spec flow arrives with issue ${PENDING_ISSUE.groups}; until then write ${vscode.workspace.asRelativePath(model).replace(/\.onnx$/, '.bias.json')} by hand (format in the README).`);
    }
  }));
}
