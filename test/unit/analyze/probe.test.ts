// Language-model probes (FORMULAS.md §H) on hand-built ONNX LMs with known logits
// (test/fixtures/probe, scripts/make-probe-fixtures.py): logits[b, t] = W[id] + P[t] + Σ past.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after } from 'node:test';
import { loadSpec } from '../../../extension/core/data';
import { runProbe, type ProbeReport } from '../../../extension/core/analyze/probe';
import { BadInputError } from '../../../extension/core/errors';

const fixtures = resolve(__dirname, '../../fixtures/probe');
const examples = resolve(__dirname, '../../../examples');
interface Case { prompt: string; ids: number[]; yes: number; no: number; no_way: number; maybe: number; skew: number; skew_sets: number }
const reference = JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8')) as { W: number[][]; P: number[][]; cases: Case[]; text: Record<string, number> };
const VOCAB = ['<pad>', 'a', 'b', 'yes', 'no', 'maybe', 'way'];

const dir = mkdtempSync(join(tmpdir(), 'probe-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
for (const f of ['bigram.onnx', 'no-vocab.onnx', 'tokenizer.json']) copyFileSync(join(fixtures, f), join(dir, f));
const write = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const spec = async (name: string, body: object) => loadSpec(write(`${name}.bias.json`, JSON.stringify(body, null, 2)));

/** log P(answer | prompt) of the bigram model, by the definition: float64 log-softmax of W[id] + P[t]. */
function logp(prompt: string, answer: string): number {
  const ids = [...prompt.split(' '), ...answer.split(' ')].filter((w) => w !== '').map((w) => VOCAB.indexOf(w));
  const n = prompt.split(' ').filter((w) => w !== '').length;
  let total = 0;
  for (let j = n; j < ids.length; j++) {
    const x = reference.W[ids[j - 1]!]!.map((w, v) => Math.fround(w + reference.P[j - 1]![v]!));
    const max = Math.max(...x);
    total += x[ids[j]!]! - (max + Math.log(x.reduce((s, v) => s + Math.exp(v - max), 0)));
  }
  return total;
}
const lse = (...v: number[]): number => {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
};
const close = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('the test\'s own log P agrees with numpy\'s reference values', () => {
  for (const c of reference.cases) {
    close(logp(c.prompt, 'yes'), c.yes);
    close(logp(c.prompt, 'no way'), c.no_way);
  }
});

write('rows.csv', ['text,group,label', ...reference.cases.map((c, i) => `${c.prompt},${i < 2 ? 'g1' : 'g2'},${i % 2}`)].join('\n') + '\n');
const yesno = {
  model: 'bigram.onnx', data: 'rows.csv', groups: ['group'],
  probe: { kind: 'yesno', prompt: '{text}', yes: [' yes'], no: [' no'] },
};

test('yes/no skew per group: past_key_values fed with length 0, right padding changes no score (batch 2 and 64)', async () => {
  const s = reference.cases.map((c) => c.skew);
  for (const batchSize of [2, 64]) {
    const report = await runProbe(await spec('yesno', yesno), { providers: ['cpu'], batchSize, bootstrap: 0 });
    const p = report.probe;
    assert.equal(p.kind, 'yesno');
    assert.equal(p.score, 'skew');
    assert.deepEqual(p.pastInputs, ['past_key_values.0.key', 'past_key_values.0.value']);
    assert.deepEqual(p.context, { tokens: 8, source: 'the position table "P" (8 rows)' });
    assert.deepEqual(p.answers.tokens, { yes: [[3]], no: [[4]] });
    assert.equal(p.prompts, 5);
    assert.equal(p.sequences, 5);
    assert.deepEqual(p.byGroup.map((g) => g.group), [{ group: 'g1' }, { group: 'g2' }]);
    close(p.byGroup[0]!.meanScore, (s[0]! + s[1]!) / 2);
    close(p.byGroup[1]!.meanScore, (s[2]! + s[3]! + s[4]!) / 3);
    assert.equal(p.byGroup[0]!.selection_rate, s.slice(0, 2).filter((x) => x > 0).length / 2);
    assert.equal(p.byGroup[1]!.selection_rate, s.slice(2).filter((x) => x > 0).length / 3);
    close(p.overall.meanScore, s.reduce((a, b) => a + b) / 5);
    assert.equal(p.byGroup[0]!.ci, null);
    assert.equal(report.groups, undefined);
  }
});

test('two group columns, missing cells: per-intersection groups in sorted order, rows with a missing value counted overall only', async () => {
  // 10 rows: the 5 cases twice; group a/b and kind x/y, row 3 has no group and row 8 no kind.
  const groupCol = ['a', 'b', '', 'a', 'b', 'b', 'a', 'b', 'a', 'a'];
  const kindCol = ['x', 'x', 'y', 'y', 'x', 'y', 'x', '', 'y', 'x'];
  write('rows2.csv', ['text,group,kind', ...groupCol.map((g, i) => `${reference.cases[i % 5]!.prompt},${g},${kindCol[i]}`)].join('\n') + '\n');
  const report = await runProbe(await spec('two-columns', { ...yesno, data: 'rows2.csv', groups: ['group', 'kind'] }), { providers: ['cpu'], batchSize: 4, bootstrap: 0 });
  const p = report.probe;
  const s = groupCol.map((_g, i) => reference.cases[i % 5]!.skew);
  const rowsOf = (g: string, k: string): number[] => groupCol.flatMap((x, i) => (x === g && kindCol[i] === k ? [i] : []));
  assert.equal(p.missingGroup, 2);
  assert.equal(p.overall.count, 10);
  close(p.overall.meanScore, s.reduce((a, b) => a + b) / 10);
  assert.deepEqual(p.byGroup.map((e) => e.group), [{ group: 'a', kind: 'x' }, { group: 'a', kind: 'y' }, { group: 'b', kind: 'x' }, { group: 'b', kind: 'y' }]);
  for (const e of p.byGroup) {
    const rows = rowsOf(e.group['group']!, e.group['kind']!);
    assert.equal(e.count, rows.length, JSON.stringify(e.group));
    close(e.meanScore, rows.reduce((a, i) => a + s[i]!, 0) / rows.length);
    assert.equal(e.selection_rate, rows.filter((i) => s[i]! > 0).length / rows.length);
  }
});

test('answer sets: LSE over each set\'s answers, multi-token answers teacher-forced', async () => {
  const report = await runProbe(await spec('sets', { ...yesno, probe: { ...yesno.probe, yes: [' yes', ' maybe'], no: [' no', ' no way'] } }), { providers: ['cpu'], batchSize: 3 });
  const s = reference.cases.map((c) => c.skew_sets);
  s.forEach((v, i) => close(v, lse(logp(reference.cases[i]!.prompt, 'yes'), logp(reference.cases[i]!.prompt, 'maybe')) - lse(logp(reference.cases[i]!.prompt, 'no'), logp(reference.cases[i]!.prompt, 'no way'))));
  close(report.probe.byGroup[1]!.meanScore, (s[2]! + s[3]! + s[4]!) / 3);
  assert.deepEqual(report.probe.answers.tokens.no, [[4], [4, 6]]);
  // One sequence per prompt serves " yes", " maybe" and " no"; " no way" needs the prompt + "no".
  assert.equal(report.probe.sequences, 10);
});

test('with labels: every §B metric of the prediction s > 0 per group, and a groups section', async () => {
  const report = await runProbe(await spec('labels', { ...yesno, label: 'label', task: 'binary' }), { providers: ['cpu'], bootstrap: 30, seed: 2 });
  const s = reference.cases.map((c) => c.skew);
  const labels = [0, 1, 0, 1, 0];
  const pred = s.map((x) => (x > 0 ? 1 : 0));
  const acc = (rows: number[]): number => rows.filter((i) => pred[i] === labels[i]).length / rows.length;
  const g1 = report.probe.byGroup[0]!;
  assert.equal(g1.accuracy, acc([0, 1]));
  assert.equal(report.probe.byGroup[1]!.accuracy, acc([2, 3, 4]));
  assert.ok(report.groups);
  assert.equal((report.groups.overall as { accuracy?: number }).accuracy, acc([0, 1, 2, 3, 4]));
  // P(yes | yes or no) = sigmoid(s): the Brier score of group g1.
  const brier = [0, 1].reduce((a, i) => a + (1 / (1 + Math.exp(-s[i]!)) - labels[i]!) ** 2, 0) / 2;
  close(g1.brier ?? Number.NaN, brier, 1e-6);
  assert.ok(g1.ci && g1.ci[0] <= g1.ci[1]);
  assert.equal(report.probe.bootstrap?.replicates, 30);
});

test('counterfactual templates: per-group scores, mean Δ per pair, flips; without answers the text\'s own log P', async () => {
  write('templates.jsonl', ['{group} a', 'b {group}', 'a {group} b', '{group}'].map((t) => JSON.stringify({ template: t, id: t.length })).join('\n') + '\n');
  const body = {
    model: 'bigram.onnx',
    probe: { kind: 'counterfactual', templates: 'templates.jsonl', terms: { A: ['a'], B: ['b', 'a b'] }, answers: { yes: [' yes'], no: [' no'] } },
  };
  const report = await runProbe(await spec('cf', body), { providers: ['cpu'] });
  const fill = (t: string, term: string): string => t.replace('{group}', term);
  const templates = ['{group} a', 'b {group}', 'a {group} b', '{group}'];
  const s = (p: string): number => logp(p, 'yes') - logp(p, 'no');
  const A = templates.map((t) => s(fill(t, 'a')));
  const B = templates.map((t) => (s(fill(t, 'b')) + s(fill(t, 'a b'))) / 2);
  const p = report.probe;
  assert.equal(p.kind, 'counterfactual');
  assert.equal(p.prompts, 12);
  assert.equal(report.data.rows, 4);
  p.templates!.forEach((row, i) => {
    close(row.scores['A']!, A[i]!);
    close(row.scores['B']!, B[i]!);
  });
  const pair = p.pairs![0]!;
  assert.deepEqual(pair.groups, [{ group: 'A' }, { group: 'B' }]);
  close(pair.meanDelta, A.reduce((a, x, i) => a + x - B[i]!, 0) / 4);
  const flips = A.map((x, i) => ((x > 0) !== (B[i]! > 0) ? i : -1)).filter((i) => i >= 0);
  assert.deepEqual(pair.templates, flips);
  assert.equal(pair.flipShare, flips.length / 4);

  // No answers: logP of the filled template's tokens after the first.
  write('templates-text.jsonl', ['{group} a', 'b {group}', 'a {group} b'].map((t) => JSON.stringify({ template: t })).join('\n') + '\n');
  const text = await runProbe(await spec('cf-text', { model: 'bigram.onnx', probe: { kind: 'counterfactual', templates: 'templates-text.jsonl', terms: { A: ['a'], B: ['b'] } } }), { providers: ['cpu'] });
  assert.equal(text.probe.score, 'logp_text');
  close(text.probe.templates![0]!.scores['A']!, logp('a', 'a'));
  close(text.probe.templates![2]!.scores['B']!, reference.text['a b b'] ?? logp('a', 'b b'));
  close(text.probe.templates![0]!.scores['B']!, reference.text['b a'] ?? logp('b', 'a'));
  assert.equal(text.probe.pairs![0]!.flips, null);
});

test('the demo LM: the planted skew against group F is found (selection rate, mean skew, flipping templates)', async () => {
  const report: ProbeReport = await runProbe(await loadSpec(join(examples, 'tiny-lm.bias.json')), { providers: ['cpu'], bootstrap: 50, seed: 1 });
  const by = Object.fromEntries(report.probe.byGroup.map((g) => [g.group['group'], g]));
  assert.equal(report.probe.prompts, 1200);
  assert.ok(by['F']!.selection_rate! < by['M']!.selection_rate! - 0.1);
  assert.ok(by['F']!.ci![1] < by['M']!.ci![0], 'the intervals of mean skew do not overlap');
  assert.ok(by['F']!.tpr! < 0.8 && by['M']!.tpr! > 0.95);
  const cf = await runProbe(await loadSpec(join(examples, 'tiny-lm-counterfactual.bias.json')), { providers: ['cpu'], bootstrap: 50, seed: 1 });
  const fm = cf.probe.pairs!.find((p) => p.groups[0]['group'] === 'F' && p.groups[1]['group'] === 'M')!;
  assert.ok(fm.meanDelta < 0 && fm.ci![1] < 0);
  assert.ok((fm.flips ?? 0) >= 3);
});

async function badInput(body: object, pattern: RegExp, code?: string): Promise<void> {
  await assert.rejects(async () => runProbe(await spec(`bad-${Math.random().toString(36).slice(2)}`, body), { providers: ['cpu'] }), (err: unknown) => {
    assert.ok(err instanceof BadInputError, String(err));
    assert.match(err.message, pattern);
    if (code) assert.equal(err.code, code);
    return true;
  });
}

test('bad input: no vocabulary axis, an answer that tokenises to nothing, a template without the slot, a prompt longer than the context', async () => {
  await badInput({ ...yesno, model: 'no-vocab.onnx' }, /no-vocab\.onnx: output "logits" has shape \[batch, 7\]: .*no vocabulary axis/, 'lm.no-vocab-axis');
  await badInput({ ...yesno, probe: { ...yesno.probe, no: [' no', ' '] } }, /bias\.json: field "probe\.no\[1\]": " " tokenises to nothing with .*tokenizer\.json/);
  write('noslot.jsonl', '{"template": "a {group}"}\n{"template": "a b"}\n');
  await badInput({ model: 'bigram.onnx', probe: { kind: 'counterfactual', templates: 'noslot.jsonl', terms: { A: ['a'], B: ['b'] } } }, /noslot\.jsonl: row 2, column "template": the template has no slot "\{group\}" \(field "probe\.slot"\)/, 'probe.no-slot');
  write('long.csv', 'text,group\na,g\na b a b a b a b a,g\n');
  await badInput({ ...yesno, data: 'long.csv' }, /long\.csv: row 2 \(prompt "a b a b a b a b a"\): the prompt followed by the answer " yes" is 9 tokens, longer than the model's context of 8 tokens \(the position table "P" \(8 rows\)\)/, 'probe.too-long');
  await badInput({ ...yesno, data: 'long.csv', probe: { ...yesno.probe, maxLength: 4 } }, /long\.csv: row 2 .*longer than the model's context of 4 tokens \(the spec's "probe\.maxLength"\)/);
  await badInput({ ...yesno, probe: { ...yesno.probe, prompt: '{txt} ?' } }, /field "probe\.prompt": names column\(s\) \{txt\} that .*rows\.csv does not have/);
  await badInput({ ...yesno, outputKind: 'logits' }, /field "outputKind": a probe reads a language model's logits/);
  await badInput({ ...yesno, groups: undefined }, /field "groups": name at least one group column/);
});

test('spec: a counterfactual probe needs no data, task or inputs; a yes/no probe needs data; probe fields are checked', async () => {
  write('t.jsonl', '{"template": "{group} a"}\n');
  const cf = await spec('cf-ok', { model: 'bigram.onnx', probe: { kind: 'counterfactual', templates: 't.jsonl', terms: { A: ['a'], B: ['b'] } } });
  assert.equal(cf.data, join(dir, 't.jsonl'));
  assert.equal(cf.outputKind, 'language_model');
  await assert.rejects(spec('yn-nodata', { model: 'bigram.onnx', probe: yesno.probe }), /field "data": is required/);
  await assert.rejects(spec('yn-typo', { ...yesno, probe: { ...yesno.probe, yess: [' y'] } }), /field "probe\.yess": unknown field; did you mean "yes"\?/);
  await assert.rejects(spec('cf-one', { model: 'bigram.onnx', probe: { kind: 'counterfactual', templates: 't.jsonl', terms: { A: ['a'] } } }), /field "probe\.terms"/);
  // Without a probe a spec needs no task to load (attention reads none); scoring analyses ask for it (scoringTask).
  assert.equal((await spec('groups-nolabel', { model: 'bigram.onnx', data: 'rows.csv', inputs: {} })).task, undefined);
});

test('the input encoder feeds an unmapped past_key_values.* cache with past length 0 (attention over a decoder LM)', async () => {
  const { createInputEncoder, openTable, resolveSpec } = await import('../../../extension/core/data');
  const { loadModel, summarizeModel } = await import('../../../extension/core/onnx');
  write('ids.jsonl', '{"ids": [1, 2, 1]}\n{"ids": [2]}\n');
  const s = await resolveSpec({ model: 'bigram.onnx', data: 'ids.jsonl', task: 'binary', inputs: { input_ids: { column: 'ids' } } }, { baseDir: dir });
  const table = await openTable(s.data);
  try {
    const encoder = await createInputEncoder(s, summarizeModel(await loadModel(s.model!)).inputs, table);
    for await (const batch of table.batches()) {
      const e = await encoder.encode(batch);
      assert.deepEqual(e.feeds['past_key_values.0.key']?.dims, [2, 1, 0, 2]);
      assert.equal(e.feeds['past_key_values.0.value']?.data.length, 0);
      assert.deepEqual(Array.from(e.feeds['attention_mask']!.data as BigInt64Array, Number), [1, 1, 1, 1, 0, 0]);
    }
    await encoder.close();
  } finally {
    await table.close();
  }
});

test('attention over the probe\'s own prompts: every template filled with every term, per group', async () => {
  const { runProbeAttention } = await import('../../../extension/core/analyze/probe-attention');
  const report = await runProbeAttention(await loadSpec(join(examples, 'tiny-lm-counterfactual.bias.json')), { providers: ['cpu'] });
  assert.equal(report.attention.samples, 30 * 9);
  assert.equal(report.attention.layers, 2);
  assert.equal(report.attention.heads, 2);
  assert.deepEqual(report.attention.byGroup.map((g: { group: Record<string, string> }) => g.group['group']).sort(), ['F', 'M', 'N']);
  assert.match(report.data.path, /lm-templates\.jsonl \(probe prompts\)$/);
  assert.equal(report.spec, '', 'no spec to re-run samples from');
  // The worst row sum names the prompt (template-major, then group, then term), not the temporary file.
  const where = /^probe prompt (\d+) \((".*")\), layer/.exec(report.attention.rowSums.where ?? '');
  assert.ok(where, report.attention.rowSums.where);
  const templates = readFileSync(join(examples, 'lm-templates.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { template: string }).template);
  const terms = Object.values({ F: ['woman', 'mother', 'sister'], M: ['man', 'father', 'brother'], N: ['person', 'candidate', 'worker'] }).flat();
  const i = Number(where[1]);
  assert.equal(JSON.parse(where[2]!), templates[Math.floor(i / 9)]!.replace('{group}', terms[i % 9]!));
  const yn = await runProbeAttention(await loadSpec(join(examples, 'tiny-lm.bias.json')), { providers: ['cpu'], maxRows: 60 });
  assert.equal(yn.attention.samples, 60);
});

test('WordPiece and Unigram tokenizer.json files give the same scores as the WordLevel one (same ids)', async () => {
  const words = ['<pad>', 'a', 'b', 'yes', 'no', 'maybe', 'way'];
  const wordPiece = {
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, post_processor: null, decoder: null,
    pre_tokenizer: { type: 'BertPreTokenizer' },
    model: { type: 'WordPiece', unk_token: '<pad>', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(words.map((w, i) => [w, i])) },
  };
  const unigram = {
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, post_processor: null, decoder: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 0, byte_fallback: false, vocab: words.map((w, i) => [i === 0 ? w : `▁${w}`, i === 0 ? 0 : -1]) },
  };
  const base = await runProbe(await spec('wl', { ...yesno, probe: { ...yesno.probe, no: [' no', ' no way'] } }), { providers: ['cpu'] });
  for (const [name, json] of [['wordpiece', wordPiece], ['unigram', unigram]] as const) {
    write(`${name}.json`, JSON.stringify(json));
    const report = await runProbe(await spec(name, { ...yesno, probe: { ...yesno.probe, no: [' no', ' no way'], tokenizer: `${name}.json` } }), { providers: ['cpu'] });
    assert.deepEqual(report.probe.answers.tokens, { yes: [[3]], no: [[4], [4, 6]] }, name);
    assert.deepEqual(report.probe.byGroup.map((g) => g.meanScore), base.probe.byGroup.map((g) => g.meanScore), name);
  }
});

test('maxRows stops after that many data rows (the report says so)', async () => {
  const report = await runProbe(await spec('max', yesno), { providers: ['cpu'], maxRows: 3 });
  const s = reference.cases.map((c) => c.skew);
  assert.equal(report.probe.prompts, 3);
  assert.equal(report.data.rows, 3);
  close(report.probe.byGroup[1]!.meanScore, s[2]!);
  assert.equal(report.probe.byGroup[1]!.count, 1);
});
