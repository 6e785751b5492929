// `bias-inspector slices|thresholds|compare --spec <labelled probe spec>` through the CLI bundle,
// and the same requests through the analysis worker the VS Code commands (Find Slices…,
// Threshold What-If…, Compare Models) send (npm test builds dist/ first).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runInWorker } from '../../../extension/core/analyze';
import type { SlicesReport } from '../../../extension/protocol/slices';
import type { ThresholdsReport } from '../../../extension/protocol/thresholds';
import type { CompareReport } from '../../../extension/protocol/compare';
import type { ProbeReport } from '../../../extension/protocol/probe';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');
const workerPath = join(root, 'dist/workers/analysis.worker.js');
const demo = join(root, 'examples/tiny-lm.bias.json');
const dir = mkdtempSync(join(tmpdir(), 'probe-scoring-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function json<T>(...args: string[]): T {
  const out = join(dir, `${args[0]}-${Math.random().toString(36).slice(2)}.json`);
  const r = run(...args, '--json', out);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(readFileSync(out, 'utf8')) as T;
}

test('slices --spec on the demo LM\'s probe spec: the planted skew is the top slice (F with 5 years: the LM says no, the label says yes)', () => {
  const report = json<SlicesReport>('slices', '--spec', demo, '--ep', 'cpu');
  const top = report.slices.top[0]!;
  assert.equal(top.text, 'group = F & years = (4, 5]');
  assert.equal(top.errorMean, 1);
  assert.equal(report.slices.n, 1200);
  // the prompt column is the probe's input, not a candidate
  assert.deepEqual(report.slices.columns.map((c) => c.name), ['group', 'term', 'years']);
  // the same predictions as the probe report's groups section (s > 0 against "qualified")
  const probe = json<ProbeReport>('probe', '--spec', demo, '--ep', 'cpu', '--bootstrap', '0');
  assert.equal(report.slices.overall.accuracy, probe.groups?.overall.accuracy);
  assert.equal(report.slices.overall.count, 1200);
});

test('thresholds --spec on the demo LM: P(yes) = sigmoid(s); one threshold 0.5 for all is the probe\'s s > 0', () => {
  const report = json<ThresholdsReport>('thresholds', '--spec', demo, '--ep', 'cpu', '--constraint', 'true_positive_rate_parity');
  const t = report.thresholds;
  assert.equal(t.constraint, 'true_positive_rate_parity');
  assert.deepEqual(t.groups.map((g) => g.group['group']), ['F', 'M', 'N']);
  const probe = json<ProbeReport>('probe', '--spec', demo, '--ep', 'cpu', '--bootstrap', '0');
  assert.ok(Math.abs(t.baseline.overall.accuracy - probe.groups!.overall.accuracy!) < 1e-12);
  // equal TPR: the optimised groups' expected TPRs agree
  const tpr = t.groups.map((g) => g.tpr);
  assert.ok(Math.max(...tpr) - Math.min(...tpr) < 1e-9, tpr.join(' '));
});

// Two checkpoints of one LM architecture (test/fixtures/probe: bigram.onnx and bigram-b.onnx).
for (const f of ['bigram.onnx', 'bigram-b.onnx', 'tokenizer.json']) copyFileSync(join(root, 'test/fixtures/probe', f), join(dir, f));
const prompts = ['a', 'b', 'a b', 'b a', 'a a', 'b b', 'a b a', 'b a b', 'a a a b', 'b b b a', 'a b b a a', 'b a a b b'];
writeFileSync(join(dir, 'rows.csv'), ['text,group,label', ...Array.from({ length: 96 }, (_, i) => `${prompts[i % 12]},${i % 2 ? 'g1' : 'g2'},${(i * 7) % 3 === 0 ? 1 : 0}`)].join('\n') + '\n');
const probeSpec = join(dir, 'lm.bias.json');
writeFileSync(probeSpec, JSON.stringify({ model: 'bigram.onnx', data: 'rows.csv', task: 'binary', label: 'label', groups: ['group'], bootstrap: 40, seed: 1, probe: { kind: 'yesno', prompt: '{text}', yes: [' yes'], no: [' no'] } }));

test('compare --spec <probe spec> --model-b <second checkpoint>: per-group Δ, flips and McNemar on the LM\'s answers', () => {
  const report = json<CompareReport>('compare', '--spec', probeSpec, '--model-b', join(dir, 'bigram-b.onnx'), '--ep', 'cpu');
  const c = report.compare;
  assert.equal(c.source, 'model-b');
  assert.equal(c.a.model, join(dir, 'bigram.onnx'));
  assert.equal(c.b.model, join(dir, 'bigram-b.onnx'));
  const overall = c.byGroup.find((g) => g.group === 'overall')!;
  // bigram-b says less "yes" after "a": a prompt ending in "a" at positions 0, 1 or 3 turns to "no" (s: 0.61, 1.31, 1.40 → −0.89, −0.19, −0.10)
  const ending = (p: string): [string, number] => { const w = p.split(' '); return [w.at(-1)!, w.length - 1]; };
  const flipping = prompts.filter((p) => { const [last, t] = ending(p); return last === 'a' && [0, 1, 3].includes(t); });
  assert.deepEqual(flipping, ['a', 'b a', 'a a', 'b b b a']);
  assert.equal(overall.flips.count, 4 * 8);
  assert.equal(overall.count, 96);
  const text = run('compare', '--spec', probeSpec, '--model-b', join(dir, 'bigram-b.onnx'), '--ep', 'cpu');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /bigram-b\.onnx/);
});

test('the analysis worker (VS Code: Find Slices…, Threshold What-If…, Compare Models) runs a probe spec', async () => {
  const overrides = { providers: ['cpu'] as const, bootstrap: 0 };
  const slices = await runInWorker(workerPath, 'slices', { specPath: demo, overrides });
  assert.equal(slices.slices.top[0]!.text, 'group = F & years = (4, 5]');
  const thresholds = await runInWorker(workerPath, 'thresholds', { specPath: demo, overrides, constraint: 'demographic_parity', objective: 'accuracy_score' });
  assert.equal(thresholds.thresholds.groups.length, 3);
  const compared = await runInWorker(workerPath, 'compare', { specPath: probeSpec, modelB: join(dir, 'bigram-b.onnx'), overrides });
  assert.equal(compared.compare.byGroup.find((g) => g.group === 'overall')!.flips.count, 32);
});
