import type { Page } from 'playwright-core';
import type { LogWatcher } from './logs';
import type { Workbench } from './workbench';

/** The parts of the extension's package.json the scenarios read. */
export interface ExtensionManifest {
  publisher: string;
  name: string;
  version: string;
  contributes: {
    commands?: { command: string; title: string; category?: string }[];
    menus?: Record<string, { command: string; when?: string; group?: string }[]>;
    viewsContainers?: Record<string, { id: string; title: string }[]>;
    views?: Record<string, { id: string; name: string }[]>;
  };
}

/** What a scenario gets: one fresh browser window on the workspace, and helpers. */
export interface ScenarioContext {
  readonly page: Page;
  readonly wb: Workbench;
  /** The temp copy of examples/ that code-server has open. */
  readonly workspace: string;
  /** The installed extension's package.json. */
  readonly manifest: ExtensionManifest;
  /** `publisher.name`. */
  readonly extensionId: string;
  /** Output channel and extension-host logs of the code-server under test. */
  readonly logs: LogWatcher;
  /** Saves a screenshot of this step to test-results/e2e/<scenario>/<n>-<step>.png. */
  shot(step: string): Promise<void>;
  /** Prints a line under the scenario's name. */
  log(message: string): void;
}

/** One user-visible behaviour, proved in a fresh window. */
export interface Scenario {
  /** Short sentence: what a person sees. */
  readonly name: string;
  /** Default 90 s (the first window also pays for extension activation). */
  readonly timeoutMs?: number;
  /**
   * 'untrusted': runs after the others, in a second code-server with workspace trust enabled; the
   * runner answers the trust dialog "No", so the window is in Restricted Mode when `run` starts.
   */
  readonly workspaceTrust?: 'untrusted';
  /** Output-channel / extension-host error lines this scenario provokes on purpose. */
  readonly expectedLogErrors?: readonly RegExp[];
  run(ctx: ScenarioContext): Promise<void>;
}

/** Fails with `message` unless `condition` holds (so scenarios read like what a person checks). */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
