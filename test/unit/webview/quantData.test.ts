import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { QuantFormatId, QuantizationSection, QuantTensorError, QuantTensorInfo } from '../../../extension/protocol/quant';
import {
  colourGrid, colourTickLabel, colourValue, describeError, describeTensor, errorMatrix, exactCounts, formatMetric, formatQuantNumber,
  formatSummaryText, isExact, rankFormats, relativeErrorOfSqnr, reviveQuantNumbers, shortName, skippedByCode, sortTensors,
} from '../../../webview/charts/quantData';

function info(name: string, graphIndex: number, elements: number, extra: Partial<QuantTensorInfo> = {}): QuantTensorInfo {
  return {
    name, shape: [elements / 32, 32], dtype: 'float32', elements, source: 'initializer', graphPath: '', op: 'MatMul', node: `/${name}/MatMul`,
    inputIndex: 1, via: [], channelAxis: 1, blockAxis: 0, blockFlattenTrailing: false, axisConflicts: [], graphIndex,
    histogram: { min: -1, max: 1, counts: [1, 2, 1] }, nonFinite: 0,
    outliers: { k: 6, threshold: 3, total: 0, byBlockSize: [] },
    ...extra,
  };
}

function err(name: string, format: QuantFormatId, sqnr: number, mse: number): QuantTensorError {
  return { name, format, mse, sqnr_db: sqnr, max_abs: mse * 10, rel_fro: 10 ** (-sqnr / 20), cosine: 1 - mse };
}

const formats: QuantFormatId[] = ['int8', 'mxfp4'];
const section: Pick<QuantizationSection, 'tensors' | 'tensorInfo' | 'formats'> = {
  formats,
  tensorInfo: [info('b', 5, 1024), info('a', 2, 4096), info('c', 5, 2048)],
  // Tensor-major but deliberately shuffled: the matrix must find records by (name, format).
  tensors: [
    err('a', 'mxfp4', 15, 0.02), err('b', 'int8', 45, 1e-5), err('a', 'int8', 46, 9e-6),
    err('b', 'mxfp4', 14, 0.03), err('c', 'int8', Number.POSITIVE_INFINITY, 0), err('c', 'mxfp4', Number.NaN, Number.NaN),
  ],
};

test('report numbers: "Infinity"/"NaN" strings revived, names and group values untouched', () => {
  const raw = {
    tensors: [{ name: 'NaN', format: 'int8', sqnr_db: 'Infinity', mse: 0, cosine: 'NaN' }],
    impact: [{ byGroup: [{ group: { sex: 'NaN' }, kl: 'NaN', lossDelta: '-Infinity' }], worstGroup: { sex: 'Infinity' }, flips: { shown: [{ groups: { race: 'NaN' }, fp32: 1 }] } }],
  };
  const revived = reviveQuantNumbers(raw);
  assert.equal(revived.tensors[0]?.name, 'NaN');
  assert.equal(revived.tensors[0]?.sqnr_db, Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(revived.tensors[0]?.cosine));
  assert.equal(revived.impact[0]?.byGroup[0]?.group.sex, 'NaN');
  assert.ok(Number.isNaN(revived.impact[0]?.byGroup[0]?.kl));
  assert.equal(revived.impact[0]?.byGroup[0]?.lossDelta, Number.NEGATIVE_INFINITY);
  assert.equal(revived.impact[0]?.worstGroup.sex, 'Infinity');
  assert.equal(revived.impact[0]?.flips.shown[0]?.groups.race, 'NaN');
});

test('error matrix finds records by tensor and format whatever their order', () => {
  const m = errorMatrix(section);
  assert.equal(m.cell(1, 0)?.sqnr_db, 46);
  assert.equal(m.cell(0, 1)?.sqnr_db, 14);
  assert.equal(m.cell(2, 0)?.mse, 0);
  assert.equal(m.cell(3, 0), undefined);
  assert.equal(m.cell(0, 2), undefined);
  assert.deepEqual(exactCounts(m), [1, 0]);
});

