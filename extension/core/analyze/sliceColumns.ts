/**
 * Compact per-row storage of a slice candidate column during the row pass (no raw cells kept):
 * the number of each cell while every cell so far is numeric, and the code of each cell's text in
 * a dictionary while it has at most `maxValues` entries or the column is not numeric. A numeric
 * column with many values keeps only its numbers (it is binned); a text column keeps its codes
 * whatever its number of values (a named 10k-value column is searched, FORMULAS.md §E).
 */
import { groupValue, numericCell } from '../data';

export class SliceColumnCollector {
  private numbers: Float64Array | null;
  private codes: Int32Array | null;
  private readonly dict = new Map<string, number>();
  readonly values: string[] = [];
  length = 0;
  missing = 0;
  private numeric = true;
  private readonly distinctNumbers = new Set<number>();

  constructor(readonly name: string, private readonly maxValues: number, capacity = 4096) {
    this.numbers = new Float64Array(capacity);
    this.codes = new Int32Array(capacity);
  }

  private grow(extra: number): void {
    const need = this.length + extra;
    const cap = Math.max(need, (this.codes?.length ?? this.numbers?.length ?? 0) * 2);
    if (this.numbers && need > this.numbers.length) { const next = new Float64Array(cap); next.set(this.numbers.subarray(0, this.length)); this.numbers = next; }
    if (this.codes && need > this.codes.length) { const next = new Int32Array(cap); next.set(this.codes.subarray(0, this.length)); this.codes = next; }
  }

  add(cell: unknown): void {
    this.grow(1);
    const i = this.length++;
    const text = groupValue(cell);
    if (text === null) {
      this.missing++;
      if (this.numbers) this.numbers[i] = Number.NaN;
      if (this.codes) this.codes[i] = -1;
      return;
    }
    if (this.numeric) {
      const c = numericCell(cell);
      if (c.kind === 'number' && Number.isFinite(c.value) && typeof cell !== 'boolean') {
        this.numbers![i] = c.value;
        if (this.distinctNumbers.size <= this.maxValues) this.distinctNumbers.add(c.value);
      } else {
        this.numeric = false;
        if (!this.codes) this.recodeNumbers(i);
        this.numbers = null;
      }
    }
    if (this.codes) {
      let code = this.dict.get(text);
      if (code === undefined) { code = this.values.length; this.dict.set(text, code); this.values.push(text); }
      this.codes[i] = code;
      // A numeric column with many values is binned: its dictionary is not needed.
      if (this.numeric && this.values.length > this.maxValues) { this.codes = null; this.dict.clear(); this.values.length = 0; }
    }
  }

  /**
   * A column that looked numeric (and dropped its dictionary) meets text: earlier rows get the
   * shortest text of their number ("1.0" and "1" become one value "1"); documented in README.
   */
  private recodeNumbers(upTo: number): void {
    const codes = new Int32Array(this.numbers!.length);
    for (let k = 0; k < upTo; k++) {
      const x = this.numbers![k]!;
      if (x !== x) { codes[k] = -1; continue; }
      const text = String(x);
      let code = this.dict.get(text);
      if (code === undefined) { code = this.values.length; this.dict.set(text, code); this.values.push(text); }
      codes[k] = code;
    }
    this.codes = codes;
  }

  /** Numbers per row (NaN = missing) when every cell is numeric. */
  numbersOf(): Float64Array | null { return this.numeric && this.numbers ? this.numbers.subarray(0, this.length) : null; }
  /** Codes per row into `values` (−1 = missing), when kept. */
  codesOf(): Int32Array | null { return this.codes ? this.codes.subarray(0, this.length) : null; }
  /** Distinct non-missing values (counted up to maxValues + 1). */
  distinct(): number { return this.numeric ? this.distinctNumbers.size : this.values.length; }
  isNumeric(): boolean { return this.numeric; }
}
