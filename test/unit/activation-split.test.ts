/**
 * The activation split (issue 14): dist/extension.js, which VS Code loads on any workspace with
 * an .onnx file, holds registration only; ONNX parsing, the data readers, the schema validator,
 * the analyses and the report builders are in dist/engine.js, required on first use. Built in
 * memory with esbuild.mjs's own host options, so a static import that pulls the engine back into
 * activation fails here rather than silently costing startup time. Then the built pair is
 * activated with the VS Code stub of scripts/bench/activation-harness.mjs: every contributed
 * command is registered and the engine is not loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildOptions, Metafile, OutputFile } from 'esbuild';

const root = resolve(__dirname, '../..');

interface Built {
  readonly metafile: Metafile;
  readonly files: readonly OutputFile[];
  readonly outdir: string;
}

let built: Promise<Built> | undefined;
function build(): Promise<Built> {
  built ??= (async () => {
    const esbuild = await import('esbuild');
    const { hostBuild } = (await import(pathToFileURL(join(root, 'esbuild.mjs')).href)) as { hostBuild: BuildOptions };
    const outdir = mkdtempSync(join(tmpdir(), 'bias-inspector-split-'));
    const result = await esbuild.build({ ...hostBuild, outdir: join(outdir, 'dist'), write: false, metafile: true, sourcemap: false, logLevel: 'silent' });
    return { metafile: result.metafile, files: result.outputFiles, outdir };
  })();
  return built;
}

/** The inputs of one output bundle, as repository-relative paths (node_modules/<package>/… for packages). */
function inputsOf(b: Built, name: string): string[] {
  const key = Object.keys(b.metafile.outputs).find((k) => k.endsWith(`dist/${name}`));
  assert.ok(key, `no output ${name} in ${Object.keys(b.metafile.outputs).join(', ')}`);
  return Object.keys(b.metafile.outputs[key]!.inputs).map((f) => {
    const at = f.indexOf('node_modules/');
    return at >= 0 ? f.slice(at) : relative(root, resolve(root, f));
  });
}

const heavyPackages = ['protobufjs', 'long', 'ajv', 'fast-uri', 'hyparquet', 'csv-parse', 'jsonc-parser', '@huggingface/tokenizers', 'onnxruntime-node'];
test('the activation bundle holds no engine module: no ONNX parsing, data reading, validation, analysis or report code', async () => {
  const b = await build();
  const inputs = inputsOf(b, 'extension.js');
  const packages = inputs.filter((f) => heavyPackages.some((p) => f.startsWith(`node_modules/${p}/`)));
  const core = inputs.filter((f) => f.startsWith('extension/core/'));
  assert.deepEqual(packages, [], `activation bundles ${packages.join(', ')}`);
  assert.deepEqual(core, [], `activation bundles ${core.join(', ')} (core/errors is a shared bundle; everything else goes through host/engine.ts)`);
  assert.ok(inputs.includes('extension/main.ts') && inputs.includes('extension/host/modelEditor.ts') && inputs.includes('extension/host/reportsView.ts'));
  const size = b.files.find((f) => f.path.endsWith(`${join('dist', 'extension.js')}`))!.contents.byteLength;
  assert.ok(size < 150_000, `dist/extension.js is ${size} bytes: something heavy came back`);
});

test('the engine bundle holds what activation left out, and both share one copy of the error and RPC classes', async () => {
  const b = await build();
  const engine = inputsOf(b, 'engine.js');
  for (const needed of ['node_modules/protobufjs/', 'node_modules/ajv/', 'extension/core/onnx/', 'extension/core/data/', 'extension/core/analyze/']) {
    assert.ok(engine.some((f) => f.startsWith(needed)), `engine.js lacks ${needed}`);
  }
  for (const name of ['extension.js', 'engine.js']) {
    const inputs = inputsOf(b, name);
    assert.ok(!inputs.includes('extension/core/errors.ts') && !inputs.includes('extension/protocol/rpc.ts'), `${name} inlines a shared module`);
    const text = b.files.find((f) => f.path.endsWith(join('dist', name)))!.text;
    assert.match(text, /require\("\.\/shared\/errors\.js"\)/, `${name} does not require the shared errors`);
  }
});

test('activating the split bundle registers every contributed command, the editor, view and status bar, without loading the engine', async () => {
  const b = await build();
  for (const f of b.files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.contents);
  }
  try {
    const run = spawnSync(process.execPath, [join(root, 'scripts/bench/activation-harness.mjs'), join(b.outdir, 'dist/extension.js')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
      loadedWhenIdle: string[]; commands: string[]; editors: string[]; views: string[]; statusBarItems: number; engineMs: number | null; unknownApi: string[];
    };
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { commands: { command: string }[]; customEditors: { viewType: string }[] } };
    assert.deepEqual([...result.commands].sort(), pkg.contributes.commands.map((c) => c.command).sort());
    assert.deepEqual(result.editors, pkg.contributes.customEditors.map((e) => e.viewType));
    assert.ok(result.views.length >= 1 && result.statusBarItems === 1);
    assert.deepEqual(result.loadedWhenIdle.map((f) => f.slice(f.lastIndexOf('dist/'))).sort(), ['dist/extension.js', 'dist/shared/errors.js', 'dist/shared/rpc.js']);
    // The engine bundle itself loads (it was required after activation, as a first command does).
    assert.equal(typeof result.engineMs, 'number');
  } finally {
    rmSync(b.outdir, { recursive: true, force: true });
  }
});
