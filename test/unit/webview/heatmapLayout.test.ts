import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { blockIndex, cellAtPoint, downsampleMap, finiteMax, finiteMaxAbs, layoutHeadGrid, moveInGrid, renderResolution, thinLabels } from '../../../webview/charts/heatmapLayout';

const near = (actual: ArrayLike<number>, expected: readonly number[]): void => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => {
    const a = actual[i] ?? Number.NaN;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `index ${i}: ${a} is not NaN`);
    else assert.ok(Math.abs(a - e) < 1e-6, `index ${i}: ${a} vs ${e}`);
  });
};

// 4×4 map, values 0..15 row-major
const map4 = Float32Array.from({ length: 16 }, (_, i) => i);

test('blockIndex splits n cells into out contiguous blocks of ⌊n/out⌋ or ⌈n/out⌉', () => {
  assert.deepEqual(Array.from(blockIndex(4, 2)), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(blockIndex(5, 2)), [0, 0, 1, 1, 1]);
  assert.deepEqual(Array.from(blockIndex(7, 3)), [0, 0, 1, 1, 2, 2, 2]);
  assert.deepEqual(Array.from(blockIndex(3, 3)), [0, 1, 2]);
});

test('downsampling 4×4 to 2×2 by block mean and block max (by hand)', () => {
  // blocks: [0,1,4,5] [2,3,6,7] / [8,9,12,13] [10,11,14,15]
  const mean = downsampleMap(map4, 4, 4, 2, 2, 'mean');
  assert.equal(mean.rows, 2);
  assert.equal(mean.cols, 2);
  near(mean.values, [2.5, 4.5, 10.5, 12.5]);
  near(downsampleMap(map4, 4, 4, 2, 2, 'max').values, [5, 7, 13, 15]);
});

test('uneven blocks: 5×5 to 2×2 uses blocks of 2 and 3 cells', () => {
  const map = Float32Array.from({ length: 25 }, (_, i) => i);
  // rows {0,1} {2,3,4}, cols {0,1} {2,3,4}
  near(downsampleMap(map, 5, 5, 2, 2, 'max').values, [6, 9, 21, 24]);
  near(downsampleMap(map, 5, 5, 2, 2, 'mean').values, [3, 5.5, 15.5, 18]);
});

test('absmax keeps the sign of the largest magnitude; NaN cells are ignored, all-NaN blocks stay NaN', () => {
  const map = Float32Array.from([0.1, -0.9, Number.NaN, Number.NaN, 0.5, 0.2, Number.NaN, Number.NaN, 0, 0, 1, 2, 0, 0, 3, Number.NaN]);
  near(downsampleMap(map, 4, 4, 2, 2, 'absmax').values, [-0.9, Number.NaN, 0, 3]);
  near(downsampleMap(map, 4, 4, 2, 2, 'mean').values, [(0.1 - 0.9 + 0.5 + 0.2) / 4, Number.NaN, 0, 2]);
});

test('a target larger than the map never enlarges it; sizes clamp to at least 1', () => {
  const same = downsampleMap(map4, 4, 4, 10, 10, 'max');
  assert.equal(same.rows, 4);
  near(same.values, Array.from(map4));
  const one = downsampleMap(map4, 4, 4, 0, 0, 'mean');
  assert.equal(one.rows, 1);
  near(one.values, [7.5]);
});

test('a 1024×1024 diagonal on 256 pixels keeps its peak with max (mean dilutes it by 4)', () => {
  const T = 1024;
  const map = new Float32Array(T * T);
  for (let i = 0; i < T; i++) map[i * T + i] = 1;
  const max = downsampleMap(map, T, T, 256, 256, 'max');
  assert.equal(max.values.length, 256 * 256);
  assert.equal(max.values[0], 1);
  assert.equal(max.values[255 * 256 + 255], 1);
  assert.equal(max.values[1], 0);
  assert.equal(downsampleMap(map, T, T, 256, 256, 'mean').values[0], 0.25);
});

test('property: block max ≥ block mean, and the means preserve the total mass for even blocks', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 576, maxLength: 576 }), (out, k, cells) => {
    const n = out * k;
    const map = Float32Array.from(cells.slice(0, n * n));
    const max = downsampleMap(map, n, n, out, out, 'max').values;
    const mean = downsampleMap(map, n, n, out, out, 'mean').values;
    const total = map.reduce((s, v) => s + v, 0);
    const meanTotal = mean.reduce((s, v) => s + v, 0) * k * k;
    assert.ok(Math.abs(total - meanTotal) < 1e-3, `${total} vs ${meanTotal}`);
    for (let i = 0; i < max.length; i++) assert.ok((max[i] ?? 0) >= (mean[i] ?? 0) - 1e-6);
  }), { seed: 5, numRuns: 60 });
});

test('renderResolution: device pixels, capped by the cell count', () => {
  assert.equal(renderResolution(1024, 120, 2), 240);
  assert.equal(renderResolution(16, 120, 2), 16);
  assert.equal(renderResolution(1024, 100, Number.NaN), 100);
  assert.equal(renderResolution(1, 0, 1), 1);
});

