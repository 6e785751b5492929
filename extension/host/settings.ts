import * as vscode from 'vscode';
import { parseProviderSetting, type ProviderSetting } from '../core/runtime';

const SECTION = 'biasInspector';

/** The extension's settings, read fresh each time (they can change while a window is open). */
export const settings = {
  providers(): ProviderSetting {
    return parseProviderSetting(vscode.workspace.getConfiguration(SECTION).get<unknown>('executionProviders', 'auto'));
  },
  providersLabel(): string {
    const value = vscode.workspace.getConfiguration(SECTION).get<unknown>('executionProviders', 'auto');
    return Array.isArray(value) ? value.join(',') : String(value);
  },
  batchSize: (): number => vscode.workspace.getConfiguration(SECTION).get<number>('batchSize', 256),
  maxRows: (): number => vscode.workspace.getConfiguration(SECTION).get<number>('maxRows', 0),
  threads: (): number => vscode.workspace.getConfiguration(SECTION).get<number>('threads', 0),
  minGroupSize: (): number => vscode.workspace.getConfiguration(SECTION).get<number>('minGroupSize', 30),
  async setProviders(value: 'auto' | string[]): Promise<void> {
    await vscode.workspace.getConfiguration(SECTION).update('executionProviders', value, vscode.ConfigurationTarget.Global);
  },
};

export function affectsProviders(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(`${SECTION}.executionProviders`);
}
