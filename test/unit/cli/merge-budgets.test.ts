/**
 * Budgets on a merged report: the shards carry the spec's budgets, `merge` adds them to a groups
 * (or compare) report as the single run's command does, and `merge --check [--sarif]` gates as
 * `bias-inspector check` does (exit 3, the same SARIF log).
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

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a merged groups report runs the spec\'s budgets as the single run; merge --check fails as check does', { timeout: 180_000, skip: existsSync(cli) ? false : 'needs npm run build' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bias-merge-budgets-'));
  try {
    const base = JSON.parse(readFileSync(join(root, 'examples/income-mlp.bias.json'), 'utf8')) as Record<string, unknown>;
    const spec = join(dir, 'b.bias.json');
    writeFileSync(spec, `${JSON.stringify({
      ...base, model: join(root, 'examples/income-mlp.onnx'), data: join(root, 'examples/income.csv'),
      budgets: [
        { figure: 'groups.overall.accuracy', min: 0.5 },
        { figure: 'groups.disparity.equalized_odds_difference', max: 0.001 },
      ],
    }, null, 2)}\n`);
    const single = join(dir, 'single.json');
    const one = run(['groups', '--spec', spec, '--ep', 'cpu', '--bootstrap', '30', '--bootstrap-scheme', 'poisson', '--json', single]);
    assert.equal(one.code, 0, one.stderr);
    const states = [0, 1].map((i) => join(dir, `state-${i}.json`));
    states.forEach((state, i) => {
      const r = run(['groups', '--spec', spec, '--ep', 'cpu', '--bootstrap', '30', '--shard', `${i}/2`, '--state', state]);
      assert.equal(r.code, 0, r.stderr);
    });
    const merged = join(dir, 'merged.json');
    const m = run(['merge', ...states, '--json', merged]);
    assert.equal(m.code, 0, m.stderr);
    type WithBudgets = { budgets: { figure: string; ok: boolean; location: { line: number } }[] };
    const a = JSON.parse(readFileSync(single, 'utf8')) as WithBudgets;
    const b = JSON.parse(readFileSync(merged, 'utf8')) as WithBudgets;
    assert.deepEqual(b.budgets.map((x) => [x.figure, x.ok, x.location.line]), [['groups.overall.accuracy', true, 35], ['groups.disparity.equalized_odds_difference', false, 39]]);
    assertJsonClose(b.budgets, a.budgets, 1e-12);
    // the text output lists them too
    const text = run(['merge', ...states]);
    assert.match(text.stdout, /Budgets: 1 of 2 hold, 1 FAIL/);

    // the gate: as `check --spec`, exit 3 and the same SARIF log
    const checkSarif = join(dir, 'check.sarif');
    const c = run(['check', '--spec', spec, '--ep', 'cpu', '--bootstrap', '30', '--bootstrap-scheme', 'poisson', '--sarif', checkSarif]);
    assert.equal(c.code, 3, c.stderr);
    const mergeSarif = join(dir, 'merge.sarif');
    const g = run(['merge', ...states, '--check', '--sarif', mergeSarif, '--json', join(dir, 'gated.json')]);
    assert.equal(g.code, 3, g.stderr);
    assertJsonClose(JSON.parse(readFileSync(mergeSarif, 'utf8')), JSON.parse(readFileSync(checkSarif, 'utf8')), 1e-12);
    const noCheck = run(['merge', ...states, '--sarif', join(dir, 'x.sarif')]);
    assert.equal(noCheck.code, 2);
    assert.match(noCheck.stderr, /give --check too/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
