import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colorLut, divergingScale, formatTick, formatValue, gradientStops, legendTicks, paintRgba, sequentialScale } from '../../../webview/charts/heatmapColor';

test('the diverging scale is centred at 0 on a symmetric domain, PuOr: purple below, orange above', () => {
  const s = divergingScale(0.25);
  assert.deepEqual(s.domain, [-0.25, 0.25]);
  assert.equal(s.unit(0), 0.5);
  assert.equal(s.unit(0.25), 1);
  assert.equal(s.unit(-0.125), 0.25);
  assert.equal(s.unit(9), 1);
  assert.ok(Number.isNaN(s.unit(Number.NaN)));
  assert.equal(s.color(0), 'rgb(243, 238, 234)'); // PuOr's near-white centre
  assert.equal(s.color(-0.25), 'rgb(45, 0, 75)'); // dark purple
  assert.equal(s.color(0.25), 'rgb(127, 59, 8)'); // dark orange
  assert.equal(s.color(Number.NaN), 'transparent');
  assert.equal(divergingScale(-0.4).domain[1], 0.4);
  // degenerate (all-zero difference): everything sits on the neutral centre
  assert.equal(divergingScale(0).unit(0), 0.5);
});

test('sequential viridis/cividis from min to max; a degenerate domain maps to the low end', () => {
  const s = sequentialScale(0, 0.5);
  assert.equal(s.unit(0.25), 0.5);
  assert.equal(s.color(0), '#440154'); // viridis start
  assert.equal(s.color(0.5), '#fde725'); // viridis end
  assert.equal(sequentialScale(0, 1, 'cividis').color(0), 'rgb(0, 32, 81)');
  assert.equal(sequentialScale(0.3, 0.3).unit(0.3), 0);
});

test('LUT and painting: one RGBA per value, NaN fully transparent, ends hit the LUT ends', () => {
  const s = sequentialScale(0, 1);
  const lut = colorLut(s.interpolate, 256);
  assert.equal(lut.length, 1024);
  assert.deepEqual(Array.from(lut.slice(0, 4)), [0x44, 0x01, 0x54, 255]);
  assert.deepEqual(Array.from(lut.slice(1020, 1024)), [0xfd, 0xe7, 0x25, 255]);
  const px = paintRgba([0, 1, Number.NaN, 2], s, lut);
  assert.deepEqual(Array.from(px), [0x44, 0x01, 0x54, 255, 0xfd, 0xe7, 0x25, 255, 0, 0, 0, 0, 0xfd, 0xe7, 0x25, 255]);
  const d = divergingScale(1);
  const centre = paintRgba([0], d, colorLut(d.interpolate, 257));
  assert.deepEqual(Array.from(centre), [243, 238, 234, 255]);
});

test('legend ticks: nice values inside the domain with offsets along the bar', () => {
  const ticks = legendTicks(sequentialScale(0, 0.43), 5);
  assert.deepEqual(ticks.map((t) => t.value), [0, 0.1, 0.2, 0.3, 0.4]);
  assert.deepEqual(ticks.map((t) => t.label), ['0', '0.1', '0.2', '0.3', '0.4']);
  assert.ok(Math.abs((ticks[4]?.offset ?? 0) - 0.4 / 0.43) < 1e-12);
  const diverging = legendTicks(divergingScale(0.03), 6);
  assert.deepEqual(legendTicks(divergingScale(0.03), 4).map((t) => t.label), ['-0.02', '0', '0.02']);
  assert.deepEqual(diverging.map((t) => t.label), ['-0.03', '-0.02', '-0.01', '0', '0.01', '0.02', '0.03']);
  assert.equal(diverging.find((t) => t.value === 0)?.offset, 0.5);
  assert.deepEqual(legendTicks(sequentialScale(1, 1)).map((t) => [t.value, t.offset]), [[1, 0]]);
  assert.deepEqual(legendTicks(divergingScale(0)).map((t) => [t.value, t.offset]), [[-0, 0.5]]);
});

test('tick and value formatting', () => {
  assert.equal(formatTick(0.30000000000000004, 0.1), '0.3');
  assert.equal(formatTick(-2, 1), '-2');
  assert.equal(formatTick(0.025, 0.005), '0.025');
  assert.equal(formatValue(0.123456), '0.123');
  assert.equal(formatValue(0.0123456), '0.0123');
  assert.equal(formatValue(0.00001234), '1.23e-5');
  assert.equal(formatValue(Number.NaN), '—');
  assert.equal(formatValue(0), '0.0000');
});

test('gradient stops span the scale evenly as hex colours', () => {
  const stops = gradientStops(divergingScale(1), 3);
  assert.deepEqual(stops, [{ offset: 0, color: '#2d004b' }, { offset: 0.5, color: '#f3eeea' }, { offset: 1, color: '#7f3b08' }]);
});
