/**
 * The CLI contract of DESIGN.md §5 through the built bundle (npm test builds dist/ first): exit
 * codes, stdout carrying only JSON with `--json -`, the flags §5 names, output files checked
 * before the run (never an input), and flag-built specs whose errors name the flag.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BadInputError } from '../../../extension/core/errors';
import { asFlagError, flagOfField } from '../../../extension/cli/flagErrors';
import { checkOutputs } from '../../../extension/cli/output';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');
const examples = join(root, 'examples');
const predictions = join(examples, 'income-predictions.csv');
const mlp = join(root, 'test/fixtures/onnx/mlp.onnx');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The option names a command's --help lists. */
function helpFlags(command: string): string[] {
  const r = run(command, '--help');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  return [...r.stdout.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1] ?? '');
}

describe('checkOutputs', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'bi-out-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const codeAndMessage = (fn: () => void): { code: string; message: string } => {
    try {
      fn();
    } catch (error) {
      assert.ok(error instanceof BadInputError, String(error));
      return { code: error.code, message: error.message };
    }
    return { code: 'none', message: '' };
  };

  it('accepts stdout, absent flags and a new file in an existing folder', () => {
    assert.deepEqual(codeAndMessage(() => checkOutputs({ '--json': '-', '--html': undefined, '--csv': join(dir, 'new.csv') }, [mlp])), { code: 'none', message: '' });
    assert.deepEqual(codeAndMessage(() => checkOutputs({ '--json': true }, [mlp])), { code: 'none', message: '' });
  });

  it('refuses an output that is an input, also through another spelling of the path', () => {
    const model = join(dir, 'm.onnx');
    writeFileSync(model, 'x');
    const r = codeAndMessage(() => checkOutputs({ '--json': join(dir, 'sub', '..', 'm.onnx') }, [model]));
    assert.equal(r.code, 'cli.bad-output');
    assert.equal(r.message, `--json ${join(dir, 'sub', '..', 'm.onnx')}: that is an input of this run (${model}); reports never overwrite models, data or specs`);
  });

  it('refuses a folder, a missing folder and two flags naming one file', () => {
    assert.equal(codeAndMessage(() => checkOutputs({ '--html': dir }, [])).message, `--html ${dir}: is a folder; name a file`);
    const missing = join(dir, 'no', 'r.html');
    assert.equal(codeAndMessage(() => checkOutputs({ '--html': missing }, [])).message, `--html ${missing}: the folder ${join(dir, 'no')} does not exist`);
    const same = join(dir, 'r.json');
    assert.equal(codeAndMessage(() => checkOutputs({ '--json': same, '--html': same }, [])).message, `--html ${same}: --json writes the same file`);
  });
});

describe('flag errors', () => {
  it('maps spec fields to the flags that set them', () => {
    assert.deepEqual(
      ['label', 'task', 'groups[0]', 'inputs.features', 'predictions.score', 'predictions.pred', 'predictions', 'outputKind', 'attention.spans.identity', 'attention.tokens', 'weight'].map(flagOfField),
      ['--label', '--task', '--group', '--input features=…', '--score', '--pred', '--predictions', '--output-kind', '--span identity=…', '--tokens', 'field "weight"'],
    );
  });

  it('rewrites "spec: field" and "(field … of the spec)" and keeps code and file', () => {
    const a = asFlagError(new BadInputError('bad-spec', 'spec: field "task": must be one of binary\nspec: field "label": required'));
    assert.ok(a instanceof BadInputError);
    assert.equal(a.message, '--task: must be one of binary\n--label: required');
    assert.equal(a.code, 'bad-spec');
    const b = asFlagError(new BadInputError('missing-column', 'd.csv: no column "x" (field "groups[1]" of the spec)', { file: 'd.csv' }));
    assert.ok(b instanceof BadInputError);
    assert.equal(b.message, 'd.csv: no column "x" (--group)');
    assert.equal(b.file, 'd.csv');
    const c = asFlagError(new BadInputError('spec.predictions', ': field "predictions": no prediction column'));
    assert.equal((c as Error).message, '--predictions: no prediction column');
    const other = new Error('spec: field "x": y');
    assert.equal(asFlagError(other), other);
  });
});

