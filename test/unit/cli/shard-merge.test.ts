/**
 * `slices` and `thresholds` with `--shard i/n --state f`, then `bias-inspector merge`: the merged
 * report equals the single run's (the CLI path the Dask runner takes, without a cluster).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertJsonClose } from '../jsonClose';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function strip(path: string): Record<string, unknown> {
  const { createdAt: _c, shards: _s, ...rest } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return rest;
}

test('slices and thresholds: shards through the CLI merge to the single run; half a flag pair is refused', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bias-shard-cli-'));
  try {
    const data = join(root, 'examples/income-predictions.csv');
    const spec = join(dir, 'p.bias.json');
    writeFileSync(spec, JSON.stringify({ data, task: 'binary', label: 'label', groups: ['sex', 'race'], predictions: { file: data, score: 'score', pred: 'pred' } }));
    for (const [analysis, flags] of [['slices', ['--k', '5']], ['thresholds', ['--constraint', 'equalized_odds']]] as const) {
      const single = join(dir, `${analysis}.json`);
      const one = run([analysis, '--spec', spec, ...flags, '--json', single]);
      assert.equal(one.code, 0, one.stderr);
      const states = [0, 1].map((i) => join(dir, `${analysis}-state-${i}.json`));
      states.forEach((state, i) => {
        const r = run([analysis, '--spec', spec, ...flags, '--shard', `${i}/2`, '--state', state]);
        assert.equal(r.code, 0, r.stderr);
      });
      const merged = join(dir, `${analysis}-merged.json`);
      const m = run(['merge', ...states, '--json', merged]);
      assert.equal(m.code, 0, m.stderr);
      assertJsonClose(strip(merged), strip(single), 1e-12, 1e-14);
      const shards = (JSON.parse(readFileSync(merged, 'utf8')) as { shards: { rows: number }[] }).shards;
      assert.equal(shards.reduce((n, s) => n + s.rows, 0), 6000);
      // a missing shard: no report
      const partial = run(['merge', states[0]!, '--json', join(dir, 'partial.json')]);
      assert.equal(partial.code, 2);
      assert.match(partial.stderr, /shard 1\/2 missing/);
    }
    const half = run(['slices', '--spec', spec, '--shard', '0/2']);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--shard 0\/2: name the state file with --state/);
    const mixed = run(['merge', join(dir, 'slices-state-0.json'), join(dir, 'thresholds-state-1.json'), '--json', join(dir, 'x.json')]);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /different analyses/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compare: shards through the CLI merge to the single run with --bootstrap-scheme poisson', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bias-shard-compare-'));
  try {
    const data = join(root, 'examples/income-predictions.csv');
    // B: A's predictions with every 7th row's score mirrored (some rows fixed, some broken)
    const lines = readFileSync(data, 'utf8').trimEnd().split('\n');
    const cols = lines[0]!.split(',');
    const [si, pi] = [cols.indexOf('score'), cols.indexOf('pred')];
    const b = join(dir, 'b.csv');
    writeFileSync(b, `${lines.map((line, i) => {
      if (i === 0 || i % 7 !== 0) return line;
      const cells = line.split(',');
      const score = 1 - Number(cells[si]);
      cells[si] = String(score); cells[pi] = score > 0.5 ? '1' : '0';
      return cells.join(',');
    }).join('\n')}\n`);
    const spec = join(dir, 'p.bias.json');
    writeFileSync(spec, JSON.stringify({ data, task: 'binary', label: 'label', groups: ['sex', 'race'], predictions: { file: data, score: 'score', pred: 'pred' } }));
    const flags = ['--predictions-b', b, '--bootstrap', '30', '--seed', '4'];
    const single = join(dir, 'compare.json');
    const one = run(['compare', '--spec', spec, ...flags, '--bootstrap-scheme', 'poisson', '--json', single]);
    assert.equal(one.code, 0, one.stderr);
    const states = [0, 1].map((i) => join(dir, `compare-state-${i}.json`));
    states.forEach((state, i) => {
      const r = run(['compare', '--spec', spec, ...flags, '--shard', `${i}/2`, '--state', state]);
      assert.equal(r.code, 0, r.stderr);
    });
    const merged = join(dir, 'compare-merged.json');
    const m = run(['merge', ...states, '--json', merged]);
    assert.equal(m.code, 0, m.stderr);
    assertJsonClose(strip(merged), strip(single), 1e-12, 1e-14);
    assert.ok((JSON.parse(readFileSync(single, 'utf8')) as { compare: { flipRows: unknown[] } }).compare.flipRows.length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
