/**
 * *Probe Language Model…* (issue 13): runs the language-model probe of a `*.bias.json` next to the
 * model (one whose "probe" field names it; a quick pick when there are several) in the analysis
 * worker and shows the probe report; when the model has attention, the attention heatmaps over the
 * same prompts follow in their own report.
 */
import * as vscode from 'vscode';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { engine } from './loadEngine';
import type { ProbeReport } from '../protocol/probe';
import { runOverrides } from './analysisWorker';
import { LAUNCHER_COMMANDS } from './commandIds';
import { reportError } from './log';
import { pickModel } from './pickModel';
import { createProbeSpecGuided } from './probeFlow';
import { runAndShowReport } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { allowModelExecution } from './trust';

export const PROBE_COMMAND = LAUNCHER_COMMANDS.probe;
const TITLE = 'Probe Language Model';

/** The probe specs in the model's folder whose "model" is this model. */
export async function findProbeSpecs(model: vscode.Uri): Promise<string[]> {
  const folder = dirname(model.fsPath);
  const found: string[] = [];
  for (const name of (await readdir(folder)).filter((f) => f.endsWith('.bias.json')).sort()) {
    try {
      const json = JSON.parse(await readFile(join(folder, name), 'utf8')) as { model?: unknown; probe?: unknown };
      if (typeof json.model === 'string' && resolve(folder, json.model) === model.fsPath && typeof json.probe === 'object' && json.probe !== null) found.push(join(folder, name));
    } catch {
      // Not a readable spec: running it would report it; it is not a probe spec we can offer.
    }
  }
  return found;
}

const CREATE = 'Create Probe Spec…';

/**
 * The probe spec to run: the only one next to the model, a pick among several (or a new one), or
 * — when there is none — the guided probe flow (tokenizer, templates, answers, group terms).
 */
async function pickProbeSpec(extensionUri: vscode.Uri, model: vscode.Uri): Promise<string | undefined> {
  const specs = await findProbeSpecs(model);
  if (specs.length === 0) {
    const choice = await vscode.window.showInformationMessage(
      `No probe spec for ${basename(model.fsPath)} yet. Pick its tokenizer, prompt templates with a group slot, the yes/no answers and each group's terms; the spec is checked on the first templates, saved next to the model, and the probe runs.`,
      { modal: false }, CREATE,
    );
    return choice === CREATE ? createProbeSpecGuided(extensionUri, model) : undefined;
  }
  if (specs.length === 1) return specs[0];
  const pick = await vscode.window.showQuickPick([
    ...specs.map((path) => ({ label: basename(path), description: vscode.workspace.asRelativePath(path), path })),
    { label: `$(add) ${CREATE}`, description: 'a counterfactual probe: templates with a group slot, answers, group terms', path: '' },
  ], { title: `${TITLE}: pick a probe spec` });
  if (pick?.path === '') return createProbeSpecGuided(extensionUri, model);
  return pick?.path;
}

export async function probeLanguageModel(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri): Promise<ProbeReport | undefined> {
  const specPath = await pickProbeSpec(extensionUri, model);
  if (!specPath) return undefined;
  const report = await runAndShowReport(extensionUri, runtime, model, `${TITLE} (${basename(specPath)})`, 'probe', { specPath, overrides: runOverrides() });
  if (!report) return undefined;
  const summary = await engine().inspectModel(model.fsPath);
  if (summary.attention.blocks.length > 0) {
    await runAndShowReport(extensionUri, runtime, model, `Attention over the probe's prompts (${basename(specPath)})`, 'probeAttention', { specPath, overrides: runOverrides() });
  }
  return report;
}

export function register(context: vscode.ExtensionContext, runtime: RuntimeStatusService): void {
  context.subscriptions.push(vscode.commands.registerCommand(PROBE_COMMAND, async (uri: unknown) => {
    const model = await pickModel(uri, `${TITLE}: pick a model`);
    if (!model) return;
    if (!allowModelExecution(TITLE)) return;
    try {
      await probeLanguageModel(context.extensionUri, runtime, model);
    } catch (error) {
      reportError(TITLE, error);
    }
  }));
}
