import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { assertNever, RpcEndpoint } from '../protocol/rpc';
import type { NoMethods, NoNotes, ReportHostMethods, ReportWebviewNotes } from '../protocol/messages';
import { BadInputError } from '../core/errors';
import { REPORT_SCHEMA } from '../protocol/report';
import { saveExport } from './exportFile';
import { reportToJson } from '../core/report';
import { webviewHtml, webviewOptions } from './webviewHtml';

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

/** A webview panel showing one report with the shared section renderers. */
export function showReport(extensionUri: vscode.Uri, report: unknown, file: vscode.Uri | null, column = vscode.ViewColumn.Active): void {
  const kind = (report as { kind?: unknown }).kind;
  const model = (report as { model?: { path?: unknown } | null }).model?.path;
  const title = `${typeof kind === 'string' ? kind : 'report'}: ${typeof model === 'string' ? basename(model) : file ? basename(file.fsPath) : ''}`;
  const panel = vscode.window.createWebviewPanel('biasInspector.report', title, column, webviewOptions(extensionUri));
  const closed = new AbortController();
  const rpc = new RpcEndpoint<NoMethods, ReportHostMethods, ReportWebviewNotes, NoNotes>({
    post: (message) => { void panel.webview.postMessage(message); },
    onRequest: async (method, params) => {
      const request = { method, params } as { [K in keyof ReportHostMethods]: { method: K; params: ReportHostMethods[K][0] } }[keyof ReportHostMethods];
      switch (request.method) {
        // Webview messages travel as JSON, where NaN and ±Infinity would become null: send the
        // report as the saved file spells it ("NaN", "Infinity"), which the renderers revive.
        case 'ready': return { report: JSON.parse(reportToJson(report)) as unknown, file: file?.fsPath ?? null };
        case 'saveExport': return saveExport(file ? vscode.Uri.file(dirname(file.fsPath)) : vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd()), request.params);
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
  showReport(extensionUri, report, file);
}
