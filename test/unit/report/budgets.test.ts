import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { budgetRanges, evaluateBudgets, figureValue } from '../../../extension/core/report/budgets';
import { budgetRuleId, budgetsToSarif } from '../../../extension/core/report/sarif';
import { budgetFigures } from '../../../extension/protocol/budgets';
import { resolveSpec } from '../../../extension/core/data';
import { BadInputError } from '../../../extension/core/errors';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures');

/** A report with the figures the budgets read (values chosen by hand). */
const REPORT = {
  groups: {
    overall: { accuracy: 0.8, ci: { accuracy: [0.78, 0.82] } },
    disparity: {
      accuracy: { difference: 0.12, ratio: 0.85, toOverallDifference: 0.07, toOverallRatio: 0.9, worstGroup: { sex: 'F' }, worstValue: 0.71, ci: { difference: [0.05, 0.2], ratio: [0.7, 0.95], toOverallDifference: [0.02, 0.1], toOverallRatio: [0.8, 0.97], worstValue: [0.65, 0.76] } },
      equalized_odds_difference: 0.08,
    },
    disparityCi: { equalized_odds_difference: [0.03, 0.14] },
  },
  compare: {
    byGroup: [
      { group: 'overall', level: 'overall', verdict: 'better', metrics: { accuracy: { a: 0.8, b: 0.83, delta: 0.03, ci: [0.01, 0.05] } } },
      { group: { sex: 'F' }, level: 'column', verdict: 'worse', metrics: {} },
      { group: { sex: 'M' }, level: 'column', verdict: 'better', metrics: {} },
    ],
    worstDelta: { accuracy: { group: { sex: 'F' }, delta: -0.09, ci: [-0.14, -0.04] } },
    disparity: { equalized_odds_difference: { a: 0.05, b: 0.15, delta: 0.1 } },
  },
  quantization: { impact: [{ label: 'int8', worstGroupLossDelta: 0.004, agreement: 0.99, kl: 0.001, lossDelta: 0.002, worstGroup: { sex: 'F' } }, { label: 'int4', worstGroupLossDelta: 0.03, agreement: 0.95, kl: 0.02, lossDelta: 0.01, worstGroup: { sex: 'M' } }] },
};

test('figureValue reads every kind of figure, with its interval', () => {
  assert.deepEqual(figureValue(REPORT, 'groups.overall.accuracy'), { value: 0.8, interval: [0.78, 0.82] });
  assert.deepEqual(figureValue(REPORT, 'groups.worst.accuracy'), { value: 0.71, interval: [0.65, 0.76], about: 'sex=F' });
  assert.deepEqual(figureValue(REPORT, 'groups.disparity.accuracy.ratio'), { value: 0.85, interval: [0.7, 0.95] });
  assert.deepEqual(figureValue(REPORT, 'groups.disparity.equalized_odds_difference'), { value: 0.08, interval: [0.03, 0.14] });
  assert.deepEqual(figureValue(REPORT, 'compare.worstDelta.accuracy'), { value: -0.09, interval: [-0.14, -0.04], about: 'sex=F' });
  assert.deepEqual(figureValue(REPORT, 'compare.overall.accuracy'), { value: 0.03, interval: [0.01, 0.05] });
  assert.deepEqual(figureValue(REPORT, 'compare.disparity.equalized_odds_difference'), { value: 0.1 });
  assert.deepEqual(figureValue(REPORT, 'compare.worseGroups'), { value: 1, about: 'sex=F' });
  assert.deepEqual(figureValue(REPORT, 'quantization.worstGroup.lossDelta'), { value: 0.03, about: 'int4, group sex=M' });
  assert.deepEqual(figureValue(REPORT, 'quantization.agreement'), { value: 0.95, about: 'int4' });
  assert.deepEqual(figureValue(REPORT, 'groups.worst.tpr'), { value: null });
  assert.deepEqual(figureValue({}, 'groups.overall.accuracy'), { value: null });
  // every catalogued figure resolves to something or to "missing", never throws
  for (const f of budgetFigures()) figureValue(REPORT, f);
});

