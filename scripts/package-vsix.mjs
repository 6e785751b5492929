// Packages a linux-x64 VSIX (dist/bias-inspector.vsix) with a production build, then checks that
// it carries onnxruntime-node's linux-x64 binaries and nothing built for another platform.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';

const out = 'dist/bias-inspector.vsix';
function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(process.execPath, ['esbuild.mjs', '--production']);
run(process.execPath, ['node_modules/@vscode/vsce/vsce', 'package', '--target', 'linux-x64', '--out', out, '--allow-missing-repository', '--skip-license']);

const listing = spawnSync('unzip', ['-Z1', out], { encoding: 'utf8' });
if (listing.status !== 0) {
  console.error(`cannot list ${out}: ${listing.stderr}`);
  process.exit(1);
}
const entries = listing.stdout.split('\n').filter(Boolean);
const native = entries.filter((e) => /\.(node|so(\.\d+)*|dll|dylib)$/.test(e));
const foreign = native.filter((e) => !e.includes('/bin/napi-v6/linux/x64/'));
const required = ['extension/dist/extension.js', 'extension/dist/cli.js', 'extension/dist/cli-main.js',
  // The engine half of the host (required on first use) and the modules both halves share.
  'extension/dist/engine.js', 'extension/dist/shared/errors.js', 'extension/dist/shared/rpc.js', 'extension/dist/webview/model.js',
  'extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
  'extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
  'extension/node_modules/onnxruntime-common/dist/cjs/index.js',
  // Marks dist/cjs as CommonJS (the package root is "type": "module"); without it the runtime cannot load.
  'extension/node_modules/onnxruntime-common/dist/cjs/package.json'];
const missing = required.filter((r) => !entries.includes(r));
if (foreign.length > 0 || missing.length > 0) {
  if (foreign.length) console.error(`VSIX carries binaries for other platforms:\n  ${foreign.join('\n  ')}`);
  if (missing.length) console.error(`VSIX lacks:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
console.log(`${out}: ${entries.length} files, ${(statSync(out).size / 1048576).toFixed(1)} MiB; native: ${native.join(', ')}`);
