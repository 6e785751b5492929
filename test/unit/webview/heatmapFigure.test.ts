import { test } from 'node:test';
import assert from 'node:assert/strict';
import { divergingScale, sequentialScale } from '../../../webview/charts/heatmapColor';
import { cropSquare, decodeFloat32Base64, encodeFloat32Base64, groupLabel, maskBelow, reportNumber, splitHeads } from '../../../webview/charts/heatmapData';
import { displayToken, escapeXml, figureSvg, layoutFigure } from '../../../webview/charts/heatmapFigure';
import { layoutEnergyCurve, layoutEntropyBoxes } from '../../../webview/charts/heatmapStats';

test('float32 base64 round trip keeps NaN and exact float32 values; wrong sizes are refused', () => {
  const values = [0.1, -2, Number.NaN, 1e-7, 0];
  const text = encodeFloat32Base64(values);
  // 0.1 as little-endian float32 is cd cc cc 3d
  assert.equal(Buffer.from(text, 'base64').subarray(0, 4).toString('hex'), 'cdcccc3d');
  const decoded = decodeFloat32Base64(text, 5);
  assert.deepEqual(Array.from(decoded), Array.from(Float32Array.from(values)));
  assert.throws(() => decodeFloat32Base64(text, 4), /5 values, expected 4/);
  assert.throws(() => decodeFloat32Base64(btoa('abc')), /not a multiple of 4/);
});

test('report numbers: "NaN"/"Infinity" strings become numbers', () => {
  assert.equal(reportNumber(0.5), 0.5);
  assert.ok(Number.isNaN(reportNumber('NaN')));
  assert.equal(reportNumber('Infinity'), Number.POSITIVE_INFINITY);
  assert.equal(reportNumber('-Infinity'), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(reportNumber(undefined)));
  assert.ok(Number.isNaN(reportNumber('')));
});

test('crop, split heads, mask and group labels', () => {
  const map = Float32Array.from({ length: 9 }, (_, i) => i);
  assert.deepEqual(Array.from(cropSquare(map, 3, 2)), [0, 1, 3, 4]);
  assert.equal(cropSquare(map, 3, 3), map);
  const heads = splitHeads(Float32Array.from({ length: 8 }, (_, i) => i).buffer, 2, 2);
  assert.deepEqual(heads.map((h) => Array.from(h)), [[0, 1, 2, 3], [4, 5, 6, 7]]);
  assert.throws(() => splitHeads(new ArrayBuffer(12), 2, 2), /expected 2×2×2 float32 = 32/);
  const masked = maskBelow(Float32Array.from([-0.5, -10000, 0.2, -1e9]), -1e4);
  assert.deepEqual(Array.from(masked).map((v) => (Number.isNaN(v) ? 'NaN' : v)), [-0.5, 'NaN', 0.20000000298023224, 'NaN']);
  const unmasked = Float32Array.from([1, 2]);
  assert.equal(maskBelow(unmasked, -1e4), unmasked);
  assert.equal(groupLabel({ sex: 'F', race: 'B' }), 'sex=F, race=B');
  assert.equal(groupLabel({}), '(all)');
});

test('tokens become visible, bounded labels', () => {
  assert.equal(displayToken('', 10), '∅');
  assert.equal(displayToken(' the', 10), '␣the');
  assert.equal(displayToken('a\nb', 10), 'a·b');
  assert.equal(displayToken('internationalization', 8), 'interna…');
  assert.equal(displayToken('😀😀😀', 2), '😀…');
});

test('figure layout: labels thinned to fit, map square, legend under the map', () => {
  const tokens = Array.from({ length: 100 }, (_, i) => `t${i}`);
  const layout = layoutFigure({ title: 'L0 H1', rows: 100, cols: 100, rowLabels: tokens, colLabels: tokens, mapSize: 400, scale: sequentialScale(0, 1), fontSize: 11 });
  assert.equal(layout.map.width, 400);
  assert.equal(layout.map.height, 400);
  assert.equal(layout.rowStep, 5); // 4 px per cell, labels ≥ 13 px apart → every 5th
  assert.equal(layout.rowLabels.length, 20);
  assert.equal(layout.rowLabels[1]?.text, 't5');
  assert.equal(layout.rowLabels[1]?.y, layout.map.y + 22);
  assert.equal(layout.colLabels[2]?.x, layout.map.x + 42);
  assert.ok(layout.legend.y > layout.map.y + layout.map.height);
  assert.deepEqual(layout.legend.ticks.map((t) => t.text), ['0', '0.2', '0.4', '0.6', '0.8', '1']);
  assert.equal(layout.legend.ticks.at(-1)?.x, layout.map.x + layout.legend.width);
  assert.ok(layout.width >= layout.map.x + layout.map.width);
  // positions as labels when no tokens; a non-square map keeps its aspect
  const wide = layoutFigure({ title: 'bias', rows: 4, cols: 8, mapSize: 200, scale: divergingScale(1) });
  assert.equal(wide.map.width, 200);
  assert.equal(wide.map.height, 100);
  assert.deepEqual(wide.rowLabels.map((l) => l.text), ['0', '1', '2', '3']);
});

