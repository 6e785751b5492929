import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { singularValues } from '../../../extension/core/attention/svd';
import { CancelledError, InspectorError } from '../../../extension/core/errors';

const closeAll = (actual: ArrayLike<number>, expected: readonly number[], tol: number): void => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, r) => assert.ok(Math.abs(actual[r]! - e) <= tol, `σ[${r}] = ${actual[r]} != ${e} (tol ${tol})`));
};

/** Seeded matrices with entries in [−1, 1). */
const matrix = (rows: number, cols: number, seed: number): Float64Array => {
  let s = seed;
  return Float64Array.from({ length: rows * cols }, () => {
    s = (s * 16807) % 2147483647;
    return (2 * s) / 2147483647 - 1;
  });
};

const multiply = (a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array => {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
  return out;
};

describe('singular values (Householder bidiagonalisation + implicit QR)', () => {
  it('of a diagonal matrix are its absolute diagonal, sorted', () => {
    const d = [3, -1, 2, 0];
    const a = new Float64Array(16);
    d.forEach((x, i) => (a[i * 4 + i] = x));
    closeAll(singularValues(a, 4, 4), [3, 2, 1, 0], 1e-15);
  });

  it('of a rank-1 outer product u vᵀ are [‖u‖·‖v‖, 0, …]', () => {
    const u = [1, -2, 3, 0.5, 4];
    const v = [2, 0, -1, 3, 1];
    const a = Float64Array.from({ length: 25 }, (_, x) => u[Math.floor(x / 5)]! * v[x % 5]!);
    const norm = Math.hypot(...u) * Math.hypot(...v);
    closeAll(singularValues(a, 5, 5), [norm, 0, 0, 0, 0], 1e-13);
  });

  it('of the 5×5 Hilbert matrix match its known eigenvalues (it is symmetric positive definite)', () => {
    const h = Float64Array.from({ length: 25 }, (_, x) => 1 / (Math.floor(x / 5) + (x % 5) + 1));
    const sigma = singularValues(h, 5, 5);
    const known = [1.567050691098231, 0.2085342186110133, 0.01140749162341981, 3.058980401511e-4, 3.287928772171e-6];
    // Absolute accuracy eps·σ_max: the smallest (3.3e-6) is still right to ~1e-11 relative.
    closeAll(sigma, known, 1e-15);
  });

  it('of a rectangular matrix equal those of its transpose and numpy\'s values', () => {
    const a = Float64Array.from([1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458, 1.8675579901499675, -0.977277879876411, 0.9500884175255894, -0.1513572082976979, -0.10321885179355784, 0.41059850193837233, 0.144043571160878, 1.454273506962975, 0.7610377251469934, 0.12167501649282841, 0.44386323274542566, 0.33367432737426683, 1.4940790731576061, -0.20515826376580087, 0.31306770165090136, -0.8540957393017248, -2.5529898158340787, 0.6536185954403606, 0.8644361988595057, -0.7421650204064419, 2.2697546239876076, -1.4543656745987648, 0.04575851730144607, -0.1871838500258336, 1.5327792143584575, 1.469358769900285, 0.1549474256969163, 0.37816251960217356, -0.8877857476301128, -1.980796468223927, -0.3479121493261526]);
    const numpy = [4.456646164717787, 4.034976829683646, 2.3951597894916143, 1.754455630605218, 1.018209071848121];
    closeAll(singularValues(a, 7, 5), numpy, 1e-13);
    const t = Float64Array.from({ length: 35 }, (_, x) => a[(x % 7) * 5 + Math.floor(x / 7)]!);
    closeAll(singularValues(t, 5, 7), numpy, 1e-13);
  });

  it('of random rank-r products: r nonzero values, Σσ² = ‖A‖²_F (property, seeded)', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 24 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 1e6 }), (n, rRaw, seed) => {
      const r = Math.min(rRaw, n - 1);
      const a = multiply(matrix(n, r, seed), matrix(r, n, seed + 7), n, r, n);
      const sigma = singularValues(a, n, n);
      const frobenius = a.reduce((s, x) => s + x * x, 0);
      const sumSq = sigma.reduce((s, x) => s + x * x, 0);
      assert.ok(Math.abs(sumSq - frobenius) <= 1e-12 * frobenius);
      for (let k = 1; k < n; k++) assert.ok(sigma[k - 1]! >= sigma[k]!);
      for (let k = r; k < n; k++) assert.ok(sigma[k]! <= 1e-13 * sigma[0]!, `σ[${k}] = ${sigma[k]} of a rank-${r} matrix`);
    }), { seed: 17, numRuns: 60 });
  });

  it('of a full-rank square matrix multiply to |det| (property, seeded)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 1e6 }), (n, seed) => {
      const a = matrix(n, n, seed);
      const product = singularValues(a, n, n).reduce((p, x) => p * x, 1);
      const det = Math.abs(determinant(a, n));
      assert.ok(Math.abs(product - det) <= 1e-12 * Math.max(1, det), `${product} != ${det}`);
    }), { seed: 23, numRuns: 60 });
  });

  it('handles empty, zero and non-finite input', () => {
    assert.equal(singularValues(new Float64Array(0), 0, 3).length, 0);
    closeAll(singularValues(new Float64Array(6), 2, 3), [0, 0], 0);
    assert.throws(() => singularValues([1, Number.NaN, 0, 1], 2, 2), (e: unknown) => e instanceof InspectorError && e.code === 'svd-not-finite');
    assert.throws(() => singularValues([1, 2, 3], 2, 2), RangeError);
  });

  it('stops on an aborted signal', () => {
    const controller = new AbortController();
    controller.abort();
    assert.throws(() => singularValues(matrix(8, 8, 1), 8, 8, { signal: controller.signal }), CancelledError);
  });
});

/** Determinant by Gaussian elimination with partial pivoting. */
function determinant(a: Float64Array, n: number): number {
  const m = a.slice();
  let det = 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i * n + k]!) > Math.abs(m[p * n + k]!)) p = i;
    if (m[p * n + k] === 0) return 0;
    if (p !== k) {
      for (let j = 0; j < n; j++) [m[k * n + j], m[p * n + j]] = [m[p * n + j]!, m[k * n + j]!];
      det = -det;
    }
    det *= m[k * n + k]!;
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k]! / m[k * n + k]!;
      for (let j = k; j < n; j++) m[i * n + j]! -= f * m[k * n + j]!;
    }
  }
  return det;
}
