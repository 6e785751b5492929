import * as vscode from 'vscode';
import { RpcEndpoint } from '../protocol/rpc';
import { assertNever } from '../protocol/rpc';
import type { LauncherKind, SavedReportRef, ModelHostMethods, ModelViewState, ModelWebviewNotes, NoMethods, NoNotes } from '../protocol/messages';
import { ModelDocument } from './modelDocument';
import type { RuntimeStatusService } from './runtimeStatus';
import { webviewHtml, webviewOptions } from './webviewHtml';
import { LAUNCHER_COMMANDS, MODEL_VIEW_TYPE } from './commandIds';
import { clearActiveModel, setActiveModel } from './activeModel';
import { saveExport } from './exportFile';
import { openReportFile } from './reportPanel';
import { onDidSaveReport } from './reportStore';
import { readHeader, REPORTS_GLOB } from './reportsView';
import { engine } from './loadEngine';
import { reportError } from './log';

/** The readonly custom editor for `*.onnx`: summary, charts and the analysis launchers. */
export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider<ModelDocument> {
  constructor(private readonly extensionUri: vscode.Uri, private readonly runtime: RuntimeStatusService) {}

  openCustomDocument(uri: vscode.Uri): Promise<ModelDocument> {
    return ModelDocument.create(uri);
  }

  resolveCustomEditor(document: ModelDocument, panel: vscode.WebviewPanel): void {
    const webview = panel.webview;
    webview.options = webviewOptions(this.extensionUri);
    const subscriptions: vscode.Disposable[] = [];
    const rpc = new RpcEndpoint<NoMethods, ModelHostMethods, ModelWebviewNotes, NoNotes>({
      post: (message) => { void webview.postMessage(message); },
      onRequest: (method, params) => this.serve(document, method, params),
    });
    subscriptions.push(webview.onDidReceiveMessage((message: unknown) => rpc.handle(message)));
    subscriptions.push(document.onDidChange(() => rpc.notify('reload', {})));
    subscriptions.push(onDidSaveReport(() => rpc.notify('reload', {})));
    subscriptions.push(this.runtime.onDidChange((status) => rpc.notify('runtime', status)));
    // Trusting the workspace enables the launchers without reopening the editor.
    subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => rpc.notify('reload', {})));
    subscriptions.push(panel.onDidChangeViewState(() => {
      if (panel.active) setActiveModel(panel, document.uri);
    }));
    if (panel.active) setActiveModel(panel, document.uri);
    const disposed = panel.onDidDispose(() => {
      clearActiveModel(panel);
      rpc.dispose();
      subscriptions.forEach((s) => s.dispose());
      disposed.dispose();
    });
    webview.html = webviewHtml(webview, this.extensionUri, 'model', document.fileName);
  }

  private async serve<M extends keyof ModelHostMethods>(document: ModelDocument, method: M, params: ModelHostMethods[M][0]): Promise<ModelHostMethods[M][1]> {
    // Each branch returns the result type of its own method; the cast bridges TypeScript's
    // inability to narrow a generic M through a switch.
    type Result = ModelHostMethods[M][1];
    const request = { method, params } as { [K in keyof ModelHostMethods]: { method: K; params: ModelHostMethods[K][0] } }[keyof ModelHostMethods];
    switch (request.method) {
      case 'ready': return await this.viewState(document) as Result;
      case 'openReport': await this.openReport(request.params.file); return {} as Result;
      case 'launch': return await this.launch(document, request.params.analysis) as Result;
      case 'saveExport': return await saveExport(vscode.Uri.joinPath(document.uri, '..'), request.params) as Result;
      default: return assertNever(request);
    }
  }

  private async viewState(document: ModelDocument): Promise<ModelViewState> {
    const state = document.state;
    if (!state.ok) {
      return state.code === undefined
        ? { kind: 'error', fileName: document.fileName, message: state.message }
        : { kind: 'error', fileName: document.fileName, message: state.message, code: state.code };
    }
    return {
      kind: 'summary',
      fileName: document.fileName,
      summary: state.summary,
      runtime: this.runtime.current,
      trusted: vscode.workspace.isTrusted,
      reports: await reportsOf(document.uri),
      languageModel: engine().languageModelOutput(state.summary)?.reason ?? null,
    };
  }

  /** Opens a saved report; a broken file is reported to the user here (the webview only fires the request). */
  private async openReport(file: string): Promise<void> {
    try {
      await openReportFile(this.extensionUri, vscode.Uri.file(file));
    } catch (error) {
      reportError('Open Report', error);
    }
  }

  private async launch(document: ModelDocument, analysis: LauncherKind): Promise<Record<string, never>> {
    await vscode.commands.executeCommand(LAUNCHER_COMMANDS[analysis], document.uri);
    return {};
  }
}

/** Saved reports whose model is this file, newest first. */
async function reportsOf(model: vscode.Uri): Promise<SavedReportRef[]> {
  const files = await vscode.workspace.findFiles(REPORTS_GLOB, undefined, 2000);
  const headers = await Promise.all(files.map(readHeader));
  return headers
    .filter((h): h is NonNullable<typeof h> => h !== undefined && h.modelPath === model.fsPath)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((h) => ({ file: h.uri.fsPath, kind: h.kind, createdAt: h.createdAt }));
}

export function register(context: vscode.ExtensionContext, runtime: RuntimeStatusService): void {
  context.subscriptions.push(vscode.window.registerCustomEditorProvider(MODEL_VIEW_TYPE, new ModelEditorProvider(context.extensionUri, runtime), {
    supportsMultipleEditorsPerDocument: true,
  }));
}
