/**
 * Suggestions for a language-model probe spec (issue #16 item 4, issue #13 item 4): which models
 * are language models (the model editor's probe launcher and the guided flow read the same test),
 * the tokenizer next to the model by name and vocabulary, template tables by their slot, answers
 * checked with the probe's own tokenisation, group terms, and the dry run that names the step.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  answerProblem, commonSlots, dryRunSpec, languageModelOutput, loadTokenizer, parseTerms, probeSpecFrom, suggestProbe, templateProblem, termsProblem, writeTemplates,
} from '../../../extension/core/analyze';
import type { ModelInputInfo } from '../../../extension/core/data';
import { inspectModel } from '../../../extension/core/onnx';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');
const io = (name: string, dtype: string, shape: ModelInputInfo['shape']): ModelInputInfo => ({ name, dtype, shape });

/** A WordLevel tokenizer.json of `size` tokens: [UNK], yes, no, a, b, ..., w0, w1, ... */
function wordLevel(size: number): string {
  const words = ['[UNK]', 'yes', 'no', 'the', 'is', 'a'];
  for (let i = words.length; i < size; i++) words.push(`w${i}`);
  return JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(words.map((w, i) => [w, i])), unk_token: '[UNK]' },
  });
}

describe('languageModelOutput (the probe launcher and the guided flow)', () => {
  const cases: readonly [string, ModelInputInfo[], string | undefined][] = [
    ['[B, T, V] logits', [io('logits', 'float32', ['batch', 'sequence', 366])], 'output "logits" [batch, sequence, 366] scores a vocabulary at every position'],
    ['[B, T, V] after an int64 output', [io('ids', 'int64', ['b', 't']), io('lm_logits', 'float16', ['b', 't', 'v'])], 'output "lm_logits" [b, t, v] scores a vocabulary at every position'],
    ['a binary classifier [N, 2]', [io('logits', 'float32', ['N', 2])], undefined],
    ['a regressor [N]', [io('y', 'float32', ['N'])], undefined],
    ['an image map [N, C, H, W]', [io('map', 'float32', ['N', 3, 8, 8])], undefined],
    ['no outputs', [], undefined],
    ['unknown rank', [io('out', 'float32', null)], undefined],
  ];
  for (const [name, outputs, reason] of cases) {
    it(name, () => {
      assert.equal(languageModelOutput({ outputs })?.reason, reason);
    });
  }

  it('the vocabulary is the last dim when fixed', () => {
    assert.equal(languageModelOutput({ outputs: [io('logits', 'float32', ['b', 't', 366])] })?.vocab, 366);
    assert.equal(languageModelOutput({ outputs: [io('logits', 'float32', ['b', 't', 'v'])] })?.vocab, undefined);
  });

  it('the demo models: tiny-lm is one, the classifiers and the encoder are not', async () => {
    const found = await Promise.all(['tiny-lm', 'income-mlp', 'shapes-cnn', 'tiny-transformer'].map(async (m) => [m, languageModelOutput(await inspectModel(join(EXAMPLES, `${m}.onnx`)))?.vocab ?? null]));
    assert.deepEqual(found, [['tiny-lm', 366], ['income-mlp', null], ['shapes-cnn', null], ['tiny-transformer', null]]);
  });
});

describe('parseTerms and termsProblem', () => {
  const cases: readonly [string[], Record<string, string[]> | RegExp][] = [
    [['F=woman, mother; M=man, father'], { F: ['woman', 'mother'], M: ['man', 'father'] }],
    [['F=woman,mother', 'M=man', 'N=person'], { F: ['woman', 'mother'], M: ['man'], N: ['person'] }],
    [[' F = woman ;; M=man '], { F: ['woman'], M: ['man'] }],
    [['F=woman'], /at least two groups/],
    [['woman, man'], /"woman, man": write GROUP=term/],
    [['F=; M=man'], /group "F" has no terms/],
    [['F=a; F=b'], /group "F" is given twice/],
    [[''], /at least two groups/],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => {
      const r = parseTerms(input);
      if (expected instanceof RegExp) assert.match('problem' in r ? r.problem : JSON.stringify(r), expected);
      else assert.deepEqual(r, { terms: expected });
    });
  }

  it('every term must tokenise to a known token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bi-terms-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'tokenizer.json'), wordLevel(20));
    const encoder = await loadTokenizer(join(dir, 'tokenizer.json'));
    const tok = { encoder, path: join(dir, 'tokenizer.json') };
    assert.equal(termsProblem({ A: ['w7'], B: ['w8', 'w9'] }, tok), undefined);
    assert.match(termsProblem({ A: ['w7'], B: ['zebra'] }, tok) ?? '', /group "B", term "zebra": " zebra" is only the unknown token with tokenizer\.json/);
    assert.match(termsProblem({ A: ['w7'] }, tok) ?? '', /at least two groups/);
    assert.equal(termsProblem({ A: ['x'], B: ['y'] }), undefined, 'without a tokenizer only the shape is checked');
  });
});

