/**
 * A regression comparison (FORMULAS.md §G defines flips and McNemar on predicted classes): Δ of
 * the regression metrics per group, hand-computed, and no flips, no McNemar and no verdict, said
 * in the report (`verdictBasis: 'none'`, `note`), in the CLI text, in the view's headline and in
 * a `compare.worseGroups` budget (which fails, saying why).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCompare } from '../../../extension/core/analyze/compare';
import { resolveSpec } from '../../../extension/core/data';
import { evaluateBudget } from '../../../extension/core/report/budgets';
import { reportToJson } from '../../../extension/core/report';
import { formatCompare } from '../../../extension/cli/formatCompare';
import { verdictText } from '../../../webview/sections/compare';
import { REGRESSION_COMPARE_NOTE } from '../../../extension/protocol/compare';

// y, prediction of A, prediction of B, group
const ROWS: readonly [number, number, number, string][] = [
  [1, 1, 2, 'a'], [2, 3, 2, 'a'], [0, 0, 0, 'a'],
  [1, 2, 4, 'b'], [3, 3, 3, 'b'], [2, 2, 1, 'b'],
];

describe('compare, regression: Δ only, no flips, McNemar or verdict', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'bi-compare-reg-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('Δ mse per group by hand; flips/McNemar null; verdict none, said everywhere', async () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    writeFileSync(a, `y,g,s\n${ROWS.map(([y, pa, , g]) => `${y},${g},${pa}`).join('\n')}\n`);
    writeFileSync(b, `y,g,s\n${ROWS.map(([y, , pb, g]) => `${y},${g},${pb}`).join('\n')}\n`);
    const spec = await resolveSpec({ data: a, task: 'regression', label: 'y', groups: ['g'], predictions: { file: a, score: 's' } }, { baseDir: dir });
    const report = await runCompare(spec, { providers: ['cpu'], target: { kind: 'predictions-b', file: b }, bootstrap: 0, minGroupSize: 1 });
    const c = report.compare;
    assert.equal(c.task, 'regression');
    assert.equal(c.verdictBasis, 'none');
    assert.equal(c.note, REGRESSION_COMPARE_NOTE);
    const by = (name: string) => c.byGroup.find((g) => (g.group === 'overall' ? 'overall' : g.group['g']) === name);
    // squared errors A: a 0,1,0  b 1,0,0; B: a 1,0,0  b 9,0,1
    const mse = (name: string) => by(name)?.metrics['mse'];
    assert.deepEqual([mse('a')?.a, mse('a')?.b, mse('a')?.delta], [1 / 3, 1 / 3, 0]);
    assert.deepEqual([mse('b')?.a, mse('b')?.b], [1 / 3, 10 / 3]);
    assert.ok(Math.abs((mse('b')?.delta ?? NaN) - 3) < 1e-12);
    assert.deepEqual([mse('overall')?.a, mse('overall')?.b], [2 / 6, 11 / 6]);
    for (const g of c.byGroup) {
      assert.equal(g.verdict, 'none');
      assert.ok(Number.isNaN(g.flips.count) && Number.isNaN(g.flips.broken) && Number.isNaN(g.flips.fixed));
      assert.ok(Number.isNaN(g.mcnemar.p) && Number.isNaN(g.mcnemar.q));
    }
    assert.deepEqual(c.flipRows, []);
    // JSON: NaN (the reports' spelling of "no number"), not a count of 0 that would read as "no row broke"
    const json = JSON.parse(reportToJson(report)) as { compare: { byGroup: { flips: Record<string, unknown>; mcnemar: Record<string, unknown> }[] } };
    assert.deepEqual(json.compare.byGroup[0]?.flips, { count: 'NaN', share: 'NaN', fixed: 'NaN', broken: 'NaN' });
    assert.deepEqual(json.compare.byGroup[0]?.mcnemar, { p: 'NaN', q: 'NaN' });

    const text = formatCompare(c);
    assert.match(text, /NO VERDICT: regression: flips and the McNemar test are defined on predicted classes, so they do not apply/);
    assert.doesNotMatch(text, /McNemar exact on accuracy|No group is significantly worse/);
    assert.match(verdictText(c), /^Regression: flips and the McNemar test are defined on predicted classes, so they do not apply and no group gets a verdict/);

    const location = { file: 'x.bias.json', line: 1, column: 1, endLine: 1, endColumn: 2 };
    const budget = evaluateBudget(report, { figure: 'compare.worseGroups', max: 0 }, 0, location);
    assert.equal(budget.ok, false);
    assert.match(budget.message, /compare\.worseGroups: the report has no value for this figure \(regression: flips and the McNemar test/);
    // a Δ budget still works for regression
    assert.equal(evaluateBudget(report, { figure: 'compare.worstDelta.mse', max: 1 }, 1, location).ok, false);
  });
});
