/**
 * Bad input of a comparison (issue 12 item 6): each case is a BadInputError (CLI exit 2) whose
 * message names the file(s) and the cause. (The CLI test test/unit/cli/compare.test.ts runs other
 * inputs, other data, an unknown figure of `check` and prediction files of different lengths.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCompare } from '../../../extension/core/analyze/compare';
import { loadSpec, resolveSpec } from '../../../extension/core/data';
import { BadInputError } from '../../../extension/core/errors';
import { budgetFigures } from '../../../extension/protocol/budgets';
import { tabularModel } from './tabularModel';

const examples = resolve(__dirname, '../../../examples');

/** Runs `fn`, expects a BadInputError, returns its message. */
async function badInput(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof BadInputError, `expected a BadInputError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected a BadInputError');
}

describe('compare: bad input names the file and the cause', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'bi-compare-bad-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('models whose outputs differ (same input, 3 logits instead of 2)', async () => {
    const wide = join(dir, 'wide.onnx');
    writeFileSync(wide, tabularModel({ input: 'features', width: 6, output: 'logits', classes: 3 }));
    const spec = await loadSpec(join(examples, 'income-mlp.bias.json'));
    const message = await badInput(() => runCompare(spec, { providers: ['cpu'], target: { kind: 'model-b', model: wide } }));
    assert.match(message, /income-mlp\.onnx and .*wide\.onnx: the models' outputs differ \(logits float32 \[batch, 2\] vs logits float32 \[N, 3\]\); both need output "logits" of the same type and width/);
  });

  it('models whose inputs differ (another input name)', async () => {
    const renamed = join(dir, 'renamed.onnx');
    writeFileSync(renamed, tabularModel({ input: 'x', width: 6, output: 'logits', classes: 2 }));
    const spec = await loadSpec(join(examples, 'income-mlp.bias.json'));
    const message = await badInput(() => runCompare(spec, { providers: ['cpu'], target: { kind: 'model-b', model: renamed } }));
    assert.match(message, /income-mlp\.onnx and .*renamed\.onnx: the models' inputs differ \(features float32 \[batch, 6\] vs x float32 \[N, 6\]\)/);
  });

  it('two specs over the same data that read another label (and over other data)', async () => {
    const spec = await loadSpec(join(examples, 'income-mlp.bias.json'));
    const other = { ...spec, specPath: join(dir, 'other.bias.json'), label: 'sex' };
    const label = await badInput(() => runCompare(spec, { providers: ['cpu'], target: { kind: 'spec-b', spec: other } }));
    assert.match(label, /other\.bias\.json: field "label" is "sex" there and "label" in .*income-mlp\.bias\.json; both specs must read the same labels and groups/);
    const groups = await badInput(() => runCompare(spec, { providers: ['cpu'], target: { kind: 'spec-b', spec: { ...other, label: spec.label as string, groups: ['sex'] } } }));
    assert.match(groups, /other\.bias\.json: field "groups" is \["sex"\] there and \["sex","race"\] in .*income-mlp\.bias\.json/);
    const data = await badInput(() => runCompare(spec, { providers: ['cpu'], target: { kind: 'spec-b', spec: { ...other, label: spec.label as string, data: join(examples, 'income-predictions.csv') } } }));
    assert.match(data, /other\.bias\.json: its data .*income-predictions\.csv is not the data of .*income-mlp\.bias\.json \(.*income\.csv\); a comparison needs both specs over the same rows/);
  });

  it('prediction files of the same length whose labels differ', async () => {
    const lines = readFileSync(join(examples, 'income-predictions.csv'), 'utf8').trim().split('\n').slice(0, 201);
    const header = (lines[0] ?? '').split(',');
    const y = header.indexOf('label');
    const a = join(dir, 'pa.csv');
    const b = join(dir, 'pb.csv');
    writeFileSync(a, `${lines.join('\n')}\n`);
    writeFileSync(b, `${lines.map((l, i) => { if (i !== 5) return l; const c = l.split(','); c[y] = c[y] === '1' ? '0' : '1'; return c.join(','); }).join('\n')}\n`);
    const spec = await resolveSpec({ data: a, task: 'binary', label: 'label', groups: ['sex', 'race'], predictions: { file: a, score: 'score' } }, { baseDir: dir });
    const message = await badInput(() => runCompare(spec, { providers: ['cpu'], target: { kind: 'predictions-b', file: b } }));
    assert.match(message, /pa\.csv and .*pb\.csv: row 5 has label \d in one and \d in the other; a comparison needs the same rows in the same order/);
  });

  it('a budget naming an unknown figure: the located error lists the figures', async () => {
    const path = join(dir, 'budget.bias.json');
    const spec = JSON.parse(readFileSync(join(examples, 'income-compare.bias.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...spec, model: join(examples, 'income-mlp.onnx'), referenceModel: join(examples, 'income-mlp-prev.onnx'), data: join(examples, 'income.csv'), budgets: [{ figure: 'compare.worstDelta.acc', min: -0.05 }] }, null, 2));
    const message = await badInput(() => loadSpec(path));
    assert.match(message, /budget\.bias\.json:30:17: field "budgets\[0\]\.figure": no figure "compare\.worstDelta\.acc"; did you mean "compare\.worstDelta\.accuracy"\? \(figures: /);
    for (const figure of ['compare.worseGroups', 'compare.worstDelta.<metric>', 'groups.disparity.{demographic_parity_difference', '<metric>: loss, accuracy']) {
      assert.ok(message.includes(figure), `the error lists ${figure}: ${message}`);
    }
    assert.ok(budgetFigures().includes('compare.worstDelta.accuracy'));
  });
});
