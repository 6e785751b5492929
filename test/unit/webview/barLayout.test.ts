import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutBars, niceStep } from '../../../webview/charts/barLayout';

test('niceStep picks 1, 2 or 5 times a power of ten', () => {
  assert.equal(niceStep(10), 5);
  assert.equal(niceStep(7), 2);
  assert.equal(niceStep(100), 50);
  assert.equal(niceStep(0.3), 0.1);
  assert.equal(niceStep(0), 1);
});

test('bars are laid out in order and scaled to a nice domain', () => {
  const layout = layoutBars([{ label: 'MatMul', value: 10 }, { label: 'Add', value: 5 }, { label: 'Relu', value: 0 }], { width: 400, labelWidth: 100, noteWidth: 50, barHeight: 10, gap: 2 });
  assert.equal(layout.plotX, 100);
  assert.equal(layout.plotWidth, 250);
  assert.deepEqual(layout.bars.map((b) => b.y), [0, 12, 24]);
  // domain [0, 10] (step 5): the longest bar spans the plot, the half bar half of it
  assert.equal(layout.bars[0]?.width, 250);
  assert.equal(layout.bars[1]?.width, 125);
  assert.equal(layout.bars[2]?.width, 0);
  assert.deepEqual(layout.ticks.map((t) => t.value), [0, 5, 10]);
  assert.deepEqual(layout.ticks.map((t) => t.x), [100, 225, 350]);
  assert.equal(layout.height, 3 * 12 + 18);
});

test('non-finite values get zero-width bars and do not stretch the domain', () => {
  const layout = layoutBars([{ label: 'a', value: Number.NaN }, { label: 'b', value: 3 }], { width: 300 });
  assert.equal(layout.bars[0]?.width, 0);
  assert.ok((layout.bars[1]?.width ?? 0) > 0);
});
