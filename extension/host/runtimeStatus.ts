import * as vscode from 'vscode';
import type { RuntimeInfo, RuntimeStatus } from '../protocol/runtime';
import { EXECUTION_PROVIDERS } from '../protocol/runtime';
import { Disposable } from './disposable';
import { affectsProviders, settings } from './settings';
import { log } from './log';

/**
 * The execution provider in use: status-bar item, the Select Execution Provider command, and an
 * event for webviews. Before a model has run, the item shows the setting ("EP: auto"); after,
 * the provider onnxruntime actually used, with the fallback reason in the tooltip.
 */
export class RuntimeStatusService extends Disposable {
  private status: RuntimeStatus = { state: 'idle', setting: settings.providersLabel() };
  private readonly item: vscode.StatusBarItem;
  private readonly changed = this._register(new vscode.EventEmitter<RuntimeStatus>());
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('biasInspector.ep', vscode.StatusBarAlignment.Right, 100));
    this.item.name = 'Bias Inspector Execution Provider';
    this.item.command = 'biasInspector.selectExecutionProvider';
    this._register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsProviders(e)) this.set({ state: 'idle', setting: settings.providersLabel() });
    }));
    this.render();
    this.item.show();
  }

  get current(): RuntimeStatus {
    return this.status;
  }

  /** Records the provider a session actually used. */
  recordSession(info: RuntimeInfo): void {
    this.set({ state: 'ready', setting: settings.providersLabel(), info });
    log().info(`execution provider: ${info.used} (requested ${info.requested.join(' → ')})${info.fallbackReason ? `; skipped: ${info.fallbackReason}` : ''}`);
  }

  /** Records that the native runtime cannot load here. */
  recordUnavailable(message: string): void {
    this.set({ state: 'unavailable', setting: settings.providersLabel(), message });
  }

  private set(status: RuntimeStatus): void {
    this.status = status;
    this.render();
    this.changed.fire(status);
  }

  private render(): void {
    const s = this.status;
    switch (s.state) {
      case 'idle':
        this.item.text = `$(server-process) EP: ${s.setting}`;
        this.item.tooltip = `Execution providers: ${s.setting}. The provider actually used is shown once a model runs. Click to change.`;
        this.item.backgroundColor = undefined;
        break;
      case 'ready':
        this.item.text = `$(server-process) EP: ${s.info.used}`;
        this.item.tooltip = `onnxruntime ${s.info.ortVersion} on ${s.info.used} (requested ${s.info.requested.join(' → ')})${s.info.fallbackReason ? `\nSkipped: ${s.info.fallbackReason}` : ''}`;
        this.item.backgroundColor = undefined;
        break;
      case 'unavailable':
        this.item.text = '$(warning) EP: unavailable';
        this.item.tooltip = s.message;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
    }
  }
}

/** The quick pick behind "Select Execution Provider…": auto, or one provider then CPU. */
export async function selectExecutionProvider(): Promise<void> {
  const items: (vscode.QuickPickItem & { value: 'auto' | string[] })[] = [
    { label: 'auto', description: 'best available for this platform, then CPU', value: 'auto' },
    ...EXECUTION_PROVIDERS.filter((p) => p !== 'cpu').map((p) => ({ label: p, description: `${p}, falling back to cpu`, value: [p, 'cpu'] })),
    { label: 'cpu', description: 'CPU only', value: ['cpu'] },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Bias Inspector: execution providers', placeHolder: `current: ${settings.providersLabel()}` });
  if (pick) await settings.setProviders(pick.value);
}
