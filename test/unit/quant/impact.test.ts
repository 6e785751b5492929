/**
 * Model-level quantization impact: per-sample KL and the mergeable group sums (pure), float16
 * write-back, and on the income demo: int8 vs a coarse format, group counts, identity copy
 * (exactly zero change), flips checked against direct runs, layer sensitivity and the re-measured
 * mixed-precision suggestion.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadSpec } from '../../../extension/core/data';
import type { ResolvedSpec } from '../../../extension/core/data';
import { float16ToNumber, loadModel } from '../../../extension/core/onnx';
import type { LoadedModel } from '../../../extension/core/onnx';
import { loadOrt } from '../../../extension/core/runtime';
import { ImpactAccumulator, sampleKl, worstGroup } from '../../../extension/core/quant/compare';
import type { ComparisonBatch } from '../../../extension/core/quant/compare';
import { fakeQuantizedModel, readFloatWeights } from '../../../extension/core/quant/weights';
import { quantImpact } from '../../../extension/core/analyze/quantImpact';
import type { ImpactResult } from '../../../extension/core/analyze/quantImpact';
import { comparisonPass } from '../../../extension/core/analyze/quantPass';
import { encodeFloatValues, float32ToFloat16Bits, replaceWeights } from '../../../extension/core/quant/rewrite';
import { layerSensitivity } from '../../../extension/core/analyze/quantSensitivity';
import type { SampleColumns } from '../../../extension/core/metrics/batch';
import type { QuantSensitivity } from '../../../extension/protocol/quant';

const ROOT = resolve(__dirname, '../../..');
const EXAMPLES = join(ROOT, 'examples');
const ROWS = 2048;

function cols(pred: number[], loss: number[]): SampleColumns {
  return { n: pred.length, numClasses: 2, score: new Float64Array(pred.length), pred: Float64Array.from(pred), loss: Float64Array.from(loss) };
}

describe('per-sample KL', () => {
  it('one binary logit is the Bernoulli KL; two logits the softmax KL; identical rows 0 exactly', () => {
    const sig = (x: number): number => 1 / (1 + Math.exp(-x));
    const bern = (p: number, q: number): number => p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q));
    const kl = sampleKl([1.5, -0.5, 3], [1.0, -0.5, 2.5], 3, 1, { outputKind: 'logits', task: 'binary' });
    assert.ok(Math.abs((kl[0] as number) - bern(sig(1.5), sig(1.0))) < 1e-15);
    assert.equal(kl[1], 0);
    assert.ok(Math.abs((kl[2] as number) - bern(sig(3), sig(2.5))) < 1e-15);
    const soft = (z: number[]): number[] => { const e = z.map(Math.exp); const s = e.reduce((a, b) => a + b); return e.map((v) => v / s); };
    const p = soft([2, 1, 0.1]);
    const q = soft([1.5, 1.2, 0.3]);
    const want = p.reduce((sum, pk, k) => sum + pk * Math.log(pk / (q[k] as number)), 0);
    const got = sampleKl([2, 1, 0.1, 7, 7, 7], [1.5, 1.2, 0.3, 7, 7, 7], 2, 3, { outputKind: 'logits', task: 'multiclass' });
    assert.ok(Math.abs((got[0] as number) - want) < 1e-15);
    assert.equal(got[1], 0);
    // Probabilities are taken as they are; shift invariance of logits holds.
    const probs = sampleKl(p, q, 1, 3, { outputKind: 'probabilities', task: 'multiclass' });
    assert.ok(Math.abs((probs[0] as number) - want) < 1e-15);
    const shifted = sampleKl([1002, 1001, 1000.1], [1001.5, 1001.2, 1000.3], 1, 3, { outputKind: 'logits', task: 'multiclass' });
    assert.ok(Math.abs((shifted[0] as number) - want) < 1e-9);
    assert.ok(Number.isNaN(sampleKl([1], [2], 1, 1, { outputKind: 'regression', task: 'regression' })[0]));
  });

  it('is ≥ 0 for random logits (property, seeded)', () => {
    fc.assert(fc.property(fc.array(fc.float({ min: -20, max: 20, noNaN: true }), { minLength: 6, maxLength: 6 }), (z) => {
      const kl = sampleKl(z.slice(0, 3), z.slice(3), 1, 3, { outputKind: 'logits', task: 'multiclass' });
      return (kl[0] as number) >= -1e-12;
    }), { seed: 6, numRuns: 300 });
  });
});

describe('ImpactAccumulator', () => {
  const batch = (): ComparisonBatch => ({
    fp32: cols([1, 0, 1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
    q: cols([1, 1, 1, 0, 0, 1], [0.2, 0.2, 0.4, 0.9, 0.5, 0.7]),
    fp32Raw: [1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1], qRaw: [1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1], width: 2,
    labels: [1, 0, 1, 0, 0, 1],
    rowNumbers: [10, 11, 12, 13, 14, 15],
    groups: { sex: ['F', 'M', 'F', 'M', null, 'F'], race: ['A', 'A', 'B', 'A', 'A', 'A'] },
  });

  it('sums overall, per intersection and per column; flips with rows and groups; small groups marked', () => {
    const acc = new ImpactAccumulator(['sex', 'race'], { outputKind: 'logits', task: 'binary' });
    acc.add(batch());
    const s = acc.finish(2);
    assert.equal(s.count, 6);
    assert.equal(s.agreement, 3 / 6);
    assert.ok(Math.abs(s.lossDelta - (2.9 - 2.1) / 6) < 1e-15);
    assert.equal(s.accuracyDelta, (5 - 4) / 6); // fp32 right on rows 10, 11, 12, 14; q on 10, 12, 13, 14, 15
    assert.deepEqual(s.byGroup.map((g) => [g.group, g.count, g.small ?? false]), [
      [{ sex: 'F', race: 'A' }, 2, false], [{ sex: 'F', race: 'B' }, 1, true], [{ sex: 'M', race: 'A' }, 2, false],
    ]);
    assert.equal(s.byGroup.reduce((a, g) => a + g.count, 0), 5); // row 14 has a missing sex
    assert.deepEqual(s.byColumn.map((c) => c.byGroup.reduce((a, g) => a + g.count, 0)), [5, 6]);
    assert.equal(s.flips.total, 3);
    assert.deepEqual(s.flips.shown, [
      { row: 11, groups: { sex: 'M', race: 'A' }, label: 0, fp32: 0, q: 1 },
      { row: 13, groups: { sex: 'M', race: 'A' }, label: 0, fp32: 1, q: 0 },
      { row: 15, groups: { sex: 'F', race: 'A' }, label: 1, fp32: 0, q: 1 },
    ]);
    // Worst group by loss delta among the not-small ones: M·A has (0.2−0.2)+(0.9−0.4) = 0.5 over 2.
    assert.deepEqual(s.worstGroup, { sex: 'M', race: 'A' });
    assert.ok(Math.abs(s.worstGroupLossDelta - 0.25) < 1e-15);
  });

  it('caps the listed flips but counts them all', () => {
    const acc = new ImpactAccumulator(['sex', 'race'], { outputKind: 'logits', task: 'binary' }, 2);
    acc.add(batch());
    acc.add(batch());
    const s = acc.finish(1);
    assert.equal(s.flips.total, 6);
    assert.deepEqual(s.flips.shown.map((f) => f.row), [11, 13]);
  });

  it('worstGroup skips NaN and uses small groups only when all are small', () => {
    assert.equal(worstGroup([{ lossDelta: 5, small: true }, { lossDelta: 1 }, { lossDelta: NaN }])?.lossDelta, 1);
    assert.equal(worstGroup([{ lossDelta: 5, small: true }, { lossDelta: 1, small: true }])?.lossDelta, 5);
    assert.equal(worstGroup([]), null);
  });
});

describe('float write-back', () => {
  it('float16 bits round to nearest even with subnormals and overflow', () => {
    const cases: [number, number][] = [
      [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [2 ** -24, 0x0001], [2 ** -25, 0x0000],
      [3 * 2 ** -26, 0x0001], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [0.1, 0x2e66], [-0, 0x8000],
    ];
    for (const [x, bits] of cases) assert.equal(float32ToFloat16Bits(x), bits, `${x}`);
    assert.ok(Number.isNaN(float16ToNumber(float32ToFloat16Bits(NaN))));
  });

  it('every float16 value survives encode → decode (property, seeded)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), (bits) => {
      const x = float16ToNumber(bits);
      if (Number.isNaN(x)) return true;
      const raw = encodeFloatValues(Float32Array.of(x), 'float16');
      return float16ToNumber((raw[0] as number) | ((raw[1] as number) << 8)) === x;
    }), { seed: 16, numRuns: 2000 });
  });
});

describe('income demo', () => {
  let spec: ResolvedSpec;
  let model: string;
  let loaded: LoadedModel;
  let result: ImpactResult;

  before(async () => {
    spec = await loadSpec(join(EXAMPLES, 'income-mlp.bias.json'));
    model = spec.model ?? '';
    loaded = await loadModel(model);
    result = await quantImpact(spec, model, { providers: ['cpu'], formats: ['int8', 'int4_per_tensor'], minElements: 16, maxRows: ROWS, batchSize: 512 });
  });

  it('int8 agrees almost always with a tiny KL; int4 per tensor agrees less and diverges more', () => {
    const [int8, int4] = result.impact;
    assert.ok(int8 && int4);
    assert.deepEqual(result.impact.map((i) => i.format), ['int8', 'int4_per_tensor']);
    assert.equal(int8.quantizedTensors, 5);
    assert.equal(int8.count, ROWS);
    assert.ok(int8.agreement >= 0.995, `int8 agreement ${int8.agreement}`);
    assert.ok(int8.kl < 1e-4 && int8.kl > 0, `int8 KL ${int8.kl}`);
    assert.ok(int4.agreement < int8.agreement, `int4 ${int4.agreement} vs int8 ${int8.agreement}`);
    assert.ok(int4.kl > 10 * int8.kl, `int4 KL ${int4.kl} vs int8 ${int8.kl}`);
    assert.equal(int4.flips.total, int4.count - Math.round(int4.agreement * int4.count));
    assert.equal(int4.flipCount, int4.flips.total);
  });

  it('group counts add up, and the quantized model\'s own metrics agree with the deltas', () => {
    for (const i of result.impact) {
      assert.equal(i.byGroup.reduce((a, g) => a + g.count, 0), i.count); // no missing values in the demo
      for (const c of i.byColumn) assert.equal(c.byGroup.reduce((a, g) => a + g.count, 0), i.count);
      assert.deepEqual(i.byGroup.map((g) => g.count), result.baseline.byGroup.map((g) => g.count));
      const flipsInGroups = i.byGroup.reduce((a, g) => a + g.flipCount, 0);
      assert.equal(flipsInGroups, i.flips.total);
      assert.ok(Math.abs(i.metrics.overall.loss - result.baseline.overall.loss - i.lossDelta) < 1e-9);
      const accuracy = (m: object): number => ('accuracy' in m && typeof m.accuracy === 'number' ? m.accuracy : NaN);
      assert.ok(Math.abs(accuracy(i.metrics.overall) - accuracy(result.baseline.overall) - i.accuracyDelta) < 1e-12);
      // The count-weighted mean of the groups' loss deltas is the overall one.
      const weighted = i.byGroup.reduce((a, g) => a + g.count * g.lossDelta, 0) / i.count;
      assert.ok(Math.abs(weighted - i.lossDelta) < 1e-12);
    }
  });

  it('flips name the right rows, groups and predictions (checked by running both models on those rows)', async () => {
    const int4 = result.impact[1];
    assert.ok(int4 && int4.flips.shown.length > 0);
    const lines = readFileSync(join(EXAMPLES, 'income.csv'), 'utf8').trim().split('\n');
    const header = (lines[0] ?? '').split(',');
    const col = (name: string): number => header.indexOf(name);
    const features = ['age', 'education', 'experience', 'hours', 'capital_k', 'tenure'].map(col);
    const rows = int4.flips.shown.map((f) => (lines[f.row] ?? '').split(','));
    int4.flips.shown.forEach((f, k) => {
      const cells = rows[k] ?? [];
      assert.deepEqual(f.groups, { sex: cells[col('sex')], race: cells[col('race')] });
      assert.equal(f.label, Number(cells[col('label')]));
      assert.notEqual(f.fp32, f.q);
    });
    const weights = await readFloatWeights(loaded, 16);
    const qBytes = await fakeQuantizedModel(loaded, weights, 'int4_per_tensor');
    const ort = loadOrt();
    const x = Float32Array.from(rows.flatMap((cells) => features.map((c) => Number(cells[c]))));
    const preds = async (m: string | Uint8Array): Promise<number[]> => {
      const s = await ort.InferenceSession.create(m as Uint8Array);
      const out = (await s.run({ features: new ort.Tensor('float32', x, [rows.length, 6]) })).logits?.data as Float32Array;
      await s.release();
      return rows.map((_, i) => ((out[2 * i + 1] as number) > (out[2 * i] as number) ? 1 : 0));
    };
    assert.deepEqual(await preds(model), int4.flips.shown.map((f) => f.fp32));
    assert.deepEqual(await preds(qBytes), int4.flips.shown.map((f) => f.q));
  });

  it('a copy with unchanged weights: agreement 1, KL 0, loss delta 0 exactly, no flips', async () => {
    const weights = await readFloatWeights(loaded, 16);
    const same = await replaceWeights(loaded, new Map(weights.map((w) => [w.candidate.weightIndex, w.data])));
    const pass = await comparisonPass(spec, model, [{ id: 'identity', model: same }], { providers: ['cpu'], maxRows: 1024, batchSize: 512 });
    const c = pass.variants[0]?.comparison;
    assert.ok(c);
    assert.equal(c.count, 1024);
    assert.equal(c.agreement, 1);
    assert.equal(c.kl, 0);
    assert.equal(c.lossDelta, 0);
    assert.equal(c.accuracyDelta, 0);
    assert.equal(c.flips.total, 0);
    for (const g of c.byGroup) assert.deepEqual([g.agreement, g.kl, g.lossDelta], [1, 0, 0]);
  });

  describe('layer sensitivity', () => {
    let s: QuantSensitivity;
    const budget = 0.003;
    before(async () => {
      s = await layerSensitivity(spec, model, { providers: ['cpu'], minElements: 16, maxRows: 1024, batchSize: 512, budget, format: 'int4_per_tensor' });
    });

    it('gives a group × layer matrix in damage order', () => {
      assert.equal(s.format, 'int4_per_tensor');
      assert.equal(s.rows, 1024);
      assert.equal(s.layers.length, 5);
      assert.equal(s.groups.length, 6);
      for (const l of s.layers) {
        assert.equal(l.byGroup.length, s.groups.length);
        assert.ok(l.byGroup.every(Number.isFinite));
        assert.equal(l.worstGroupLossDelta, Math.max(...l.byGroup.filter((_, g) => !s.groups[g]?.small)));
        assert.ok(l.nodes.length > 0 && l.nodes.every((n) => n.startsWith('/net/')));
      }
      for (let i = 1; i < s.layers.length; i++) assert.ok((s.layers[i - 1]?.worstGroupLossDelta ?? 0) >= (s.layers[i]?.worstGroupLossDelta ?? 0));
    });

    it('the suggestion meets the budget by a real measurement, which a fresh run reproduces', async () => {
      const sug = s.suggestion;
      assert.ok(sug.metBudget);
      assert.ok(sug.measured.worstGroupLossDelta <= budget);
      assert.equal(sug.keepTensors.length, sug.measured.kept);
      assert.deepEqual(sug.keepTensors, s.layers.slice(0, sug.measured.kept).map((l) => l.tensor));
      assert.equal(s.all.kept, 0);
      assert.ok(sug.steps.some((st) => st.kept === sug.measured.kept));
      // Every smaller k that was measured failed (the search returns the smallest passing k it saw).
      for (const st of sug.steps) if (st.kept < sug.measured.kept) assert.ok(st.worstGroupLossDelta > budget);
      // Re-run the suggested mix independently.
      const weights = await readFloatWeights(loaded, 16);
      const { quantizeWeight } = await import('../../../extension/core/quant/weights');
      const keep = new Set(sug.keepTensors);
      const mix = await replaceWeights(loaded, new Map(weights.filter((w) => !keep.has(w.candidate.name)).map((w) => [w.candidate.weightIndex, quantizeWeight(w, 'int4_per_tensor', 'rne')])));
      const pass = await comparisonPass(spec, model, [{ id: 'mix', model: mix }], { providers: ['cpu'], maxRows: 1024, batchSize: 512 });
      assert.equal(pass.variants[0]?.comparison.worstGroupLossDelta, sug.measured.worstGroupLossDelta);
    });
  });
});
