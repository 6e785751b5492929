/**
 * A sharded run on a 2-worker Dask LocalCluster (python3-distributed, run by /usr/bin/python3)
 * gives the report of a single run with the same (Poisson) bootstrap: counts exactly, every
 * figure within 1e-12 relative; a worker killed mid-shard has its shard run again; a shard that
 * fails twice fails the run with its error and writes no report; an attention run merges to the
 * single run's report too. CI installs python3-distributed
 * (.ci/run); elsewhere the test is skipped when the package is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertJsonClose } from '../jsonClose';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');
const spec = join(root, 'examples/income-mlp.bias.json');
const python = '/usr/bin/python3';
const hasDask = spawnSync(python, ['-c', 'import distributed'], { encoding: 'utf8' }).status === 0;
const skip = hasDask ? false : process.env['CI'] ? false : 'python3-distributed is not installed (apt-get install python3-distributed)';

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, ...env }, timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}


test('a 2-worker Dask run of the demo spec equals the single run; a killed worker\'s shard is retried; --check gates on the budgets', { skip, timeout: 300_000 }, () => {
  assert.ok(hasDask, 'CI must install python3-distributed');
  const dir = mkdtempSync(join(tmpdir(), 'bias-dask-'));
  try {
    // the demo spec with a budget that fails: the merged report carries it, --check exits 3
    const spec = join(dir, 'budget.bias.json');
    const demo = JSON.parse(readFileSync(join(root, 'examples/income-mlp.bias.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(spec, JSON.stringify({ ...demo, model: join(root, 'examples/income-mlp.onnx'), data: join(root, 'examples/income.csv'), budgets: [{ figure: 'groups.disparity.equalized_odds_difference', max: 0.001 }] }, null, 2));
    const sarif = join(dir, 'budgets.sarif');
    const single = join(dir, 'single.json');
    const merged = join(dir, 'merged.json');
    const marker = join(dir, 'killed');
    const one = run(['groups', '--spec', spec, '--bootstrap', '30', '--bootstrap-scheme', 'poisson', '--ep', 'cpu', '--json', single]);
    assert.equal(one.code, 0, one.stderr);
    const many = run(['distributed', '--local', '2', '--spec', spec, '--shards', '3', '--json', merged, '--check', '--sarif', sarif, '--', '--bootstrap', '30', '--ep', 'cpu'], { BIAS_INSPECTOR_TEST_KILL_WORKER_ONCE: marker });
    assert.equal(many.code, 3, many.stderr);
    const log = JSON.parse(readFileSync(sarif, 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    assert.equal(log.runs[0]!.results.length, 1);
    assert.ok(existsSync(marker), 'the test hook killed the worker running shard 0 once');
    const a = JSON.parse(readFileSync(single, 'utf8')) as Record<string, unknown>;
    const b = JSON.parse(readFileSync(merged, 'utf8')) as Record<string, unknown> & { shards: { shard: number; rows: number; provider: string; host: string }[] };
    assert.deepEqual(b.shards.map((s) => [s.shard, s.rows, s.provider]), [[0, 2048, 'cpu'], [1, 2048, 'cpu'], [2, 1904, 'cpu']]);
    assert.ok(b.shards.every((s) => typeof s.host === 'string' && s.host.length > 0));
    const { createdAt: _a, ...restA } = a;
    const { createdAt: _b, shards: _s, ...restB } = b;
    assertJsonClose(restB, restA, 1e-12, 1e-15);
    const groups = restB['groups'] as { overall: { count: number }; bootstrap: { scheme: string; replicates: number } };
    assert.equal(groups.overall.count, 6000);
    assert.deepEqual([groups.bootstrap.scheme, groups.bootstrap.replicates], ['poisson', 30]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a shard that fails twice fails the run with its error, and no report is written', { skip, timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bias-dask-'));
  try {
    const bad = join(dir, 'bad.bias.json');
    writeFileSync(bad, JSON.stringify({ ...JSON.parse(readFileSync(spec, 'utf8')), model: join(root, 'examples/income-mlp.onnx'), data: join(dir, 'missing.csv') }));
    const out = join(dir, 'report.json');
    const r = run(['distributed', '--local', '2', '--spec', bad, '--shards', '2', '--json', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /bias-inspector distributed: shard \d\/2 on .*: exit 2: .*field "data": file not found: .*missing\.csv/);
    assert.equal(existsSync(out), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('attention: a 2-worker Dask run of the demo transformer equals the single run', { skip, timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bias-dask-'));
  try {
    const transformer = join(root, 'examples/tiny-transformer.bias.json');
    const single = join(dir, 'single.json');
    const merged = join(dir, 'merged.json');
    const one = run(['attention', '--spec', transformer, '--ep', 'cpu', '--json', single]);
    assert.equal(one.code, 0, one.stderr);
    const many = run(['distributed', '--local', '2', '--analysis', 'attention', '--spec', transformer, '--shards', '2', '--json', merged, '--', '--ep', 'cpu']);
    assert.equal(many.code, 0, many.stderr);
    const { createdAt: _a, ...a } = JSON.parse(readFileSync(single, 'utf8')) as Record<string, unknown>;
    const { createdAt: _b, shards, ...b } = JSON.parse(readFileSync(merged, 'utf8')) as Record<string, unknown> & { shards: { rows: number }[] };
    assert.deepEqual(shards.map((s) => s.rows), [1976, 1024]);
    assertJsonClose(b, a, 1e-12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