test('SVG export: one image for the map, escaped model strings, baked colours', () => {
  const layout = layoutFigure({ title: 'head <0> & "1"', rows: 2, cols: 2, rowLabels: ['<s>', 'a&b'], colLabels: ['<s>', 'a&b'], mapSize: 100, scale: sequentialScale(0, 1) });
  const svg = figureSvg(layout, 'data:image/png;base64,AAAA', { foreground: '#111111', background: '#ffffff' });
  assert.ok(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.equal(svg.match(/<image /g)?.length, 1);
  assert.ok(svg.includes('href="data:image/png;base64,AAAA"'));
  assert.ok(svg.includes('<title>head &lt;0&gt; &amp; &quot;1&quot;</title>'));
  assert.equal(svg.match(/>&lt;s&gt;</g)?.length, 2);
  assert.equal(svg.match(/>a&amp;b</g)?.length, 2);
  assert.ok(!svg.includes('<s>'));
  assert.ok(svg.includes('fill="#ffffff"'));
  assert.equal(svg.match(/<stop /g)?.length, 11);
  assert.equal(escapeXml(`'`), '&apos;');
});

test('entropy boxes: quantiles on a [0, 1] axis, one row per head', () => {
  const layout = layoutEntropyBoxes([
    { label: 'L0 H0', p10: 0.1, p25: 0.2, p50: 0.5, p75: 0.8, p90: 0.9, mean: 0.5 },
    { label: 'L0 H1', p10: Number.NaN, p25: 0, p50: 1, p75: 1.2, p90: 1, mean: 0.75 },
  ], { width: 182, labelWidth: 70, rowHeight: 10 });
  assert.equal(layout.plotWidth, 100);
  assert.deepEqual([layout.boxes[0]?.x10, layout.boxes[0]?.x25, layout.boxes[0]?.x50, layout.boxes[0]?.x75, layout.boxes[0]?.x90], [80, 90, 120, 150, 160]);
  assert.deepEqual([layout.boxes[1]?.x10, layout.boxes[1]?.x75, layout.boxes[1]?.xMean, layout.boxes[1]?.y], [70, 170, 145, 15]);
  assert.deepEqual(layout.ticks.map((t) => t.x), [70, 95, 120, 145, 170]);
  assert.equal(layout.height, 40);
});

test('energy curve: R on x, energy on y, threshold line and the rank point', () => {
  const layout = layoutEnergyCurve([0.5, 1, 1, 1, 1], 2, { width: 132, height: 118 });
  // plot x 26…126 (width 100), y 4…104 (height 100)
  assert.deepEqual(layout.points.map((p) => [p.x, p.y]), [[26, 54], [51, 4], [76, 4], [101, 4], [126, 4]]);
  assert.ok(Math.abs(layout.thresholdY - 4.5) < 1e-9);
  assert.deepEqual(layout.rankPoint, { x: 51, y: 4 });
  assert.equal(layoutEnergyCurve([1], 1, { width: 132, height: 118 }).points[0]?.x, 76);
  assert.equal(layoutEnergyCurve([0.4], 3, { width: 132, height: 118 }).rankPoint, undefined);
});

test('a sample reply becomes per-head maps cropped to the valid length; malformed replies are named', async () => {
  const { parseSampleResult } = await import('../../../webview/charts/heatmapData');
  // 2 layers × 2 heads × T=3, validLength 2
  const layer = (l: number): Float32Array => Float32Array.from({ length: 18 }, (_, i) => l * 100 + i);
  const reply = { tokens: ['<s>', 'hi', '<pad>'], validLength: 2, layout: '[B,H,T,T]', group: { sex: 'F' },
    layers: [{ layer: 1, heads: 2, T: 3, data: layer(1).buffer }, { layer: 0, heads: 2, T: 3, data: layer(0) }] };
  const s = parseSampleResult(reply, 2, 2);
  assert.equal(s.size, 2);
  assert.equal(s.paddedLength, 3);
  assert.deepEqual(s.tokens, ['<s>', 'hi']);
  assert.deepEqual(Array.from(s.maps[0]?.[1] ?? []), [9, 10, 12, 13]);
  assert.deepEqual(Array.from(s.maps[1]?.[0] ?? []), [100, 101, 103, 104]);
  assert.deepEqual(s.group, { sex: 'F' });
  assert.throws(() => parseSampleResult(null, 2, 2), /no attention maps/);
  assert.throws(() => parseSampleResult({ ...reply, layers: [reply.layers[0]] }, 2, 2), /no layer 0/);
  assert.throws(() => parseSampleResult({ ...reply, tokens: ['a'] }, 2, 2), /1 tokens for maps of length 3/);
  assert.throws(() => parseSampleResult(reply, 2, 4), /has 2 heads, the report 4/);
  assert.throws(() => parseSampleResult({ ...reply, layers: [{ layer: 0, heads: 2, T: 3, data: [1, 2] }] }, 1, 2), /not binary data/);
});

test('a long title widens the figure instead of being cut', () => {
  const title = 'Layer 0 · head 1 — dataset mean attention over 500 samples (relative, rank 3)';
  const layout = layoutFigure({ title, rows: 4, cols: 4, mapSize: 100, scale: sequentialScale(0, 1), fontSize: 10 });
  assert.ok(layout.width >= 8 + Array.from(title).length * 6.4, `width ${layout.width}`);
});
