import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupMetricsBuilder, type GroupEntry, type MetricDisparity } from '../../../extension/core/metrics/groups';
import type { BinaryMetrics, MulticlassMetrics, RegressionMetrics } from '../../../extension/core/metrics/accumulator';
import { BadInputError, InspectorError } from '../../../extension/core/errors';
import { evaluateBatch } from '../../../extension/core/metrics/batch';
import { EXAMPLE, binaryBatch, close, encode, exampleBuilder, scoreFor } from './fixtures';

const bin = (e: unknown): BinaryMetrics => e as BinaryMetrics;

test('§B worked example: per-group rates, accuracy, overall', async () => {
  const s = await exampleBuilder().finish();
  assert.deepEqual(s.sensitive, ['g']);
  assert.equal(s.task, 'binary');
  const [a, b] = s.byGroup.map(bin);
  assert.ok(a && b);
  assert.deepEqual(s.byGroup.map((g) => g.group), [{ g: 'a' }, { g: 'b' }]);
  assert.equal(a.count, 4);
  assert.equal(b.count, 6);
  assert.equal(a.selection_rate, 0.5);
  assert.equal(b.selection_rate, 0.5);
  assert.equal(a.tpr, 0.5);
  assert.equal(b.tpr, 2 / 3);
  assert.equal(a.fpr, 0.5);
  assert.equal(b.fpr, 1 / 3);
  assert.equal(a.accuracy, 0.5);
  assert.equal(b.accuracy, 4 / 6);
  assert.equal(bin(s.overall).accuracy, 0.6);
  assert.equal(a.positives, 2);
  assert.equal(a.negatives, 2);
  assert.equal(b.positives, 3);
  assert.equal(b.negatives, 3);
  assert.equal(a.fnr, 0.5);
  assert.equal(b.tnr, 2 / 3);
  assert.equal(a.precision, 0.5); // a: tp 1, fp 1
  assert.equal(b.precision, 2 / 3); // b: tp 2, fp 1
  assert.equal(a.error_rate, 0.5);
  assert.equal(s.byGroup[0]?.small, true); // 4 < 30
  assert.equal(s.byGroup[1]?.small, true);
  assert.equal((await exampleBuilder().finish({ minGroupSize: 5 })).byGroup[1]?.small, undefined);
});

test('§B worked example: Fairlearn disparity summaries', async () => {
  const s = await exampleBuilder().finish();
  const d = s.disparity;
  assert.equal(d.demographic_parity_difference, 0);
  assert.equal(d.demographic_parity_ratio, 1);
  assert.equal(d.equalized_odds_difference, 0.16666666666666669);
  assert.equal(d.equalized_odds_ratio, 0.6666666666666666);
  assert.equal(d.equalized_odds_ratio_mean, 0.7083333333333333);
  assert.equal(d.equal_opportunity_difference, 0.16666666666666663);
  assert.equal(d.equal_opportunity_ratio, 0.75);
  const tpr = d.tpr as MetricDisparity;
  assert.equal(tpr.difference, 0.16666666666666663);
  assert.equal(tpr.ratio, 0.75);
  assert.equal(tpr.toOverallDifference, 0.09999999999999998);
  assert.deepEqual(tpr.worstGroup, { g: 'a' });
  assert.equal(tpr.worstValue, 0.5);
  const fpr = d.fpr as MetricDisparity;
  assert.equal(Math.max(tpr.toOverallDifference, fpr.toOverallDifference), 0.09999999999999998);
  assert.deepEqual(fpr.worstGroup, { g: 'a' }); // argmax for error rates
  assert.deepEqual((d.accuracy as MetricDisparity).worstGroup, { g: 'a' }); // argmin
  // the single-column table equals the intersection table with one column
  assert.deepEqual(s.byColumn[0]?.disparity, s.disparity);
  assert.equal(s.missingGroup, 0);
});

