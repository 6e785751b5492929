/**
 * *Find Slices…* and *Threshold What-If…* (issue 11): the model's spec (found or guided), its
 * groups analysis run in the worker and shown in a report panel opened on the Slices or
 * Thresholds tab, which computes its section for the same spec (host/groupsTabs.ts) while the
 * Groups tab is already usable. Palette and the model's right-click menu.
 */
import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import type { GroupsReport } from '../protocol/groups';
import type { GroupsComparisonReport } from '../protocol/compare';
import type { SlicesReport } from '../protocol/slices';
import type { ThresholdsReport } from '../protocol/thresholds';
import { runOverrides } from './analysisWorker';
import { pickModel } from './pickModel';
import { reportError } from './log';
import { runAndShowReport } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { specForModel } from './specFlow';
import { suggestProbeInstead } from './probeFlow';
import { allowModelExecution } from './trust';

const CONSTRAINTS: readonly { label: string; value: string; detail: string }[] = [
  { label: 'Demographic parity', value: 'demographic_parity', detail: 'equal selection rates' },
  { label: 'Equalized odds', value: 'equalized_odds', detail: 'equal TPR and FPR (no relaxed front)' },
  { label: 'True positive rate parity', value: 'true_positive_rate_parity', detail: 'equal opportunity' },
  { label: 'False positive rate parity', value: 'false_positive_rate_parity', detail: 'equal FPR' },
  { label: 'True negative rate parity', value: 'true_negative_rate_parity', detail: 'equal TNR' },
  { label: 'False negative rate parity', value: 'false_negative_rate_parity', detail: 'equal FNR' },
];

type Shown = GroupsReport | GroupsComparisonReport | SlicesReport | ThresholdsReport;

/**
 * A language-model probe spec (issue 13) has no groups report to hold tabs: its slices and
 * thresholds are scored by the probe (P(yes) = sigmoid(s)) and shown in their own report panels.
 */
async function isProbeSpec(specPath: string): Promise<boolean> {
  try {
    const json = JSON.parse(await readFile(specPath, 'utf8')) as { probe?: unknown; outputKind?: unknown };
    return json.probe !== undefined || json.outputKind === 'language_model';
  } catch {
    return false; // the analysis itself reports an unreadable spec
  }
}

export async function findSlices(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri): Promise<Shown | undefined> {
  if (await suggestProbeInstead(model, 'Find Slices')) return undefined;
  const specPath = await specForModel(extensionUri, model, 'slices');
  if (!specPath) return undefined;
  if (await isProbeSpec(specPath)) return runAndShowReport(extensionUri, runtime, model, 'Find Slices', 'slices', { specPath, overrides: runOverrides() });
  return runAndShowReport(extensionUri, runtime, model, 'Find Slices', 'groups', { specPath, overrides: runOverrides() }, { tab: 'slices' });
}

export async function thresholdWhatIf(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri, constraint?: string): Promise<Shown | undefined> {
  const specPath = await specForModel(extensionUri, model, 'groups');
  if (!specPath) return undefined;
  let chosen = constraint;
  if (!chosen) {
    const pick = await vscode.window.showQuickPick(CONSTRAINTS.map((c) => ({ label: c.label, description: c.detail, value: c.value })), { title: 'Threshold What-If: constraint of the optimised thresholds' });
    if (!pick) return undefined;
    chosen = pick.value;
  }
  if (await isProbeSpec(specPath)) return runAndShowReport(extensionUri, runtime, model, 'Threshold What-If', 'thresholds', { specPath, overrides: runOverrides(), constraint: chosen, objective: 'accuracy_score' });
  return runAndShowReport(extensionUri, runtime, model, 'Threshold What-If', 'groups', { specPath, overrides: runOverrides() }, { tab: 'thresholds', constraint: chosen });
}

export function register(context: vscode.ExtensionContext, runtime: RuntimeStatusService): void {
  const command = (id: string, title: string, run: (model: vscode.Uri, arg?: unknown) => Promise<unknown>): vscode.Disposable =>
    vscode.commands.registerCommand(id, async (uri: unknown, arg?: unknown) => {
      const model = await pickModel(uri, `${title}: pick a model`);
      if (!model || !allowModelExecution(title)) return;
      try {
        await run(model, arg);
      } catch (error) {
        reportError(title, error);
      }
    });
  context.subscriptions.push(
    command('biasInspector.findSlices', 'Find Slices', (model) => findSlices(context.extensionUri, runtime, model)),
    command('biasInspector.thresholdWhatIf', 'Threshold What-If', (model, arg) => thresholdWhatIf(context.extensionUri, runtime, model, typeof arg === 'string' ? arg : undefined)),
  );
}
