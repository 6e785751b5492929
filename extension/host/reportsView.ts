import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { REPORT_SCHEMA } from '../protocol/report';
import type { RuntimeStatus } from '../protocol/runtime';
import { Disposable } from './disposable';
import type { RuntimeStatusService } from './runtimeStatus';
import { log, reportError } from './log';
import { openReportFile } from './reportPanel';
import { onDidSaveReport } from './reportStore';

export const REPORTS_GLOB = '.bias-inspector/reports/*.json';

export interface SavedReport {
  readonly uri: vscode.Uri;
  /** Basename of the model, for grouping. */
  readonly model: string;
  /** The model's full path as the report records it. */
  readonly modelPath: string;
  readonly kind: string;
  readonly createdAt: string;
}

type Node =
  | { readonly type: 'runtime'; readonly status: RuntimeStatus }
  | { readonly type: 'model'; readonly model: string; readonly reports: readonly SavedReport[] }
  | { readonly type: 'report'; readonly report: SavedReport };

/** Reads the header of a saved report; files that are not our reports are skipped with a log line. */
export async function readHeader(uri: vscode.Uri): Promise<SavedReport | undefined> {
  try {
    const json = JSON.parse(await readFile(uri.fsPath, 'utf8')) as { schema?: unknown; kind?: unknown; createdAt?: unknown; model?: { path?: unknown } };
    if (json.schema !== REPORT_SCHEMA) return undefined;
    return {
      uri,
      model: typeof json.model?.path === 'string' ? basename(json.model.path) : '(unknown model)',
      modelPath: typeof json.model?.path === 'string' ? json.model.path : '',
      kind: typeof json.kind === 'string' ? json.kind : 'report',
      createdAt: typeof json.createdAt === 'string' ? json.createdAt : '',
    };
  } catch (error) {
    log().warn(`skipping ${uri.fsPath}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** The side panel: runtime status, then saved reports grouped by model, newest first. */
class ReportsTree extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeTreeData = this.changed.event;
  private reports: SavedReport[] = [];
  private view: vscode.TreeView<Node> | undefined;
  private signature: string | undefined;
  /** Bumped by every load: only the newest listing is applied. */
  private generation = 0;
  /** The first read of the reports, which the view's first getChildren awaits. */
  private readonly loaded: Promise<boolean>;

  /** Resolved when the view's first root getChildren has returned (see `update`). */
  private readonly rendered: Promise<void>;
  private markRendered: () => void = () => undefined;

  constructor(private readonly runtime: RuntimeStatusService) {
    super();
    this.rendered = new Promise((resolve) => { this.markRendered = resolve; });
    this._register(runtime.onDidChange(() => this.update()));
    const watcher = this._register(vscode.workspace.createFileSystemWatcher(`**/${REPORTS_GLOB}`));
    const refresh = (): void => {
      this.refresh().catch((error: unknown) => log().warn(`cannot list saved reports: ${error instanceof Error ? error.message : String(error)}`));
    };
    // Our own saves, in process: in code-server the watcher did not report a file the extension
    // host wrote under .bias-inspector/ (seen by the e2e analyses scenario). The watcher still
    // covers reports written by others (the CLI, git).
    this._register(onDidSaveReport(refresh));
    this._register(watcher.onDidCreate(refresh));
    this._register(watcher.onDidChange(refresh));
    this._register(watcher.onDidDelete(refresh));
    this.loaded = this.load().catch((error: unknown) => {
      log().warn(`cannot list saved reports: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    });
  }

  /**
   * Re-reads the report headers and tells the view only when the list changed. The view awaits
   * the first read in getChildren instead of being told after it: an update fired while the
   * view renders for the first time is cancelled by VS Code ("Unable to refresh tree view").
   */
  async refresh(): Promise<void> {
    if (await this.load()) this.update();
  }

  /**
   * Tells the view that its data changed, once its first render is done: VS Code cancels an
   * update that arrives while the view renders for the first time ("Unable to refresh tree view:
   * Canceled"), e.g. the runtime becoming ready or a report saved right after the window opened.
   */
  private update(): void {
    void this.rendered.then(() => this.changed.fire());
  }

  /** The view whose empty-workspace message each load sets (attached before the first load ends). */
  attach(view: vscode.TreeView<Node>): void {
    this.view = view;
  }


  /** Reads every report header; true when the list differs from the last read. */
  private async load(): Promise<boolean> {
    const generation = ++this.generation;
    const files = await vscode.workspace.findFiles(REPORTS_GLOB, undefined, 2000);
    const headers = await Promise.all(files.map(readHeader));
    // A newer listing started meanwhile (several watcher events): it decides, not this one.
    if (generation !== this.generation) return false;
    const reports = headers.filter((r): r is SavedReport => r !== undefined).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.uri.fsPath.localeCompare(b.uri.fsPath));
    const signature = reports.map((r) => `${r.uri.toString()}|${r.kind}|${r.createdAt}|${r.modelPath}`).join('\n');
    const changed = signature !== this.signature;
    this.reports = reports;
    this.signature = signature;
    this.showMessage();
    return changed;
  }

  private showMessage(): void {
    if (this.view) this.view.message = this.reports.length === 0 ? 'No saved reports in this workspace yet. Reports of analyses are saved under .bias-inspector/reports/.' : '';
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      await this.loaded;
      // Updates wait until the workbench has drawn this first answer (it renders after the reply).
      setTimeout(() => this.markRendered(), 1000);
      const byModel = new Map<string, SavedReport[]>();
      for (const report of this.reports) byModel.set(report.model, [...(byModel.get(report.model) ?? []), report]);
      return [
        { type: 'runtime', status: this.runtime.current },
        ...[...byModel].sort(([a], [b]) => a.localeCompare(b)).map(([model, reports]): Node => ({ type: 'model', model, reports })),
      ];
    }
    return node.type === 'model' ? node.reports.map((report): Node => ({ type: 'report', report })) : [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.type) {
      case 'runtime': {
        const s = node.status;
        const label = s.state === 'ready' ? `Runtime: ${s.info.used}` : s.state === 'unavailable' ? 'Runtime: unavailable' : `Runtime: ${s.setting} (not started)`;
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(s.state === 'unavailable' ? 'warning' : 'server-process');
        item.tooltip = s.state === 'unavailable' ? s.message : s.state === 'ready' ? `onnxruntime ${s.info.ortVersion}${s.info.fallbackReason ? `; skipped: ${s.info.fallbackReason}` : ''}` : 'The provider is chosen when a model first runs.';
        item.command = { command: 'biasInspector.selectExecutionProvider', title: 'Select Execution Provider' };
        return item;
      }
      case 'model': {
        const item = new vscode.TreeItem(node.model, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('file-binary');
        item.description = `${node.reports.length} report${node.reports.length === 1 ? '' : 's'}`;
        return item;
      }
      case 'report': {
        const r = node.report;
        const item = new vscode.TreeItem(`${r.kind} — ${r.createdAt.replace('T', ' ').slice(0, 19)}`, vscode.TreeItemCollapsibleState.None);
        item.resourceUri = r.uri;
        item.iconPath = new vscode.ThemeIcon('file-text');
        item.tooltip = vscode.workspace.asRelativePath(r.uri);
        item.command = { command: 'biasInspector.openReport', title: 'Open Report', arguments: [r.uri] };
        return item;
      }
    }
  }
}

export function register(context: vscode.ExtensionContext, runtime: RuntimeStatusService): void {
  const tree = new ReportsTree(runtime);
  const view = vscode.window.createTreeView('biasInspector.reports', { treeDataProvider: tree, showCollapseAll: true });
  tree.attach(view);
  context.subscriptions.push(tree, view,
    vscode.commands.registerCommand('biasInspector.refreshReports', () => tree.refresh()),
    vscode.commands.registerCommand('biasInspector.openReport', async (uri: unknown) => {
      let target = uri instanceof vscode.Uri ? uri : undefined;
      if (!target) {
        const files = await vscode.workspace.findFiles(REPORTS_GLOB, undefined, 2000);
        if (files.length === 0) {
          void vscode.window.showInformationMessage('No saved reports in this workspace yet (.bias-inspector/reports/).');
          return;
        }
        target = (await vscode.window.showQuickPick(files.map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f })), { title: 'Open Report' }))?.uri;
      }
      if (target) {
        try {
          await openReportFile(context.extensionUri, target);
        } catch (error) {
          reportError('Open Report', error);
        }
      }
    }),
  );
}
