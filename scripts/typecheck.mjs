// Type-checks every layer with its own tsconfig (own libs and types), so a DOM type in core
// or a `vscode` type in the webview is a compile error, not a runtime surprise.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const projects = [
  'extension/protocol', 'extension/core', 'extension/cli', 'extension/host', 'webview', 'test',
];
let failed = false;
for (const project of projects) {
  const config = `${project}/tsconfig.json`;
  if (!existsSync(config)) continue;
  const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', config], { stdio: 'inherit' });
  const ok = result.status === 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} tsc -p ${config}`);
  failed ||= !ok;
}
process.exit(failed ? 1 : 0);
