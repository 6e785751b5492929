// One build script for every bundle: the extension host, the CLI, worker threads and one bundle
// per webview (each folder webview/<name>/ with a main.ts). `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Native or runtime-provided modules that must stay outside the bundles. */
const nodeExternals = ['vscode', 'onnxruntime-node'];

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'linked',
  // jsonc-parser's "main" is a UMD build whose require('./impl/…') esbuild cannot follow; its ESM build bundles
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};

const workerEntries = readdirSync('extension/core', { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.worker.ts'))
  .map((f) => join('extension/core', f));

const webviewEntries = readdirSync('webview', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('webview', d.name, 'main.ts')))
  .map((d) => ({ in: join('webview', d.name, 'main.ts'), out: d.name }));

const builds = [
  {
    ...common,
    entryPoints: [{ in: 'extension/main.ts', out: 'extension' }, ...workerEntries.map((f) => ({ in: f, out: `workers/${f.split('/').pop().replace(/\.ts$/, '')}` }))],
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
  },
  {
    ...common,
    entryPoints: [{ in: 'extension/cli/main.ts', out: 'cli' }],
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    ...common,
    entryPoints: webviewEntries,
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

rmSync('dist', { recursive: true, force: true });
if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log('esbuild: watching');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  console.log(`esbuild: built host, cli, ${workerEntries.length} worker(s), ${webviewEntries.length} webview bundle(s)`);
}
