import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, runChecked, startProcess, stopProcess, StopWaiting, waitFor, type Started } from './processes';

/** What scripts/e2e-setup.sh prepared (its .e2e-cache/env.json). */
export interface SetupEnv {
  node: string;
  codeServer: string;
  codeServerVersion: string;
  chromium: string;
  playwrightCore: string;
}

/** Reads the setup's env.json, with a message that says what to run when it is missing. */
export function readSetupEnv(cacheDir: string): SetupEnv {
  const file = join(cacheDir, 'env.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: run \`bash scripts/e2e-setup.sh\` first`);
  }
  return JSON.parse(text) as SetupEnv;
}

/** The temp folders one code-server instance uses; nothing is read from or written to $HOME. */
export interface ServerDirs {
  userDataDir: string;
  extensionsDir: string;
  /** XDG config/data/cache homes and code-server's config file live here. */
  homeDir: string;
}

/** User settings that keep the workbench quiet and deterministic for a test run. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'workbench.editor.enablePreview': false,
  // A single click selects (Ctrl+click multi-selects) without opening; double-click opens.
  'workbench.list.openMode': 'doubleClick',
  'window.restoreWindows': 'none',
};

/** How a code-server instance is set up; the defaults are the main run's. */
export interface ServerOptions {
  /**
   * Workspace trust on (the untrusted-workspace mode): VS Code asks whether to trust the folder
   * and, answered "No", runs it in Restricted Mode. Off by default (no prompts).
   */
  workspaceTrust?: boolean;
  /** Share an extensions folder that already has the VSIX installed (no second install). */
  extensionsDir?: string;
}

/** Creates the folders and writes the user settings. */
export function prepareServerDirs(root: string, options: ServerOptions = {}): ServerDirs {
  const dirs: ServerDirs = { userDataDir: join(root, 'user-data'), extensionsDir: options.extensionsDir ?? join(root, 'extensions'), homeDir: join(root, 'home') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  mkdirSync(join(dirs.userDataDir, 'User'), { recursive: true });
  const settings = options.workspaceTrust ? { ...USER_SETTINGS, 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'always' } : USER_SETTINGS;
  writeFileSync(join(dirs.userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  // code-server refuses an empty config file; the flags below say the rest.
  writeFileSync(join(dirs.homeDir, 'config.yaml'), 'auth: none\n');
  return dirs;
}

function serverEnv(dirs: ServerDirs): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Keep the server's own files under the temp root (it writes a default config to XDG_CONFIG_HOME).
  env['XDG_CONFIG_HOME'] = join(dirs.homeDir, 'config');
  env['XDG_DATA_HOME'] = join(dirs.homeDir, 'data');
  env['XDG_CACHE_HOME'] = join(dirs.homeDir, 'cache');
  // No extension gallery (code-server defaults to open-vsx.org): the run reaches no other host.
  env['EXTENSIONS_GALLERY'] = '{}';
  delete env['VSCODE_IPC_HOOK_CLI'];
  delete env['NODE_OPTIONS'];
  return env;
}

function baseArgs(setup: SetupEnv, dirs: ServerDirs): string[] {
  return [setup.codeServer, '--config', join(dirs.homeDir, 'config.yaml'), '--user-data-dir', dirs.userDataDir, '--extensions-dir', dirs.extensionsDir];
}

/**
 * Installs a VSIX with `code-server --install-extension` and checks that `--list-extensions`
 * then reports `id@version`. Returns the listing.
 */
export function installExtension(setup: SetupEnv, dirs: ServerDirs, vsix: string, expected: string): string {
  const opts = { env: serverEnv(dirs), cwd: dirs.homeDir, timeoutMs: 120_000 };
  runChecked(setup.node, [...baseArgs(setup, dirs), '--install-extension', vsix, '--force'], opts);
  const listing = runChecked(setup.node, [...baseArgs(setup, dirs), '--list-extensions', '--show-versions'], opts);
  if (!listing.split(/\r?\n/).some((line) => line.trim() === expected)) {
    throw new Error(`after --install-extension ${vsix}, --list-extensions does not list ${expected}:\n${listing}`);
  }
  return listing;
}

/** A running code-server. */
export interface CodeServer {
  readonly url: string;
  readonly port: number;
  readonly process: Started;
  stop(): Promise<void>;
}

/**
 * Starts code-server on 127.0.0.1 with a free port, no auth, no telemetry, no update check and
 * (unless `options.workspaceTrust`) no workspace trust prompts; resolves once /healthz answers.
 */
export async function startCodeServer(setup: SetupEnv, dirs: ServerDirs, logFile: string, options: ServerOptions = {}): Promise<CodeServer> {
  const port = await freePort();
  const args = [
    ...baseArgs(setup, dirs), '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override', '--ignore-last-opened',
    // Each scenario's window gets its own extension host; let a closed window's host exit soon
    // instead of after the default 3 hours.
    '--reconnection-grace-time', '30',
  ];
  const proc = startProcess('code-server', setup.node, args, { env: serverEnv(dirs), cwd: dirs.homeDir, logFile });
  const url = `http://127.0.0.1:${port}`;
  let exitedEarly: number | string | undefined;
  void proc.exited.then((code) => { exitedEarly = code; });
  await waitFor('code-server /healthz', async () => {
    if (exitedEarly !== undefined) throw new StopWaiting(`code-server exited (${exitedEarly}); see ${logFile}`);
    const response = await fetch(`${url}/healthz`).catch(() => undefined);
    return response?.ok ? true : undefined;
  }, 60_000);
  return { url, port, process: proc, stop: () => stopProcess(proc) };
}
