// The end-to-end run: the packaged VSIX in code-server, driven by Chromium through playwright-core.
// Started by scripts/run-e2e.mjs (which builds the VSIX first). See README "End-to-end tests".
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type LaunchedBrowser } from './harness/browser';
import { installExtension, prepareServerDirs, readSetupEnv, startCodeServer, type CodeServer } from './harness/codeServer';
import { LogWatcher, type LogError } from './harness/logs';
import { killAllSync, stopAll } from './harness/processes';
import type { ExtensionManifest, Scenario, ScenarioContext } from './harness/scenario';
import { copyWorkspace, diffTrees, hashTree, unexpectedAdditions } from './harness/workspace';
import { Workbench } from './harness/workbench';
import { BAD_MODEL_FILE, BAD_MODEL_TEXT, scenarios } from './scenarios/index';

const ROOT = resolve(__dirname, '..', '..');
const RESULTS = join(ROOT, 'test-results', 'e2e');
const VSIX = resolve(ROOT, process.env['E2E_VSIX'] ?? 'dist/bias-inspector.vsix');
const CACHE = resolve(ROOT, process.env['E2E_CACHE'] ?? '.e2e-cache');
const flag = (name: string): boolean => ['1', 'true', 'yes'].includes((process.env[name] ?? '').toLowerCase());
const HEADED = flag('E2E_HEADED');
const KEEP_OPEN = flag('E2E_KEEP_OPEN');
const KEEP_TMP = flag('E2E_KEEP_TMP');
const ONLY = process.env['E2E_ONLY'];
const SLOW_MO = Number(process.env['E2E_SLOWMO'] ?? 0);
/** The whole run must stay under 10 minutes (issue 3); fail clearly before an outer timeout hits. */
const RUN_BUDGET_MS = Number(process.env['E2E_BUDGET_MS'] ?? 9 * 60_000);
const DEFAULT_SCENARIO_TIMEOUT_MS = 90_000;
/** Under the temp root: the second code-server's folders (workspace trust on), when a scenario needs it. */
const UNTRUSTED_DIR = 'untrusted';

const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const say = (message: string): void => console.log(`[e2e ${elapsed()}] ${message}`);
const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

interface Outcome { name: string; ok: boolean; ms: number; error?: string }

let tempRoot: string | undefined;
let server: CodeServer | undefined;
let chromium: LaunchedBrowser | undefined;
let cleaningUp: Promise<void> | undefined;
let interrupted = false;

