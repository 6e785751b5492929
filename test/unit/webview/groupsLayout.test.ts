import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { GroupEntry } from '../../../extension/protocol/groups';
import { formatInterval, formatMetric, groupLabel, reviveNumbers, sampleNote, scalarMetrics, worstFirst } from '../../../webview/charts/groupMetrics';
import { layoutWhiskers, whiskerDomain, type WhiskerDatum } from '../../../webview/charts/whiskerLayout';
import { columnValues, layoutMatrix } from '../../../webview/charts/matrixLayout';
import { calibrationDomain, layoutCalibration, pickCalibrationGroups } from '../../../webview/charts/calibrationLayout';
import { layoutDiversity } from '../../../webview/charts/diversityLayout';

const datum = (label: string, value: number, count = 100, extra: Partial<WhiskerDatum> = {}): WhiskerDatum =>
  ({ key: label, label, value, count, small: false, note: `n=${count}`, ...extra });

const entry = (group: Record<string, string>, count: number, values: Record<string, number>, extra: Partial<GroupEntry> = {}): GroupEntry =>
  ({ group, count, loss: values['loss'] ?? 0, nan_losses: 0, ...values, ...extra });

test('metric sets per task are the scalar metrics the brief lists', () => {
  assert.deepEqual(scalarMetrics('binary'), ['loss', 'accuracy', 'error_rate', 'selection_rate', 'tpr', 'fpr', 'fnr', 'precision', 'brier', 'ece']);
  assert.deepEqual(scalarMetrics('multiclass'), ['loss', 'accuracy', 'macro_f1', 'brier', 'ece']);
  assert.deepEqual(scalarMetrics('regression'), ['loss', 'mse', 'mae']);
});

test('formatting: rates in percent, other metrics with three digits, intervals in the unit', () => {
  assert.equal(formatMetric('accuracy', 0.6943972835314092), '69.4%');
  assert.equal(formatMetric('loss', 1.1971169451532635), '1.2');
  assert.equal(formatMetric('loss', 0.2887385597855033), '0.289');
  assert.equal(formatMetric('mse', 1234.5), '1,235');
  assert.equal(formatMetric('brier', 3.25e-7), '3.25e-7');
  assert.equal(formatMetric('tpr', Number.NaN), 'n/a');
  assert.equal(formatInterval('accuracy', [0.6541639585987716, 0.7277528536806468]), '65.4–72.8%');
  assert.equal(formatInterval('loss', [1.0376748794275026, 1.37966030791531]), '1.04–1.38');
  // a negative bound: " to ", not a dash beside a minus sign
  assert.equal(formatInterval('meanScore', [-1.8412, -1.2004]), '-1.84 to -1.2');
  assert.equal(formatInterval('meanScore', [-0.392, 0.252]), '-0.392 to 0.252');
  assert.equal(groupLabel({ race: 'B', sex: 'F' }, ['sex', 'race']), 'sex=F, race=B');
});

test('worst first: loss highest first, accuracy lowest first, NaN last, ties by count', () => {
  const rows = [datum('a', 0.9), datum('b', 0.7), datum('c', Number.NaN), datum('d', 0.8, 50), datum('e', 0.8, 500)];
  const order = (metric: string): string[] => worstFirst(rows, metric, (d) => d.value, (d) => [d.count, d.label]).map((d) => d.label);
  assert.deepEqual(order('accuracy'), ['b', 'e', 'd', 'a', 'c']);
  assert.deepEqual(order('loss'), ['a', 'e', 'd', 'b', 'c']);
  assert.deepEqual(order('fpr'), ['a', 'e', 'd', 'b', 'c']);
  assert.deepEqual(order('selection_rate'), ['b', 'e', 'd', 'a', 'c']);
});

