import * as vscode from 'vscode';
import type { GroupsReport } from '../core/analyze/groups';
import { runInWorker, runSettings } from './analysisWorker';
import type { GroupsReportView } from '../protocol/groups';
import { log } from './log';
import { saveReport } from './reportStore';
import { showReport } from './reportPanel';
import { runWithProgress } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { specForModel } from './specFlow';

/** Compile-time check that the engine's report is what the UI renders. */
const asView = (report: GroupsReport): GroupsReportView => report;

/** Analyze Groups: spec (found or guided), run with progress, save under .bias-inspector/reports, show. */
export async function analyzeGroups(extensionUri: vscode.Uri, runtime: RuntimeStatusService, model: vscode.Uri): Promise<GroupsReport | undefined> {
  const spec = await specForModel(model);
  if (!spec) return undefined;
  const report = await runWithProgress({
    kind: 'groups',
    title: `Analyze Groups: ${vscode.workspace.asRelativePath(model)}`,
    run: (signal, onProgress) => runInWorker<GroupsReport>(extensionUri, {
      kind: 'groups', specPath: spec.specPath, settings: runSettings(), bootstrap: 200, seed: 0,
    }, signal, onProgress),
  }, (message) => runtime.recordUnavailable(message));
  if (!report) return undefined;
  if (report.runtime) runtime.recordSession(report.runtime);
  const file = await saveReport(model, 'groups', report);
  log().info(`groups report saved to ${file.fsPath}`);
  showReport(extensionUri, asView(report), file, vscode.ViewColumn.Beside);
  return report;
}
