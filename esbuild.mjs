// One build script for every bundle: the extension host, the CLI, worker threads and one bundle
// per webview (each folder webview/<name>/ with a main.ts). `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

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
  absWorkingDir: root,
  // jsonc-parser's "main" is a UMD build whose require('./impl/…') esbuild cannot follow; its ESM build bundles
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};

const workerEntries = readdirSync(join(root, 'extension/core'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.worker.ts'))
  .map((f) => join('extension/core', f));

const webviewEntries = readdirSync(join(root, 'webview'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'webview', d.name, 'main.ts')))
  .map((d) => ({ in: join('webview', d.name, 'main.ts'), out: d.name }));

/**
 * The quantization kernels' WebAssembly binary, assembled from the committed text
 * (extension/core/quant/simd/source.ts) by its assembler (wat.ts), both run here through an
 * in-memory esbuild bundle. Written to dist/quant-kernels.wasm; the bundles get these bytes in
 * place of simd/binary.ts, which assembles them at run time only when run from source.
 */
export async function assembleKernels() {
  const out = await esbuild.build({
    entryPoints: [join(root, 'extension/core/quant/simd/binary.ts')], bundle: true, write: false,
    format: 'esm', platform: 'neutral', absWorkingDir: root, logLevel: 'warning',
  });
  const { kernelsWasm } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
  return kernelsWasm();
}
const kernelsBinary = join(root, 'extension/core/quant/simd/binary.ts');
let assembled;
/** The bytes of this build (assembled once; again after a change under --watch). */
export function kernelsBytes() {
  assembled ??= assembleKernels();
  return assembled;
}
/** Replaces simd/binary.ts with a module holding the assembled bytes (base64). */
export const wasmKernelsPlugin = {
  name: 'quant-kernels-wasm',
  setup(build) {
    if (watch) build.onStart(() => { assembled = undefined; });
    build.onLoad({ filter: /[\\/]simd[\\/]binary\.ts$/ }, async (args) => {
      if (args.path !== kernelsBinary) return undefined;
      const base64 = Buffer.from(await kernelsBytes()).toString('base64');
      return {
        loader: 'js',
        contents: '// Assembled by npm run build from extension/core/quant/simd/source.ts (also dist/quant-kernels.wasm).\n'
          + `const BASE64 = ${JSON.stringify(base64)};\n`
          + 'export function kernelsWasm() { return Uint8Array.from(atob(BASE64), (c) => c.charCodeAt(0)); }\n',
        watchFiles: [join(root, 'extension/core/quant/simd/source.ts'), join(root, 'extension/core/wasm/wat.ts')],
      };
    });
  },
};

/**
 * The spec validator as ajv's standalone code: SPEC_SCHEMA (extension/core/data/spec-schema.ts,
 * bundled in memory) compiled once here with the runtime's options, so that the bundles neither
 * carry ajv's compiler nor compile the schema at every start. Its ESM source; the few runtime
 * helpers it requires (ajv/dist/runtime/*) are bundled with it.
 */
export async function specValidatorCode() {
  const out = await esbuild.build({
    entryPoints: [join(root, 'extension/core/data/spec-schema.ts')], bundle: true, write: false,
    format: 'esm', platform: 'neutral', absWorkingDir: root, logLevel: 'warning',
  });
  const { SPEC_SCHEMA, SPEC_VALIDATOR_OPTIONS } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
  const require = createRequire(join(root, 'package.json'));
  const { default: Ajv } = require('ajv');
  const { default: standaloneCode } = require('ajv/dist/standalone');
  const ajv = new Ajv({ ...SPEC_VALIDATOR_OPTIONS, code: { source: true, esm: true } });
  return standaloneCode(ajv, ajv.compile(SPEC_SCHEMA));
}
const specValidatorModule = join(root, 'extension/core/data/specValidator.ts');
let specValidatorSource;
/** Replaces extension/core/data/specValidator.ts (the runtime compile) with the generated validator. */
export const specValidatorPlugin = {
  name: 'spec-validator-standalone',
  setup(build) {
    if (watch) build.onStart(() => { specValidatorSource = undefined; });
    build.onLoad({ filter: /[\\/]specValidator\.ts$/ }, async (args) => {
      if (args.path !== specValidatorModule) return undefined;
      specValidatorSource ??= specValidatorCode();
      return {
        loader: 'js',
        resolveDir: root,
        contents: '// Generated by npm run build (esbuild.mjs) from extension/core/data/spec-schema.ts: ajv standalone code.\n'
          + `${await specValidatorSource}\n`
          + 'export function specValidator() { return validate; }\n',
        watchFiles: [join(root, 'extension/core/data/spec-schema.ts'), join(root, 'extension/core/data/spec-types.ts')],
      };
    });
  },
};

/**
 * The extension host is two bundles: dist/extension.js (activation: registration, the editor
 * provider, views, status bar) and dist/engine.js (extension/host/engine.ts: ONNX parsing, data,
 * specs, the worker client), required on first use. The modules whose classes the host tests
 * with `instanceof` across the two are bundles of their own (dist/shared/*.js) that both require.
 */
const sharedModules = new Map([
  [join(root, 'extension/core/errors.ts'), 'shared/errors'],
  [join(root, 'extension/protocol/rpc.ts'), 'shared/rpc'],
]);
const hostSplit = {
  name: 'host-split',
  setup(build) {
    build.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const target = resolve(args.resolveDir, args.path);
      const shared = sharedModules.get(target) ?? sharedModules.get(`${target}.ts`);
      return shared ? { path: `./${shared}.js`, external: true } : undefined;
    });
  },
};

