import * as vscode from 'vscode';
import type { CompareReport } from '../protocol/compare';
import { runOverrides } from './analysisWorker';
import { runAndShowReport } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { specForModel } from './specFlow';
import { groupLabel } from './groupLabel';

/**
 * Compare Models (two selected in the Explorer): the spec of A (found, or created with the
 * guided flow) runs A and B on the same rows (FORMULAS.md §G); the report opens beside and a
 * significantly worse group is named in a notification.
 */
export async function compareModels(extensionUri: vscode.Uri, runtime: RuntimeStatusService, a: vscode.Uri, b: vscode.Uri): Promise<CompareReport | undefined> {
  const specPath = await specForModel(extensionUri, a, 'groups');
  if (!specPath) return undefined;
  const report = await runAndShowReport(extensionUri, runtime, a, `Compare Models (B = ${vscode.workspace.asRelativePath(b)})`, 'compare', { specPath, modelB: b.fsPath, overrides: runOverrides() });
  if (!report) return undefined;
  const worse = report.compare.byGroup.filter((g) => g.verdict === 'worse' && g.group !== 'overall');
  const text = worse.length
    ? `Compare Models: B is significantly worse for ${worse.map((g) => (g.group === 'overall' ? 'overall' : groupLabel(g.group))).join('; ')} (McNemar, BH q < 0.05).`
    : 'Compare Models: no group is significantly worse for B (McNemar, BH q < 0.05).';
  void (worse.length ? vscode.window.showWarningMessage(text) : vscode.window.showInformationMessage(text));
  return report;
}
