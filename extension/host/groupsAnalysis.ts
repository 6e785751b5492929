import type * as vscode from 'vscode';
import type { GroupsReport } from '../core/analyze/groups';
import { runSettings } from './analysisWorker';
import type { GroupsReportView } from '../protocol/groups';
import { runAndShowReport } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { specForModel } from './specFlow';

/** Compile-time check that the engine's report is what the UI renders. */
export const asGroupsView = (report: GroupsReport): GroupsReportView => report;

/** Analyze Groups: spec (found or guided), run with progress, save under .bias-inspector/reports, show. */
export async function analyzeGroups(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri): Promise<GroupsReport | undefined> {
  const spec = await specForModel(extensionUri, model, 'groups');
  if (!spec) return undefined;
  return runAndShowReport<GroupsReport>(extensionUri, runtime, model, {
    kind: 'groups', reportKind: 'groups', title: 'Analyze Groups',
    request: { kind: 'groups', specPath: spec.specPath, settings: runSettings(), bootstrap: 200, seed: 0 }, specPath: spec.specPath,
  });
}
