/**
 * dist/cli.js runs the CLI bundle (dist/cli-main.js) from V8's code cache (extension/cli/launch.ts).
 * On this Node (20: no `module.enableCompileCache`) the launcher writes one cache per command
 * under <tmpdir>/bias-inspector-compile-cache-<uid>/; these runs give it their own TMPDIR.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');
const mlp = join(root, 'test/fixtures/onnx/mlp.onnx');
const nodeHasCache = typeof (Module as unknown as { enableCompileCache?: unknown }).enableCompileCache === 'function';

function run(tmp: string, env: Record<string, string> = {}, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, TMPDIR: tmp, NODE_DISABLE_COMPILE_CACHE: '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the CLI launcher (compile cache)', { skip: (!existsSync(cli) && 'dist/cli.js missing: run npm run build') || (nodeHasCache && 'Node has module.enableCompileCache: its own cache is used') }, () => {
  it('writes a cache per command on the first run and gives the same output from it', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bias-inspector-launch-'));
    try {
      const dir = join(tmp, `bias-inspector-compile-cache-${process.getuid!()}`);
      assert.equal(statSync(dir, { throwIfNoEntry: false }), undefined);
      const first = run(tmp, {}, 'inspect', mlp, '--json');
      assert.equal(first.code, 0, first.stderr);
      const files = readdirSync(dir);
      assert.equal(files.length, 1);
      assert.match(files[0]!, /^inspect-cli-main-[0-9a-f]{8}\.bin$/);
      const file = join(dir, files[0]!);
      const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as { node: string; size: number; bundle: string };
      assert.equal(header.node, process.version);
      assert.equal(header.bundle, join(root, 'dist/cli-main.js'));
      assert.equal(header.size, statSync(join(root, 'dist/cli-main.js')).size);
      const written = statSync(file).mtimeMs;
      const second = run(tmp, {}, 'inspect', mlp, '--json');
      assert.equal(second.code, 0, second.stderr);
      const strip = (s: string): unknown => ({ ...JSON.parse(s), createdAt: null });
      assert.deepEqual(strip(second.stdout), strip(first.stdout));
      assert.equal(statSync(file).mtimeMs, written, 'an accepted cache is not rewritten');
      // a cache of another bundle (its header differs) is not used: the run rewrites it
      writeFileSync(file, `${JSON.stringify({ ...header, size: header.size + 1 })}\n${'x'.repeat(100)}`);
      const third = run(tmp, {}, 'inspect', mlp, '--json');
      assert.equal(third.code, 0, third.stderr);
      assert.deepEqual(strip(third.stdout), strip(first.stdout));
      assert.equal(JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!).size, header.size);
      // errors keep their exit code and message through the launcher
      const bad = run(tmp, {}, 'inspect', join(tmp, 'missing.onnx'));
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /missing\.onnx/);
      // a failed run writes no cache: a mistyped command leaves no file of its own
      const unknown = run(tmp, {}, 'no-such-command');
      assert.equal(unknown.code, 2);
      assert.deepEqual(readdirSync(dir).sort(), [files[0]!]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('writes nothing with NODE_DISABLE_COMPILE_CACHE', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bias-inspector-launch-'));
    try {
      const r = run(tmp, { NODE_DISABLE_COMPILE_CACHE: '1' }, '--version');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\d+\.\d+\.\d+/);
      assert.equal(existsSync(join(tmp, `bias-inspector-compile-cache-${process.getuid!()}`)), false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('neither reads nor writes a cache in a folder others can write to (a cache is compiled code)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bias-inspector-launch-'));
    try {
      const dir = join(tmp, `bias-inspector-compile-cache-${process.getuid!()}`);
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      const r = run(tmp, {}, 'inspect', mlp, '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(dir), []);
      chmodSync(dir, 0o700);
      const own = run(tmp, {}, 'inspect', mlp, '--json');
      assert.equal(own.code, 0, own.stderr);
      assert.equal(readdirSync(dir).length, 1, 'the same folder, the user\'s own again, gets its cache');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
