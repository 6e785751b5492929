import * as vscode from 'vscode';
import type { AnalysisKind } from '../protocol/messages';
import { allowModelExecution } from './trust';
import { pickModel } from './pickModel';
import { analyzeGroups } from './groupsAnalysis';
import * as attention from './attentionAnalysis';
import { quantizationError } from './quantAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { createSpecGuided, defaultSpecPath, findSpec, type FlowAnalysis } from './specFlow';
import { engine } from './loadEngine';
import { log, reportError } from './log';
import { showRunFailure } from './runAnalysis';
import { ANALYSIS_COMMANDS } from './commandIds';
import { createProbeSpecGuided } from './probeFlow';
import { PROBE_COMMAND } from './probeAnalysis';

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
    const lm = engine().languageModelOutput(await engine().inspectModel(model.fsPath));
    const options: (vscode.QuickPickItem & { value: FlowAnalysis | 'probe' })[] = [
      { label: TITLES.groups, description: 'per-group metrics: asks for the label, task and group columns', value: 'groups' },
      { label: TITLES.attention, description: 'attention maps: needs no label', value: 'attention' },
      { label: 'Find Slices', description: 'error slices: the groups steps, then the candidate columns', value: 'slices' },
      { label: 'Probe Language Model', description: 'yes/no skew per group: tokenizer, templates with a group slot, answers, terms', value: 'probe' },
    ];
    // A language model: the probe first (suggested, with why); the classifier analyses cannot run on it.
    const ordered = lm ? [{ ...options[3]!, description: `suggested: ${lm.reason}; ${options[3]!.description}` }, options[1]!, ...options.filter((o) => o.value === 'groups' || o.value === 'slices')] : options;
    const analysis = await vscode.window.showQuickPick(ordered, { title: `Create Analysis Spec for ${vscode.workspace.asRelativePath(model)}: the analysis it is for`, ignoreFocusOut: true });
    if (!analysis) return;
    try {
      if (analysis.value === 'probe') {
        if (await createProbeSpecGuided(context.extensionUri, model)) await vscode.commands.executeCommand(PROBE_COMMAND, model);
        return;
      }
      const path = await createSpecGuided(context.extensionUri, model, analysis.value);
      // The analysis the spec was written for runs at once (it finds the saved spec).
      if (!path) return;
      if (analysis.value === 'slices') await vscode.commands.executeCommand('biasInspector.findSlices', model);
      else await runAnalysis(analysis.value, model, runners);
    } catch (error) {
      reportError(`Create Analysis Spec (${defaultSpecPath(model)})`, error);
    }
  }));
}
