/**
 * Counter-based Poisson(1) bootstrap weights (docs/SHARDING.md §2). The weight of a row in a
 * replicate is a pure function of (seed, global row number, replicate): no generator state
 * crosses rows, so a shard of rows computes exactly the weights a single run gives those rows,
 * in any order, on any machine. Summed over rows, Poisson(1) weights are the "Poisson
 * bootstrap" (Hanley & MacGibbon 2006; Chamandy et al. 2012, used by Beam/Flume-scale
 * pipelines): each replicate is a resample whose size is Poisson(n) instead of exactly n.
 *
 * Hash: murmur3's fmix32 finalizer, chained over the seed, the row number (53-bit) and the
 * replicate. Weight: the inverse CDF of Poisson(1) on the 32-bit hash, u = h / 2^32, with
 * k = min{k : u < F(k)}; F is tabulated up to k = 11, beyond which the mass (8.3·10⁻¹⁰) is
 * folded into k = 12.
 */

/** murmur3 fmix32: a full-avalanche 32-bit bijection. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The cumulative Poisson(1) distribution F(k) = e⁻¹ Σ_{j≤k} 1/j!, scaled to 2^32, k = 0..11. */
export const POISSON1_CDF_U32: readonly number[] = (() => {
  const out: number[] = [];
  let term = Math.exp(-1);
  let sum = 0;
  for (let k = 0; k <= 11; k++) {
    sum += term;
    out.push(Math.min(4294967296, Math.round(sum * 4294967296)));
    term /= k + 1;
  }
  return out;
})();

/** Per-seed constant mixed into every row key. */
export function seedKey(seed: number): number {
  const s = Math.trunc(seed);
  const lo = s >>> 0;
  const hi = Math.floor(s / 4294967296) >>> 0;
  return fmix32(Math.imul(lo ^ 0x7f4a7c15, 0x9e3779b1) ^ fmix32(hi + 0x632be5ab));
}

/** Per-row key: depends on the seed key and the global row number (up to 2^53). */
export function rowKey(seedK: number, row: number): number {
  const lo = row >>> 0;
  const hi = Math.floor(row / 4294967296) >>> 0;
  return fmix32(seedK ^ fmix32(lo ^ Math.imul(hi, 0x27d4eb2f)));
}

/** Poisson(1) draw for one (row key, replicate). */
export function poissonWeight(rowK: number, replicate: number): number {
  const u = fmix32((rowK + Math.imul(replicate + 1, 0x9e3779b9)) >>> 0);
  const cdf = POISSON1_CDF_U32;
  if (u < cdf[0]!) return 0;
  if (u < cdf[1]!) return 1;
  let k = 2;
  while (k < cdf.length && u >= cdf[k]!) k++;
  return k;
}

/**
 * Fills `out[i]` with the Poisson(1) weight of row `rows[i]` in replicate `replicate`
 * (`rowKeys` from `rowKeysOf`, computed once per row for all replicates).
 */
export function poissonWeights(rowKeys: Uint32Array, replicate: number, out: Int32Array): void {
  const c0 = POISSON1_CDF_U32[0]!;
  const c1 = POISSON1_CDF_U32[1]!;
  const add = Math.imul(replicate + 1, 0x9e3779b9);
  for (let i = 0; i < rowKeys.length; i++) {
    const u = fmix32((rowKeys[i]! + add) >>> 0);
    out[i] = u < c0 ? 0 : u < c1 ? 1 : poissonTail(u);
  }
}

function poissonTail(u: number): number {
  const cdf = POISSON1_CDF_U32;
  let k = 2;
  while (k < cdf.length && u >= cdf[k]!) k++;
  return k;
}

/** Row keys of global row numbers under a seed. */
export function rowKeysOf(seed: number, rows: ArrayLike<number>): Uint32Array {
  const s = seedKey(seed);
  const out = new Uint32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = rowKey(s, rows[i]!);
  return out;
}