/** Stops the browser and code-server (by pid, process groups), copies the logs, removes the temp root. */
function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    await chromium?.close().catch((e: unknown) => say(`closing chromium: ${String(e)}`));
    await server?.stop().catch((e: unknown) => say(`stopping code-server: ${String(e)}`));
    await stopAll();
    if (tempRoot) {
      for (const [from, to] of [['user-data', 'vscode-logs'], [join(UNTRUSTED_DIR, 'user-data'), 'vscode-logs-untrusted']] as const) {
        try {
          cpSync(join(tempRoot, from, 'logs'), join(RESULTS, to), { recursive: true });
        } catch {
          // No logs (failed before that code-server started, or it never ran).
        }
      }
      if (KEEP_TMP) say(`temp folder kept: ${tempRoot}`);
      else rmSync(tempRoot, { recursive: true, force: true });
    }
  })();
  return cleaningUp;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping everything this run started`);
    void cleanup().finally(() => process.exit(130));
  });
}
process.once('exit', killAllSync);

/** Runs one scenario in a fresh browser context (fresh workbench state, a new extension host). */
async function runScenario(index: number, scenario: Scenario, base: Omit<ScenarioContext, 'page' | 'wb' | 'shot' | 'log'>, url: string): Promise<Outcome> {
  const t0 = Date.now();
  const dir = join(RESULTS, `${String(index + 1).padStart(2, '0')}-${slug(scenario.name)}`);
  mkdirSync(dir, { recursive: true });
  if (!chromium) throw new Error('browser not started');
  const context = await chromium.browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page: Page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Errors of our own code in the page (the webview scripts are served from the installed
  // extension's folder, whose name starts with the extension id).
  const ownErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && `${m.location().url} ${m.text()}`.includes(base.extensionId)) ownErrors.push(`${m.text()} (${m.location().url}:${m.location().lineNumber})`);
  });
  page.on('pageerror', (e) => {
    if (`${e.message} ${e.stack ?? ''}`.includes(base.extensionId)) ownErrors.push(e.stack ?? e.message);
  });
  let shots = 0;
  const ctx: ScenarioContext = {
    ...base,
    page,
    wb: new Workbench(page),
    shot: async (step) => {
      shots += 1;
      await page.screenshot({ path: join(dir, `${String(shots).padStart(2, '0')}-${slug(step)}.png`) });
    },
    log: (message) => say(`  ${message}`),
  };
  say(`▶ ${scenario.name}`);
  const timeoutMs = scenario.timeoutMs ?? DEFAULT_SCENARIO_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    const body = (async () => {
      await page.goto(url);
      if (scenario.workspaceTrust === 'untrusted') {
        await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
        ctx.log(`trust: ${await ctx.wb.enterRestrictedMode()}`);
      }
      await ctx.wb.waitReady();
      // The extension's contributions are registered in this window (before that, a double-click
      // on a .onnx opens the text editor): its activity-bar entry has appeared.
      const container = base.manifest.contributes.viewsContainers?.['activitybar']?.[0];
      if (container) await ctx.wb.activityBarItem(container.title).waitFor({ timeout: 60_000 });
      await scenario.run(ctx);
    })();
    // After a timeout the body fails later (its page closes): that rejection is expected, not unhandled.
    body.catch(() => undefined);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`scenario timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([body, timeout]);
    if (ownErrors.length > 0) throw new Error(`errors in the extension's webview/page code:\n  ${ownErrors.join('\n  ')}`);
    const unexpected = unexpectedLogErrors(base.logs, scenario);
    if (unexpected.length > 0) {
      throw new Error(`errors in the extension's logs:\n${unexpected.map((e) => `  ${e.file}:${e.line}: ${e.text}`).join('\n')}`);
    }
    await ctx.shot('done');
    say(`✔ ${scenario.name} (${Date.now() - t0} ms)`);
    return { name: scenario.name, ok: true, ms: Date.now() - t0 };
  } catch (error) {
    if (interrupted) return { name: scenario.name, ok: false, ms: Date.now() - t0, error: 'interrupted' };
    const message = error instanceof Error ? error.message : String(error);
    await page.screenshot({ path: join(dir, 'FAILED.png') }).catch(() => undefined);
    say(`✘ ${scenario.name}: ${message}`);
    if (pageErrors.length > 0) say(`  page errors: ${pageErrors.slice(0, 5).join(' | ')}`);
    return { name: scenario.name, ok: false, ms: Date.now() - t0, error: message };
  } finally {
    clearTimeout(timer);
    await context.close().catch(() => undefined);
  }
}

function unexpectedLogErrors(logs: LogWatcher, scenario: Scenario): LogError[] {
  const allowed = scenario.expectedLogErrors ?? [];
  return logs.newErrors().filter((e) => !allowed.some((pattern) => pattern.test(e.text)));
}

