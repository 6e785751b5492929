/** `bias-inspector init` through the built CLI bundle on a model and CSV generated here (issue #16). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tabularModel } from '../analyze/tabularModel';
import { csvOf, gen, issueColumns } from '../data/synthetic';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');

describe('CLI init', { skip: !existsSync(cli) && 'dist/cli.js missing: run npm run build' }, () => {
  let dir: string;
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bi-init-'));
    writeFileSync(join(dir, 'm.onnx'), tabularModel({ scale: [0.01, 1e-5, 0.01, 0.01, 1e-4] }));
    writeFileSync(join(dir, 'd.csv'), csvOf(issueColumns(), 400, 21));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the suggested spec with its reasons, and groups --spec runs it', () => {
    const r = run('init', '--model', 'm.onnx', '--data', 'd.csv', '--ep', 'cpu');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^task\s+binary\s+the output \[N, 2\] fits; label "label": 2 values, matches the \[N, 2\] output$/m);
    assert.match(r.stdout, /^label\s+label\s+named like a label, 2 values, matches the \[N, 2\] output$/m);
    assert.match(r.stdout, /^input x\s+age, income, hours, tenure, debt\s+5 numeric columns in file order, matches the 5-wide input; left out: id \(row id\), label \(label\)$/m);
    assert.match(r.stdout, /^row ids\s+id\s+never used as features$/m);
    assert.match(r.stdout, /^checked: ran 32 rows through .*m\.onnx: \d+ groups of sex × race × region in them$/m);
    const spec = JSON.parse(readFileSync(join(dir, 'm.bias.json'), 'utf8')) as unknown;
    assert.deepEqual(spec, {
      model: 'm.onnx', data: 'd.csv', inputs: { x: { columns: ['age', 'income', 'hours', 'tenure', 'debt'] } },
      output: 'logits', outputKind: 'logits', task: 'binary', label: 'label', groups: ['sex', 'race', 'region'], loss: 'cross_entropy',
    });
    const g = run('groups', '--spec', 'm.bias.json', '--ep', 'cpu', '--json', '-');
    assert.equal(g.code, 0, g.stderr);
    const report = JSON.parse(g.stdout) as { data: { rows: number }; groups: { sensitive: string[]; overall: { count: number } } };
    assert.equal(report.data.rows, 400);
    assert.deepEqual(report.groups.sensitive, ['sex', 'race', 'region']);
    assert.equal(report.groups.overall.count, 400);
  });

  it('never replaces a spec without --force', () => {
    writeFileSync(join(dir, 'keep.bias.json'), '{}');
    const r = run('init', '--model', 'm.onnx', '--data', 'd.csv', '--out', 'keep.bias.json');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /keep\.bias\.json: already exists; pass --force/);
    assert.equal(readFileSync(join(dir, 'keep.bias.json'), 'utf8'), '{}');
    const forced = run('init', '--model', 'm.onnx', '--data', 'd.csv', '--out', 'keep.bias.json', '--force', '--ep', 'cpu');
    assert.equal(forced.code, 0, forced.stderr);
  });

  it('flags override the suggestions', () => {
    const r = run('init', '--model', 'm.onnx', '--data', 'd.csv', '--group', 'race', '--out', 'race.bias.json', '--ep', 'cpu');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^group\s+race\s+from the flag$/m);
    assert.match(r.stdout, /^group\s+sex\s+offered, not used: named like a sensitive attribute, 2 values \(F, M\)$/m);
    const spec = JSON.parse(readFileSync(join(dir, 'race.bias.json'), 'utf8')) as { groups: string[] };
    assert.deepEqual(spec.groups, ['race']);
  });

  it('more numeric columns than the input width: exit 2 naming the --input to give; with it the spec is written', () => {
    const columns = [...issueColumns()];
    columns.splice(3, 0, ['score', gen.real(0, 1, 4)]);
    writeFileSync(join(dir, 'wide.csv'), csvOf(columns, 100, 3));
    const r = run('init', '--model', 'm.onnx', '--data', 'wide.csv', '--out', 'wide.bias.json');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /x \(float32 \[N, 5\]\): 6 numeric columns fit \(age, income, score, hours, tenure, debt\); choose 5 with --input x=age,income,score,hours,tenure/);
    assert.equal(existsSync(join(dir, 'wide.bias.json')), false);
    const ok = run('init', '--model', 'm.onnx', '--data', 'wide.csv', '--out', 'wide.bias.json', '--input', 'x=age,income,hours,tenure,debt', '--ep', 'cpu');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^input x\s+age, income, hours, tenure, debt\s+from --input$/m);
  });

  it('no label fits: exit 2 with the reason, nothing written', () => {
    writeFileSync(join(dir, 'nolabel.csv'), csvOf(issueColumns().filter(([n]) => n !== 'label'), 50, 4));
    const r = run('init', '--model', 'm.onnx', '--data', 'nolabel.csv', '--out', 'nolabel.bias.json');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /init: no runnable spec can be inferred from .*m\.onnx and .*nolabel\.csv:\n {2}no column fits as the label: /);
    assert.equal(existsSync(join(dir, 'nolabel.bias.json')), false);
  });

  it('a spec that does not run (a word label for a binary output): exit 2 with the step, nothing written', () => {
    const r = run('init', '--model', 'm.onnx', '--data', 'd.csv', '--label', 'race', '--group', 'sex', '--out', 'bad.bias.json', '--ep', 'cpu');
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /init: the suggested spec does not run \(step "label"\): .*binary label "[ABCD]" is not 0\/1.*\nnothing was written; fix it with --label \(or --task\)/);
    assert.equal(existsSync(join(dir, 'bad.bias.json')), false);
  });

  it('bad flags exit 2', () => {
    assert.match(run('init', '--model', 'm.onnx').stderr, /init: give --model m\.onnx and --data d\.csv/);
    assert.match(run('init', '--model', 'm.onnx', '--data', 'd.csv', '--task', 'ranking').stderr, /--task ranking: expected one of binary, multiclass, regression/);
    assert.equal(run('init', '--model', 'm.onnx', '--data', 'd.csv', '--rows', '0').code, 2);
  });

  it('--analysis slices writes the candidate columns (groups and metadata the model does not read), and slices --spec runs it', () => {
    const r = run('init', '--model', 'm.onnx', '--data', 'd.csv', '--analysis', 'slices', '--out', 'slices.bias.json', '--ep', 'cpu');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^slice column\s+sex\s+group column, 2 values in the first 400 rows$/m);
    assert.match(r.stdout, /^slice column\s+id\s+not suggested: row id \(400 values in the first 400 rows\): one row per value$/m);
    assert.match(r.stdout, /^slice column\s+age\s+not suggested: a feature of model input "x"; pick it to slice by its values too$/m);
    assert.match(r.stdout, /^checked: ran 32 rows through .*m\.onnx: 3 candidate columns searched$/m);
    const spec = JSON.parse(readFileSync(join(dir, 'slices.bias.json'), 'utf8')) as { slices?: { columns: string[] } };
    assert.deepEqual(spec.slices, { columns: ['sex', 'race', 'region'] });
    const s = run('slices', '--spec', 'slices.bias.json', '--ep', 'cpu', '--json', '-');
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual((JSON.parse(s.stdout) as { slices: { columns: { name: string }[] } }).slices.columns.map((c) => c.name), ['sex', 'race', 'region']);
    const named = run('init', '--model', 'm.onnx', '--data', 'd.csv', '--analysis', 'slices', '--slice-columns', 'region,age', '--out', 'named.bias.json', '--ep', 'cpu');
    assert.equal(named.code, 0, named.stderr);
    assert.deepEqual((JSON.parse(readFileSync(join(dir, 'named.bias.json'), 'utf8')) as { slices?: unknown }).slices, { columns: ['region', 'age'] });
    const bad = run('init', '--model', 'm.onnx', '--data', 'd.csv', '--analysis', 'slices', '--slice-columns', 'nope', '--out', 'nope.bias.json');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--slice-columns: nope is not a column of .*d\.csv/);
  });
});

describe('CLI init --analysis probe on the demo language model', { skip: !existsSync(cli) && 'dist/cli.js missing: run npm run build' }, () => {
  let dir: string;
  const examples = join(root, 'examples');
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bi-init-lm-'));
    for (const f of ['tiny-lm.onnx', 'tiny-lm.tokenizer.json', 'lm-templates.jsonl']) copyFileSync(join(examples, f), join(dir, f));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('with nothing given: suggests the tokenizer, templates and answers with why, and exits 2 naming the terms', () => {
    const r = run('init', '--model', 'tiny-lm.onnx');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /^model\s+language model\s+output "logits" \[batch, sequence, 366\] scores a vocabulary at every position$/m);
    assert.match(r.stdout, /^tokenizer\s+tiny-lm\.tokenizer\.json\s+named like the model, vocabulary of 366 tokens, matches the model's 366 logits$/m);
    assert.match(r.stdout, /^templates\s+lm-templates\.jsonl "template"\s+30 templates in column "template" of lm-templates\.jsonl, each with the slot \{group\}/m);
    assert.match(r.stdout, /^answers\s+yes " yes" \/ no " no"\s+the templates ask for yes or no; " yes" 1 token, " no" 1 token with tiny-lm\.tokenizer\.json/m);
    assert.match(r.stderr, /init: no runnable probe spec yet for .*tiny-lm\.onnx:\n {2}terms: the words that fill \{group\} for each group .*; give --term F=woman,mother --term M=man,father/);
    assert.equal(existsSync(join(dir, 'tiny-lm.bias.json')), false);
  });

  it('with the terms: writes a counterfactual probe spec that probe --spec runs', () => {
    const r = run('init', '--model', 'tiny-lm.onnx', '--term', 'F=woman,mother', '--term', 'M=man,father', '--ep', 'cpu');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^checked: scored 120 prompts of the first 30 templates with .*tiny-lm\.onnx: 2 groups$/m);
    const spec = JSON.parse(readFileSync(join(dir, 'tiny-lm.bias.json'), 'utf8')) as unknown;
    assert.deepEqual(spec, {
      model: 'tiny-lm.onnx', outputKind: 'language_model',
      probe: { tokenizer: 'tiny-lm.tokenizer.json', kind: 'counterfactual', templates: 'lm-templates.jsonl', slot: '{group}', terms: { F: ['woman', 'mother'], M: ['man', 'father'] }, answers: { yes: [' yes'], no: [' no'] } },
    });
    const p = run('probe', '--spec', 'tiny-lm.bias.json', '--ep', 'cpu', '--json', '-');
    assert.equal(p.code, 0, p.stderr);
    const report = JSON.parse(p.stdout) as { probe: { kind: string; prompts: number; byGroup: { group: { group: string } }[] } };
    assert.equal(report.probe.kind, 'counterfactual');
    assert.equal(report.probe.prompts, 120);
    assert.deepEqual(report.probe.byGroup.map((g) => g.group.group), ['F', 'M']);
  });

  it('--prompt writes the templates next to the spec; a prompt without its slot, bad terms and half the answers exit 2', () => {
    const r = run('init', '--model', 'tiny-lm.onnx', '--prompt', 'the {who} applied . hire ? answer yes or no:', '--term', 'A=woman;B=man', '--yes', ' yes', '--no', ' no', '--out', 'typed.bias.json', '--ep', 'cpu');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'typed.templates.jsonl'), 'utf8'), '{"template":"the {who} applied . hire ? answer yes or no:"}\n');
    const spec = JSON.parse(readFileSync(join(dir, 'typed.bias.json'), 'utf8')) as { probe: { templates: string; slot: string } };
    assert.equal(spec.probe.templates, 'typed.templates.jsonl');
    assert.equal(spec.probe.slot, '{who}');
    const noSlot = run('init', '--model', 'tiny-lm.onnx', '--prompt', 'a person applied', '--slot', '{group}', '--term', 'A=x;B=y', '--out', 'x.bias.json');
    assert.equal(noSlot.code, 2);
    assert.match(noSlot.stderr, /--prompt: the template has no slot "\{group\}"/);
    const oneGroup = run('init', '--model', 'tiny-lm.onnx', '--term', 'A=x', '--out', 'x.bias.json');
    assert.equal(oneGroup.code, 2);
    assert.match(oneGroup.stderr, /--term: give at least two groups/);
    assert.match(run('init', '--model', 'tiny-lm.onnx', '--yes', ' yes', '--out', 'x.bias.json').stderr, /give both --yes and --no/);
    assert.equal(existsSync(join(dir, 'x.bias.json')), false);
  });

  it('a language model with --data and no --analysis: the groups spec is refused, naming --analysis probe', () => {
    writeFileSync(join(dir, 'p.csv'), 'text,group\nhello,F\n');
    const r = run('init', '--model', 'tiny-lm.onnx', '--data', 'p.csv', '--out', 'g.bias.json');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /a groups analysis needs a classifier or regressor; use --analysis probe/);
  });
});
