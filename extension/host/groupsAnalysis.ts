import type * as vscode from 'vscode';
import type { GroupsReport } from '../protocol/groups';
import { runSettings } from './analysisWorker';
import { runAndShowReport } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { specForModel } from './specFlow';

/** Analyze Groups: spec (found or guided), run with progress, save under .bias-inspector/reports, show. */
export async function analyzeGroups(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri): Promise<GroupsReport | undefined> {
  const spec = await specForModel(model);
  if (!spec) return undefined;
  return runAndShowReport<GroupsReport>(extensionUri, runtime, model, {
    kind: 'groups', reportKind: 'groups', title: 'Analyze Groups',
    request: { kind: 'groups', specPath: spec.specPath, settings: runSettings(), bootstrap: 200, seed: 0 },
  });
}