test('sort orders: graph (index, then name), size (largest first), error worst first with NaN last', () => {
  const m = errorMatrix(section);
  assert.deepEqual(sortTensors(m, 'graph', 'sqnr_db', 0), [1, 0, 2]);
  assert.deepEqual(sortTensors(m, 'size', 'sqnr_db', 0), [1, 2, 0]);
  // int8 SQNR: b 45 (worst), a 46, c +∞ (exact, best)
  assert.deepEqual(sortTensors(m, 'error', 'sqnr_db', 0), [0, 1, 2]);
  // mxfp4 MSE: b 0.03 worst, a 0.02, c NaN last
  assert.deepEqual(sortTensors(m, 'error', 'mse', 1), [0, 1, 2]);
  // mxfp4 SQNR: b 14 worst, a 15, c NaN last
  assert.deepEqual(sortTensors(m, 'error', 'sqnr_db', 1), [0, 1, 2]);
  // cosine (higher better): int8 cosine b 1-1e-5 < a 1-9e-6 < c 1
  assert.deepEqual(sortTensors(m, 'error', 'cosine', 0), [0, 1, 2]);
});

test('sort orders are permutations for any records (property)', () => {
  fc.assert(fc.property(
    fc.array(fc.record({ g: fc.integer({ min: 0, max: 5 }), n: fc.integer({ min: 1, max: 64 }), s: fc.oneof(fc.double({ min: -10, max: 90, noNaN: true }), fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY)) }), { minLength: 1, maxLength: 30 }),
    fc.constantFrom('graph' as const, 'size' as const, 'error' as const),
    (rows, order) => {
      const tensorInfo = rows.map((r, i) => info(`t${i}`, r.g, r.n * 32));
      const tensors = rows.map((r, i) => err(`t${i}`, 'int8', r.s, 0.1));
      const m = errorMatrix({ formats: ['int8'], tensorInfo, tensors });
      const sorted = sortTensors(m, order, 'sqnr_db', 0);
      assert.deepEqual([...sorted].sort((a, b) => a - b), rows.map((_, i) => i));
      if (order === 'error') {
        const values = sorted.map((i) => rows[i]?.s ?? 0);
        const firstNaN = values.findIndex(Number.isNaN);
        const finiteOrInf = firstNaN < 0 ? values : values.slice(0, firstNaN);
        for (let i = 1; i < finiteOrInf.length; i++) assert.ok((finiteOrInf[i - 1] ?? 0) <= (finiteOrInf[i] ?? 0));
        if (firstNaN >= 0) assert.ok(values.slice(firstNaN).every(Number.isNaN));
      }
    }), { seed: 6, numRuns: 200 });
});

test('colour values: SQNR linear, errors on log10, cosine as log10(1 − cos); exact and NaN cells', () => {
  assert.equal(colourValue(20, 'sqnr_db'), 20);
  assert.equal(colourValue(1e-4, 'mse'), -4);
  assert.equal(colourValue(0, 'mse'), Number.NEGATIVE_INFINITY);
  assert.ok(Math.abs(colourValue(0.999, 'cosine') - -3) < 1e-9);
  assert.equal(colourValue(1, 'cosine'), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(colourValue(Number.NaN, 'rel_fro')));
  const m = errorMatrix(section);
  const grid = colourGrid(m, [1, 0, 2], 'sqnr_db');
  assert.deepEqual(Array.from(grid.values).slice(0, 4), [46, 15, 45, 14]);
  assert.equal(grid.values[4], Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(grid.values[5]));
  assert.equal(grid.min, 14);
  assert.equal(grid.max, 46);
  assert.equal(colourTickLabel(-3, 'mse', '-3'), '0.001');
  assert.equal(colourTickLabel(20, 'sqnr_db', '20'), '20');
});