test('§B worked example: ECE overall and per group, calibration points', async () => {
  // the confidences survive the detour through P(pos) within one ulp
  EXAMPLE.conf.forEach((c, i) => {
    const p = scoreFor(c, EXAMPLE.yhat[i] as number);
    close(Math.max(p, 1 - p), c, 1e-15);
  });
  const s = await exampleBuilder().finish();
  close(bin(s.overall).ece, 0.29, 1e-12);
  close(bin(s.byGroup[0]).ece, 0.3525, 1e-12);
  close(bin(s.byGroup[1]).ece, 0.36166666666666664, 1e-12);
  // group a: 0.95 (bin 14), 0.62 (9), 0.55 (8), 0.81 (12)
  const cal = (s.byGroup[0] as GroupEntry).calibration ?? [];
  assert.deepEqual(cal.map((p) => p.bin), [8, 9, 12, 14]);
  assert.deepEqual(cal.map((p) => p.count), [1, 1, 1, 1]);
  assert.deepEqual(cal.map((p) => p.meanCorrect), [0, 0, 1, 1]);
  close(cal[0]?.meanConfidence ?? NaN, 0.55, 1e-15);
  assert.equal(cal[0]?.lo, 8 / 15);
  assert.equal(cal[0]?.hi, 9 / 15);
});

test('report keys follow DESIGN.md §4 and key order is stable', async () => {
  const s = await exampleBuilder().finish();
  assert.deepEqual(Object.keys(s).slice(0, 4), ['sensitive', 'overall', 'byGroup', 'disparity']);
  assert.deepEqual(Object.keys(s.byGroup[0] as object), [
    'group', 'count', 'loss', 'nan_losses', 'accuracy', 'error_rate', 'selection_rate', 'tpr', 'fpr', 'fnr', 'tnr',
    'precision', 'brier', 'ece', 'positives', 'negatives', 'calibration', 'small',
  ]);
  assert.deepEqual(Object.keys(s.disparity.accuracy as object), ['difference', 'ratio', 'toOverallDifference', 'toOverallRatio', 'worstGroup', 'worstValue']);
  // JSON round trip keeps numbers (NaN would become null)
  const json = JSON.parse(JSON.stringify(s)) as { overall: { brier: number } };
  close(json.overall.brier, bin(s.overall).brier, 0);
});

test('loss and Brier are weighted means; weights act like repeated rows', async () => {
  const y = [1, 0, 1];
  const p = [0.9, 0.4, 0.2];
  const weighted = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  weighted.add(binaryBatch(y, p, [['a', 'a', 'a']], { weight: Float64Array.from([2, 1, 3]) }));
  const repeated = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  repeated.add(binaryBatch([1, 1, 0, 1, 1, 1], [0.9, 0.9, 0.4, 0.2, 0.2, 0.2], [['a', 'a', 'a', 'a', 'a', 'a']]));
  const w = bin((await weighted.finish()).overall);
  const r = bin((await repeated.finish()).overall);
  for (const k of ['loss', 'accuracy', 'selection_rate', 'tpr', 'fpr', 'precision', 'brier', 'ece'] as const) close(w[k], r[k], 1e-14);
  close(w.brier, (2 * 0.01 + 0.16 + 3 * 0.64) / 6, 1e-14);
  assert.equal(w.count, 3); // count is rows, not weight
});

test('Fairlearn edge cases: no positives -> TPR 0; ratio with min 0 -> 0; 0/0 -> NaN', async () => {
  // group a has no positives; group b has positives but none predicted
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  b.add(binaryBatch([0, 0, 1, 1], [0.2, 0.3, 0.4, 0.1], [['a', 'a', 'b', 'b']]));
  const s = await b.finish();
  const [ga, gb] = s.byGroup.map(bin);
  assert.equal(ga?.tpr, 0);
  assert.equal(ga?.positives, 0);
  assert.equal(ga?.fnr, 0);
  assert.equal(gb?.tpr, 0);
  assert.equal(gb?.fpr, 0); // no negatives in b
  assert.equal(gb?.precision, 0); // nothing predicted positive
  // every selection rate is 0: ratio 0/0 = NaN, difference 0
  assert.equal(s.disparity.demographic_parity_difference, 0);
  assert.ok(Number.isNaN(s.disparity.demographic_parity_ratio));
  // accuracy a = 1, b = 0: ratio min 0 -> 0
  assert.equal((s.disparity.accuracy as MetricDisparity).ratio, 0);
  assert.deepEqual((s.disparity.accuracy as MetricDisparity).worstGroup, { g: 'b' });
});

