/**
 * Compact per-row storage of a slice candidate column during the row pass (no raw cells kept):
 * the number of each cell while every cell so far is numeric, and the code of each cell's text in
 * a dictionary while it has at most `maxValues` entries or the column is not numeric. A numeric
 * column with many values keeps only its numbers (it is binned); a text column keeps its codes
 * whatever its number of values (a named 10k-value column is searched, FORMULAS.md §E).
 *
 * `addBatch` reads a byte-level CSV batch through its typed columns (numbers parsed from the bytes,
 * categories as interner ids translated once per distinct text) and stores exactly what `add` of
 * each cell's text would: a numeric column is interned only while its dictionary is kept (at most
 * `maxValues` + one batch of texts), never as one string per row.
 */
import { groupValue, hasTypedColumns, numericCell, type CategoryColumn, type RowBatch } from '../data';

export class SliceColumnCollector {
  private numbers: Float64Array | null;
  private codes: Int32Array | null;
  private readonly dict = new Map<string, number>();
  readonly values: string[] = [];
  length = 0;
  missing = 0;
  private numeric = true;
  private readonly distinctNumbers = new Set<number>();
  /** Typed path: per interner id of `idTexts`, its code + 2 (0 = not seen yet; 1 = missing). */
  private idCodes = new Int32Array(0);
  private idTexts: readonly string[] | null = null;

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
   * Adds rows `positions[0..count)` of `batch` (as `add(batch.column(name)[positions[k]])` for
   * each k), through the batch's typed columns when it has them.
   */
  addBatch(batch: RowBatch, positions: ArrayLike<number>, count: number): void {
    if (count <= 0) return;
    if (!hasTypedColumns(batch)) {
      const cells = batch.column(this.name);
      for (let k = 0; k < count; k++) this.add(cells[positions[k]!]);
      return;
    }
    this.grow(count);
    let k = 0;
    let cat: CategoryColumn | null = null;
    if (this.numeric) {
      const { values, status } = batch.numbers(this.name);
      for (; k < count; k++) {
        const at = positions[k]!;
        const i = this.length;
        const st = status[at]!;
        if (st === 1) {
          this.missing++;
          if (this.numbers) this.numbers[i] = Number.NaN;
          if (this.codes) this.codes[i] = -1;
          this.length++;
          continue;
        }
        const v = values[at]!;
        if (st !== 0 || !Number.isFinite(v)) {
          // text from here on (row i is added below, as text)
          this.numeric = false;
          if (!this.codes) this.recodeNumbers(i);
          this.numbers = null;
          break;
        }
        this.numbers![i] = v;
        if (this.distinctNumbers.size <= this.maxValues) this.distinctNumbers.add(v);
        if (this.codes) {
          cat ??= batch.categories(this.name);
          this.codes[i] = this.codeOfId(cat, cat.ids[at]!);
          if (this.values.length > this.maxValues) { this.codes = null; this.dict.clear(); this.values.length = 0; this.idTexts = null; }
        }
        this.length++;
      }
    }
    if (k >= count) return;
    cat ??= batch.categories(this.name);
    const codes = this.codes!;
    for (; k < count; k++) {
      const code = this.codeOfId(cat, cat.ids[positions[k]!]!);
      if (code < 0) this.missing++;
      codes[this.length++] = code;
    }
  }

  /** The code of interner id `id` (−1 = missing), the text coded once per distinct id. */
  private codeOfId(cat: CategoryColumn, id: number): number {
    if (this.idTexts !== cat.values) { this.idTexts = cat.values; this.idCodes = new Int32Array(Math.max(64, cat.values.length)); }
    if (id >= this.idCodes.length) { const next = new Int32Array(Math.max(id + 1, this.idCodes.length * 2)); next.set(this.idCodes); this.idCodes = next; }
    const known = this.idCodes[id]!;
    if (known !== 0) return known - 2;
    const text = cat.values[id]!;
    let code: number;
    if (text.trim() === '') code = -1;
    else {
      const c = this.dict.get(text);
      if (c === undefined) { code = this.values.length; this.dict.set(text, code); this.values.push(text); } else code = c;
    }
    this.idCodes[id] = code + 2;
    return code;
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
