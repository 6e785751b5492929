import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AttentionAggregator, histogramQuantile, packFacts, type AttentionSample, type GroupKey, type SampleFacts } from '../../../extension/core/attention/aggregate';
import { entropy } from '../../../extension/core/attention/entropy';
import { BadInputError, CancelledError, InspectorError } from '../../../extension/core/errors';

const close = (actual: number, expected: number, tol = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tol || (Number.isNaN(actual) && Number.isNaN(expected)), `${actual} != ${expected} (tol ${tol})`);
const closeAll = (actual: ArrayLike<number>, expected: readonly number[], tol = 1e-6): void => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, c) => close(actual[c]!, e, tol));
};

/** One layer, one head. */
const single = (map: number[], seqLen: number, extra: Partial<AttentionSample> = {}): AttentionSample => ({
  maps: [[Float64Array.from(map)]], seqLen, ...extra,
});

const causal3 = [1, 0, 0, 0.5, 0.5, 0, 0.7, 0.2, 0.1];

describe('AttentionAggregator', () => {
  it('mean map over samples of different lengths and padding, hand-computed', () => {
    const agg = new AttentionAggregator({ layers: 1, heads: 1, maxLen: 3 });
    agg.add(single([0.6, 0.4, 0.3, 0.7], 2, { groups: [{ g: 'a' }] }));
    agg.add(single(causal3, 3, { groups: [{ g: 'b' }] }));
    agg.add(single([0.5, 0.5, 0, 0.25, 0.75, 0, 0.2, 0.2, 0.6], 3, { validity: 2, groups: [{ g: 'a' }] }));
    const result = agg.finish();
    assert.equal(result.samples, 3);
    closeAll(result.cellCounts, [3, 3, 1, 3, 3, 1, 1, 1, 1], 0);
    closeAll(result.meanMaps[0]!, [0.7, 0.3, 0, 0.35, 0.65, 0, 0.7, 0.2, 0.1]);
    // Entropy and sink mass are pooled over the 7 valid query rows.
    const rows = [entropy([0.6, 0.4]), entropy([0.3, 0.7]), 0, Math.LN2, 0.8018185525433372, Math.LN2, entropy([0.25, 0.75])];
    close(result.perHead[0]!.entropy, rows.reduce((s, x) => s + x) / 7);
    close(result.perHead[0]!.firstTokenMass, 3.85 / 7);
    assert.deepEqual(result.byGroup.map((g) => [g.group, g.samples, g.small]), [[{ g: 'a' }, 2, true], [{ g: 'b' }, 1, true]]);
    const a = result.groupDetail[0]!;
    closeAll(a.meanMaps[0]!, [0.55, 0.45, Number.NaN, 0.275, 0.725, Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    closeAll(a.differenceMaps[0]!, [0.55 - 0.7, 0.45 - 0.3, Number.NaN, 0.275 - 0.35, 0.725 - 0.65, Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    close(result.byGroup[1]!.perHead[0]!.entropy, 0.4983219110344275, 1e-15);
  });

  it('indexes perHead and maps by layer·heads + head', () => {
    // Map (l, h) of 2 layers × 3 heads: every row uniform over the first k = 3l + h + 1 keys.
    const T = 6;
    const maps = [0, 1].map((l) => [0, 1, 2].map((h) => {
      const k = 3 * l + h + 1;
      return Float32Array.from({ length: T * T }, (_, c) => (c % T < k ? 1 / k : 0));
    }));
    const agg = new AttentionAggregator({ layers: 2, heads: 3, maxLen: T });
    agg.add({ maps, seqLen: T });
    const result = agg.finish();
    assert.deepEqual(result.perHead.map((h) => [h.layer, h.head]), [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    result.perHead.forEach((h, x) => {
      close(h.entropy, Math.log(x + 1), 1e-6);
      close(h.firstTokenMass, 1 / (x + 1), 1e-7);
      close(result.meanMaps[x]![0]!, 1 / (x + 1), 1e-7);
      close(result.entropyDistribution[x]!.meanNormalized, Math.log(x + 1) / Math.log(T), 1e-6);
    });
  });

  it('causal: upper triangle undefined, n_valid = i + 1, histogram and quantiles of normalised entropy', () => {
    const agg = new AttentionAggregator({ layers: 1, heads: 1, maxLen: 3, causal: true, histogramBins: 10 });
    agg.add(single(causal3, 3));
    const result = agg.finish();
    closeAll(result.meanMaps[0]!, [1, Number.NaN, Number.NaN, 0.5, 0.5, Number.NaN, 0.7, 0.2, 0.1]);
    const dist = result.entropyDistribution[0]!;
    assert.equal(dist.rows, 2);
    assert.equal(dist.undefinedRows, 1);
    close(dist.meanNormalized, (1 + 0.8018185525433372 / Math.log(3)) / 2, 1e-15);
    // Ĥ = 0.7298 (bin 7) and 1 (the closed last bin).
    assert.deepEqual(dist.histogram, [0, 0, 0, 0, 0, 0, 0, 1, 0, 1]);
    close(dist.quantiles.p50, 0.8);
    close(dist.quantiles.p90, 0.98);
  });

  it('span mass is over samples that have the span; special mass over samples with a mask', () => {
    const agg = new AttentionAggregator({ layers: 1, heads: 1, maxLen: 3, spans: ['identity', 'other'] });
    agg.add(single(causal3, 3, { spans: { identity: [1, 2] }, special: [true, false, false] }));
    agg.add(single([0.5, 0.5, 0.5, 0.5], 2));
    agg.add(single([0.5, 0.5, 0.5, 0.5], 2, { spans: { identity: [] } }));
    const head = agg.finish().perHead[0]!;
    close(head.spanMass.identity!, 0.26666666666666666, 1e-15);
    assert.ok(Number.isNaN(head.spanMass.other!));
    close(head.specialTokenMass!, 2.2 / 3, 1e-15);
    assert.deepEqual(Object.keys(head.spanMass), ['identity', 'other']);
    const none = new AttentionAggregator({ layers: 1, heads: 1, maxLen: 2 });
    none.add(single([1, 0, 0.5, 0.5], 2));
    assert.equal('specialTokenMass' in none.finish().perHead[0]!, false);
  });

  it('statistics use the whole map when T > maxLen; mean maps keep the top-left maxLen²', () => {
    const agg = new AttentionAggregator({ layers: 1, heads: 1, maxLen: 2 });
    agg.add(single(causal3, 3));
    const result = agg.finish();
    close(result.perHead[0]!.entropy, 0.4983219110344275, 1e-15);
    closeAll(result.meanMaps[0]!, [1, 0, 0.5, 0.5]);
  });

  it('ranks heads by group difference among groups of the same columns', () => {
    const F = [1, 0, 1, 0];
    const M = [0.5, 0.5, 0.5, 0.5];
    const sample = (head1: number[], groups: GroupKey[]): AttentionSample => ({
      maps: [[Float64Array.from(M), Float64Array.from(head1)]], seqLen: 2, spans: { id: [1] }, groups,
    });
    const agg = new AttentionAggregator({ layers: 1, heads: 2, maxLen: 2, spans: ['id'], minGroupSize: 2 });
    agg.add(sample(F, [{ sex: 'F' }, { race: 'X' }]));
    agg.add(sample(F, [{ sex: 'F' }, { race: 'X' }]));
    agg.add(sample(M, [{ sex: 'M' }]));
    const result = agg.finish();
    assert.deepEqual(result.byGroup.map((g) => [g.group, g.samples, g.small ?? false]), [[{ race: 'X' }, 2, false], [{ sex: 'F' }, 2, false], [{ sex: 'M' }, 1, true]]);
    assert.deepEqual(result.ranking.map((r) => [r.layer, r.head]), [[0, 1], [0, 0]]);
    const top = result.ranking[0]!;
    close(top.mapDifference, 0.5);
    close(top.spanMassDifference, 0.5);
    close(top.entropyDifference, Math.LN2);
    assert.deepEqual(top.groups, [{ sex: 'F' }, { sex: 'M' }]);
    close(result.ranking[1]!.mapDifference, 0);
    // Difference maps: F's mean minus the overall mean (2 F samples, 1 M sample).
    const overall = [(2 + 0.5) / 3, 0.5 / 3, (2 + 0.5) / 3, 0.5 / 3];
    closeAll(result.groupDetail[1]!.differenceMaps[1]!, F.map((x, c) => x - overall[c]!));
  });

  it('merge equals a single pass (property, seeded)', () => {
    const sampleArb = fc.record({
      T: fc.integer({ min: 1, max: 5 }),
      logits: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 2 * 2 * 25, maxLength: 2 * 2 * 25 }),
      validLength: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
      group: fc.constantFrom('a', 'b', 'c'),
      span: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), { nil: undefined }),
      special: fc.boolean(),
    });
    fc.assert(fc.property(fc.array(sampleArb, { minLength: 1, maxLength: 12 }), fc.nat(), fc.boolean(), (raw, cutRaw, causal) => {
      const samples = raw.map((r): AttentionSample => {
        const { T } = r;
        const maps = [0, 1].map((l) => [0, 1].map((h) => softmaxRows(r.logits.slice((l * 2 + h) * 25, (l * 2 + h) * 25 + T * T), T)));
        return {
          maps, seqLen: T, groups: [{ g: r.group }, { g: r.group, parity: String(T % 2) }],
          ...(r.validLength === undefined ? {} : { validity: Math.min(r.validLength, T) }),
          ...(r.span === undefined ? {} : { spans: { s: r.span.filter((p) => p < T) } }),
          ...(r.special ? { special: Array.from({ length: T }, (_, j) => j === 0) } : {}),
        };
      });
      const options = { layers: 2, heads: 2, maxLen: 4, spans: ['s'], causal };
      const whole = new AttentionAggregator(options);
      for (const s of samples) whole.add(s);
      const cut = cutRaw % (samples.length + 1);
      const left = new AttentionAggregator(options);
      const right = new AttentionAggregator(options);
      samples.forEach((s, x) => (x < cut ? left : right).add(s));
      assertDeepClose(right.merge(left).finish(), whole.finish(), 'aggregate');
    }), { seed: 29, numRuns: 80 });
  });

  it('addPacked (one float32 [B, H, T, T] array per layer, packed facts) equals add per sample and a direct computation (property, seeded)', () => {
    const sampleArb = fc.record({
      logits: fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: 2 * 3 * 36, maxLength: 2 * 3 * 36 }),
      mask: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      validLength: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
      useMask: fc.boolean(),
      groups: fc.subarray(['a', 'b', 'c']),
      span: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }), { nil: undefined }),
      special: fc.boolean(),
    });
    fc.assert(fc.property(fc.array(sampleArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 7 }), fc.boolean(), (raw, T, maxLen, causal) => {
      const L = 2;
      const H = 3;
      const layers = [0, 1].map(() => new Float32Array(raw.length * H * T * T));
      const facts = raw.map((r, b): SampleFacts => {
        for (let l = 0; l < L; l++) {
          for (let h = 0; h < H; h++) layers[l]!.set(softmaxRows(r.logits.slice((l * H + h) * 36, (l * H + h) * 36 + T * T), T), (b * H + h) * T * T);
        }
        return {
          groups: r.groups.map((g) => ({ g })),
          ...(r.useMask ? { validity: Uint8Array.from(r.mask.slice(0, T), Number) } : r.validLength === undefined ? {} : { validity: Math.min(r.validLength, T) }),
          ...(r.span === undefined ? {} : { spans: { s: r.span.filter((p) => p < T) } }),
          ...(r.special ? { special: Array.from({ length: T }, (_, j) => j % 2 === 0) } : {}),
        };
      });
      const options = { layers: L, heads: H, maxLen, spans: ['s'], causal, histogramBins: 8 };
      const single = new AttentionAggregator(options);
      facts.forEach((f, b) => single.add({
        ...f, seqLen: T, maps: layers.map((data) => [0, 1, 2].map((h) => data.slice((b * H + h) * T * T, (b * H + h + 1) * T * T))),
      }));
      const packed = new AttentionAggregator(options);
      packed.addPacked(layers, H, T, packFacts(facts, T, options.spans));
      const result = packed.finish();
      assert.deepStrictEqual(result, single.finish());
      // Direct computation of the overall values (float64 Math.log) from FORMULAS.md §D.
      const valid = facts.map((f) => Array.from({ length: T }, (_, j) => j).filter((j) => (f.validity === undefined ? true : typeof f.validity === 'number' ? j < f.validity : Boolean(f.validity[j]))));
      const rows = valid.reduce((n, v) => n + v.length, 0);
      for (let l = 0; l < L; l++) {
        for (let h = 0; h < H; h++) {
          let hSum = 0;
          let firstSum = 0;
          const cellSum = new Float64Array(maxLen * maxLen);
          const cellCount = new Float64Array(maxLen * maxLen);
          valid.forEach((v, b) => v.forEach((i, a) => {
            const keys = causal ? v.slice(0, a + 1) : v;
            const row = Array.from(keys, (j) => layers[l]![(b * H + h) * T * T + i * T + j]!);
            hSum += entropy(row);
            firstSum += row[0]!;
            keys.forEach((j, k) => {
              if (i < maxLen && j < maxLen) { cellSum[i * maxLen + j]! += row[k]!; cellCount[i * maxLen + j]!++; }
            });
          }));
          const head = result.perHead[l * H + h]!;
          close(head.entropy, hSum / rows, 1e-6);
          close(head.firstTokenMass, firstSum / rows, 1e-6);
          closeAll(result.cellCounts, Array.from(cellCount), 0);
          closeAll(result.meanMaps[l * H + h]!, Array.from(cellSum, (x, c) => (cellCount[c]! > 0 ? x / cellCount[c]! : Number.NaN)), 1e-6);
        }
      }
      assert.equal(result.samples, raw.length);
      assert.deepEqual(result.byGroup.map((g) => [g.group.g, g.samples]), ['a', 'b', 'c'].map((g) => [g, raw.filter((r) => r.groups.includes(g)).length]).filter(([, n]) => n));
    }), { seed: 31, numRuns: 120 });
  });

  it('rejects samples of the wrong shape and merges of different options; addAll cancels and reports progress', () => {
    const agg = new AttentionAggregator({ layers: 1, heads: 2, maxLen: 2 });
    assert.throws(() => agg.add({ ...single([1, 0, 0, 1], 2), where: 'row 4 of data.csv' }),
      (e: unknown) => e instanceof BadInputError && e.code === 'attention-sample-shape' && /row 4 of data\.csv/.test(e.message));
    assert.throws(() => agg.merge(new AttentionAggregator({ layers: 1, heads: 2, maxLen: 3 })),
      (e: unknown) => e instanceof InspectorError && e.code === 'attention-merge-mismatch');
    assert.throws(() => new AttentionAggregator({ layers: 0, heads: 1, maxLen: 1 }), RangeError);
    const two = (): AttentionSample => ({ maps: [[Float64Array.from([1, 0, 0, 1]), Float64Array.from([1, 0, 0, 1])]], seqLen: 2 });
    const seen: number[] = [];
    agg.addAll([two(), two()], { total: 2, onProgress: (f) => seen.push(f) });
    assert.equal(agg.finish().samples, 2);
    assert.equal(seen[seen.length - 1], 1);
    const controller = new AbortController();
    controller.abort();
    assert.throws(() => agg.addAll([two()], { signal: controller.signal }), CancelledError);
    assert.equal(agg.finish().samples, 2);
  });

  it('packFacts rejects bad positions with the codes of resolvePositions, naming the sample', () => {
    const bad = (facts: SampleFacts, code: string): void => assert.throws(() => packFacts([{}, { ...facts, where: 'row 9 of d.csv' }], 3, ['s']),
      (e: unknown) => e instanceof BadInputError && e.code === code && /row 9 of d\.csv/.test(e.message));
    bad({ validity: 4 }, 'attention-valid-length');
    bad({ validity: Uint8Array.of(1, 1) }, 'attention-mask-length');
    bad({ spans: { s: [-1] } }, 'attention-span-position');
    bad({ spans: { s: [3] } }, 'attention-span-position');
    bad({ special: [true] }, 'attention-special-length');
    const packed = packFacts([{ groups: [{ a: 'x' }] }, { groups: [{ a: 'x' }] }, { groups: [{ a: 'x' }, { b: 'y' }] }, {}], 2, []);
    assert.deepEqual(Array.from(packed.groupSet), [0, 0, 1, 2]);
    assert.deepEqual(packed.groupSets, [[{ a: 'x' }], [{ a: 'x' }, { b: 'y' }], []]);
  });

  it('histogram quantiles interpolate within bins', () => {
    close(histogramQuantile([1, 1, 0, 2], 0.5), 0.5);
    close(histogramQuantile([0, 4], 0.25), 0.625);
    assert.ok(Number.isNaN(histogramQuantile([0, 0], 0.5)));
  });
});

function softmaxRows(logits: number[], T: number): Float32Array {
  const out = new Float32Array(T * T);
  for (let i = 0; i < T; i++) {
    const row = logits.slice(i * T, i * T + T);
    const max = Math.max(...row);
    const z = row.reduce((s, x) => s + Math.exp(x - max), 0);
    row.forEach((x, j) => (out[i * T + j] = Math.exp(x - max) / z));
  }
  return out;
}

/** Deep equality with numbers (also inside typed arrays) equal within 1e-12 relative, NaN = NaN. */
function assertDeepClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', path);
    close(actual as number, expected, 1e-12 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (ArrayBuffer.isView(expected) && !(expected instanceof DataView)) {
    assertDeepClose(Array.from(actual as ArrayLike<number>), Array.from(expected as unknown as ArrayLike<number>), path);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), path);
    assert.equal((actual as unknown[]).length, expected.length, `${path}.length`);
    expected.forEach((e, x) => assertDeepClose((actual as unknown[])[x], e, `${path}[${x}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.deepEqual(Object.keys(actual as object), Object.keys(expected), `${path} keys`);
    for (const [k, v] of Object.entries(expected)) assertDeepClose((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    return;
  }
  assert.equal(actual, expected, path);
}
