// Slices, thresholds and compare on a labelled yes/no probe spec (FORMULAS.md §H "with labels every
// §B metric", issue 13): each row is a binary prediction with logit s = logP(yes) − logP(no) and
// score P(yes) = sigmoid(s). The hand-built bigram LMs of test/fixtures/probe have known logits
// (scripts/make-probe-fixtures.py), so the test computes s itself and checks each analysis against
// the same analysis run on a predictions file holding sigmoid(s), plus figures counted by hand.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSpec } from '../../../extension/core/data';
import { runCompare, runProbe, runSlices, runThresholds } from '../../../extension/core/analyze';
import { BadInputError } from '../../../extension/core/errors';
import { assertJsonClose } from '../jsonClose';

const fixtures = resolve(__dirname, '../../fixtures/probe');
const reference = JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8')) as { W: number[][]; W_B: number[][]; P: number[][] };
const VOCAB = ['<pad>', 'a', 'b', 'yes', 'no', 'maybe', 'way'];

const dir = mkdtempSync(join(tmpdir(), 'probe-scoring-'));
after(() => rmSync(dir, { recursive: true, force: true }));
for (const f of ['bigram.onnx', 'bigram-b.onnx', 'tokenizer.json']) copyFileSync(join(fixtures, f), join(dir, f));
const write = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const spec = async (name: string, body: object) => loadSpec(write(`${name}.bias.json`, JSON.stringify(body, null, 2)));

/** s = log P(yes | prompt) − log P(no | prompt) of a bigram model (float32 logits, float64 log-softmax). */
function skew(W: number[][], prompt: string): number {
  const ids = prompt.split(' ').map((w) => VOCAB.indexOf(w));
  const t = ids.length - 1;
  const x = W[ids[t]!]!.map((w, v) => Math.fround(w + reference.P[t]![v]!));
  return x[3]! - x[4]!; // the log-softmax normaliser cancels in the difference
}
const sigmoid = (s: number): number => 1 / (1 + Math.exp(-s));

// 240 rows: prompts of 1–6 tokens over {a, b} (the context is 8), two groups, one metadata column, noisy labels.
let state = 7;
const rand = (): number => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648; };
const rows = Array.from({ length: 240 }, (_, i) => {
  const n = 1 + Math.floor(rand() * 6);
  const prompt = Array.from({ length: n }, () => (rand() < 0.5 ? 'a' : 'b')).join(' ');
  const group = i % 3 === 0 ? 'g1' : 'g2';
  const color = rand() < 0.4 ? 'red' : 'blue';
  const s = skew(reference.W, prompt);
  // Labels agree with s > 0 mostly, less so for red rows of g1 (a slice to find).
  const flip = group === 'g1' && color === 'red' ? rand() < 0.6 : rand() < 0.1;
  const label = (s > 0) !== flip ? 1 : 0;
  return { prompt, group, color, label, s, sB: skew(reference.W_B, prompt) };
});
write('rows.csv', ['text,group,color,label', ...rows.map((r) => `${r.prompt},${r.group},${r.color},${r.label}`)].join('\n') + '\n');
write('pred-a.csv', ['group,color,label,score', ...rows.map((r) => `${r.group},${r.color},${r.label},${sigmoid(r.s)}`)].join('\n') + '\n');
write('pred-b.csv', ['group,color,label,score', ...rows.map((r) => `${r.group},${r.color},${r.label},${sigmoid(r.sB)}`)].join('\n') + '\n');
const probeSpec = {
  model: 'bigram.onnx', data: 'rows.csv', task: 'binary', label: 'label', groups: ['group'], seed: 3,
  probe: { kind: 'yesno', prompt: '{text}', yes: [' yes'], no: [' no'] },
};
const predictionsSpec = { data: 'pred-a.csv', task: 'binary', label: 'label', groups: ['group'], seed: 3, predictions: { file: 'pred-a.csv', score: 'score' } };
const cpu = { providers: ['cpu'] as const };

test('the rows are a real test: both labels and both predictions in each group', () => {
  for (const g of ['g1', 'g2']) {
    const r = rows.filter((x) => x.group === g);
    assert.ok(r.some((x) => x.label === 1) && r.some((x) => x.label === 0));
    assert.ok(r.some((x) => x.s > 0) && r.some((x) => x.s <= 0));
  }
  assert.ok(rows.some((r) => (r.s > 0) !== (r.sB > 0)), 'the two checkpoints disagree on some rows');
});

test('slices on a probe spec: errors of s > 0 against the label, the same slices as on sigmoid(s) predictions', async () => {
  const probe = await runSlices(await spec('slices-probe', probeSpec), { ...cpu, batchSize: 16 });
  const viaPredictions = await runSlices(await spec('slices-pred', predictionsSpec), {});
  assert.equal(probe.slices.n, 240);
  // the prompt column is the probe's input, not a slice candidate
  assert.deepEqual(probe.slices.columns.map((c) => c.name), ['group', 'color']);
  const wrong = rows.filter((r) => (r.s > 0 ? 1 : 0) !== r.label).length;
  assert.equal(probe.slices.errorMean, wrong / 240);
  assert.ok(probe.slices.top.length >= 1);
  assert.equal(probe.slices.top[0]!.text, 'group = g1');
  for (const slice of probe.slices.top) {
    const members = rows.filter((r) => slice.predicates.every((p) => 'value' in p && (r as Record<string, unknown>)[p.column] === p.value));
    assert.equal(slice.size, members.length, slice.text);
    assert.equal(slice.errorSum, members.filter((r) => (r.s > 0 ? 1 : 0) !== r.label).length, slice.text);
  }
  assertJsonClose(probe.slices, viaPredictions.slices, 1e-9);
  assert.equal(probe.model?.path, join(dir, 'bigram.onnx'));
});