const SPEC_TEXT = `{
  // budgets of the demo
  "budgets": [
    { "figure": "groups.disparity.equalized_odds_difference", "max": 0.1 },
    { "figure": "groups.disparity.equalized_odds_difference", "max": 0.1, "use": "interval" },
    {
      "figure": "compare.worstDelta.accuracy",
      "min": -0.02
    },
    { "figure": "groups.worst.tpr", "min": 0.5 },
    { "figure": "quantization.agreement", "min": 0.9 }
  ]
}`;
const BUDGETS = [
  { figure: 'groups.disparity.equalized_odds_difference', max: 0.1 },
  { figure: 'groups.disparity.equalized_odds_difference', max: 0.1, use: 'interval' as const },
  { figure: 'compare.worstDelta.accuracy', min: -0.02 },
  { figure: 'groups.worst.tpr', min: 0.5 },
  { figure: 'quantization.agreement', min: 0.9 },
];

test('budget ranges come from the spec text (comments allowed)', () => {
  assert.deepEqual(budgetRanges(SPEC_TEXT), [
    { line: 4, column: 5, endLine: 4, endColumn: 75 },
    { line: 5, column: 5, endLine: 5, endColumn: 94 },
    { line: 6, column: 5, endLine: 9, endColumn: 6 },
    { line: 10, column: 5, endLine: 10, endColumn: 49 },
    { line: 11, column: 5, endLine: 11, endColumn: 55 },
  ]);
});

test('budgets: estimate vs interval, max vs min, missing figure fails', () => {
  const results = evaluateBudgets(REPORT, BUDGETS, { file: '/w/s.bias.json', text: SPEC_TEXT });
  assert.deepEqual(results.map((r) => [r.ok, r.value, r.checked]), [
    [true, 0.08, 0.08], // 0.08 ≤ 0.1
    [false, 0.08, 0.14], // upper bound 0.14 > 0.1
    [false, -0.09, -0.09], // −0.09 < −0.02
    [false, null, null], // the report has no worst TPR
    [true, 0.95, 0.95],
  ]);
  assert.equal(results[1]?.message, 'groups.disparity.equalized_odds_difference = 0.08, 95% interval [0.03, 0.14]: upper interval bound 0.14 breaks the budget max 0.1 (must be ≤ 0.1)');
  assert.equal(results[2]?.message, 'compare.worstDelta.accuracy = -0.09 (sex=F), 95% interval [-0.14, -0.04]: value -0.09 breaks the budget min -0.02 (must be ≥ -0.02)');
  assert.match(results[3]?.message ?? '', /groups\.worst\.tpr: the report has no value for this figure, so the budget ≥ 0\.5 fails/);
  assert.deepEqual(results[2]?.location, { file: '/w/s.bias.json', line: 6, column: 5, endLine: 9, endColumn: 6 });
  assert.deepEqual(results.map((r) => r.bound), [{ max: 0.1 }, { max: 0.1 }, { min: -0.02 }, { min: 0.5 }, { min: 0.9 }]);
  // interval use without an interval fails and says how to get one
  const [noCi] = evaluateBudgets({ compare: REPORT.compare }, [{ figure: 'compare.disparity.equalized_odds_difference', max: 0.5, use: 'interval' }], { file: 's' });
  assert.equal(noCi?.ok, false);
  assert.match(noCi?.message ?? '', /uses the interval and the report has none \(run with --bootstrap N\)/);
});

test('after one analysis only that analysis\'s budgets are evaluated; check evaluates all', () => {
  const onlyGroups = { groups: REPORT.groups };
  assert.deepEqual(evaluateBudgets(onlyGroups, BUDGETS, { file: 's' }).map((r) => r.index), [0, 1, 3]);
  const all = evaluateBudgets(onlyGroups, BUDGETS, { file: 's' }, { all: true });
  assert.deepEqual(all.map((r) => r.ok), [true, false, false, false, false]);
});

