/**
 * The compact per-row columns the group-metrics builder keeps when something needs the rows after
 * the pass (bootstrap intervals, feature diversity, the bias loss), grown by doubling: label,
 * pred, confidence, Brier term, loss, weight (float64 each), ECE bin (int8), top-label
 * correctness (uint8), intersection slot (int32) and one int32 code per sensitive column —
 * 54 + 4·C bytes per row for C sensitive columns, plus 8 bytes with a feature variance and 8·K
 * with dice terms. Plus the small loops over them that allocate nothing per row.
 */
import type { GroupAccumulator } from './accumulator';

export class RowStore {
  n = 0;
  label: Float64Array = new Float64Array(0);
  pred: Float64Array = new Float64Array(0);
  conf: Float64Array = new Float64Array(0);
  brier: Float64Array = new Float64Array(0);
  loss: Float64Array = new Float64Array(0);
  weight: Float64Array = new Float64Array(0);
  bin: Int8Array = new Int8Array(0);
  /** 1 when the top label (whose confidence `conf` is) is right: what the ECE counts. */
  topCorrect: Uint8Array = new Uint8Array(0);
  slot: Int32Array = new Int32Array(0);
  codes: Int32Array[];
  variance: Float64Array | null = null;
  diceP: Float64Array | null = null;

  constructor(
    columns: number,
    private readonly diceWidth: number,
  ) {
    this.codes = Array.from({ length: columns }, () => new Int32Array(0));
  }

  /** Makes room for `extra` more rows (capacity doubles). */
  reserve(extra: number, withVariance: boolean, withDice: boolean): void {
    const need = this.n + extra;
    let cap = this.label.length;
    if (withVariance && this.variance === null) this.variance = new Float64Array(cap).fill(NaN);
    if (withDice && this.diceP === null) this.diceP = new Float64Array(cap * this.diceWidth).fill(NaN);
    if (need <= cap) return;
    cap = Math.max(need, cap * 2, 1024);
    const n = this.n;
    const f64 = (a: Float64Array, width = 1): Float64Array => {
      const b = new Float64Array(cap * width);
      b.set(a.subarray(0, n * width));
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a.subarray(0, n));
      return b;
    };
    this.label = f64(this.label);
    this.pred = f64(this.pred);
    this.conf = f64(this.conf);
    this.brier = f64(this.brier);
    this.loss = f64(this.loss);
    this.weight = f64(this.weight);
    const bin = new Int8Array(cap);
    bin.set(this.bin.subarray(0, n));
    this.bin = bin;
    const topCorrect = new Uint8Array(cap);
    topCorrect.set(this.topCorrect.subarray(0, n));
    this.topCorrect = topCorrect;
    this.slot = i32(this.slot);
    this.codes = this.codes.map(i32);
    if (this.variance !== null) {
      this.variance = f64(this.variance);
      this.variance.fill(NaN, n);
    }
    if (this.diceP !== null) {
      this.diceP = f64(this.diceP, this.diceWidth);
      this.diceP.fill(NaN, n * this.diceWidth);
    }
  }
}

/** Copies a column into a typed array at `offset` (typed arrays: one bulk copy). */
export function copyInto(target: Float64Array, source: ArrayLike<number>, offset: number): void {
  if (ArrayBuffer.isView(source)) {
    target.set(source as Float64Array, offset);
  } else {
    for (let i = 0; i < source.length; i++) target[offset + i] = source[i] as number;
  }
}

/** Adds one stored row (m copies, total weight w) to an accumulator; a plain function so the loop allocates nothing. */
export function addRow(
  a: GroupAccumulator,
  regression: boolean,
  y: number,
  yhat: number,
  conf: number,
  bin: number,
  brier: number,
  loss: number,
  w: number,
  m: number,
  diceP: ArrayLike<number> | null,
  diceOffset: number,
  topCorrect: number,
): void {
  if (regression) a.addRegression(y, yhat, loss, w, m);
  else a.addClassified(y, yhat, conf, bin, brier, loss, w, m, topCorrect);
  if (diceP !== null) a.addDice(diceP, diceOffset, y, w);
}

/** Row indices per code (codes < 0 are left out). */
export function bucketRows(codes: Int32Array, size: number): Int32Array[] {
  const counts = new Int32Array(size);
  for (const c of codes) if (c >= 0) counts[c] = (counts[c] as number) + 1;
  const buckets = Array.from(counts, (k) => new Int32Array(k));
  const fill = new Int32Array(size);
  codes.forEach((c, i) => {
    if (c < 0) return;
    (buckets[c] as Int32Array)[fill[c] as number] = i;
    fill[c] = (fill[c] as number) + 1;
  });
  return buckets;
}
