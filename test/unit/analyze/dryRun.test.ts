/** The dry run of a spec on a generated model and CSV (issue #16): ok, or the step that fails. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dryRunSpec, type DryRunStep } from '../../../extension/core/analyze/dryRun';
import { CancelledError } from '../../../extension/core/errors';
import { csvOf, issueColumns } from '../data/synthetic';
import { tabularModel } from './tabularModel';

const good = {
  model: 'm.onnx', data: 'd.csv', inputs: { x: { columns: ['age', 'income', 'hours', 'tenure', 'debt'] } },
  output: 'logits', outputKind: 'logits', task: 'binary', label: 'label', groups: ['sex', 'race', 'region'], loss: 'cross_entropy',
};

describe('dryRunSpec', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bi-dry-'));
    writeFileSync(join(dir, 'm.onnx'), tabularModel({ scale: [0.01, 1e-5, 0.01, 0.01, 1e-4] }));
    writeFileSync(join(dir, 'd.csv'), csvOf(issueColumns(), 200, 5));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (value: unknown, rows?: number) => dryRunSpec(value, { providers: ['cpu'], baseDir: dir, specPath: join(dir, 'm.bias.json'), ...(rows ? { rows } : {}) });

  it('runs the first rows of a good spec through the model', async () => {
    const r = await run(good);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.ok(r.ok);
    assert.equal(r.rows, 32);
    assert.match(r.message, /^ran 32 rows through .*m\.onnx: \d+ groups of sex × race × region in them$/);
    const ten = await run(good, 10);
    assert.ok(ten.ok);
    assert.equal(ten.rows, 10);
  });

  const cases: readonly [string, Record<string, unknown>, DryRunStep, RegExp][] = [
    ['a misspelt task', { ...good, task: 'binay' }, 'spec', /field "task": must be one of binary, multiclass, regression \(got "binay"\)/],
    ['a data file that is not there', { ...good, data: 'nope.csv' }, 'data', /field "data": file not found: .*nope\.csv/],
    ['a model file that is not there', { ...good, model: 'nope.onnx' }, 'model', /field "model": file not found/],
    ['a column the data lacks', { ...good, inputs: { x: { columns: ['age', 'income', 'hours', 'tenure', 'debts'] } } }, 'columns', /no column "debts" \(field "inputs\.x\.columns\[4\]"/],
    ['six columns for a five-wide input', { ...good, inputs: { x: { columns: ['id', 'age', 'income', 'hours', 'tenure', 'debt'] } } }, 'inputs', /model input "x" is float32 \[N, 5\]; 6 columns make \[N, 6\]/],
    ['an input the model does not have', { ...good, inputs: { features: { columns: ['age'] } } }, 'inputs', /the model has no input "features"/],
    ['an output the model does not have', { ...good, output: 'probs' }, 'output', /no output "probs"/],
    ['a label of words for a binary task', { ...good, label: 'race', groups: ['sex'] }, 'label', /binary label "[ABCD]" is not 0\/1/],
    ['no group column', { ...good, groups: [] }, 'groups', /field "groups": name at least one sensitive column/],
    ['a regression task over a two-class output', { ...good, task: 'regression', outputKind: 'regression', loss: 'mse' }, 'output', /output "logits"/],
  ];
  for (const [name, spec, step, message] of cases) {
    it(`fails at step ${step}: ${name}`, async () => {
      const r = await run(spec);
      assert.equal(r.ok, false, JSON.stringify(r));
      assert.ok(!r.ok);
      assert.equal(r.step, step, r.message);
      assert.match(r.message, message);
    });
  }

  it('a fired signal cancels instead of reporting a step', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(dryRunSpec(good, { providers: ['cpu'], baseDir: dir, signal: controller.signal }), CancelledError);
  });
});
