import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSpec, resolveSpec } from '../../../extension/core/data';
import { mergeGroupValues, runThresholds } from '../../../extension/core/analyze/thresholds';
import { manualThresholds } from '../../../extension/core/metrics/thresholds';
import { BadInputError } from '../../../extension/core/errors';
import { constraintDisparity, objectiveOf, presetChoices, thresholdsJson, whatIf } from '../../../webview/charts/thresholdWhatIf';

const examples = resolve(__dirname, '../../../examples');

test('income demo: demographic parity equalises the expected selection rates; the front trades disparity for accuracy', async () => {
  const report = await runThresholds(await loadSpec(join(examples, 'income-mlp.bias.json')), { providers: ['cpu'], front: true });
  const t = report.thresholds;
  assert.equal(t.constraint, 'demographic_parity');
  assert.equal(t.objective, 'accuracy_score');
  assert.equal(t.groups.length, 6);
  assert.deepEqual(t.groups.map((g) => `${g.group.sex},${g.group.race}`), ['F,A', 'F,B', 'F,C', 'M,A', 'M,B', 'M,C']);
  assert.ok(t.overall.disparity < 1e-12, `exact parity: ${t.overall.disparity}`);
  for (const g of t.groups) assert.ok(Math.abs(g.selection_rate - t.groups[0]!.selection_rate) < 1e-12);
  assert.equal(t.front.length, 21);
  assert.equal(t.front[0]!.objective, t.overall.objective);
  for (const f of t.front) assert.ok(f.disparity <= f.tolerance + 1e-9, `ε ${f.tolerance}: ${f.disparity}`);
  for (let i = 1; i < t.front.length; i++) assert.ok(t.front[i]!.objective >= t.front[i - 1]!.objective - 1e-12);
  // the baseline is the model's own decision (P > 0.5): its accuracy is the demo's 88.3%
  assert.ok(Math.abs(t.baseline.overall.accuracy - 0.8831666666666667) < 1e-12);
  // curves reproduce the baseline exactly at j = steps/2
  const half = t.steps / 2;
  t.curves.forEach((c, g) => {
    assert.equal(c.tp[half]! / c.positives, t.baseline.groups[g]!.tpr);
    assert.equal(c.fp[half]! / c.negatives, t.baseline.groups[g]!.fpr);
  });
  const eo = await runThresholds(await loadSpec(join(examples, 'income-mlp.bias.json')), { providers: ['cpu'], constraint: 'equalized_odds', front: true });
  assert.deepEqual(eo.thresholds.front, [], 'Fairlearn does not relax equalized odds');
  assert.ok(eo.thresholds.groups.every((g) => g.pIgnore !== undefined && g.predictionConstant !== undefined));
});

test('randomised presets reproduce the report\'s Fairlearn operating points exactly (objective, disparity, group rates) for every constraint', async () => {
  const spec = await loadSpec(join(examples, 'income-mlp.bias.json'));
  const cases: [string, string][] = [
    ['demographic_parity', 'accuracy_score'], ['equalized_odds', 'accuracy_score'], ['equalized_odds', 'balanced_accuracy_score'],
    ['true_positive_rate_parity', 'balanced_accuracy_score'], ['false_positive_rate_parity', 'accuracy_score'],
    ['true_negative_rate_parity', 'true_positive_rate'], ['false_negative_rate_parity', 'selection_rate'],
  ];
  for (const [constraint, objective] of cases) {
    const t = (await runThresholds(spec, { providers: ['cpu'], constraint, objective, front: true })).thresholds;
    const at = `${constraint}/${objective}`;
    const points = [{ name: 'optimum', preset: 'optimum' as const, objective: t.overall.objective, disparity: t.overall.disparity, groups: t.groups },
      ...t.front.map((f, i) => ({ name: `front ε ${f.tolerance}`, preset: `front:${i}` as const, objective: f.objective, disparity: f.disparity, groups: f.groups }))];
    for (const p of points) {
      const w = whatIf(t, presetChoices(t, p.preset));
      assert.equal(objectiveOf(objective, w), p.objective, `${at} ${p.name}: objective`);
      assert.equal(constraintDisparity(constraint, w), p.disparity, `${at} ${p.name}: disparity`);
      w.groups.forEach((r, g) => {
        assert.equal(r.selection_rate, p.groups[g]!.selection_rate, `${at} ${p.name} group ${g}: selection`);
        assert.equal(r.tpr, p.groups[g]!.tpr, `${at} ${p.name} group ${g}: TPR`);
        assert.equal(r.fpr, p.groups[g]!.fpr, `${at} ${p.name} group ${g}: FPR`);
      });
    }
  }
  // the deployment JSON of the optimum carries Fairlearn's rule per group
  const t = (await runThresholds(spec, { providers: ['cpu'] })).thresholds;
  const choices = presetChoices(t, 'optimum');
  const json = JSON.parse(thresholdsJson(t, choices, whatIf(t, choices))) as { thresholds: { randomised: boolean; p0: number; threshold0: unknown; threshold1: unknown }[] };
  json.thresholds.forEach((e, g) => assert.deepEqual([e.randomised, e.p0, e.threshold0, e.threshold1], [true, t.groups[g]!.p0, t.groups[g]!.threshold0, t.groups[g]!.threshold1]));
});

