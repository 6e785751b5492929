import * as vscode from 'vscode';
import type { ProviderSetting } from '../core/analyze';
import { engine } from './loadEngine';
import type { RunOverrides } from '../protocol/worker';

const SECTION = 'biasInspector';

/** The extension's settings, read fresh each time (they can change while a window is open). */
export const settings = {
  providers(): ProviderSetting {
    return engine().parseProviderSetting(vscode.workspace.getConfiguration(SECTION).get<unknown>('executionProviders', 'auto'));
  },
  providersLabel(): string {
    const value = vscode.workspace.getConfiguration(SECTION).get<unknown>('executionProviders', 'auto');
    return Array.isArray(value) ? value.join(',') : String(value);
  },
  /**
   * The run settings set explicitly (user, workspace or folder); defaults are left out so that
   * the spec's value, then the engine's default apply (core/analyze/options.ts).
   */
  overrides(): RunOverrides {
    const config = vscode.workspace.getConfiguration(SECTION);
    const explicit = <T>(key: string): T | undefined => {
      const i = config.inspect<T>(key);
      return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    };
    const providers = explicit<unknown>('executionProviders');
    const int = (key: string): number | undefined => {
      const v = explicit<unknown>(key);
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
    };
    const bootstrap = explicit<unknown>('bootstrap') === 'auto' ? 'auto' as const : int('bootstrap');
    const batchSize = int('batchSize');
    const maxRows = int('maxRows');
    const threads = int('threads');
    const minGroupSize = int('minGroupSize');
    const seed = int('bootstrapSeed');
    return {
      ...(providers !== undefined ? { providers: engine().parseProviderSetting(providers) } : {}),
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(maxRows !== undefined ? { maxRows } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(minGroupSize !== undefined ? { minGroupSize } : {}),
      ...(bootstrap !== undefined ? { bootstrap } : {}),
      ...(seed !== undefined ? { seed } : {}),
    };
  },
  async setProviders(value: 'auto' | string[]): Promise<void> {
    await vscode.workspace.getConfiguration(SECTION).update('executionProviders', value, vscode.ConfigurationTarget.Global);
  },
};

export function affectsProviders(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(`${SECTION}.executionProviders`);
}