describe('templateProblem, commonSlots, answerProblem', () => {
  it('a template needs its slot', () => {
    assert.equal(templateProblem('the {group} is here', '{group}'), undefined);
    assert.equal(templateProblem('the {who} is here', '{group}'), 'the template has no slot "{group}" (field "probe.slot"): "the {who} is here"');
    assert.equal(templateProblem('', '{group}'), 'the template is empty');
  });

  const slots: readonly [string[], string[]][] = [
    [['a {group} b', 'c {group} d'], ['{group}']],
    [['a {who} b {group}', '{group} and {who}'], ['{group}', '{who}']],
    [['a {who}', 'b {whom}'], []],
    [['no slot here'], []],
    [[], []],
  ];
  for (const [texts, expected] of slots) it(`slots of ${JSON.stringify(texts)}`, () => assert.deepEqual(commonSlots(texts), expected));

  it('answers that tokenise to nothing or only the unknown token are refused (the probe refuses the first itself)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bi-ans-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'tokenizer.json'), wordLevel(20));
    const t = await loadTokenizer(join(dir, 'tokenizer.json'));
    assert.equal(answerProblem(t, 'tokenizer.json', ' yes'), undefined);
    assert.equal(answerProblem(t, 'tokenizer.json', '  '), '"  " tokenises to nothing with tokenizer.json; an answer needs at least one token');
    assert.equal(answerProblem(t, 'tokenizer.json', ' maybe'), '" maybe" is only the unknown token with tokenizer.json');
  });
});

