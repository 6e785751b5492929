/**
 * Failing bias budgets as Problems-panel diagnostics on the spec file, at each budget's range
 * (from jsonc-parser, via the report's `budgets[].location`), refreshed after every run that
 * evaluated them, with a quick action that opens the report the verdict came from.
 */
import * as vscode from 'vscode';
import type { BudgetResult } from '../protocol/budgets';

const SOURCE = 'bias-inspector';
const OPEN_REPORT = 'Open the report';

interface Entry { readonly result: BudgetResult; readonly report: vscode.Uri }

let collection: vscode.DiagnosticCollection | undefined;
/** Per spec file: the latest result of each budget (by index) and the report it came from. */
const latest = new Map<string, Map<number, Entry>>();
const reportOf = new WeakMap<vscode.Diagnostic, vscode.Uri>();

function rangeOf(r: BudgetResult): vscode.Range {
  const l = r.location;
  return new vscode.Range(Math.max(0, l.line - 1), Math.max(0, l.column - 1), Math.max(0, l.endLine - 1), Math.max(0, l.endColumn - 1));
}

function publish(spec: vscode.Uri): void {
  const entries = [...(latest.get(spec.fsPath)?.values() ?? [])].filter((e) => !e.result.ok);
  collection?.set(spec, entries.map((e) => {
    const d = new vscode.Diagnostic(rangeOf(e.result), `Bias budget fails: ${e.result.message}`, vscode.DiagnosticSeverity.Error);
    d.source = SOURCE;
    d.code = `bias-budget/${e.result.figure}`;
    reportOf.set(d, e.report);
    return d;
  }));
}

/**
 * Records the budgets a run evaluated (the report's `budgets`) and refreshes the spec's
 * diagnostics: a budget evaluated now replaces its previous verdict; the others stay.
 */
export function showBudgets(report: { readonly budgets?: readonly BudgetResult[] }, reportFile: vscode.Uri): void {
  const budgets = report.budgets ?? [];
  const bySpec = new Map<string, BudgetResult[]>();
  for (const b of budgets) bySpec.set(b.location.file, [...(bySpec.get(b.location.file) ?? []), b]);
  for (const [file, results] of bySpec) {
    const entries = latest.get(file) ?? new Map<number, Entry>();
    for (const r of results) entries.set(r.index, { result: r, report: reportFile });
    latest.set(file, entries);
    publish(vscode.Uri.file(file));
  }
}

class OpenReportAction implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];
  provideCodeActions(_doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    return context.diagnostics.filter((d) => d.source === SOURCE).flatMap((d) => {
      const report = reportOf.get(d);
      if (!report) return [];
      const action = new vscode.CodeAction(`${OPEN_REPORT} (${vscode.workspace.asRelativePath(report)})`, vscode.CodeActionKind.QuickFix);
      action.command = { command: 'biasInspector.openReport', title: OPEN_REPORT, arguments: [report] };
      action.diagnostics = [d];
      return [action];
    });
  }
}

export function register(context: vscode.ExtensionContext): void {
  collection = vscode.languages.createDiagnosticCollection('bias-inspector-budgets');
  context.subscriptions.push(
    collection,
    vscode.languages.registerCodeActionsProvider({ pattern: '**/*.bias.json' }, new OpenReportAction(), { providedCodeActionKinds: OpenReportAction.kinds }),
    // an edited spec's ranges may have moved: its diagnostics wait for the next run
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length > 0 && latest.has(e.document.uri.fsPath)) {
        latest.delete(e.document.uri.fsPath);
        collection?.delete(e.document.uri);
      }
    }),
  );
}
