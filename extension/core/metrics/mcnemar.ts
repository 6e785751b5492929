/**
 * McNemar's exact test and Benjamini–Hochberg q-values (FORMULAS.md §G).
 */

/**
 * Two-sided exact McNemar p-value for b discordant pairs one way and c the other:
 * `p = min(1, 2·BinomCDF(min(b, c); b + c, 0.5))`, 1 when b + c = 0.
 *
 * The CDF is `pmf(m)·Σ_{k≤m} pmf(k)/pmf(m)`: the ratios come from the recurrence
 * pmf(k−1)/pmf(k) = k/(n−k+1) (each ≤ 1 because m ≤ n/2, so the sum is stable and stops once
 * a term no longer changes it), and log pmf(m) = Σ_{i=1..m} log((n−m+i)/i) − n·log 2, which
 * stays exact to about 1e−12 relative for any n where 2^−n underflows.
 */
export function mcnemarExact(b: number, c: number): number {
  if (!(Number.isInteger(b) && Number.isInteger(c) && b >= 0 && c >= 0)) throw new RangeError(`McNemar counts must be non-negative integers (got ${b}, ${c})`);
  const n = b + c;
  if (n === 0) return 1;
  const m = Math.min(b, c);
  if (2 * m + 1 >= n) return 1; // CDF of a symmetric binomial at ⌊n/2⌋ is ≥ 1/2 (exactly 1/2 for odd n)
  let logPmf = -n * Math.LN2;
  for (let i = 1; i <= m; i++) logPmf += Math.log((n - m + i) / i);
  let sum = 1;
  let term = 1;
  for (let k = m; k >= 1; k--) {
    term *= k / (n - k + 1);
    const next = sum + term;
    if (next === sum) break;
    sum = next;
  }
  return Math.min(1, 2 * Math.exp(logPmf + Math.log(sum)));
}

/** Benjamini–Hochberg q-values: one definition, in significance.ts (also used by the slices). */
export { benjaminiHochberg } from './significance';
