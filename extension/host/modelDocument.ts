import * as vscode from 'vscode';
import { basename } from 'node:path';
import { InspectorError } from '../core/errors';
import { engine } from './loadEngine';
import type { ModelSummary } from '../protocol/model';
import { Disposable } from './disposable';
import { log } from './log';

/** What reading the file gave: a summary, or the error that names the file and the cause. */
export type ModelLoadResult =
  | { readonly ok: true; readonly summary: ModelSummary }
  | { readonly ok: false; readonly message: string; readonly code?: string };

/**
 * A readonly ONNX model opened in the custom editor. Created by `static async create()`; watches
 * its own file and fires `onDidChange` after re-reading it when it changes on disk.
 */
export class ModelDocument extends Disposable implements vscode.CustomDocument {
  private result: ModelLoadResult;
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  /** Fired after the file changed on disk and was read again. */
  readonly onDidChange = this.changed.event;

  static async create(uri: vscode.Uri): Promise<ModelDocument> {
    return new ModelDocument(uri, await ModelDocument.read(uri));
  }

  private constructor(readonly uri: vscode.Uri, initial: ModelLoadResult) {
    super();
    this.result = initial;
    const folder = vscode.Uri.joinPath(uri, '..');
    // Every file of the folder, filtered to this one: a file name is not a safe glob
    // (`model[v2].onnx` would be a character class), and VS Code globs have no escape.
    const watcher = this._register(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '*')));
    const reload = (changed: vscode.Uri): void => {
      if (changed.fsPath === uri.fsPath) void this.reload();
    };
    this._register(watcher.onDidChange(reload));
    this._register(watcher.onDidCreate(reload));
    this._register(watcher.onDidDelete(reload));
  }

  get fileName(): string {
    return basename(this.uri.fsPath);
  }

  get state(): ModelLoadResult {
    return this.result;
  }

  /** Bumped by every reload: only the newest read is kept (one save fires several events). */
  private generation = 0;

  private async reload(): Promise<void> {
    const generation = ++this.generation;
    const result = await ModelDocument.read(this.uri);
    if (generation !== this.generation || this.isDisposed) return;
    this.result = result;
    this.changed.fire();
  }

  /** Reads and summarises the model; never throws (errors become a result the editor shows). */
  private static async read(uri: vscode.Uri): Promise<ModelLoadResult> {
    try {
      const summary = await engine().inspectModel(uri.fsPath);
      log().info(`inspected ${uri.fsPath}: ${summary.nodeCount} nodes, ${summary.parameters.total} parameters`);
      return { ok: true, summary };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof InspectorError ? error.code : undefined;
      if (error instanceof InspectorError && error.kind === 'bad-input') log().warn(message);
      else log().error(`reading ${uri.fsPath} failed: ${message}`);
      return code === undefined ? { ok: false, message } : { ok: false, message, code };
    }
  }
}
