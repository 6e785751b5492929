/**
 * Singular values of a dense real matrix: Householder bidiagonalisation followed by the implicit
 * shifted QR iteration on the bidiagonal (Golub–Kahan–Reinsch; the iteration as in Numerical
 * Recipes' svdcmp), without accumulating U and V. Working on A itself (not AᵀA) keeps the absolute
 * error near eps·σ_max, so small singular values just above zero are not lost to squaring, which
 * is what decides an effective rank. O(m·n²): a 1024×1024 bias takes seconds, so it checks the
 * AbortSignal once per column.
 */
import { InspectorError, throwIfAborted } from '../errors';

/** Singular values of the row-major rows×cols matrix `a`, descending, length min(rows, cols). `a` is not modified. */
export function singularValues(a: ArrayLike<number>, rows: number, cols: number, options: { signal?: AbortSignal } = {}): Float64Array {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || a.length !== rows * cols) {
    throw new RangeError(`singularValues: ${a.length} values do not form a ${rows}×${cols} matrix`);
  }
  // Work on an m×n copy with m ≥ n (the transpose has the same singular values).
  const transpose = rows < cols;
  const m = transpose ? cols : rows;
  const n = transpose ? rows : cols;
  const A = new Float64Array(m * n);
  let scale = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = a[r * cols + c]!;
      if (!Number.isFinite(x)) throw new InspectorError('svd-not-finite', 'failure', `singularValues: entry (${r}, ${c}) is ${x}`);
      A[transpose ? c * n + r : r * n + c] = x;
      scale = Math.max(scale, Math.abs(x));
    }
  }
  if (n === 0) return new Float64Array(0);
  if (scale === 0) return new Float64Array(n);
  // Scaling to max |a| = 1 keeps the squares in the Householder norms away from over- and underflow.
  for (let x = 0; x < A.length; x++) A[x]! /= scale;
  const d = new Float64Array(n);
  const e = new Float64Array(n); // e[k] couples d[k−1] and d[k]; e[0] = 0
  bidiagonalize(A, m, n, d, e, options.signal);
  diagonalize(d, e);
  const sigma = d.map((x) => Math.abs(x) * scale).sort().reverse();
  return sigma;
}

/** Householder reflections from the left (columns) and right (rows) reduce A to upper bidiagonal form. */
function bidiagonalize(A: Float64Array, m: number, n: number, d: Float64Array, e: Float64Array, signal: AbortSignal | undefined): void {
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    throwIfAborted(signal);
    // Left: zero A[k+1.., k].
    let sq = 0;
    for (let i = k; i < m; i++) sq += A[i * n + k]! ** 2;
    const akk = A[k * n + k]!;
    if (sq === 0) {
      d[k] = 0;
    } else {
      const alpha = akk >= 0 ? -Math.sqrt(sq) : Math.sqrt(sq);
      const v0 = akk - alpha;
      const tau = 2 / (sq - akk * akk + v0 * v0);
      w.fill(0, k + 1);
      for (let i = k; i < m; i++) {
        const vi = i === k ? v0 : A[i * n + k]!;
        const row = i * n;
        for (let j = k + 1; j < n; j++) w[j]! += vi * A[row + j]!;
      }
      for (let i = k; i < m; i++) {
        const f = tau * (i === k ? v0 : A[i * n + k]!);
        const row = i * n;
        for (let j = k + 1; j < n; j++) A[row + j]! -= f * w[j]!;
      }
      d[k] = alpha;
    }
    if (k + 1 >= n) continue;
    // Right: zero A[k, k+2..].
    const rowK = k * n;
    sq = 0;
    for (let j = k + 1; j < n; j++) sq += A[rowK + j]! ** 2;
    const x0 = A[rowK + k + 1]!;
    if (sq === 0) {
      e[k + 1] = 0;
      continue;
    }
    const alpha = x0 >= 0 ? -Math.sqrt(sq) : Math.sqrt(sq);
    A[rowK + k + 1] = x0 - alpha; // u, stored in place
    const tau = 2 / (sq - x0 * x0 + (x0 - alpha) ** 2);
    for (let i = k + 1; i < m; i++) {
      const row = i * n;
      let s = 0;
      for (let j = k + 1; j < n; j++) s += A[row + j]! * A[rowK + j]!;
      s *= tau;
      for (let j = k + 1; j < n; j++) A[row + j]! -= s * A[rowK + j]!;
    }
    e[k + 1] = alpha;
  }
}

const MAX_SWEEPS = 75;

/** Implicit shifted QR on the bidiagonal (d, e) until e vanishes; d then holds ± the singular values. */
function diagonalize(d: Float64Array, e: Float64Array): void {
  const n = d.length;
  const eps = Number.EPSILON;
  let anorm = 0;
  for (let i = 0; i < n; i++) anorm = Math.max(anorm, Math.abs(d[i]!) + Math.abs(e[i]!));
  for (let k = n - 1; k >= 0; k--) {
    for (let its = 0; ; its++) {
      // Find l such that e[l] is negligible (split) or d[l−1] is zero (then cancel e[l]).
      let l = k;
      let cancel = true;
      for (; l >= 0; l--) {
        if (l === 0 || Math.abs(e[l]!) <= eps * anorm) {
          cancel = false;
          break;
        }
        if (Math.abs(d[l - 1]!) <= eps * anorm) break;
      }
      if (cancel) {
        let c = 0;
        let s = 1;
        for (let i = l; i <= k; i++) {
          const f = s * e[i]!;
          e[i] = c * e[i]!;
          if (Math.abs(f) <= eps * anorm) break;
          const g = d[i]!;
          const h = Math.hypot(f, g);
          d[i] = h;
          c = g / h;
          s = -f / h;
        }
      }
      const z = d[k]!;
      if (l === k) {
        d[k] = Math.abs(z);
        break;
      }
      if (its >= MAX_SWEEPS) throw new InspectorError('svd-no-convergence', 'failure', `singularValues: no convergence after ${MAX_SWEEPS} QR sweeps`);
      // Wilkinson-style shift from the trailing 2×2, then chase the bulge from l to k.
      let x = d[l]!;
      let y = d[k - 1]!;
      let g = e[k - 1]!;
      let h = e[k]!;
      let f = ((y - z) * (y + z) + (g - h) * (g + h)) / (2 * h * y);
      g = Math.hypot(f, 1);
      f = ((x - z) * (x + z) + h * (y / (f + (f >= 0 ? g : -g)) - h)) / x;
      let c = 1;
      let s = 1;
      for (let j = l; j < k; j++) {
        const i = j + 1;
        g = e[i]!;
        y = d[i]!;
        h = s * g;
        g = c * g;
        let zz = Math.hypot(f, h);
        e[j] = zz;
        c = f / zz;
        s = h / zz;
        f = x * c + g * s;
        g = g * c - x * s;
        h = y * s;
        y *= c;
        zz = Math.hypot(f, h);
        d[j] = zz;
        if (zz !== 0) {
          c = f / zz;
          s = h / zz;
        }
        f = c * g + s * y;
        x = c * y - s * g;
      }
      e[l] = 0;
      e[k] = f;
      d[k] = x;
    }
  }
}