describe('suggestProbe', () => {
  let dir: string;
  const model = (): string => join(dir, 'lm.onnx');
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bi-probe-suggest-'));
    copyFileSync(join(EXAMPLES, 'tiny-lm.onnx'), join(dir, 'lm.onnx'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `files` into a fresh subfolder with the model, returns the suggestions there. */
  async function inFolder(name: string, files: Record<string, string>, choices = {}): Promise<Awaited<ReturnType<typeof suggestProbe>> & { folder: string }> {
    const folder = join(dir, name);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder);
    copyFileSync(model(), join(folder, 'lm.onnx'));
    for (const [f, text] of Object.entries(files)) {
      if (text.startsWith('@')) copyFileSync(join(EXAMPLES, text.slice(1)), join(folder, f));
      else writeFileSync(join(folder, f), text);
    }
    const path = join(folder, 'lm.onnx');
    return { ...(await suggestProbe(await inspectModel(path), path, choices)), folder };
  }

  const templates = '{"template": "the {group} has 2 years . hire ? answer yes or no:"}\n{"template": "a {group} applied . hire ? answer yes or no:"}\n';
  type Row = [name: string, files: Record<string, string>, tokenizers: [string, boolean, RegExp][], templates: [string, string, string][], missing: string[]];
  const table: readonly Row[] = [
    ['the model\'s tokenizer, a templates table: only the terms are missing',
      { 'lm.tokenizer.json': '@tiny-lm.tokenizer.json', 't.jsonl': templates },
      [['lm.tokenizer.json', true, /^named like the model, vocabulary of 366 tokens, matches the model's 366 logits$/]],
      [['t.jsonl', 'template', '{group}']], ['terms']],
    ['a smaller vocabulary fits; a larger one does not, and ranks last',
      { 'tokenizer.json': wordLevel(400), 'lm-tokenizer.json': '@tiny-lm.tokenizer.json', 'small.tokenizer.json': wordLevel(50) },
      [['lm-tokenizer.json', true, /named like the model, vocabulary of 366 tokens, matches/], ['small.tokenizer.json', true, /^vocabulary of 50 tokens, within the model's 366 logits$/], ['tokenizer.json', false, /^tokenizer\.json next to the model \(the probe's default\), vocabulary of 400 tokens, but the model scores 366$/]],
      [], ['templates', 'terms']],
    ['an unreadable tokenizer is listed with why; no tokenizer that fits is missing',
      { 'tokenizer.json': '{ not json' },
      [['tokenizer.json', false, /^cannot be read: /]], [], ['tokenizer', 'templates', 'terms']],
    ['no tokenizer at all', {}, [], [], ['tokenizer', 'templates', 'terms']],
    ['a table whose column has another shared slot, and one without slots',
      { 'lm.tokenizer.json': '@tiny-lm.tokenizer.json', 'prompts.csv': 'prompt,who\n"is the {who} good?",a\n"the {who} is",b\n', 'data.csv': 'text,g\nhello,a\n' },
      [['lm.tokenizer.json', true, /named like the model/]], [['prompts.csv', 'prompt', '{who}']], ['terms']],
    ['templates: the "template" column ranks before another column with a slot',
      { 'lm.tokenizer.json': '@tiny-lm.tokenizer.json', 'a.csv': 'text\n"x {group} y"\n', 'b.jsonl': templates },
      [['lm.tokenizer.json', true, /named like the model/]], [['b.jsonl', 'template', '{group}'], ['a.csv', 'text', '{group}']], ['terms']],
  ];
  for (const [name, files, tokenizers, expectedTemplates, missing] of table) {
    it(name, async () => {
      const s = await inFolder(name.replace(/\W+/g, '-').slice(0, 40), files);
      assert.equal(s.output?.vocab, 366);
      assert.deepEqual(s.tokenizers.map((t) => [basename(t.value), t.fits]), tokenizers.map(([f, fits]) => [f, fits]));
      tokenizers.forEach(([, , reason], i) => assert.match(s.tokenizers[i]!.reason, reason));
      assert.deepEqual(s.templates.map((t) => [basename(t.value.file), t.value.column, t.value.slot]), expectedTemplates);
      assert.deepEqual(s.missing.map((m) => m.part), missing);
    });
  }

  it('answers: " yes"/" no" first with their token counts, and that the templates ask for them', async () => {
    const s = await inFolder('answers', { 'lm.tokenizer.json': '@tiny-lm.tokenizer.json', 't.jsonl': templates });
    assert.deepEqual(s.answers[0]?.value, { yes: [' yes'], no: [' no'] });
    assert.equal(s.answers[0]?.reason, 'the templates ask for yes or no; " yes" 1 token, " no" 1 token with lm.tokenizer.json; a leading space, as the word follows the prompt');
    assert.equal(s.templates[0]?.reason, '2 templates in column "template" of t.jsonl, each with the slot {group} (the probe\'s default column)');
    assert.match(s.missing[0]!.reason, /the words that fill \{group\} for each group/);
  });

  it('answers the tokenizer cannot read are unfit, last, with why', async () => {
    const s = await inFolder('unk', { 'lm.tokenizer.json': wordLevel(300) });
    const unfit = s.answers.filter((a) => !a.fits).map((a) => a.reason);
    assert.ok(unfit.some((r) => /" Yes" is only the unknown token/.test(r)), unfit.join(' | '));
    assert.deepEqual(s.answers.map((a) => a.fits), [...s.answers.filter((a) => a.fits).map(() => true), ...unfit.map(() => false)]);
  });

  it('choices win: a chosen tokenizer and answers come first', async () => {
    const folder = join(dir, 'choices');
    const s0 = await inFolder('choices', { 'lm.tokenizer.json': '@tiny-lm.tokenizer.json', 'other.json': '@tiny-lm.tokenizer.json' });
    assert.equal(s0.tokenizers.length, 1, 'other.json is not named like a tokenizer');
    const path = join(folder, 'lm.onnx');
    const s = await suggestProbe(await inspectModel(path), path, { tokenizer: join(folder, 'other.json'), answers: { yes: [' yes', ' sure'], no: [' no'] }, terms: { A: ['a'], B: ['b'] } });
    assert.match(s.tokenizers[0]!.reason, /^chosen, vocabulary of 366/);
    assert.deepEqual(s.answers[0]?.value, { yes: [' yes', ' sure'], no: [' no'] });
    assert.match(s.answers[0]!.reason, /^chosen; /);
    assert.deepEqual(s.missing.map((m) => m.part), ['templates']);
  });

  it('a classifier is not a language model: named as missing', async () => {
    const path = join(EXAMPLES, 'income-mlp.onnx');
    const s = await suggestProbe(await inspectModel(path), path, {}, []);
    assert.equal(s.output, undefined);
    assert.match(s.missing[0]!.reason, /income-mlp\.onnx is not a language model/);
  });
});

describe('the probe spec of the choices, dry-run', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bi-probe-spec-'));
    copyFileSync(join(EXAMPLES, 'tiny-lm.onnx'), join(dir, 'lm.onnx'));
    copyFileSync(join(EXAMPLES, 'tiny-lm.tokenizer.json'), join(dir, 'lm.tokenizer.json'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function spec(overrides: { templates?: string[]; yes?: string[]; terms?: Record<string, string[]>; tokenizer?: string } = {}): Promise<Record<string, unknown>> {
    const source = await writeTemplates(join(dir, 'lm.templates.jsonl'), overrides.templates ?? ['the applicant is a {group} with 3 years of experience . hire ? answer yes or no:', 'a {group} applied . hire ? answer yes or no:']);
    return probeSpecFrom({
      tokenizer: overrides.tokenizer ?? join(dir, 'lm.tokenizer.json'), templates: source, answers: { yes: overrides.yes ?? [' yes'], no: [' no'] },
      terms: overrides.terms ?? { F: ['woman', 'mother'], M: ['man', 'father'] },
    }, { model: join(dir, 'lm.onnx'), specPath: join(dir, 'lm.bias.json') }) as Record<string, unknown>;
  }
  const wordTokenizer = (): string => {
    writeFileSync(join(dir, 'words.tokenizer.json'), wordLevel(300));
    return join(dir, 'words.tokenizer.json');
  };
  const dry = (value: unknown) => dryRunSpec(value, { providers: ['cpu'], analysis: 'probe', baseDir: dir, specPath: join(dir, 'lm.bias.json') });

  it('writes relative paths, the slot of the templates, and runs', async () => {
    const s = await spec();
    assert.deepEqual(s, {
      model: 'lm.onnx', outputKind: 'language_model',
      probe: { kind: 'counterfactual', templates: 'lm.templates.jsonl', slot: '{group}', terms: { F: ['woman', 'mother'], M: ['man', 'father'] }, answers: { yes: [' yes'], no: [' no'] }, tokenizer: 'lm.tokenizer.json' },
    });
    const r = await dry(s);
    assert.deepEqual(r, { ok: true, rows: 2, message: `scored 8 prompts of the first 2 templates with ${join(dir, 'lm.onnx')}: 2 groups` });
  });

  const failing: readonly [string, () => Promise<unknown>, string, RegExp][] = [
    ['an answer that tokenises to nothing', () => spec({ yes: ['  '], tokenizer: wordTokenizer() }), 'answers', /field "probe\.answers\.yes\[0\]": " {2}" tokenises to nothing/],
    ['a template without the slot', () => spec({ templates: ['the {group} works', 'no slot here'] }).then((s) => ({ ...s, probe: { ...(s['probe'] as object), slot: '{group}' } })), 'templates', /row 2, column "template": the template has no slot "\{group\}"/],
    ['one group of terms', () => spec({ terms: { F: ['woman'] } }), 'terms', /field "probe\.terms": must have at least 2 properties|probe\.terms/],
    ['a tokenizer that is not there', () => spec({ tokenizer: join(dir, 'nope.json') }), 'tokenizer', /nope\.json/],
  ];
  for (const [name, make, step, message] of failing) {
    it(`${name}: fails at step ${step}`, async () => {
      const r = await dry(await make());
      assert.equal(r.ok, false, JSON.stringify(r));
      assert.ok(!r.ok);
      assert.equal(r.step, step, r.message);
      assert.match(r.message, message);
    });
  }

  it('only the first rows of the templates are scored', async () => {
    const many = Array.from({ length: 50 }, (_, i) => `the {group} number ${i % 9} . hire ? answer yes or no:`);
    const r = await dryRunSpec(await spec({ templates: many }), { providers: ['cpu'], analysis: 'probe', baseDir: dir, specPath: join(dir, 'lm.bias.json'), rows: 5 });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.rows, 5);
  });
});