/** The host's build; test/unit/activation-split.test.ts builds it in memory and checks the split. */
export const hostBuild = {
  ...common,
  entryPoints: [
    { in: 'extension/main.ts', out: 'extension' },
    { in: 'extension/host/engine.ts', out: 'engine' },
    ...[...sharedModules].map(([path, out]) => ({ in: path, out })),
  ],
  outdir: 'dist',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: nodeExternals,
  plugins: [hostSplit, wasmKernelsPlugin, specValidatorPlugin],
};

const builds = [
  hostBuild,
  {
    ...common,
    entryPoints: workerEntries.map((f) => ({ in: f, out: `workers/${f.split('/').pop().replace(/\.ts$/, '')}` })),
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
    plugins: [wasmKernelsPlugin, specValidatorPlugin],
  },
  {
    ...common,
    entryPoints: [{ in: 'extension/cli/main.ts', out: 'cli-main' }],
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
    plugins: [wasmKernelsPlugin, specValidatorPlugin],
  },
  // dist/cli.js, the executable: runs dist/cli-main.js from V8's code cache (extension/cli/launch.ts)
  {
    ...common,
    entryPoints: [{ in: 'extension/cli/launch.ts', out: 'cli' }],
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
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

const main = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (main) rmSync(join(root, 'dist'), { recursive: true, force: true });
if (!main) {
  // Imported (by a test) for its options: build nothing.
} else if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log('esbuild: watching');
} else {
  const results = await Promise.all(builds.map((options) => esbuild.build({ ...options, metafile: true })));
  // dist/cli.js runs the CLI bundle through vm.Script (extension/cli/launch.ts), which on Node 20
  // has no dynamic import(): a module left to one (an external imported with import()) must be required instead
  for (const [path, output] of results.flatMap((r) => Object.entries(r.metafile.outputs))) {
    const dynamic = path.endsWith('dist/cli-main.js') ? output.imports.filter((i) => i.kind === 'dynamic-import' && i.external) : [];
    if (dynamic.length > 0) throw new Error(`${path}: dynamic import() of ${dynamic.map((i) => i.path).join(', ')}: use require (createRequire) instead; dist/cli.js runs the bundle through vm.Script`);
  }
  writeFileSync(join(root, 'dist/quant-kernels.wasm'), await kernelsBytes());
  console.log(`esbuild: built host, cli, ${workerEntries.length} worker(s), ${webviewEntries.length} webview bundle(s), quant-kernels.wasm (${(await kernelsBytes()).byteLength} bytes)`);
}
