import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  alibiBias, alibiSlopes, analyzeBias, biasReportEntry, classifyAdditiveTerm, effectiveRank, energyCurve, t5BucketMatrix, t5RelativeBucket,
  type T5BucketOptions,
} from '../../../extension/core/attention/bias';

const close = (actual: number, expected: number, tol: number): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected} (tol ${tol})`);

describe('ALiBi slopes and matrices', () => {
  it('n = 8 (a power of two): 2^(−8(h+1)/8) = 1/2, 1/4, …, 1/256', () => {
    assert.deepEqual(Array.from(alibiSlopes(8)), [1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256]);
  });

  it('n = 12: the 8 slopes of n = 8, then slopes 1, 3, 5, 7 of n = 16 (2^−0.5, 2^−1.5, 2^−2.5, 2^−3.5)', () => {
    const expected = [2 ** -1, 2 ** -2, 2 ** -3, 2 ** -4, 2 ** -5, 2 ** -6, 2 ** -7, 2 ** -8, Math.SQRT1_2, Math.SQRT1_2 / 2, Math.SQRT1_2 / 4, Math.SQRT1_2 / 8];
    alibiSlopes(12).forEach((m, h) => close(m, expected[h]!, 1e-15)); // within an ulp or two of the reference start·ratio^i products
  });

  it('n = 6: the 4 slopes of n = 4 (1/4 … 1/256), then 2^−1 and 2^−3 of n = 8; n = 1: 2^−8', () => {
    assert.deepEqual(Array.from(alibiSlopes(6)), [1 / 4, 1 / 16, 1 / 64, 1 / 256, 1 / 2, 1 / 8]);
    assert.deepEqual(Array.from(alibiSlopes(1)), [1 / 256]);
    assert.throws(() => alibiSlopes(0), RangeError);
  });

  it('bias matrices: causal −m(i − j) and symmetric −m|i − j|', () => {
    assert.deepEqual(Array.from(alibiBias(3, 0.5)), [0, 0.5, 1, -0.5, 0, 0.5, -1, -0.5, 0]);
    assert.deepEqual(Array.from(alibiBias(3, 0.5, 'symmetric')), [0, -0.5, -1, -0.5, 0, -0.5, -1, -0.5, 0]);
  });
});

describe('T5 relative-position buckets', () => {
  // Derived by hand from the algorithm (bidirectional, 32 buckets, max_distance 128): key − query
  // = r; keys after the query use buckets 16..31; n = |r| < 8 is its own bucket, else
  // 8 + ⌊8·ln(n/8)/ln 16⌋ = 8 + ⌊2·log2(n/8)⌋ capped at 15, whose steps fall at n = 8·2^(k/2):
  // 8, 11.3, 16, 22.6, 32, 45.3, 64, 90.5, 128.
  const bidirectional: [number, number][] = [
    [0, 0], [-1, 1], [-7, 7], [-8, 8], [-11, 8], [-12, 9], [-15, 9], [-16, 10], [-22, 10], [-23, 11], [-31, 11], [-32, 12],
    [-45, 12], [-46, 13], [-63, 13], [-64, 14], [-90, 14], [-91, 15], [-127, 15], [-128, 15], [-1000, 15],
    [1, 17], [7, 23], [8, 24], [11, 24], [12, 25], [16, 26], [23, 27], [32, 28], [46, 29], [64, 30], [90, 30], [91, 31], [128, 31], [500, 31],
  ];
  // Unidirectional (decoder): r ≥ 0 -> 0; n = −r < 16 exact, else 16 + ⌊16·ln(n/16)/ln 8⌋ =
  // 16 + ⌊(16/3)·log2(n/16)⌋ capped at 31: steps at n = 16·2^(3k/16): 18.2, 20.7, …, 98.7, 112.4.
  const unidirectional: [number, number][] = [
    [5, 0], [0, 0], [-1, 1], [-15, 15], [-16, 16], [-18, 16], [-19, 17], [-20, 17], [-21, 18], [-98, 29], [-99, 30], [-112, 30], [-113, 31], [-5000, 31],
  ];

  it('bidirectional table (hand-derived)', () => {
    for (const [r, bucket] of bidirectional) assert.equal(t5RelativeBucket(r), bucket, `relative position ${r}`);
  });

  it('unidirectional table (hand-derived)', () => {
    for (const [r, bucket] of unidirectional) assert.equal(t5RelativeBucket(r, { bidirectional: false }), bucket, `relative position ${r}`);
  });

  it('matches the Hugging Face reference on −300..300 for four settings (fixture from torch)', () => {
    const fixture = JSON.parse(readFileSync(new URL('../../fixtures/attention/t5-buckets.json', import.meta.url), 'utf8')) as {
      from: number; cases: { options: T5BucketOptions; buckets: number[] }[];
    };
    assert.equal(fixture.cases.length, 4);
    for (const { options, buckets } of fixture.cases) {
      buckets.forEach((bucket, x) => assert.equal(t5RelativeBucket(fixture.from + x, options), bucket, `${JSON.stringify(options)} at ${fixture.from + x}`));
    }
  });

  it('bucket matrix cell (i, j) is the bucket of j − i', () => {
    const m = t5BucketMatrix(3, 20);
    assert.equal(m.length, 60);
    assert.equal(m[0 * 20 + 19], 26); // r = 19: 16 + 8 + ⌊2·log2(19/8)⌋ = 16 + 8 + 2
    assert.equal(m[2 * 20 + 0], 2); // r = −2
    assert.equal(m[1 * 20 + 1], 0);
    assert.equal(t5BucketMatrix(3, 20, { bidirectional: false })[2 * 20 + 0], 2);
  });
});

describe('effective rank (FlashBias energy)', () => {
  it('§D: causal ALiBi −m(i − j), L = 4, m = 0.5 has σ = [2.236068, 2.236068, 0, 0] and rank 2', () => {
    const analysis = analyzeBias(alibiBias(4, 0.5), 4)!;
    close(analysis.singularValues[0]!, Math.sqrt(5), 1e-14);
    close(analysis.singularValues[1]!, Math.sqrt(5), 1e-14);
    assert.ok(analysis.singularValues[2]! < 1e-14 && analysis.singularValues[3]! < 1e-14);
    assert.equal(analysis.rank, 2);
    assert.equal(analysis.kind, 'alibi');
    close(analysis.slope!, 0.5, 1e-15);
    close(analysis.energy[0]!, 0.5, 1e-14);
    close(analysis.energy[1]!, 1, 1e-14);
    const entry = biasReportEntry(3, 1, analysis);
    assert.deepEqual(Object.keys(entry), ['layer', 'head', 'kind', 'rank', 'energy', 'slope']);
    assert.deepEqual([entry.layer, entry.head, entry.kind, entry.rank, entry.energy.length], [3, 1, 'alibi', 2, 4]);
  });

  it('§D: the symmetric −m|i − j| is full rank: σ = [(2+√10)/2, 1+1/√2, (√10−2)/2, 1−1/√2], rank 4', () => {
    const analysis = analyzeBias(alibiBias(4, 0.5, 'symmetric'), 4)!;
    const r10 = Math.sqrt(10);
    const expected = [(2 + r10) / 2, 1 + Math.SQRT1_2, (r10 - 2) / 2, 1 - Math.SQRT1_2];
    expected.forEach((s, r) => close(analysis.singularValues[r]!, s, 1e-14));
    assert.equal(analysis.rank, 4);
    // energy(3) = 0.99142… < 0.995
    close(analysis.energy[2]!, 0.9914213562373095, 1e-12);
  });

  it('energy curve and rank from singular values; exact threshold is not lost to rounding; zero matrix has rank 0', () => {
    assert.deepEqual(Array.from(energyCurve([3, 4])), [9 / 25, 1]);
    assert.equal(effectiveRank([2.236068, 2.236068, 0, 0]), 2);
    assert.equal(effectiveRank([1, 0.1, 0.01]), 2); // energy 1/1.0101 = 0.990 < 0.995, then 0.9999
    assert.equal(effectiveRank([Math.sqrt(0.995), Math.sqrt(0.005)]), 1);
    assert.equal(effectiveRank([0, 0, 0]), 0);
    assert.deepEqual(Array.from(energyCurve([0, 0])), [1, 1]);
  });
});

describe('classifyAdditiveTerm', () => {
  const T = 8;

  it('ALiBi causal and symmetric with their slope', () => {
    const causal = classifyAdditiveTerm(alibiBias(T, 0.125), T);
    assert.deepEqual([causal.kind, causal.form, causal.maskedCells], ['alibi', 'causal', 0]);
    close(causal.slope!, 0.125, 1e-15);
    const symmetric = classifyAdditiveTerm(alibiBias(T, 2 ** -0.5, 'symmetric'), T);
    assert.deepEqual([symmetric.kind, symmetric.form], ['alibi', 'symmetric']);
    close(symmetric.slope!, 2 ** -0.5, 1e-15);
  });

  it('ALiBi as BLOOM exports it (m·j, a per-row shift of −m(i − j)) is ALiBi', () => {
    const bloom = Float64Array.from({ length: T * T }, (_, c) => 0.25 * (c % T));
    const result = classifyAdditiveTerm(bloom, T);
    assert.deepEqual([result.kind, result.form], ['alibi', 'causal']);
    close(result.slope!, 0.25, 1e-15);
  });

  it('ALiBi with a causal mask folded in is ALiBi over the unmasked cells', () => {
    const b = alibiBias(T, 0.5);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) b[i * T + j] = -Infinity;
    const result = classifyAdditiveTerm(b, T);
    assert.equal(result.kind, 'alibi');
    assert.equal(result.maskedCells, (T * (T - 1)) / 2);
    close(result.slope!, 0.5, 1e-15);
    const analysis = analyzeBias(b, T)!;
    assert.equal(analysis.maskedCells, 28);
    assert.ok(analysis.rank >= 1 && analysis.rank <= T);
  });

  it('float32-rounded ALiBi at T = 512 still fits', () => {
    const b = Float32Array.from(alibiBias(512, 2 ** -8 * 3));
    const result = classifyAdditiveTerm(b, 512);
    assert.equal(result.kind, 'alibi');
    close(result.slope!, 3 / 256, 1e-8);
  });

  it('a T5 bias (learned value per bucket) is relative, with one value per diagonal', () => {
    const table = Array.from({ length: 32 }, (_, k) => Math.sin(3 * k) * 2);
    const buckets = t5BucketMatrix(T, T);
    const b = Float64Array.from(buckets, (k) => table[k]!);
    const result = classifyAdditiveTerm(b, T);
    assert.equal(result.kind, 'relative');
    assert.equal(result.byOffset!.length, 2 * T - 1);
    close(result.byOffset![T - 1 + 2]!, table[t5RelativeBucket(-2)]!, 1e-15); // i − j = 2: key two before the query
    close(result.byOffset![T - 1 - 3]!, table[t5RelativeBucket(3)]!, 1e-15);
  });

  it('masks: causal 0/−inf, padding −1e9, HF −3.4e38, and all zeros', () => {
    const causal = Float64Array.from({ length: T * T }, (_, c) => (c % T > Math.floor(c / T) ? -Infinity : 0));
    assert.deepEqual(classifyAdditiveTerm(causal, T), { kind: 'mask', maskedCells: 28 });
    const padding = Float64Array.from({ length: T * T }, (_, c) => (c % T >= 6 ? -1e9 : 0));
    assert.deepEqual(classifyAdditiveTerm(padding, T), { kind: 'mask', maskedCells: 16 });
    const finfo = Float32Array.from({ length: T * T }, (_, c) => (c % T >= 7 ? -3.4028234663852886e38 : 0));
    assert.equal(classifyAdditiveTerm(finfo, T).kind, 'mask');
    assert.equal(classifyAdditiveTerm(new Float64Array(T * T), T).kind, 'mask');
    // −1e4 exactly is the mask value; −9999 is a (strong) bias.
    const strong = Float64Array.from({ length: T * T }, (_, c) => (c === 3 ? -9999 : 0));
    assert.equal(classifyAdditiveTerm(strong, T).kind, 'other');
  });

  it('random matrices and non-finite values are other', () => {
    let s = 42;
    const random = Float64Array.from({ length: T * T }, () => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647;
    });
    assert.equal(classifyAdditiveTerm(random, T).kind, 'other');
    const analysis = analyzeBias(random, T)!;
    assert.equal(analysis.kind, 'other');
    assert.equal(analysis.energy.length, T);
    assert.equal('slope' in biasReportEntry(0, 0, analysis), false);
    close(analysis.energy[T - 1]!, 1, 1e-12);
    const nan = alibiBias(T, 0.5);
    nan[5] = Number.NaN;
    assert.equal(classifyAdditiveTerm(nan, T).kind, 'other');
    assert.equal(analyzeBias(Float64Array.from({ length: T * T }, (_, c) => (c % T > Math.floor(c / T) ? -Infinity : 0)), T), undefined);
  });

  it('a constant matrix is relative (Toeplitz), not ALiBi with slope 0', () => {
    const result = classifyAdditiveTerm(new Float64Array(T * T).fill(-2), T);
    assert.equal(result.kind, 'relative');
  });
});