test('whisker layout: worst-first rows, bar and whisker positions on a [0, 1] rate axis', () => {
  const layout = layoutWhiskers(
    [datum('good', 0.9, 100, { interval: [0.85, 0.95] }), datum('bad', 0.6, 40, { interval: [0.5, 0.7] })],
    { metric: 'accuracy', width: 600, overall: 0.8, labelWidth: 100, noteWidth: 100, rowHeight: 10, gap: 5 },
  );
  assert.deepEqual(layout.domain, [0, 1]);
  assert.equal(layout.plotX, 100);
  assert.equal(layout.plotWidth, 400);
  assert.deepEqual(layout.rows.map((r) => r.label), ['bad', 'good']);
  assert.deepEqual(layout.rows.map((r) => r.y), [0, 15]);
  const [bad, good] = layout.rows;
  assert.equal(bad?.x0, 100);
  assert.equal(bad?.x1, 100 + 0.6 * 400);
  assert.deepEqual(bad?.whisker, { lo: 100 + 0.5 * 400, hi: 100 + 0.7 * 400 });
  assert.ok(Math.abs((good?.whisker?.hi ?? 0) - (100 + 0.95 * 400)) < 1e-9);
  assert.equal(layout.overallX, 100 + 0.8 * 400);
  assert.deepEqual(layout.ticks.map((t) => t.value), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(layout.axisY, 30);
  assert.deepEqual(layout.rows.map((r) => r.versusOverall), ['worse', 'better']);
});

test('whisker layout for a loss: highest loss first, domain covers the interval ends', () => {
  const layout = layoutWhiskers(
    [datum('low', 0.13), datum('high', 1.197, 589, { interval: [1.04, 1.38] }), datum('mid', 0.27)],
    { metric: 'loss', width: 500, overall: 0.289 },
  );
  assert.deepEqual(layout.rows.map((r) => r.label), ['high', 'mid', 'low']);
  assert.deepEqual(layout.domain, [0, 1.5]);
  assert.ok((layout.rows[0]?.whisker?.hi ?? 0) <= layout.plotX + layout.plotWidth);
  // lower is better: an interval wholly above overall is worse; no interval says nothing
  assert.deepEqual(layout.rows.map((r) => r.versusOverall), ['worse', 'unclear', 'unclear']);
  const straddles = layoutWhiskers([datum('s', 0.3, 10, { interval: [0.2, 0.4] })], { metric: 'loss', width: 500, overall: 0.289 });
  assert.equal(straddles.rows[0]?.versusOverall, 'unclear');
});

test('a NaN value gets no bar and no whisker but keeps its row (last)', () => {
  const layout = layoutWhiskers([datum('x', Number.NaN, 12, { interval: [Number.NaN, Number.NaN] }), datum('y', 0.5)], { metric: 'tpr', width: 500, overall: Number.NaN });
  const x = layout.rows[1];
  assert.equal(x?.label, 'x');
  assert.equal(x?.missing, true);
  assert.equal(x?.x1, x?.x0);
  assert.equal(x?.whisker, undefined);
  assert.equal(layout.overallX, null);
});

test('whisker domain: negative values extend below zero; property: every bar and whisker lies in the plot', () => {
  assert.deepEqual(whiskerDomain([datum('a', -3), datum('b', 7)], 1, false), [-4, 8]);
  fc.assert(fc.property(
    fc.array(fc.record({ v: fc.double({ min: 0, max: 1, noNaN: true }), lo: fc.double({ min: 0, max: 1, noNaN: true }), hi: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 12 }),
    (rows) => {
      const layout = layoutWhiskers(rows.map((r, i) => datum(`g${i}`, r.v, 10, { interval: [r.lo, r.hi] })), { metric: 'accuracy', width: 600, overall: 0.5 });
      const left = layout.plotX - 1e-9;
      const right = layout.plotX + layout.plotWidth + 1e-9;
      for (let i = 1; i < layout.rows.length; i++) assert.ok((layout.rows[i - 1]?.value ?? 0) <= (layout.rows[i]?.value ?? 0));
      return layout.rows.every((r) => r.x1 >= left && r.x1 <= right && (!r.whisker || (r.whisker.lo >= left && r.whisker.hi <= right && r.whisker.lo <= r.whisker.hi)));
    },
  ), { seed: 7, numRuns: 200 });
});

test('matrix layout: a missing combination is an empty cell, tones diverge around overall, worse is negative', () => {
  const entries = [
    entry({ sex: 'F', race: 'A' }, 100, { accuracy: 0.9 }),
    entry({ sex: 'F', race: 'B' }, 20, { accuracy: 0.7 }, { small: true, ci: { accuracy: [0.6, 0.8] } }),
    entry({ sex: 'M', race: 'A' }, 80, { accuracy: 0.85 }),
  ];
  const layout = layoutMatrix(entries, { metric: 'accuracy', columns: ['sex', 'race'], overall: 0.8, cellWidth: 100, cellHeight: 40, rowLabelWidth: 60, headerHeight: 30 });
  assert.deepEqual(layout.rowValues, ['F', 'M']);
  assert.deepEqual(layout.colValues, ['A', 'B']);
  assert.equal(layout.cells.length, 4);
  const cell = (r: string, c: string) => layout.cells.find((x) => x.rowValue === r && x.colValue === c);
  const missing = cell('M', 'B');
  assert.equal(missing?.entry, undefined);
  assert.ok(Number.isNaN(missing?.tone));
  assert.equal(missing?.x, 60 + 100);
  assert.equal(missing?.y, 30 + 40);
  assert.ok(Math.abs(layout.maxDeviation - 0.1) < 1e-12);
  assert.ok(Math.abs((cell('F', 'B')?.tone ?? 0) + 1) < 1e-12);
  assert.ok(Math.abs((cell('F', 'A')?.tone ?? 0) - 1) < 1e-12);
  assert.ok(Math.abs((cell('M', 'A')?.tone ?? 0) - 0.5) < 1e-12);
  assert.equal(cell('F', 'B')?.entry?.small, true);
  assert.deepEqual(cell('F', 'B')?.entry?.interval, [0.6, 0.8]);
  assert.equal(cell('F', 'B')?.lightText, true);
  assert.equal(cell('M', 'A')?.lightText, false);
  assert.equal(layout.width, 60 + 200);
  assert.equal(layout.height, 30 + 80);
  assert.ok(Math.abs(layout.legend.worse - 0.7) < 1e-12 && Math.abs(layout.legend.better - 0.9) < 1e-12);
});

test('matrix layout for a loss: a higher loss is the worse (negative) tone; natural value order', () => {
  const entries = [
    entry({ a: 'x10', b: 'y' }, 50, { loss: 2 }),
    entry({ a: 'x2', b: 'y' }, 50, { loss: 0.5 }),
  ];
  const layout = layoutMatrix(entries, { metric: 'loss', columns: ['a', 'b'], overall: 1 });
  assert.deepEqual(columnValues(entries, 'a'), ['x2', 'x10']);
  assert.deepEqual(layout.cells.map((c) => c.tone), [0.5, -1]);
  assert.equal(layout.legend.worse, 2);
  assert.equal(layout.legend.better, 0);
});

test('calibration layout: shared domain, points at (confidence, correctness), diagonal, radius by count', () => {
  const bins = [
    { bin: 8, lo: 0.5333, hi: 0.6, count: 25, meanConfidence: 0.55, meanCorrect: 0.45 },
    { bin: 14, lo: 0.9333, hi: 1, count: 100, meanConfidence: 0.98, meanCorrect: 0.96 },
  ];
  const series = [{ key: 'a', label: 'a', count: 125, ece: 0.05, small: false, bins }];
  assert.deepEqual(calibrationDomain(series), [0.4, 1]);
  const layout = layoutCalibration(series, { size: 120, maxRadius: 10, margin: { top: 0, right: 0, bottom: 0, left: 0 } });
  const [p0, p1] = layout.panels[0]?.points ?? [];
  assert.ok(Math.abs((p0?.x ?? 0) - (0.15 / 0.6) * 120) < 1e-9);
  assert.ok(Math.abs((p0?.y ?? 0) - (120 - (0.05 / 0.6) * 120)) < 1e-9);
  assert.equal(p1?.r, 10);
  assert.equal(p0?.r, 5);
  assert.deepEqual(layout.diagonal, { x1: 0, y1: 120, x2: 120, y2: 0 });
  assert.deepEqual(layout.ticks.map((t) => t.value), [0.4, 0.6, 0.8, 1]);
});

test('calibration groups: the worst group first, then the largest, groups without bins skipped', () => {
  const bin = [{ bin: 14, lo: 0.93, hi: 1, count: 1, meanConfidence: 0.95, meanCorrect: 1 }];
  const a = entry({ g: 'a' }, 500, {}, { calibration: bin });
  const b = entry({ g: 'b' }, 50, {}, { calibration: bin });
  const c = entry({ g: 'c' }, 300, {}, { calibration: bin });
  const d = entry({ g: 'd' }, 900, {});
  assert.deepEqual(pickCalibrationGroups([a, b, c, d], b, 3).map((e) => e.group['g']), ['b', 'a', 'c']);
  assert.deepEqual(pickCalibrationGroups([a, b, c, d], undefined, 2).map((e) => e.group['g']), ['a', 'c']);
});

test('diversity layout: quantile boxes and the tau line on a shared v̂ axis', () => {
  const stats = (quantiles: number[]) => ({ count: 10, meanVHat: quantiles[2] ?? 0, quantiles, lowCount: 1, lowShare: 0.1, lowAccuracy: 0.5, restAccuracy: 0.9, biasLoss: 0.1 });
  const layout = layoutDiversity([
    { key: 'a', label: 'a', stats: stats([0.05, 0.1, 0.2, 0.3, 0.38]) },
    { key: 'b', label: 'b', stats: stats([0.01, 0.02, 0.05, 0.1, 0.2]) },
  ], { width: 500, tau: 0.1, labelWidth: 100, noteWidth: 200 });
  assert.deepEqual(layout.domain, [0, 0.4]);
  assert.equal(layout.tauX, 100 + 0.25 * 200);
  assert.deepEqual(layout.rows[0]?.q.map((x) => Math.round(x * 1e9) / 1e9), [125, 150, 200, 250, 290]);
  assert.equal(layout.rows[1]?.y, 26);
});

test('sample note: n, plus positives for TPR and negatives for FPR, flagged when zero (Fairlearn 0/0 = 0)', () => {
  const noPositives = entry({ g: 'z' }, 12, { tpr: 0, fpr: 0.25, positives: 0, negatives: 12 });
  assert.equal(sampleNote(noPositives, 'tpr'), 'n=12, positives=0 (0/0 shown as 0)');
  assert.equal(sampleNote(noPositives, 'fpr'), 'n=12, negatives=12');
  assert.equal(sampleNote(noPositives, 'accuracy'), 'n=12');
  assert.equal(sampleNote(entry({ g: 'y' }, 1500, {}), 'fnr'), 'n=1,500');
});

test('reviveNumbers: "NaN"/"Infinity" strings become numbers, group values named "NaN" stay strings', () => {
  const raw = {
    kind: 'groups', spec: 'NaN',
    groups: {
      sensitive: ['NaN'],
      byGroup: [{ group: { NaN: 'NaN' }, count: 3, restAccuracy: 'NaN', ci: { tpr: ['-Infinity', 'Infinity'] } }],
      disparity: { tpr: { worstGroup: { a: 'Infinity' }, worstValue: 'NaN' } },
    },
  };
  const revived = reviveNumbers(raw);
  const entry = revived.groups.byGroup[0];
  assert.ok(Number.isNaN(entry?.restAccuracy));
  assert.deepEqual(entry?.ci.tpr, [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
  assert.deepEqual(entry?.group, { NaN: 'NaN' });
  assert.deepEqual(revived.groups.sensitive, ['NaN']);
  assert.equal(revived.spec, 'NaN');
  assert.deepEqual(revived.groups.disparity.tpr.worstGroup, { a: 'Infinity' });
  assert.ok(Number.isNaN(revived.groups.disparity.tpr.worstValue));
  assert.equal(raw.groups.byGroup[0]?.restAccuracy, 'NaN');
});