test('Fairlearn merges several sensitive columns with "," and escapes', () => {
  assert.equal(mergeGroupValues(['F']), 'F');
  assert.equal(mergeGroupValues(['F', 'B']), 'F,B');
  assert.equal(mergeGroupValues(['a,b', 'c\\d']), 'a\\,b,c\\\\d');
});

test('bad input: scores outside [0, 1], a group with one label, a constant score, no score column', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thresholds-'));
  const write = (name: string, rows: string[]): void => writeFileSync(join(dir, name), `label,g,score,pred\n${rows.join('\n')}\n`);
  const spec = (file: string, extra: Record<string, unknown> = {}) => resolveSpec({ data: file, task: 'binary', label: 'label', groups: ['g'], predictions: { file, score: 'score', pred: 'pred' }, ...extra }, { baseDir: dir });
  write('out.csv', ['1,a,0.9,1', '0,a,1.7,1', '0,b,0.2,0', '1,b,0.6,1']);
  await assert.rejects(runThresholds(await spec('out.csv'), { providers: ['cpu'] }), (e: unknown) => e instanceof BadInputError && /out\.csv: row 2: column "score" gives 1\.7, outside \[0, 1\]/.test(e.message));
  write('one.csv', ['1,a,0.9,1', '0,a,0.1,0', '1,b,0.2,0', '1,b,0.6,1']);
  await assert.rejects(runThresholds(await spec('one.csv'), { providers: ['cpu'] }), (e: unknown) => e instanceof BadInputError && /group \{"g":"b"\} has only one label value/.test(e.message));
  write('const.csv', ['1,a,0.5,1', '0,a,0.5,1', '1,b,0.5,1', '0,b,0.5,1', '0,b,0.5,1']);
  const c = await runThresholds(await spec('const.csv'), { providers: ['cpu'], front: true });
  // one score: each group's curve is the segment between "nobody" (> inf) and "everybody" (> -inf)
  for (const g of c.thresholds.groups) assert.deepEqual([g.threshold0, g.threshold1], ['inf', '-inf']);
  assert.ok(c.thresholds.overall.disparity < 1e-12);
  writeFileSync(join(dir, 'nos.csv'), 'label,g,pred\n1,a,1\n0,a,0\n');
  await assert.rejects(runThresholds(await resolveSpec({ data: 'nos.csv', task: 'binary', label: 'label', groups: ['g'], predictions: { file: 'nos.csv', pred: 'pred' } }, { baseDir: dir }), { providers: ['cpu'] }), /needs P\(positive\) per row/);
  await assert.rejects(runThresholds(await spec('const.csv'), { providers: ['cpu'], constraint: 'equalized_odds', objective: 'selection_rate' }), /equalized_odds allows only/);
  await assert.rejects(runThresholds(await spec('const.csv'), { providers: ['cpu'], constraint: 'parity' }), /--constraint parity: expected one of/);
  // manual thresholds of the report's data agree with a direct recount
  const m = manualThresholds({ scores: Float64Array.from([0.5, 0.5]), labels: Uint8Array.from([1, 0]), group: Int32Array.from([0, 0]), groupNames: ['a'] }, [0.4]);
  assert.deepEqual([m.overall.tpr, m.overall.fpr], [1, 1]);
});
