/** `bias-inspector init` through the built CLI bundle on a model and CSV generated here (issue #16). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
});
