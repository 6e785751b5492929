import * as vscode from 'vscode';
import type { AnalysisKind } from '../protocol/messages';
import { allowModelExecution } from './trust';
import { pickModel } from './pickModel';
import { analyzeGroups } from './groupsAnalysis';
import * as attention from './attentionAnalysis';
import { quantizationError } from './quantAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { createSpecGuided, defaultSpecPath } from './specFlow';
import { reportError } from './log';
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
    reportError(TITLES[analysis], error);
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
    try {
      const path = await createSpecGuided(model);
      if (path) await vscode.window.showTextDocument(vscode.Uri.file(path));
    } catch (error) {
      reportError(`Create Analysis Spec (${defaultSpecPath(model)})`, error);
    }
  }));
}
