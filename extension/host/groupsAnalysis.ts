import type * as vscode from 'vscode';
import type { GroupsReport } from '../protocol/groups';
import { runOverrides } from './analysisWorker';
import { runAndShowReport } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { specForModel } from './specFlow';
import { suggestProbeInstead } from './probeFlow';

/** Analyze Groups: spec (found or guided), run in the worker with progress, save under .bias-inspector/reports, show. */
export async function analyzeGroups(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri): Promise<GroupsReport | undefined> {
  if (await suggestProbeInstead(model, 'Analyze Groups')) return undefined;
  const specPath = await specForModel(extensionUri, model, 'groups');
  if (!specPath) return undefined;
  return runAndShowReport(extensionUri, runtime, model, 'Analyze Groups', 'groups', { specPath, overrides: runOverrides() });
}
