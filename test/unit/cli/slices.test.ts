/** `bias-inspector slices` and `thresholds` through the built bundle (npm test builds dist/ first). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');
const examples = join(root, 'examples');
const run = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const predictionFlags = ['--predictions', join(examples, 'income-predictions.csv'), '--label', 'label', '--group', 'sex,race', '--score', 'score', '--pred', 'pred'];

describe('CLI slices and thresholds', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'bi-slices-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('slices --spec on the demo: the planted slice first in the table, JSON, CSV and a self-contained HTML', () => {
    const json = join(dir, 's.json'); const csv = join(dir, 's.csv'); const html = join(dir, 's.html');
    const r = run('slices', '--spec', join(examples, 'income-mlp.bias.json'), '--ep', 'cpu', '--json', json, '--csv', csv, '--html', html);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Top slice: region = W and device = mobile: error 34\.6% vs 9\.7% elsewhere, n = 185, q = 1\.8e-10/);
    assert.match(r.stdout, /\n {2}1 {3}region = W & device = mobile /);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { kind: string; slices: { top: { text: string }[] } };
    assert.equal(report.kind, 'slices');
    assert.equal(report.slices.top[0]!.text, 'region = W & device = mobile');
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'rank,slice,level,size,error_sum,error_mean,score,test_size,test_error_mean,test_ci_lo,test_ci_hi,test_diff,p,q,selected_on_same_data,small');
    assert.match(lines[1]!, /^1,region = W & device = mobile,2,210,73,/);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /<script type="application\/json" id="report-data">\{\s*"schema":\s*"bias-inspector.report\/1",\s*"kind":\s*"slices"/);
    assert.match(page, /Content-Security-Policy" content="default-src 'none'/, 'self-contained: nothing is fetched');
  });

  it('groups --with-slices --with-thresholds: one groups report carrying the sections of its Slices and Thresholds tabs (JSON and HTML)', () => {
    const json = join(dir, 'g.json'); const html = join(dir, 'g.html');
    const r = run('groups', ...predictionFlags, '--with-slices', '--with-thresholds', 'true_positive_rate_parity', '--json', json, '--html', html);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { kind: string; groups: unknown; slices: { top: { text: string }[] }; thresholds: { constraint: string; front: unknown[] } };
    assert.equal(report.kind, 'groups');
    assert.ok(report.groups);
    assert.equal(report.slices.top[0]!.text, 'region = W & device = mobile');
    assert.equal(report.thresholds.constraint, 'true_positive_rate_parity');
    assert.equal(report.thresholds.front.length, 21);
    assert.match(r.stdout, /Top slice: region = W and device = mobile/);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /"kind":\s*"groups"/);
    assert.match(page, /"slices":\s*\{/);
    assert.match(page, /"thresholds":\s*\{/);
    const bad = run('groups', ...predictionFlags, '--with-thresholds', 'parity_of_vibes');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--with-thresholds parity_of_vibes: expected one of demographic_parity/);
  });

  it('slices in --predictions mode with --columns/--max-level/--k, --json - carries only JSON', () => {
    const r = run('slices', ...predictionFlags, '--columns', 'region,device', '--max-level', '1', '--k', '2', '--json', '-');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { slices: { top: { text: string }[]; maxLevel: number } };
    assert.deepEqual(report.slices.top.map((t) => t.text), ['region = W', 'device = mobile']);
    assert.equal(report.slices.maxLevel, 1);
  });

  it('thresholds --front on predictions; bad flags exit 2 naming the flag', () => {
    const html = join(dir, 't.html');
    const r = run('thresholds', ...predictionFlags, '--constraint', 'equalized_odds', '--objective', 'balanced_accuracy_score', '--front', '--html', html);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /equalized_odds maximising balanced_accuracy_score/);
    assert.match(r.stdout, /Relaxed front: not defined for equalized_odds/);
    assert.match(readFileSync(html, 'utf8'), /id="report-data">\{\s*"schema":\s*"bias-inspector.report\/1",\s*"kind":\s*"thresholds"/);
    const dp = run('thresholds', ...predictionFlags, '--front', '--json', '-');
    const t = (JSON.parse(dp.stdout) as { thresholds: { front: unknown[]; groups: unknown[] } }).thresholds;
    assert.equal(t.front.length, 21);
    assert.equal(t.groups.length, 6);
    const bad = run('thresholds', ...predictionFlags, '--constraint', 'parity');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--constraint parity: expected one of demographic_parity, equalized_odds/);
    const eo = run('thresholds', ...predictionFlags, '--constraint', 'equalized_odds', '--objective', 'selection_rate');
    assert.equal(eo.code, 2);
    assert.match(eo.stderr, /equalized_odds allows only the objectives accuracy_score, balanced_accuracy_score/);
    const level = run('slices', ...predictionFlags, '--max-level', '4');
    assert.equal(level.code, 2);
    assert.match(level.stderr, /maxLevel 4: expected 1, 2 or 3/);
  });
});
