/**
 * Per-query-row attention statistics of FORMULAS.md §D: entropy H_i = −Σ_j p_ij log p_ij (nats,
 * 0·log 0 = 0), normalised entropy H_i / log(n_valid) (NaN when n_valid = 1), span mass
 * Σ_{j∈S} p_ij, first-token (sink) mass and special-token mass. Padded queries and keys are
 * excluded; with `causal`, the keys of query i are the valid positions j ≤ i.
 */
import { resolvePositions, type PositionInputs, type ResolvedPositions } from './positions';

/** The float arrays attention maps come in (row-major T×T). */
export type FloatArray = Float32Array | Float64Array;

/** Entropy in nats of one distribution, 0·log 0 = 0. */
export function entropy(p: ArrayLike<number>): number {
  let h = 0;
  for (let j = 0; j < p.length; j++) {
    const x = p[j]!;
    if (x !== 0) h -= x * Math.log(x); // NaN and negative values propagate as NaN
  }
  return h;
}

/** H / log(n_valid); NaN when n_valid ≤ 1 (a row with one key has no choice to spread over). */
export function normalizedEntropy(h: number, nValid: number): number {
  return nValid > 1 ? h / Math.log(nValid) : Number.NaN;
}

// ln x for a float32 read through its bits: exponent·ln2 + ln(table knot) + ln(1 + r), |r| < 2^−12,
// the last by the cubic of its series (remainder r⁴/4 < 1e-15). About 3x faster than Math.log,
// which dominates aggregation time (one log per cell).
const KNOT_BITS = 12;
const KNOT_SHIFT = 23 - KNOT_BITS;
const KNOT_REST = (1 << KNOT_SHIFT) - 1;
const LN_KNOT = new Float64Array(1 << KNOT_BITS);
const INV_KNOT = new Float64Array(1 << KNOT_BITS);
for (let k = 0; k < 1 << KNOT_BITS; k++) {
  const c = 1 + k / (1 << KNOT_BITS);
  LN_KNOT[k] = Math.log(c);
  INV_KNOT[k] = 1 / c;
}
const MANTISSA_UNIT = 2 ** -23;

/** p·ln p for a float32 p ≠ 0 given its bit pattern; Math.log for subnormals, negatives, Inf and NaN (→ NaN). */
export function pLnP32(p: number, bits: number): number {
  const exponent = bits >>> 23;
  if (exponent === 0 || exponent >= 255) return p * Math.log(p);
  const mantissa = bits & 0x7fffff;
  const k = mantissa >>> KNOT_SHIFT;
  const r = (mantissa & KNOT_REST) * MANTISSA_UNIT * INV_KNOT[k]!;
  const ln1r = r * (1 - r * (0.5 - r / 3));
  return p * ((exponent - 127) * Math.LN2 + LN_KNOT[k]! + ln1r);
}

/** Sums over the valid query rows of one T×T map. Reused across maps: `scanMap` overwrites it. */
export interface MapScan {
  /** Valid query rows scanned. */
  rows: number;
  /** Σ_i H_i. */
  entropySum: number;
  /** Σ_i Ĥ_i over rows with n_valid > 1, and how many such rows. */
  normalizedSum: number;
  normalizedRows: number;
  /** Ĥ_i of each scanned row in order (NaN where n_valid = 1); the first `rows` entries are set. */
  readonly normalized: Float64Array;
  /** Σ_i p_i,first valid key. */
  firstTokenSum: number;
  /** Σ_i mass_i(S) per span (0 for spans absent from the sample). */
  readonly spanSums: Float64Array;
  /** Σ_i mass on special keys (0 when no special mask). */
  specialSum: number;
}

/** Scratch for `scanMap` for sequences up to length T with `spanCount` spans. */
export function createMapScan(T: number, spanCount: number): MapScan {
  return {
    rows: 0, entropySum: 0, normalizedSum: 0, normalizedRows: 0, normalized: new Float64Array(T),
    firstTokenSum: 0, spanSums: new Float64Array(spanCount), specialSum: 0,
  };
}