test('intersections, per-column tables and missing sensitive values', async () => {
  const y = [1, 0, 1, 0, 1, 0, 1];
  const p = [0.9, 0.2, 0.4, 0.6, 0.7, 0.1, 0.8];
  const sex = ['F', 'F', 'M', 'M', 'F', '', 'M'];
  const race = ['A', 'B', 'A', 'A', 'A', 'B', ''];
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['sex', 'race'] });
  b.add(binaryBatch(y, p, [sex, race]));
  const s = await b.finish();
  assert.equal(s.overall.count, 7);
  assert.equal(s.missingGroup, 2);
  assert.deepEqual(
    s.byGroup.map((g) => [g.group, g.count]),
    [
      [{ sex: 'F', race: 'A' }, 2],
      [{ sex: 'F', race: 'B' }, 1],
      [{ sex: 'M', race: 'A' }, 2],
    ],
  );
  const [sexTable, raceTable] = s.byColumn;
  assert.equal(sexTable?.column, 'sex');
  assert.deepEqual(sexTable?.byGroup.map((g) => [g.group, g.count]), [[{ sex: 'F' }, 3], [{ sex: 'M' }, 3]]);
  assert.equal(sexTable?.missing, 1);
  assert.deepEqual(raceTable?.byGroup.map((g) => [g.group, g.count]), [[{ race: 'A' }, 4], [{ race: 'B' }, 2]]);
  assert.equal(raceTable?.missing, 1);
  // M∩A: rows 2 (y1, pred 0) and 3 (y0, pred 1): accuracy 0, worst group
  assert.deepEqual((s.disparity.accuracy as MetricDisparity).worstGroup, { sex: 'M', race: 'A' });
  assert.equal(bin(s.byGroup[2]).accuracy, 0);
});

test('dictionaries may grow between batches (and past the dense key table)', async () => {
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['a', 'b'] });
  const valuesA = Array.from({ length: 300 }, (_, i) => `a${i}`);
  const valuesB = Array.from({ length: 300 }, (_, i) => `b${i}`);
  // batch 1 knows 2 values per column; batch 2 knows all 300 (300×300 > dense limit)
  const batch = (codesA: number[], codesB: number[], nA: number, nB: number) => ({
    ...binaryBatch(codesA.map(() => 1), codesA.map(() => 0.9), [codesA.map(() => 'x'), codesB.map(() => 'x')]),
    groups: [Int32Array.from(codesA), Int32Array.from(codesB)],
    groupValues: [valuesA.slice(0, nA), valuesB.slice(0, nB)],
  });
  b.add(batch([0, 1, 1], [1, 0, 1], 2, 2));
  b.add(batch([299, 1, 0], [299, 0, 1], 300, 300));
  const s = await b.finish();
  assert.deepEqual(
    s.byGroup.map((g) => [g.group, g.count]),
    [
      [{ a: 'a0', b: 'b1' }, 2],
      [{ a: 'a1', b: 'b0' }, 2],
      [{ a: 'a1', b: 'b1' }, 1],
      [{ a: 'a299', b: 'b299' }, 1],
    ],
  );
});

test('multiclass: macro-F1 over present labels, per-class recall, Brier and ECE from probabilities', async () => {
  // 3 classes; group x: labels [0,1,2,2], preds [0,2,2,1]; group y: labels [0,0], preds [0,1]
  const probs = [
    [0.7, 0.2, 0.1],
    [0.1, 0.3, 0.6],
    [0.2, 0.2, 0.6],
    [0.1, 0.5, 0.4],
    [0.8, 0.1, 0.1],
    [0.4, 0.5, 0.1],
  ];
  const label = [0, 1, 2, 2, 0, 0];
  const pred = [0, 2, 2, 1, 0, 1];
  const enc = encode(['x', 'x', 'x', 'x', 'y', 'y']);
  const b = new GroupMetricsBuilder({ task: 'multiclass', sensitive: ['g'], numClasses: 3 });
  b.add({
    label: Float64Array.from(label),
    pred: Float64Array.from(pred),
    probs: Float64Array.from(probs.flat()),
    loss: Float64Array.from(label, (y, i) => -Math.log(probs[i]?.[y] as number)),
    groups: [enc.codes],
    groupValues: [enc.dict],
  });
  const s = await b.finish();
  const x = s.byGroup[0] as unknown as MulticlassMetrics;
  const yg = s.byGroup[1] as unknown as MulticlassMetrics;
  // x: class0 tp1 sup1 pred1 -> F1 1; class1 tp0 sup1 pred1 -> 0; class2 tp1 sup2 pred2 -> 0.5
  close(x.macro_f1, 0.5, 1e-15);
  assert.deepEqual(x.per_class_recall, [1, 0, 0.5]);
  assert.deepEqual(x.per_class_support, [1, 1, 2]);
  // y: labels {0}, preds {0,1}: class0 tp1 sup2 pred1 -> 2/3; class1 tp0 sup0 pred1 -> 0; class 2 absent
  close(yg.macro_f1, (2 / 3 + 0) / 2, 1e-15);
  assert.deepEqual(yg.per_class_recall, [0.5, 0, 0]);
  assert.equal(x.accuracy, 0.5);
  // Brier: mean over samples of Σ_c (p_c − y_c)²
  const brierRow = (i: number): number => (probs[i] as number[]).reduce((s2, p, c) => s2 + (p - (c === label[i] ? 1 : 0)) ** 2, 0);
  close(yg.brier, (brierRow(4) + brierRow(5)) / 2, 1e-15);
  // ECE y: conf 0.8 (bin 11, correct) and 0.5 (bin 7, wrong) -> (|0.8−1| + |0.5−0|)/2
  close(yg.ece, 0.35, 1e-15);
});

