import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { QuantGrid } from '../../../extension/protocol/quant';
import { E2M1, E2M3, E3M2, E4M3, E5M2, floorLog2, minifloatMagnitudes, overlayGrid } from '../../../webview/charts/quantGrid';
import { layoutHistogram } from '../../../webview/charts/quantHistogram';
import { formatChange, layoutChangeMatrix } from '../../../webview/charts/quantMatrix';
import { formatQuantNumber } from '../../../webview/charts/quantData';

// emb.weight of examples/tiny-transformer.onnx: amax and two of the engine's per-tensor grids.
const AMAX = 4.239607334136963;
const INT4_GRID: QuantGrid = {
  name: 'emb.weight', format: 'int4_per_tensor', scale: 0.5652809739112854, zeroPoint: 0,
  values: [-4.522247791290283, -3.9569668769836426, -3.391685962677002, -2.8264048099517822, -2.2611238956451416, -1.695842981338501, -1.1305619478225708, -0.5652809739112854, 0, 0.5652809739112854, 1.1305619478225708, 1.695842981338501, 2.2611238956451416, 2.8264048099517822, 3.391685962677002, 3.9569668769836426],
};

test('minifloat element grids: counts, maxima, smallest subnormals (FORMULAS.md §C)', () => {
  const e4m3 = minifloatMagnitudes(E4M3);
  assert.equal(e4m3.length, 127); // 0, 7 subnormals, 15 binades × 8 minus the NaN code
  assert.equal(e4m3.at(-1), 448);
  assert.equal(e4m3[1], 2 ** -9);
  const e5m2 = minifloatMagnitudes(E5M2);
  assert.equal(e5m2.at(-1), 57344);
  assert.equal(e5m2[1], 2 ** -16);
  assert.deepEqual(minifloatMagnitudes(E2M1), [0, 0.5, 1, 1.5, 2, 3, 4, 6]);
  assert.equal(minifloatMagnitudes(E2M3).at(-1), 7.5);
  assert.equal(minifloatMagnitudes(E3M2).at(-1), 28);
});

test('floorLog2 is exact at and around powers of two (property)', () => {
  assert.equal(floorLog2(1), 0);
  assert.equal(floorLog2(0.99999994), -1);
  assert.equal(floorLog2(2 ** -126), -126);
  fc.assert(fc.property(fc.integer({ min: -140, max: 120 }), fc.double({ min: 1, max: 2, maxExcluded: true, noNaN: true }), (k, m) => {
    assert.equal(floorLog2(m * 2 ** k), k);
  }), { seed: 6, numRuns: 300 });
});

test('per-tensor grids come from the report; symmetric int is recomputed equal to the engine\'s', () => {
  const carried = overlayGrid('int4_per_tensor', 'emb.weight', AMAX, [INT4_GRID]);
  assert.deepEqual(carried.values, INT4_GRID.values);
  assert.ok('partial' in carried && !carried.partial);
  const recomputed = overlayGrid('int4_per_tensor', 'emb.weight', AMAX, []);
  assert.deepEqual(recomputed.values, INT4_GRID.values);
  // Per channel: the channel holding amax has the per-tensor grid; marked partial.
  const perChannel = overlayGrid('int4', 'emb.weight', AMAX, []);
  assert.deepEqual(perChannel.values, INT4_GRID.values);
  assert.ok('partial' in perChannel && perChannel.partial);
  assert.match(perChannel.note, /Per channel/);
  const int8 = overlayGrid('int8', 'emb.weight', AMAX, []);
  assert.equal(int8.values?.length, 255);
  assert.equal(int8.values?.[0], -AMAX);
  assert.equal(int8.values?.[1], -4.2062249183654785);
});

test('asymmetric per channel uses the tensor-wide grid when present, else says why there is none', () => {
  const wide: QuantGrid = { name: 'w', format: 'int8_asym_per_tensor', scale: 0.1, zeroPoint: -17, values: [0.2, -0.1, 0.1] };
  const g = overlayGrid('int8_asym', 'w', 1, [wide]);
  assert.deepEqual(g.values, [-0.1, 0.1, 0.2]);
  assert.match(g.note, /at least as fine/);
  const none = overlayGrid('int4_asym', 'w', 1, []);
  assert.equal(none.values, null);
  assert.match(none.note, /own scale and zero point/);
});