test('SARIF 2.1.0: valid against the official schema, one result per failing budget at its line', () => {
  const schema = JSON.parse(readFileSync(join(fixtures, 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as object;
  // the official schema's language pattern is not a valid /u regular expression: compile patterns without /u
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
  const validate = ajv.compile(schema);
  const results = evaluateBudgets(REPORT, BUDGETS, { file: '/w/specs/s.bias.json', text: SPEC_TEXT });
  const log = budgetsToSarif(results, { toolVersion: '0.1.0', baseDir: '/w' });
  assert.equal(validate(log), true, JSON.stringify(validate.errors, null, 1));
  const run = (log['runs'] as { results: Record<string, unknown>[]; tool: { driver: { rules: { id: string }[] } } }[])[0]!;
  assert.equal(run.results.length, 3);
  assert.deepEqual(run.results.map((r) => r['ruleId']), [
    'bias-budget/groups.disparity.equalized_odds_difference', 'bias-budget/compare.worstDelta.accuracy', 'bias-budget/groups.worst.tpr',
  ]);
  assert.equal(budgetRuleId('compare.worstDelta.accuracy'), 'bias-budget/compare.worstDelta.accuracy');
  const first = run.results[1] as { message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> } }[]; ruleIndex: number };
  assert.match(first.message.text, /compare\.worstDelta\.accuracy = -0\.09 .*interval \[-0\.14, -0\.04\].*min -0\.02/);
  assert.equal(first.locations[0]?.physicalLocation.artifactLocation.uri, 'specs/s.bias.json');
  assert.deepEqual(first.locations[0]?.physicalLocation.region, { startLine: 6, startColumn: 5, endLine: 9, endColumn: 6 });
  assert.equal(run.tool.driver.rules[first.ruleIndex]?.id, 'bias-budget/compare.worstDelta.accuracy');
  // no failing budget: a valid log with no results
  const clean = budgetsToSarif(results.filter((r) => r.ok), { toolVersion: '0.1.0', baseDir: '/w' });
  assert.equal(validate(clean), true);
  // and a broken log is caught by the schema (the check can fail)
  assert.equal(validate({ ...log, version: '2.0.0' }), false);
});

test('spec: budgets are validated, an unknown figure lists the figures', async () => {
  const base = { data: 'd.csv', task: 'binary', predictions: { file: 'p.csv', score: 's' }, label: 'y', groups: ['g'] };
  const ok = await resolveSpec({ ...base, budgets: BUDGETS }, { baseDir: '/tmp', checkFiles: false });
  assert.equal(ok.budgets?.length, 5);
  const text = JSON.stringify({ ...base, budgets: [{ figure: 'groups.disparity.equalised_odds_difference', max: 0.1 }, { figure: 'groups.worst.accuracy' }] }, null, 2);
  await assert.rejects(resolveSpec(JSON.parse(text), { baseDir: '/tmp', checkFiles: false, specPath: '/tmp/s.bias.json', text }), (e: unknown) => {
    assert.ok(e instanceof BadInputError);
    assert.match(e.message, /\/tmp\/s\.bias\.json:\d+:\d+: field "budgets\[0\]\.figure": no figure "groups\.disparity\.equalised_odds_difference"; did you mean "groups\.disparity\.equalized_odds_difference"\? \(figures: groups\.overall\.<metric>; groups\.worst\.<metric>;/);
    assert.match(e.message, /field "budgets\[1\]": give exactly one bound, "max" or "min" \(got none\)/);
    return true;
  });
  await assert.rejects(resolveSpec({ ...base, budgets: [{ figure: 'groups.worst.accuracy', min: 0.5, use: 'upper' }] }, { baseDir: '/tmp', checkFiles: false }), /field "budgets\[0\]\.use": must be one of estimate, interval/);
});