test('regression: mse, mae, loss; NaN losses are counted, not averaged', async () => {
  const enc = encode(['a', 'a', 'b']);
  const b = new GroupMetricsBuilder({ task: 'regression', sensitive: ['g'] });
  b.add({
    label: Float64Array.from([1, 2, 3]),
    pred: Float64Array.from([1.5, 2, NaN]),
    loss: Float64Array.from([0.25, 0, NaN]),
    groups: [enc.codes],
    groupValues: [enc.dict],
  });
  const s = await b.finish();
  const a = s.byGroup[0] as unknown as RegressionMetrics;
  assert.equal(a.mse, 0.125);
  assert.equal(a.mae, 0.25);
  assert.equal(a.loss, 0.125);
  const o = s.overall as RegressionMetrics;
  assert.equal(o.nan_losses, 1);
  assert.equal(o.loss, 0.125);
  const gb = s.byGroup[1] as unknown as RegressionMetrics;
  assert.ok(Number.isNaN(gb.loss));
  assert.equal(gb.nan_losses, 1);
  assert.ok(Number.isNaN((s.disparity.loss as MetricDisparity).ratio) === false);
  assert.equal((s.disparity.loss as MetricDisparity).difference, 0); // NaN cell skipped: one group left
  assert.equal(s.byGroup[0]?.calibration, undefined);
});

test('bad rows and batches are typed errors naming the row and file', async () => {
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  assert.throws(
    () => b.add({ ...binaryBatch([1, 2], [0.6, 0.7], [['a', 'a']]), rowOffset: 10, file: 'd.csv' }),
    (e: unknown) => e instanceof BadInputError && e.code === 'bad-label' && e.file === 'd.csv' && e.message.startsWith('row 11:'),
  );
  assert.throws(
    () => b.add(binaryBatch([1], [0.6], [['a']], { weight: Float64Array.from([-1]) })),
    (e: unknown) => e instanceof BadInputError && e.code === 'bad-weight',
  );
  assert.throws(
    () => b.add({ ...binaryBatch([1], [0.6], [['a']]), groups: [Int32Array.from([3])] }),
    (e: unknown) => e instanceof InspectorError && e.code === 'group-code',
  );
  // refused batches change nothing
  assert.equal(b.rowCount, 0);
  // a batch whose dictionary renumbers known values would silently mix groups: refused
  b.add(binaryBatch([1], [0.6], [['a']]));
  assert.throws(
    () => b.add({ ...binaryBatch([1], [0.6], [['b']]) }),
    (e: unknown) => e instanceof InspectorError && e.code === 'group-dictionary',
  );
  assert.equal(b.rowCount, 1);
  await assert.rejects(
    () => new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] }).finish(),
    (e: unknown) => e instanceof BadInputError && e.code === 'no-rows',
  );
});