test('FP8 grid: amax maps to the element max; MX and NVFP4 grids of the amax block', () => {
  const fp8 = overlayGrid('fp8_e4m3', 't', AMAX, []);
  assert.equal(fp8.values?.at(-1), Math.fround(Math.fround(AMAX / 448) * 448));
  assert.equal(fp8.values?.length, 253); // the engine's carried grid for emb.weight has 253 values too
  // MXFP4 (emax 2): amax 4.24 → e = 2 − 2 = 0, X = 1: grid ±{0, .5, 1, 1.5, 2, 3, 4, 6}
  const mx = overlayGrid('mxfp4', 't', AMAX, []);
  assert.deepEqual(mx.values, [-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 6]);
  assert.match(mx.note, /2\^0/);
  // MXINT8 (emax 0): amax 0.3 → e = −2, X = 0.25: k/64·0.25, |k| ≤ 127
  const mxint = overlayGrid('mxint8', 't', 0.3, []);
  assert.equal(mxint.values?.length, 255);
  assert.equal(mxint.values?.at(-1), (127 / 64) * 0.25);
  // NVFP4: the amax block's scale 448·s2 ≈ amax/6, so its largest value is ≈ amax
  const nv = overlayGrid('nvfp4', 't', AMAX, []);
  const top = nv.values?.at(-1) ?? 0;
  assert.ok(Math.abs(top - AMAX) / AMAX < 1e-6, `top ${top}`);
  assert.equal(nv.values?.length, 15);
  assert.deepEqual(overlayGrid('int8', 'zeros', 0, []).values, [0]);
});

test('histogram layout: bars fill the plot, grid inside the range, dense grids become a rug', () => {
  const histogram = { min: -2, max: 2, counts: [1, 4, 4, 1] };
  const layout = layoutHistogram(histogram, [-3, -2, 0, 1, 2, 5], { width: 300, height: 200, threshold: 1.5 });
  assert.equal(layout.bars.length, 4);
  assert.equal(layout.total, 10);
  assert.equal(layout.maxCount, 4);
  assert.equal(layout.bars[0]?.x, layout.plot.x);
  const last = layout.bars[3];
  assert.ok(last && Math.abs(last.x + last.width - (layout.plot.x + layout.plot.width)) < 1e-9);
  assert.equal(layout.bars[1]?.height, layout.plot.height);
  assert.equal(layout.bars[0]?.height, layout.plot.height / 4);
  assert.deepEqual(layout.grid.map((g) => g.value), [-2, 0, 1, 2]);
  assert.equal(layout.grid[1]?.x, layout.plot.x + layout.plot.width / 2);
  assert.equal(layout.gridAsLines, true);
  assert.deepEqual(layout.thresholds.map((t) => t.value), [-1.5, 1.5]);
  assert.ok(layout.xTicks.some((t) => t.value === 0));
  const dense = layoutHistogram(histogram, Array.from({ length: 255 }, (_, i) => -2 + (4 * i) / 254), { width: 300, height: 200 });
  assert.equal(dense.gridAsLines, false);
  assert.equal(dense.grid.length, 255);
  const log = layoutHistogram({ min: -1, max: 1, counts: [0, 1000, 9] }, null, { width: 300, height: 200, logCounts: true });
  assert.deepEqual(log.yTicks.map((t) => t.value), [0, 1, 10, 100, 1000]);
  assert.equal(log.bars[0]?.height, 0);
  const zero = layoutHistogram({ min: 0, max: 0, counts: [7] }, [0], { width: 300, height: 200 });
  assert.equal(zero.bars.length, 1);
  assert.ok((zero.bars[0]?.width ?? 0) > 0);
});

test('change matrix: tone +1 is the worse side, NaN cells empty, text only in wide cells', () => {
  const loss = layoutChangeMatrix({
    rows: [{ label: 'sex=F', count: 40, small: true }, { label: 'sex=M', count: 900 }],
    cols: ['int8', 'mxfp4'],
    values: [0.001, 0.04, -0.002, Number.NaN],
    worseWhen: 'positive',
  });
  assert.equal(loss.maxAbs, 0.04);
  assert.deepEqual(loss.cells.map((c) => c.tone).slice(0, 3), [0.025, 1, -0.05]);
  assert.ok(Number.isNaN(loss.cells[3]?.tone));
  assert.equal(loss.cells[1]?.text, '+0.04');
  assert.equal(loss.cells[2]?.text, '−0.002');
  assert.equal(loss.cells[3]?.text, '');
  assert.equal(loss.rowLabels[0]?.small, true);
  assert.equal(loss.cells[1]?.x, loss.grid.x + 64);
  const accuracy = layoutChangeMatrix({ rows: [{ label: 'all' }], cols: ['a', 'b'], values: [-0.1, 0.05], worseWhen: 'negative' });
  assert.deepEqual(accuracy.cells.map((c) => c.tone), [1, -0.5]);
  const wide = layoutChangeMatrix({ rows: [{ label: 'g' }], cols: Array.from({ length: 40 }, (_, i) => `layer${i}`), values: new Float64Array(40), worseWhen: 'positive' });
  assert.equal(wide.cells[0]?.width, 25);
  assert.equal(wide.cells[0]?.text, '');
  assert.equal(wide.maxAbs, 0);
  assert.equal(wide.cells[0]?.tone, 0);
  assert.equal(formatChange(0.012345), '+0.0123');
  assert.equal(formatChange(-2e-5), '−2.0e−5');
  assert.equal(formatQuantNumber(-2.5e-7), '−2.50e−7');
});