test('thresholds on a probe spec: the score is P(yes) = sigmoid(s); the same operating points as on sigmoid(s) predictions', async () => {
  const probe = await runThresholds(await spec('thr-probe', probeSpec), { ...cpu, constraint: 'demographic_parity', front: true });
  const viaPredictions = await runThresholds(await spec('thr-pred', predictionsSpec), { constraint: 'demographic_parity', front: true });
  assertJsonClose(probe.thresholds, viaPredictions.thresholds, 1e-9, 1e-12);
  // one threshold 0.5 for all is the probe's own prediction s > 0
  const correct = rows.filter((r) => (r.s > 0 ? 1 : 0) === r.label).length;
  assert.ok(Math.abs(probe.thresholds.baseline.overall.accuracy - correct / 240) < 1e-12);
  const g1 = probe.thresholds.curves.find((c) => c.group['group'] === 'g1')!;
  assert.equal(g1.positives, rows.filter((r) => r.group === 'g1' && r.label === 1).length);
});

test('compare on a probe spec: referenceModel (A) vs the spec\'s LM (B), the same Δ, flips and McNemar as on their sigmoid(s) predictions', async () => {
  const probe = await runCompare(await spec('cmp-probe', { ...probeSpec, referenceModel: 'bigram-b.onnx', bootstrap: 50 }), { ...cpu, target: { kind: 'referenceModel' } });
  const viaPredictions = await runCompare(await spec('cmp-pred', { ...predictionsSpec, data: 'pred-b.csv', predictions: { file: 'pred-b.csv', score: 'score' }, bootstrap: 50 }), {
    target: { kind: 'predictions-b', file: join(dir, 'pred-a.csv') },
  });
  const c = probe.compare;
  assert.equal(c.source, 'referenceModel');
  assert.equal(c.a.model, join(dir, 'bigram-b.onnx'));
  assert.equal(c.b.model, join(dir, 'bigram.onnx'));
  const overall = c.byGroup.find((g) => g.group === 'overall')!;
  const broken = rows.filter((r) => (r.sB > 0 ? 1 : 0) === r.label && (r.s > 0 ? 1 : 0) !== r.label).length;
  const fixed = rows.filter((r) => (r.sB > 0 ? 1 : 0) !== r.label && (r.s > 0 ? 1 : 0) === r.label).length;
  assert.equal(overall.flips.broken, broken);
  assert.equal(overall.flips.fixed, fixed);
  const accA = rows.filter((r) => (r.sB > 0 ? 1 : 0) === r.label).length / 240;
  const accB = rows.filter((r) => (r.s > 0 ? 1 : 0) === r.label).length / 240;
  assert.ok(Math.abs((overall.metrics['accuracy']?.delta ?? Number.NaN) - (accB - accA)) < 1e-12);
  // the flipped rows show the prompt the probe filled
  assert.ok(c.flipRows.length > 0 && c.flipRows.every((r) => typeof r.inputs?.['text'] === 'string'));
  const strip = (x: typeof c): object => {
    // Two LMs are compared weight by weight too; two prediction files have no weights.
    const { a: _a, b: _b, source: _s, parameters: _p, flipRows, ...rest } = x;
    return { ...rest, flipRows: flipRows.map(({ inputs: _i, ...row }) => row) };
  };
  assertJsonClose(strip(c), strip(viaPredictions.compare), 1e-9, 1e-12);
  assert.ok(c.parameters && c.parameters.changed.length > 0, 'the two bigram checkpoints differ in their weights');
  assert.equal(viaPredictions.compare.parameters, undefined);
  assertJsonClose(probe.groups.overall, viaPredictions.groups.overall, 1e-9, 1e-12);
});

test('the probe report\'s groups section and the scoring analyses read the same predictions', async () => {
  const report = await runProbe(await spec('probe-groups', probeSpec), { ...cpu, bootstrap: 0 });
  const slices = await runSlices(await spec('slices-probe2', probeSpec), { ...cpu });
  assert.equal(report.groups?.overall.accuracy, slices.slices.overall.accuracy);
});

test('bad input: a counterfactual probe or a probe without labels names the field', async () => {
  write('templates.jsonl', '{"template": "a {group}"}\n');
  const counterfactual = await spec('cf', { model: 'bigram.onnx', probe: { kind: 'counterfactual', templates: 'templates.jsonl', terms: { x: ['a'], y: ['b'] }, answers: { yes: [' yes'], no: [' no'] } } });
  await assert.rejects(runSlices(counterfactual, cpu), (e: unknown) => e instanceof BadInputError && /field "probe\.kind".*counterfactual probe/.test(e.message));
  const { label: _l, task: _t, ...unlabelled } = probeSpec;
  await assert.rejects(runThresholds(await spec('nolabel', unlabelled), cpu), (e: unknown) => e instanceof BadInputError && /field "(label|task)"/.test(e.message));
  await assert.rejects(runSlices(await spec('nolabel2', unlabelled), { ...cpu, columns: ['colour'] }), (e: unknown) => e instanceof BadInputError && /field "(label|task)"/.test(e.message));
  await assert.rejects(runSlices(await spec('badcol', probeSpec), { ...cpu, columns: ['colour'] }), (e: unknown) => e instanceof BadInputError && /rows\.csv: no column "colour"/.test(e.message));
});