async function main(): Promise<number> {
  const setup = readSetupEnv(CACHE);
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  const selected = scenarios.filter((s) => !ONLY || s.name.toLowerCase().includes(ONLY.toLowerCase()));
  if (selected.length === 0) throw new Error(`E2E_ONLY=${ONLY ?? ''} matches no scenario`);

  tempRoot = mkdtempSync(join(tmpdir(), 'bias-inspector-e2e-'));
  const dirs = prepareServerDirs(tempRoot);
  say(`temp root ${tempRoot}`);

  // The packaged extension, installed the way a user installs a VSIX.
  // A copy: a concurrent `npm run build` may clean dist/ while the run is installing.
  const vsix = join(tempRoot, 'extension.vsix');
  if (!existsSync(VSIX)) throw new Error(`${VSIX} does not exist: run \`npm run package\` (npm run test:e2e does it unless E2E_SKIP_PACKAGE=1)`);
  cpSync(VSIX, vsix);
  const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as ExtensionManifest;
  const extensionId = `${rootManifest.publisher}.${rootManifest.name}`;
  installExtension(setup, dirs, vsix, `${extensionId}@${rootManifest.version}`);
  const installedDir = readdirSync(dirs.extensionsDir).find((d) => d.startsWith(`${extensionId}-`));
  if (!installedDir) throw new Error(`${extensionId} is not in ${dirs.extensionsDir} after --install-extension`);
  const manifest = JSON.parse(readFileSync(join(dirs.extensionsDir, installedDir, 'package.json'), 'utf8')) as ExtensionManifest;
  say(`installed ${VSIX} -> ${installedDir}`);

  // The demo workspace, copied; every file hashed so the run proves it modifies none of them.
  const workspace = join(tempRoot, 'workspace');
  copyWorkspace(join(ROOT, 'examples'), workspace);
  const before = hashTree(workspace);
  if (before.size === 0) throw new Error('examples/ is empty');
  writeFileSync(join(workspace, BAD_MODEL_FILE), BAD_MODEL_TEXT);

  server = await startCodeServer(setup, dirs, join(RESULTS, 'code-server.log'));
  say(`code-server ${setup.codeServerVersion} on ${server.url} (pid ${server.process.pid})`);
  chromium = await launchChromium({ executablePath: setup.chromium, playwrightCore: setup.playwrightCore, headless: !HEADED, slowMo: SLOW_MO, homeDir: join(tempRoot, 'chromium-home') });
  say(`chromium pid ${chromium.process.pid}${HEADED ? ' (headed)' : ''}`);

  const logs = new LogWatcher(join(dirs.userDataDir, 'logs'), {
    channelFile: 'Bias Inspector.log',
    markers: [extensionId, 'biasInspector', 'Bias Inspector'],
  });
  const folderUrl = (s: CodeServer): string => `${s.url}/?folder=${encodeURIComponent(workspace)}`;
  let url = folderUrl(server);
  const outcomes: Outcome[] = [];
  const runAll = async (list: readonly Scenario[], watcher: LogWatcher): Promise<void> => {
    for (const scenario of list) {
      if (interrupted) break;
      if (Date.now() - started > RUN_BUDGET_MS) {
        outcomes.push({ name: scenario.name, ok: false, ms: 0, error: `not run: the run exceeded its ${RUN_BUDGET_MS / 1000} s budget` });
        continue;
      }
      outcomes.push(await runScenario(selected.indexOf(scenario), scenario, { workspace, manifest, extensionId, logs: watcher }, url));
    }
  };
  await runAll(selected.filter((s) => s.workspaceTrust !== 'untrusted'), logs);

  // Untrusted-workspace mode: the same workspace in a second code-server with workspace trust on
  // (its own user data, so the folder is not trusted; the installed extension is shared).
  const untrusted = selected.filter((s) => s.workspaceTrust === 'untrusted');
  if (untrusted.length > 0 && !interrupted) {
    await server.stop();
    const trustDirs = prepareServerDirs(join(tempRoot, UNTRUSTED_DIR), { workspaceTrust: true, extensionsDir: dirs.extensionsDir });
    server = await startCodeServer(setup, trustDirs, join(RESULTS, 'code-server-untrusted.log'), { workspaceTrust: true });
    say(`untrusted mode: code-server on ${server.url} with workspace trust enabled (pid ${server.process.pid})`);
    url = folderUrl(server);
    await runAll(untrusted, new LogWatcher(join(trustDirs.userDataDir, 'logs'), { channelFile: 'Bias Inspector.log', markers: [extensionId, 'biasInspector', 'Bias Inspector'] }));
  }

  const changes = diffTrees(before, hashTree(workspace));
  const touched = [...changes.modified.map((f) => `modified ${f}`), ...changes.deleted.map((f) => `deleted ${f}`)];
  outcomes.push(touched.length === 0
    ? { name: `no file of the workspace changed (${before.size} hashed)`, ok: true, ms: 0 }
    : { name: 'no file of the workspace changed', ok: false, ms: 0, error: touched.join(', ') });
  const added = changes.added.filter((f) => f !== BAD_MODEL_FILE);
  if (added.length > 0) say(`files the run added to the workspace: ${added.join(', ')}`);
  const stray = unexpectedAdditions(changes.added, [BAD_MODEL_FILE]);
  outcomes.push(stray.length === 0
    ? { name: 'the run added files only under .bias-inspector/', ok: true, ms: 0 }
    : { name: 'the run added files only under .bias-inspector/', ok: false, ms: 0, error: `added outside .bias-inspector/: ${stray.join(', ')}` });

  if (KEEP_OPEN) {
    say(`E2E_KEEP_OPEN: code-server stays up at ${url} — Ctrl+C to stop`);
    await new Promise<never>(() => undefined);
  }

  const failed = outcomes.filter((o) => !o.ok);
  console.log(`\n${outcomes.map((o) => `${o.ok ? '✔' : '✘'} ${o.name}${o.ok ? '' : `\n    ${(o.error ?? '').split('\n').join('\n    ')}`}`).join('\n')}`);
  console.log(`\n${outcomes.length - failed.length}/${outcomes.length} passed in ${elapsed()}; screenshots and logs: ${RESULTS}`);
  return failed.length === 0 ? 0 : 1;
}

void (async () => {
  let code = 1;
  try {
    code = await main();
  } catch (error) {
    if (!interrupted) console.error(`[e2e] ${error instanceof Error ? error.message : String(error)}${flag('E2E_VERBOSE') && error instanceof Error ? `\n${error.stack ?? ''}` : ''}`);
  } finally {
    await cleanup();
  }
  process.exit(code);
})();
