// `npm run test:e2e`: builds the VSIX (`npm run package`), then runs test/e2e/main.ts, which
// installs it into code-server, opens a copy of examples/ in Chromium and runs every scenario.
// Needs `bash scripts/e2e-setup.sh` once. Environment (all optional):
//   E2E_SKIP_PACKAGE=1  reuse dist/bias-inspector.vsix     E2E_ONLY=<text>    scenarios whose name contains it
//   E2E_HEADED=1        show the browser (needs a display) E2E_SLOWMO=<ms>    slow every browser action
//   E2E_KEEP_OPEN=1     leave code-server up after the run E2E_KEEP_TMP=1     keep the temp user-data/workspace
//   E2E_VSIX=<path>     install another VSIX               E2E_VERBOSE=1      stack traces of harness errors
// `node scripts/run-e2e.mjs --self-test` runs only the harness's own unit tests (no VS Code).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

if (process.argv.includes('--self-test')) {
  const tests = readdirSync('test/e2e/harness').filter((f) => f.endsWith('.test.ts')).map((f) => `test/e2e/harness/${f}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...tests], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

const cache = process.env.E2E_CACHE ?? '.e2e-cache';
if (!existsSync(`${cache}/env.json`)) {
  console.error(`[e2e] ${cache}/env.json is missing: run \`bash scripts/e2e-setup.sh\` first (Node 24, code-server, chromium).`);
  process.exit(1);
}

if (process.env.E2E_SKIP_PACKAGE !== '1') {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const packaged = spawnSync(npm, ['run', '--silent', 'package'], { stdio: 'inherit' });
  if (packaged.status !== 0) {
    console.error('[e2e] npm run package failed');
    process.exit(packaged.status ?? 1);
  }
}

// The harness handles SIGINT/SIGTERM itself (it stops code-server and Chromium by pid); this
// launcher only forwards them and exits with the harness's status.
const child = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/main.ts'], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
