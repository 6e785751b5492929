import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');
const mlp = join(root, 'test/fixtures/onnx/mlp.onnx');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the CLI bundle exists (npm test builds it first)', () => {
  assert.ok(existsSync(cli), `${cli} missing: run npm run build`);
});

test('inspect prints a human-readable summary and exits 0', () => {
  const r = run('inspect', mlp);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Inputs:\n\s+name\s+dtype\s+shape\n\s+x\s+float32\s+\[batch, /);
  assert.match(r.stdout, /parameters/);
});

test('inspect --json writes the report with the §4 model keys to stdout', () => {
  const r = run('inspect', mlp, '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { schema: string; kind: string; model: Record<string, unknown> };
  assert.equal(report.schema, 'bias-inspector.report/1');
  assert.equal(report.kind, 'inspect');
  assert.deepEqual(Object.keys(report.model), ['path', 'sha256', 'irVersion', 'opsets', 'inputs', 'outputs', 'parameters']);
  assert.equal(report.model.path, mlp);
  assert.match(String(report.model.sha256), /^[0-9a-f]{64}$/);
  assert.equal(typeof report.model.parameters, 'number');
});

test('inspect --json <file> writes the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-cli-'));
  try {
    const out = join(dir, 'r.json');
    const r = run('inspect', mlp, '--json', out);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input exits 2 with a message naming the file and the cause', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-cli-'));
  try {
    const bad = join(dir, 'notes.onnx');
    writeFileSync(bad, 'just some text\n');
    const r = run('inspect', bad);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(bad), r.stderr);
    assert.match(r.stderr, /not an ONNX model/);
    const missing = run('inspect', join(dir, 'nope.onnx'));
    assert.equal(missing.code, 2, missing.stderr);
    assert.ok(missing.stderr.includes('nope.onnx'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2; unknown provider is bad input', () => {
  assert.equal(run('inspect').code, 2);
  assert.equal(run('no-such-command').code, 2);
  const r = run('forward', mlp, '--ep', 'tpu');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown execution provider "tpu"/);
});

test('forward on cpu prints the provider used', () => {
  const r = run('forward', mlp, '--ep', 'cpu', '--json', '-');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { results: { runtime: { used: string } }[] };
  assert.equal(out.results[0]?.runtime.used, 'cpu');
});