test('A.5 dice as a group loss: binary example through the batch converter, per group', async () => {
  const probs = Float32Array.from([0.8807970285415649, 0.2689414322376251, 0.622459352016449, 0.11920291930437088]);
  const y = [1, 0, 1, 0];
  const run = async (dice: { alpha?: number; smooth?: number; squareDenominator?: boolean }, groups: string[]) => {
    const cols = evaluateBatch({ data: probs, dims: [4, 1], outputKind: 'probabilities', task: 'binary', labels: y, loss: { name: 'dice', dice } });
    const enc = encode(groups);
    const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'], dice });
    b.add({ ...cols, label: y, groups: [enc.codes], groupValues: [enc.dict] });
    return b.finish({ bootstrap: 20, seed: 1 });
  };
  const s = await run({ smooth: 1e-4 }, ['a', 'a', 'a', 'a']);
  close(s.overall.loss, 0.22738990222583, 1e-14);
  assert.equal(s.overall.nan_losses, 0);
  close((await run({ smooth: 1, squareDenominator: true }, ['a', 'a', 'a', 'a'])).overall.loss, 0.05724627995939, 1e-14);
  close((await run({ alpha: 1, smooth: 1e-4 }, ['a', 'a', 'a', 'a'])).overall.loss, 0.74255444367505, 1e-14);
  // per group, from the group's own sums: group b = rows 2, 3
  const split = await run({ smooth: 1e-4 }, ['a', 'a', 'b', 'b']);
  const p2 = probs[2] as number;
  const p3 = probs[3] as number;
  close(split.byGroup[1]?.loss as number, 1 - (2 * p2 + 1e-4) / (p2 + p3 + 1 + 1e-4), 1e-14);
  const ci = split.byGroup[1]?.ci?.loss;
  assert.ok(ci !== undefined && ci[0] <= ci[1] && Number.isFinite(ci[0]));
});

test('A.5 multiclass dice: mean over classes present or predicted in the group', async () => {
  // 3 classes, class 2 neither present nor predicted
  const data = Float32Array.from([0.7, 0.2, 0.1, 0.3, 0.6, 0.1]);
  const y = [0, 0];
  const cols = evaluateBatch({ data, dims: [2, 3], outputKind: 'probabilities', task: 'multiclass', labels: y, loss: { name: 'dice' } });
  const enc = encode(['a', 'a']);
  const b = new GroupMetricsBuilder({ task: 'multiclass', numClasses: 3, sensitive: ['g'], dice: {} });
  b.add({ ...cols, label: y, groups: [enc.codes], groupValues: [enc.dict] });
  const s = await b.finish();
  const f = (i: number): number => data[i] as number;
  const d0 = 1 - (2 * (f(0) + f(3)) + 1) / (f(0) + f(3) + 2 + 1);
  const d1 = 1 - (0 + 1) / (f(1) + f(4) + 0 + 1);
  close(s.overall.loss, (d0 + d1) / 2, 1e-14);
});

test('ECE scores the top label even when the given predictions use another threshold (predictions files)', async () => {
  // pred thresholded at 0.3; the top label of p = 0.4 is 0 (confidence 0.6), which is wrong for y = 1
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  b.add(binaryBatch([1, 0], [0.4, 0.2], [['a', 'a']], { pred: Float64Array.from([1, 0]) }));
  const s = await b.finish({ bootstrap: 20, seed: 3 });
  const o = bin(s.overall);
  assert.equal(o.accuracy, 1); // accuracy and rates use the given predictions
  assert.equal(o.tpr, 1);
  close(o.ece, 0.5 * 0.6 + 0.5 * Math.abs(0.8 - 1), 1e-15); // 0.4; with the given predictions' correctness it was 0.3
  assert.deepEqual((s.overall.calibration ?? []).map((p) => [p.bin, p.meanCorrect]), [[8, 0], [11, 1]]);
  // every replicate scores the top label too: with two rows the ECE can only be 0.4, 0.6 or 0.2
  const ci = s.overall.ci?.ece ?? [NaN, NaN];
  assert.ok(ci[0] >= 0.2 - 1e-15 && ci[1] <= 0.6 + 1e-15, `${ci[0]}..${ci[1]}`);
});

test('ECE of a multiclass batch scores the argmax of the probabilities, not a differing prediction', async () => {
  const b = new GroupMetricsBuilder({ task: 'multiclass', numClasses: 3, sensitive: ['g'] });
  const enc = encode(['a', 'a']);
  b.add({
    label: Float64Array.from([0, 2]), pred: Float64Array.from([0, 1]), loss: Float64Array.from([NaN, NaN]),
    probs: Float64Array.from([0.2, 0.5, 0.3, 0.1, 0.2, 0.7]), groups: [enc.codes], groupValues: [enc.dict],
  });
  const o = (await b.finish()).overall as MulticlassMetrics;
  assert.equal(o.accuracy, 0.5);
  // top labels 1 (0.5, wrong) and 2 (0.7, right): ECE = ½·0.5 + ½·0.3
  close(o.ece, 0.4, 1e-15);
});