test('token labels: every k-th with k in 1, 2, 5, 10, 20…', () => {
  // 10 px per cell: everything fits
  assert.deepEqual(thinLabels(8, 80, 10).labels.map((l) => l.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  // 2 px per cell, 12 px apart → 6 cells → k = 10
  const t = thinLabels(100, 200, 12);
  assert.equal(t.step, 10);
  assert.deepEqual(t.labels.map((l) => l.index), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.equal(t.labels[1]?.position, 21);
  // 1024 tokens on 480 px at 13 px: 0.46875 px per cell → need 27.7 → k = 50
  assert.equal(thinLabels(1024, 480, 13).step, 50);
  assert.equal(thinLabels(10, 40, 8).step, 2);
  assert.equal(thinLabels(10, 20, 8).step, 5);
  assert.deepEqual(thinLabels(0, 100, 10).labels, []);
});

test('property: thinned labels are at least minSpacing apart (or a single label)', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 2048 }), fc.integer({ min: 20, max: 1200 }), fc.integer({ min: 4, max: 30 }), (count, extent, spacing) => {
    const { labels, step } = thinLabels(count, extent, spacing);
    assert.equal(labels[0]?.index, 0);
    if (labels.length > 1) assert.ok((extent / count) * step >= spacing - 1e-9);
    assert.equal(labels.length, Math.ceil(count / step));
  }), { seed: 7, numRuns: 200 });
});

test('head grid: layers are rows, heads columns, cells share the width within [min, max]', () => {
  const g = layoutHeadGrid(2, 4, { availableWidth: 400, labelWidth: 20, headerHeight: 10, gap: 4, minCell: 30, maxCell: 200 });
  // (400 − 20 − 3·4) / 4 = 92
  assert.equal(g.cellSize, 92);
  assert.equal(g.cells.length, 8);
  assert.deepEqual(g.cells.map((c) => c.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(g.cells[5], { layer: 1, head: 1, index: 5, x: 20 + 96, y: 10 + 96 });
  assert.equal(g.width, 20 + 4 * 92 + 3 * 4);
  assert.equal(g.height, 10 + 2 * 92 + 4);
  assert.deepEqual(g.rowLabels.map((r) => r.y), [10 + 46, 10 + 96 + 46]);
  assert.deepEqual(g.columnLabels.map((c) => c.x), [66, 162, 258, 354]);
  assert.equal(layoutHeadGrid(1, 64, { availableWidth: 400, minCell: 30 }).cellSize, 30);
  assert.equal(layoutHeadGrid(1, 1, { availableWidth: 4000, maxCell: 120 }).cellSize, 120);
});

test('hit-testing maps CSS pixels to cells', () => {
  assert.deepEqual(cellAtPoint(0, 0, 100, 100, 10, 10), { row: 0, col: 0 });
  assert.deepEqual(cellAtPoint(99.9, 35, 100, 100, 10, 10), { row: 3, col: 9 });
  assert.deepEqual(cellAtPoint(50, 49.99, 100, 50, 1024, 1024), { row: 1023, col: 512 });
  assert.equal(cellAtPoint(50, 50, 100, 50, 1024, 1024), null);
  assert.equal(cellAtPoint(100, 0, 100, 100, 10, 10), null);
  assert.equal(cellAtPoint(-1, 0, 100, 100, 10, 10), null);
});

test('keyboard: arrows move and stop at edges; Home/End/PageUp/PageDown; other keys are ignored', () => {
  // 3 layers × 4 heads; index 5 = layer 1 head 1
  assert.equal(moveInGrid(5, 'ArrowRight', 3, 4), 6);
  assert.equal(moveInGrid(5, 'ArrowLeft', 3, 4), 4);
  assert.equal(moveInGrid(5, 'ArrowUp', 3, 4), 1);
  assert.equal(moveInGrid(5, 'ArrowDown', 3, 4), 9);
  assert.equal(moveInGrid(4, 'ArrowLeft', 3, 4), 4);
  assert.equal(moveInGrid(7, 'ArrowRight', 3, 4), 7);
  assert.equal(moveInGrid(1, 'ArrowUp', 3, 4), 1);
  assert.equal(moveInGrid(9, 'ArrowDown', 3, 4), 9);
  assert.equal(moveInGrid(5, 'Home', 3, 4), 4);
  assert.equal(moveInGrid(5, 'End', 3, 4), 7);
  assert.equal(moveInGrid(5, 'PageUp', 3, 4), 1);
  assert.equal(moveInGrid(5, 'PageDown', 3, 4), 9);
  assert.equal(moveInGrid(5, 'Enter', 3, 4), null);
});

test('finite extremes skip NaN and infinities', () => {
  assert.equal(finiteMax([Number.NaN, 0.2, 0.7, Number.NaN]), 0.7);
  assert.equal(finiteMax([Number.NaN]), 0);
  assert.equal(finiteMaxAbs([0.1, -0.4, Number.NaN, Number.NEGATIVE_INFINITY]), 0.4);
});
