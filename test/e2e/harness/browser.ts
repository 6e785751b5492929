import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserServer, BrowserType } from 'playwright-core';
import { adoptProcess, stopProcess, type Started } from './processes';

/** Flags for Chromium in a container: no sandbox, no GPU, nothing that phones home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
];

/** playwright-core from node_modules, or from the path the setup recorded when node_modules lacks it. */
async function loadChromium(playwrightCore: string): Promise<BrowserType> {
  try {
    return (await import('playwright-core')).chromium;
  } catch {
    const require = createRequire(__filename);
    return (require(playwrightCore) as typeof import('playwright-core')).chromium;
  }
}

/** A Chromium the harness launched, with the process id it is stopped by. */
export interface LaunchedBrowser {
  readonly browser: Browser;
  readonly process: Started;
  close(): Promise<void>;
}

/**
 * Launches the OS's Chromium as a playwright browser server (so the harness owns its pid) and
 * connects to it. Playwright's own signal handlers are off: the harness stops it.
 */
export async function launchChromium(options: {
  executablePath: string; playwrightCore: string; headless: boolean; slowMo: number;
  /** Chromium's XDG config/cache homes (its crash-report database lands there, not in $HOME). */
  homeDir: string;
}): Promise<LaunchedBrowser> {
  const chromium = await loadChromium(options.playwrightCore);
  const server: BrowserServer = await chromium.launchServer({
    executablePath: options.executablePath,
    headless: options.headless,
    args: CHROMIUM_ARGS,
    env: { ...process.env, HOME: options.homeDir, XDG_CONFIG_HOME: join(options.homeDir, 'config'), XDG_CACHE_HOME: join(options.homeDir, 'cache') },
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const proc = adoptProcess('chromium', server.process());
  const browser = await chromium.connect(server.wsEndpoint(), { slowMo: options.slowMo });
  return {
    browser,
    process: proc,
    close: async () => {
      await browser.close().catch(() => undefined);
      await server.close().catch(() => undefined);
      await stopProcess(proc, 2000);
    },
  };
}
