import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { entropy, mapStatistics, normalizedEntropy } from '../../../extension/core/attention/entropy';
import { resolvePositions } from '../../../extension/core/attention/positions';
import { BadInputError } from '../../../extension/core/errors';

const close = (actual: number, expected: number, tol = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected} (tol ${tol})`);

/** The causal 3×3 map of FORMULAS.md §D. */
const causal3 = Float64Array.from([1, 0, 0, 0.5, 0.5, 0, 0.7, 0.2, 0.1]);

describe('attention entropy (FORMULAS.md §D worked examples)', () => {
  it('H([0.7, 0.2, 0.1]) = 0.8018185525433372 nats', () => {
    close(entropy([0.7, 0.2, 0.1]), 0.8018185525433372, 1e-15);
  });

  it('0·log 0 = 0: zeros add nothing and a one-hot row has entropy 0', () => {
    assert.equal(entropy([1, 0, 0]), 0);
    close(entropy([0.5, 0, 0.5, 0]), Math.LN2, 1e-15);
  });

  it('causal rows [1,0,0], [0.5,0.5,0], [0.7,0.2,0.1] give head mean 0.4983219110344275', () => {
    const stats = mapStatistics(causal3, 3);
    assert.equal(stats.rows, 3);
    close(stats.entropy, 0.4983219110344275, 1e-15);
  });

  it('span mass of S = {1, 2} on the same map is 0.26666666666666666', () => {
    const stats = mapStatistics(causal3, 3, { spans: [[1, 2]] });
    close(stats.spanMass[0]!, 0.26666666666666666, 1e-15);
  });

  it('float32 maps (fast log path) give the float64 values to 1e-7', () => {
    const stats = mapStatistics(Float32Array.from(causal3), 3);
    close(stats.entropy, 0.4983219110344275, 1e-7);
  });

  it('normalised entropy is H / log(n_valid), NaN for n_valid = 1', () => {
    close(normalizedEntropy(0.8018185525433372, 3), 0.8018185525433372 / Math.log(3), 1e-15);
    assert.ok(Number.isNaN(normalizedEntropy(0, 1)));
    // Bidirectional rows all have 3 keys: mean of 0, log2/log3 and 0.8018…/log3.
    const stats = mapStatistics(causal3, 3);
    close(stats.normalizedEntropy, (Math.LN2 + 0.8018185525433372) / Math.log(3) / 3, 1e-15);
  });

  it('causal rows use n_valid = i + 1: row 0 is undefined, rows 1 and 2 normalise by log 2 and log 3', () => {
    const stats = mapStatistics(causal3, 3, { causal: true });
    close(stats.normalizedEntropy, (Math.LN2 / Math.LN2 + 0.8018185525433372 / Math.log(3)) / 2, 1e-15);
    close(stats.entropy, 0.4983219110344275, 1e-15);
  });

  it('first-token mass is the mean mass on the first valid key: (1 + 0.5 + 0.7) / 3', () => {
    close(mapStatistics(causal3, 3).firstTokenMass, 2.2 / 3, 1e-15);
  });

  it('special-token mass: keys {0, 2} → (1 + 0.5 + 0.8) / 3; NaN without a mask', () => {
    close(mapStatistics(causal3, 3, { special: [true, false, true] }).specialTokenMass, 2.3 / 3, 1e-15);
    assert.ok(Number.isNaN(mapStatistics(causal3, 3).specialTokenMass));
  });

  it('padded keys and queries are excluded (right padding by valid length)', () => {
    // 3×3 map whose last position is padding: rows 0..1 over keys 0..1 only.
    const map = Float64Array.from([0.5, 0.5, 0.9, 0.25, 0.75, 0.9, 0.1, 0.1, 0.8]);
    const stats = mapStatistics(map, 3, { validity: 2 });
    assert.equal(stats.rows, 2);
    close(stats.entropy, (Math.LN2 + entropy([0.25, 0.75])) / 2, 1e-15);
    close(stats.firstTokenMass, 0.375, 1e-15);
  });

  it('left padding by mask: the first valid key is the sink, padded rows are skipped', () => {
    const map = Float64Array.from([0.3, 0.3, 0.4, 0, 0.6, 0.4, 0, 0.2, 0.8]);
    const stats = mapStatistics(map, 3, { validity: Uint8Array.from([0, 1, 1]), spans: [[0, 2]] });
    assert.equal(stats.rows, 2);
    close(stats.firstTokenMass, (0.6 + 0.2) / 2, 1e-15);
    close(stats.entropy, (entropy([0.6, 0.4]) + entropy([0.2, 0.8])) / 2, 1e-15);
    // Position 0 is padding, so the span is {2}.
    close(stats.spanMass[0]!, (0.4 + 0.8) / 2, 1e-15);
  });

  it('a span absent or entirely padded gives NaN, not 0', () => {
    const stats = mapStatistics(causal3, 3, { validity: 2, spans: [undefined, [2]] });
    assert.ok(Number.isNaN(stats.spanMass[0]!));
    assert.ok(Number.isNaN(stats.spanMass[1]!));
  });

  it('entropy of a uniform row over n keys is log n (property, seeded)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (T, validRaw) => {
      const valid = Math.min(T, validRaw);
      const map = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let j = 0; j < valid; j++) map[i * T + j] = 1 / valid;
      const stats = mapStatistics(map, T, { validity: valid });
      close(stats.entropy, Math.log(valid), 1e-6);
      if (valid > 1) close(stats.normalizedEntropy, 1, 1e-6);
    }), { seed: 5, numRuns: 60 });
  });

  it('fast float32 log path equals Math.log entropy on random rows (property, seeded)', () => {
    fc.assert(fc.property(fc.array(fc.float({ min: Math.fround(1e-30), max: 1, noNaN: true }), { minLength: 2, maxLength: 40 }), (raw) => {
      const T = raw.length;
      const row = Float32Array.from(raw);
      const map = new Float32Array(T * T);
      for (let i = 0; i < T; i++) map.set(row, i * T);
      const expected = entropy(Array.from(row));
      close(mapStatistics(map, T).entropy, expected, 1e-12 * Math.max(1, Math.abs(expected)));
    }), { seed: 11, numRuns: 200 });
  });

  it('NaN or negative probabilities make the entropy NaN instead of being skipped', () => {
    for (const make of [(x: number[]) => Float32Array.from(x), (x: number[]) => Float64Array.from(x)]) {
      assert.ok(Number.isNaN(mapStatistics(make([0.5, Number.NaN, 0.5, 0.5]), 2).entropy));
      assert.ok(Number.isNaN(mapStatistics(make([1.5, -0.5, 0.5, 0.5]), 2).entropy));
      close(mapStatistics(make([1, 0, 0.5, 0.5]), 2).entropy, Math.LN2 / 2, 1e-15);
    }
    assert.ok(Number.isNaN(entropy([0.5, Number.NaN])));
  });

  it('rejects bad positions with a located BadInputError', () => {
    assert.throws(() => resolvePositions(3, { validity: 4, where: 'row 7 of data.csv' }),
      (e: unknown) => e instanceof BadInputError && e.code === 'attention-valid-length' && /row 7 of data\.csv/.test(e.message));
    assert.throws(() => resolvePositions(3, { validity: [true, false] }), (e: unknown) => e instanceof BadInputError && e.code === 'attention-mask-length');
    assert.throws(() => resolvePositions(3, { spans: [[0, 3]] }), (e: unknown) => e instanceof BadInputError && e.code === 'attention-span-position' && /position 3/.test(e.message));
    assert.throws(() => resolvePositions(3, { special: [true] }), (e: unknown) => e instanceof BadInputError && e.code === 'attention-special-length');
  });
});