test('exactness and number formatting (+∞ exact, NaN as n/a)', () => {
  assert.equal(isExact(err('x', 'int8', Number.POSITIVE_INFINITY, 0)), true);
  assert.equal(isExact(err('x', 'int8', 30, 1e-3)), false);
  assert.equal(formatMetric('sqnr_db', Number.POSITIVE_INFINITY), '+∞ dB (exact)');
  assert.equal(formatMetric('sqnr_db', 11.53814864344529), '11.54 dB');
  assert.equal(formatMetric('cosine', Number.NaN), 'n/a');
  assert.equal(formatMetric('cosine', 0.97988300169602), '0.979883');
  assert.equal(formatMetric('cosine', 0.9999858298163202), '1 − 1.42e−5');
  assert.equal(formatMetric('cosine', 1), '1');
  assert.equal(formatQuantNumber(0.26490647141300877), '0.2649');
  assert.equal(formatQuantNumber(0.000027601891348609392), '2.76e−5');
  assert.equal(formatQuantNumber(-2), '−2');
  assert.deepEqual(describeError({ name: 'x', format: 'int8', mse: 0.25, sqnr_db: 11.53814864344529, max_abs: 1, rel_fro: 0.26490647141300877, cosine: 0.97988300169602 }),
    ['sqnr_db 11.54 dB', 'rel_fro 0.2649', 'max_abs 1', 'cosine 0.979883', 'mse 0.25']);
  assert.equal(describeTensor(info('w', 0, 2048, { via: ['Transpose'] })), '[64, 32] float32, 2,048 values · MatMul /w/MatMul (input 1) via Transpose · channel axis 1 · blocks axis 0');
  assert.equal(describeTensor(info('w', 0, 2048, { op: null, channelAxis: null, blockFlattenTrailing: true })), '[64, 32] float32, 2,048 values · no consumer · channel per-tensor · blocks axis 0 (trailing axes flattened)');
});

test('plain-words summaries: relative error from SQNR, exact tensors, all exact', () => {
  assert.ok(Math.abs(relativeErrorOfSqnr(11.53814864344529) - 0.26490647141300877) < 1e-12);
  const text = formatSummaryText({ format: 'int4', meanSqnrDb: 20, worstTensor: 'w', worstSqnrDb: 14, totalMse: 0.01 }, 10, 2);
  assert.equal(text, 'int4 (INT4 symmetric, per channel): mean SQNR 20.0 dB over the tensors — the quantization error’s RMS is about 10% of the weights’ RMS; exact on 2 of 10 tensors. The worst tensor is w at 14.00 dB (error ≈ 20%).');
  assert.equal(formatSummaryText({ format: 'int8', meanSqnrDb: Number.NaN, worstTensor: 'w', worstSqnrDb: Number.POSITIVE_INFINITY, totalMse: 0 }, 3, 3), 'int8 (INT8 symmetric, per channel) is exact on every analysed tensor.');
  const ranked = rankFormats([
    { format: 'mxfp4', meanSqnrDb: 17, worstTensor: 'a', worstSqnrDb: 15, totalMse: 1 },
    { format: 'int8', meanSqnrDb: 46, worstTensor: 'a', worstSqnrDb: 45, totalMse: 1 },
    { format: 'fp8_e4m3', meanSqnrDb: 31, worstTensor: 'a', worstSqnrDb: 30, totalMse: 1 },
  ]);
  assert.deepEqual(ranked.map((s) => s.format), ['int8', 'fp8_e4m3', 'mxfp4']);
});

test('short names keep the start and the end; skipped reasons counted', () => {
  assert.equal(shortName('emb.weight', 28), 'emb.weight');
  const s = shortName('model.layers.23.self_attn.q_proj.weight', 20);
  assert.equal(Array.from(s).length, 20);
  assert.ok(s.startsWith('model.') && s.endsWith('proj.weight') && s.includes('…'));
  assert.deepEqual(skippedByCode([{ code: 'not-float' }, { code: 'too-small' }, { code: 'not-float' }]), [{ code: 'not-float', count: 2 }, { code: 'too-small', count: 1 }]);
});
