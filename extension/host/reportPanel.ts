import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { assertNever, RpcEndpoint } from '../protocol/rpc';
import type { NoMethods, NoNotes, ReportHostMethods, ReportWebviewNotes } from '../protocol/messages';
import { BadInputError } from '../core/errors';
import { REPORT_SCHEMA } from '../protocol/report';
import { saveExport } from './exportFile';
import { engine } from './loadEngine';
import { escapeHtml, webviewHtml, webviewOptions } from './webviewHtml';
import { log } from './log';
import type { GroupsReportWithTabs, ReportView } from '../protocol/groupsTabs';
import { computeGroupsSection, saveWithSection, withSection } from './groupsTabs';

/**
 * Serves requests a report needs beyond its JSON (e.g. attention samples), per report kind.
 * `signal` fires when the panel closes: work for a closed panel is stopped, not left running.
 */
export type ReportRequestHandler = (method: string, params: unknown, report: unknown, signal: AbortSignal) => Promise<unknown>;

const handlers = new Map<string, ReportRequestHandler>();

/** Lets an analysis serve its report panel's extra requests (registered by that analysis). */
export function registerReportHandler(kind: string, handler: ReportRequestHandler): vscode.Disposable {
  handlers.set(kind, handler);
  return new vscode.Disposable(() => handlers.delete(kind));
}

/** The webview panel type of reports; VS Code restores these panels with `register`'s serializer. */
export const REPORT_VIEW_TYPE = 'biasInspector.report';

function reportTitle(report: unknown, file: vscode.Uri | null): string {
  const kind = (report as { kind?: unknown }).kind;
  const model = (report as { model?: { path?: unknown } | null }).model?.path;
  // a comparison names both sides: "compare: income-mlp-prev.onnx → income-mlp.onnx"
  const a = (report as { compare?: { a?: { model?: unknown } } }).compare?.a?.model;
  if (kind === 'compare' && typeof a === 'string' && typeof model === 'string') return `compare: ${basename(a)} → ${basename(model)}`;
  return `${typeof kind === 'string' ? kind : 'report'}: ${typeof model === 'string' ? basename(model) : file ? basename(file.fsPath) : ''}`;
}

/** A webview panel showing one report with the shared section renderers. */
export function showReport(extensionUri: vscode.Uri, report: unknown, file: vscode.Uri | null, column = vscode.ViewColumn.Active, view?: ReportView): void {
  const panel = vscode.window.createWebviewPanel(REPORT_VIEW_TYPE, reportTitle(report, file), column, webviewOptions(extensionUri));
  attachReport(panel, extensionUri, report, file, view);
}

/**
 * Serves one report in a panel (a new one or one VS Code restored after a reload). The webview
 * keeps the report's file path in its state, which is what a restored panel gets back.
 */
function attachReport(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, shown: unknown, file: vscode.Uri | null, view?: ReportView): void {
  // A groups report gains its Slices / Thresholds sections as the tabs compute them.
  let report = shown;
  const kind = (report as { kind?: unknown }).kind;
  const title = reportTitle(report, file);
  panel.title = title;
  const closed = new AbortController();
  const rpc = new RpcEndpoint<NoMethods, ReportHostMethods, ReportWebviewNotes, NoNotes>({
    post: (message) => { void panel.webview.postMessage(message); },
    onRequest: async (method, params) => {
      const request = { method, params } as { [K in keyof ReportHostMethods]: { method: K; params: ReportHostMethods[K][0] } }[keyof ReportHostMethods];
      switch (request.method) {
        // Webview messages travel as JSON, where NaN and ±Infinity would become null: send the
        // report as the saved file spells it ("NaN", "Infinity"), which the renderers revive.
        case 'ready': return { report: JSON.parse(engine().reportToJson(report)) as unknown, file: file?.fsPath ?? null, ...(view ? { view } : {}) };
        case 'saveExport': return saveExport(file ? vscode.Uri.file(dirname(file.fsPath)) : vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd()), request.params);
        case 'groupsSection': {
          const result = await computeGroupsSection(extensionUri, report as GroupsReportWithTabs, request.params, closed.signal);
          report = withSection(report as GroupsReportWithTabs, result);
          if (file) await saveWithSection(file, report as GroupsReportWithTabs, result.kind).catch((error: unknown) => log().warn(`could not update ${file.fsPath}: ${error instanceof Error ? error.message : String(error)}`));
          // Same JSON spelling of NaN / Infinity as `ready`.
          return JSON.parse(engine().reportToJson(result)) as typeof result;
        }
        case 'attentionSample': {
          const handler = typeof kind === 'string' ? handlers.get(kind) : undefined;
          if (!handler) throw new Error('this report has no per-sample data');
          return handler(request.method, request.params, report, closed.signal);
        }
        default: return assertNever(request);
      }
    },
  });
  const subscription = panel.webview.onDidReceiveMessage((message: unknown) => rpc.handle(message));
  const disposed = panel.onDidDispose(() => {
    closed.abort();
    rpc.dispose();
    subscription.dispose();
    disposed.dispose();
  });
  panel.webview.html = webviewHtml(panel.webview, extensionUri, 'report', title);
}

/** Opens a saved report file in a report panel; an unreadable file is a BadInputError naming it. */
export async function openReportFile(extensionUri: vscode.Uri, file: vscode.Uri): Promise<void> {
  showReport(extensionUri, await readReportFile(file), file);
}

async function readReportFile(file: vscode.Uri): Promise<unknown> {
  let report: unknown;
  try {
    report = JSON.parse(await readFile(file.fsPath, 'utf8'));
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new BadInputError('report.unreadable', `${file.fsPath}: cannot open this report (${cause})`, { file: file.fsPath, cause: error });
  }
  if (typeof report !== 'object' || report === null || Array.isArray(report)) {
    throw new BadInputError('report.unreadable', `${file.fsPath}: not a Bias Inspector report (expected a JSON object with "schema": "${REPORT_SCHEMA}")`, { file: file.fsPath });
  }
  return report;
}

/** What a report webview keeps in its state (webview/report/main.ts). */
interface ReportPanelState {
  file?: unknown;
}

/** A restored panel whose report cannot be shown: says why, in the panel. */
function showRestoreFailure(panel: vscode.WebviewPanel, message: string): void {
  panel.webview.options = { enableScripts: false };
  panel.webview.html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body><p>${escapeHtml(message)}</p></body></html>`;
}

/**
 * Restores report panels after a window reload: a saved report is read again from its file; a
 * report that was never saved (or whose file is gone) says so in the panel.
 */
export function register(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
      const path = (state as ReportPanelState | undefined)?.file;
      log().info(`restoring a report panel (${typeof path === 'string' ? path : 'no saved file in its state'})`);
      if (typeof path !== 'string' || path === '') {
        showRestoreFailure(panel, 'This report was not saved to a file, so it cannot be shown again after a reload. Run the analysis again, or open a saved report from the Bias Inspector side bar.');
        return;
      }
      const file = vscode.Uri.file(path);
      try {
        panel.webview.options = webviewOptions(context.extensionUri);
        attachReport(panel, context.extensionUri, await readReportFile(file), file);
      } catch (error) {
        showRestoreFailure(panel, `Cannot restore this report: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  }));
}