/**
 * Scans one row-major T×T map (T = pos.T) into `out` (overwritten) and returns it. NaN or negative
 * probabilities make the entropy NaN (they are reported, not skipped); `checkRowSums` locates them.
 */
export function scanMap(map: FloatArray, pos: ResolvedPositions, out: MapScan): MapScan {
  const { T, valid, causal } = pos;
  const bits = map instanceof Float32Array ? new Int32Array(map.buffer, map.byteOffset, map.length) : undefined;
  const nValid = valid.length;
  if (out.normalized.length < nValid) throw new RangeError(`scanMap: scratch made for ${out.normalized.length} rows, the map has ${nValid}`);
  const first = valid[0] ?? 0;
  out.rows = nValid;
  out.entropySum = 0;
  out.normalizedSum = 0;
  out.normalizedRows = 0;
  out.firstTokenSum = 0;
  out.spanSums.fill(0);
  out.specialSum = 0;
  for (let a = 0; a < nValid; a++) {
    const q = valid[a]!;
    const base = q * T;
    const nKeys = causal ? a + 1 : nValid;
    let plogp = 0;
    if (pos.contiguous) {
      const end = base + first + nKeys;
      if (bits) {
        for (let x = base + first; x < end; x++) {
          const p = map[x]!;
          if (p !== 0) plogp += pLnP32(p, bits[x]!);
        }
      } else {
        for (let x = base + first; x < end; x++) {
          const p = map[x]!;
          if (p !== 0) plogp += p * Math.log(p);
        }
      }
    } else {
      for (let k = 0; k < nKeys; k++) {
        const x = base + valid[k]!;
        const p = map[x]!;
        if (p !== 0) plogp += bits ? pLnP32(p, bits[x]!) : p * Math.log(p);
      }
    }
    const h = -plogp;
    out.entropySum += h;
    const hn = normalizedEntropy(h, nKeys);
    out.normalized[a] = hn;
    if (nKeys > 1) {
      out.normalizedSum += hn;
      out.normalizedRows++;
    }
    out.firstTokenSum += map[base + first]!;
    for (let s = 0; s < pos.spans.length; s++) {
      const span = pos.spans[s];
      if (span) out.spanSums[s]! += massOn(map, base, span, causal ? q : T);
    }
    if (pos.special) out.specialSum += massOn(map, base, pos.special, causal ? q : T);
  }
  return out;
}

/** Σ p[base + j] over the sorted key list, keys j ≤ last only. */
export function massOn(map: FloatArray, base: number, keys: Int32Array, last: number): number {
  let m = 0;
  for (let k = 0; k < keys.length; k++) {
    const j = keys[k]!;
    if (j > last) break;
    m += map[base + j]!;
  }
  return m;
}

/** Mean statistics of one map (one sample, one head): the §D head values for a single sample. */
export interface MapStatistics {
  /** Valid query rows the means are over. */
  readonly rows: number;
  /** Mean H_i (nats) over valid rows; NaN when there are none. */
  readonly entropy: number;
  /** Mean Ĥ_i over rows with n_valid > 1; NaN when there are none. */
  readonly normalizedEntropy: number;
  readonly firstTokenMass: number;
  /** Per span (caller's order): mean mass over valid queries; NaN when the span is absent or empty. */
  readonly spanMass: readonly number[];
  /** NaN when no special mask was given. */
  readonly specialTokenMass: number;
}

/** Statistics of one row-major T×T map. */
export function mapStatistics(map: FloatArray, T: number, inputs: PositionInputs = {}): MapStatistics {
  const pos = resolvePositions(T, inputs);
  const scan = scanMap(map, pos, createMapScan(T, pos.spans.length));
  const rows = scan.rows;
  return {
    rows,
    entropy: scan.entropySum / rows,
    normalizedEntropy: scan.normalizedSum / scan.normalizedRows,
    firstTokenMass: scan.firstTokenSum / rows,
    spanMass: pos.spans.map((span, s) => (span ? scan.spanSums[s]! / rows : Number.NaN)),
    specialTokenMass: pos.special ? scan.specialSum / rows : Number.NaN,
  };
}