describe('CLI contract (DESIGN.md §5)', { skip: !existsSync(cli) && 'dist/cli.js missing: run npm run build' }, () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'bi-contract-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help of every command exits 0 and lists the flags §5 names', () => {
    assert.equal(run('--help').code, 0);
    const groups = helpFlags('groups');
    for (const flag of ['--spec', '--model', '--data', '--label', '--group', '--predictions', '--score', '--pred', '--ep', '--bootstrap', '--seed', '--json', '--html']) assert.ok(groups.includes(flag), `groups ${flag}`);
    const attention = helpFlags('attention');
    for (const flag of ['--spec', '--model', '--data', '--samples', '--ep', '--json', '--html']) assert.ok(attention.includes(flag), `attention ${flag}`);
    const quant = helpFlags('quant');
    for (const flag of ['--formats', '--spec', '--ep', '--json', '--html']) assert.ok(quant.includes(flag), `quant ${flag}`);
    assert.ok(helpFlags('inspect').includes('--json'));
    assert.ok(helpFlags('demo').includes('--ep'));
    assert.ok(helpFlags('forward').includes('--ep'));
  });

  it('groups --predictions --json - writes only the JSON report to stdout', () => {
    const r = run('groups', '--predictions', predictions, '--score', 'score', '--label', 'label', '--group', 'sex', '--json', '-');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { schema: string; kind: string; data: { rows: number } };
    assert.equal(report.schema, 'bias-inspector.report/1');
    assert.equal(report.kind, 'groups');
    assert.ok(report.data.rows > 0);
  });

  it('groups flags: errors name the flag, not a spec the user never wrote (exit 2)', () => {
    const noScore = run('groups', '--predictions', predictions, '--label', 'label', '--group', 'sex');
    assert.equal(noScore.code, 2);
    assert.equal(noScore.stderr, `bias-inspector: --predictions ${predictions}: name its columns with --score <column> (P(positive) or the predicted value) and/or --pred <column> (the predicted class)\n`);
    const noLabel = run('groups', '--predictions', predictions, '--score', 'score', '--group', 'sex');
    assert.equal(noLabel.code, 2);
    assert.equal(noLabel.stderr, 'bias-inspector: --label: a groups analysis needs the label column\n');
    const badTask = run('groups', '--predictions', predictions, '--score', 'score', '--label', 'label', '--group', 'sex', '--task', 'ranking');
    assert.equal(badTask.code, 2);
    assert.equal(badTask.stderr, 'bias-inspector: --task: must be one of binary, multiclass, regression (got "ranking")\n');
    const badGroup = run('groups', '--predictions', predictions, '--score', 'score', '--label', 'label', '--group', 'zip');
    assert.equal(badGroup.code, 2);
    assert.match(badGroup.stderr, /income-predictions\.csv: no column "zip" \(--group\); available columns: id, label, sex, race, region, device, score, pred\n$/);
  });

  it('groups --model without --input lists the model inputs (exit 2, before any run)', () => {
    const r = run('groups', '--model', mlp, '--data', predictions, '--label', 'label', '--group', 'sex');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^bias-inspector: --model .*mlp\.onnx: map its inputs to data columns with --input, e.g\. --input x=col1,col2 \(model inputs: x \(float32 \[batch, \d+\]\)\)\n$/);
  });

  it('an output that would overwrite an input is refused (exit 2) and the input is untouched', () => {
    const model = join(dir, 'copy.onnx');
    copyFileSync(mlp, model);
    const before = readFileSync(model);
    const r = run('inspect', model, '--json', model);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--json .*copy\.onnx: that is an input of this run/);
    assert.deepEqual(readFileSync(model), before);
    const csv = join(dir, 'p.csv');
    copyFileSync(predictions, csv);
    const g = run('groups', '--predictions', csv, '--score', 'score', '--label', 'label', '--group', 'sex', '--html', csv);
    assert.equal(g.code, 2);
    assert.match(g.stderr, /--html .*p\.csv: that is an input of this run/);
    assert.deepEqual(readFileSync(csv), readFileSync(predictions));
  });

  it('an unwritable output is bad input found before the run, not a stack trace after it', () => {
    const target = join(dir, 'missing-folder', 'r.html');
    const r = run('groups', '--spec', join(examples, 'income-mlp.bias.json'), '--html', target);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `bias-inspector: --html ${target}: the folder ${join(dir, 'missing-folder')} does not exist\n`);
    const q = run('quant', mlp, '--json', dir);
    assert.equal(q.code, 2);
    assert.equal(q.stderr, `bias-inspector: --json ${dir}: is a folder; name a file\n`);
  });

  it('inspect --json <model> (the model read as the JSON file) exits 2 with a hint; --json - before the model works', () => {
    const r = run('inspect', '--json', mlp);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `error: missing required argument 'model'\nhint: --json takes an optional file name, so "${mlp}" was read as the JSON file; put --json after the arguments, or write --json - for stdout\n`);
    const ok = run('inspect', '--json', '-', mlp);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { kind: string }).kind, 'inspect');
  });

  it('forward and demo: malformed numbers and an --out that is a file exit 2', () => {
    const f = run('forward', mlp, '--batch', 'abc', '--ep', 'cpu');
    assert.equal(f.code, 2);
    assert.equal(f.stderr, 'bias-inspector: --batch abc: expected an integer ≥ 1\n');
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, '');
    mkdirSync(join(dir, 'ex'), { recursive: true });
    copyFileSync(mlp, join(dir, 'ex', 'mlp.onnx'));
    const d = run('demo', '--examples', join(dir, 'ex'), '--out', file);
    assert.equal(d.code, 2);
    assert.equal(d.stderr, `bias-inspector: --out ${file}: is a file; name a folder for the reports\n`);
  });
});
