/**
 * The byte-level CSV/TSV path: records are split straight from the file's bytes into field
 * offsets, and a batch hands out typed columns without a string per cell — numbers parsed from
 * the bytes (`numbers`), categorical columns interned to small integer codes (`categories`) —
 * plus the usual strings (`column`), decoded on first use, for everything else.
 *
 * It reads what csv-parse reads the same way (the reader's options: `bom`, `relax_column_count`,
 * `skip_empty_lines`): RFC 4180 quoted fields (delimiters, newlines and doubled quotes inside),
 * LF or CRLF records (the first line end outside quotes decides), a UTF-8 BOM, blank lines
 * skipped. Anything else it cannot mirror exactly — a quote inside an unquoted field, text after a
 * closing quote, a bare CR, a line end other than the file's — makes it stop (`bail`) before
 * yielding the batch that holds it, and csv.ts hands the rest of the file to csv-parse, which
 * reports malformed quoting with its own messages and line numbers.
 */
import { numericCell } from './cells';
import type { RowBatch, SkippedRow } from './table';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Numbers of a column: status 0 = a number (`values`), 1 = missing, 2 = not a number (as `numericCell`). */
export interface NumericColumn {
  readonly values: Float64Array;
  readonly status: Uint8Array;
}

/** A categorical column: per row the index of its text in `values` (first seen first, the whole pass). */
export interface CategoryColumn {
  readonly ids: Int32Array;
  /** The distinct texts of the column so far (append-only for the pass). */
  readonly values: readonly string[];
}

/** Batches that can hand out typed columns (the byte-level CSV path). */
export interface TypedColumns {
  numbers(name: string): NumericColumn;
  categories(name: string): CategoryColumn;
}

/** True for a batch with typed columns. */
export function hasTypedColumns(batch: RowBatch): batch is RowBatch & TypedColumns {
  return typeof (batch as Partial<TypedColumns>).numbers === 'function' && typeof (batch as Partial<TypedColumns>).categories === 'function';
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * Parses field bytes [s, e) (`quoted` as in ByteBatch) as `numericCell` parses their text: writes the value into `out[at]` and
 * returns the status (0 number, 1 missing, 2 not a number). Plain decimals whose value one IEEE
 * operation gives exactly (≤ 15 significant digits, |exponent| ≤ 22: Clinger's fast path) are
 * parsed here; anything else (other spellings, non-ASCII text) through `numericCell` on the text.
 */
export function parseNumber(buf: Buffer, s: number, e: number, quoted: number, out: Float64Array, at: number): number {
  const s0 = s;
  const e0 = e;
  while (s < e && isSpace(buf[s] as number)) s++;
  while (e > s && isSpace(buf[e - 1] as number)) e--;
  if (s === e) {
    out[at] = NaN;
    return 1;
  }
  let i = s;
  let negative = false;
  let c = buf[i] as number;
  if (c === 0x2b || c === 0x2d) {
    negative = c === 0x2d;
    i++;
  }
  let mantissa = 0;
  let digits = 0; // significant digits kept
  let intDigits = 0;
  let fracDigits = 0;
  let scale = 0; // decimal exponent of the mantissa's last digit
  let ok = true;
  for (; i < e; i++) {
    c = buf[i] as number;
    if (c < 0x30 || c > 0x39) break;
    intDigits++;
    if (digits > 0 || c !== 0x30) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
    }
  }
  if (i < e && buf[i] === 0x2e) {
    i++;
    for (; i < e; i++) {
      c = buf[i] as number;
      if (c < 0x30 || c > 0x39) break;
      fracDigits++;
      if (digits > 0 || c !== 0x30) {
        mantissa = mantissa * 10 + (c - 0x30);
        digits++;
      }
      scale--;
    }
  }
  if (intDigits + fracDigits === 0) ok = false;
  if (ok && i < e && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    let expNegative = false;
    if (i < e && (buf[i] === 0x2b || buf[i] === 0x2d)) {
      expNegative = buf[i] === 0x2d;
      i++;
    }
    let exp = 0;
    let expDigits = 0;
    for (; i < e; i++) {
      c = buf[i] as number;
      if (c < 0x30 || c > 0x39) break;
      if (exp < 100000) exp = exp * 10 + (c - 0x30);
      expDigits++;
    }
    if (expDigits === 0) ok = false;
    scale += expNegative ? -exp : exp;
  }
  if (ok && i === e && digits <= 15 && scale >= -22 && scale <= 22) {
    const v = digits === 0 ? 0 : scale >= 0 ? mantissa * (POW10[scale] as number) : mantissa / (POW10[-scale] as number);
    out[at] = negative ? -v : v;
    return 0;
  }
  const cell = numericCell(decodeField(buf, s0, e0, quoted));
  if (cell.kind === 'number') {
    out[at] = cell.value;
    return 0;
  }
  out[at] = NaN;
  return cell.kind === 'missing' ? 1 : 2;
}

/** Interns byte strings to dense ids (first seen first), with their decoded text. */
export class ByteInterner {
  private table = new Int32Array(64).fill(-1);
  private hashes: number[] = [];
  private starts: number[] = [];
  private lengths: number[] = [];
  private pool = new Uint8Array(256);
  private used = 0;
  readonly values: string[] = [];

  /** Ids of the one-byte keys (−1: not seen): codes, labels and flags are often one character. */
  private readonly single = new Int32Array(256).fill(-1);

  /** Id of bytes [s, e) of `buf` (a field, `quoted` as in ByteBatch; decoded the first time). */
  id(buf: Buffer, s: number, e: number, quoted: number): number {
    if (e - s === 1) {
      const known = this.single[buf[s] as number] as number;
      if (known >= 0) return known;
    }
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
    const mask = this.table.length - 1;
    let slot = h & mask;
    const len = e - s;
    for (;;) {
      const id = this.table[slot] as number;
      if (id < 0) break;
      if (this.hashes[id] === h && this.lengths[id] === len && this.same(id, buf, s, len)) return id;
      slot = (slot + 1) & mask;
    }
    const id = this.values.length;
    this.values.push(decodeField(buf, s, e, quoted));
    this.hashes.push(h);
    this.lengths.push(len);
    if (this.used + len > this.pool.length) {
      const grown = new Uint8Array(Math.max(this.pool.length * 2, this.used + len));
      grown.set(this.pool.subarray(0, this.used));
      this.pool = grown;
    }
    this.pool.set(buf.subarray(s, e), this.used);
    this.starts.push(this.used);
    this.used += len;
    this.table[slot] = id;
    if (len === 1) this.single[buf[s] as number] = id;
    if (this.values.length * 2 > this.table.length) this.rehash();
    return id;
  }

  private same(id: number, buf: Uint8Array, s: number, len: number): boolean {
    const o = this.starts[id] as number;
    for (let k = 0; k < len; k++) if (this.pool[o + k] !== buf[s + k]) return false;
    return true;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let id = 0; id < this.values.length; id++) {
      let slot = (this.hashes[id] as number) & mask;
      while ((table[slot] as number) >= 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }
}

/** Decodes a field: UTF-8, the inner text of a quoted field with doubled quotes undone. */
function decodeField(buf: Buffer, s: number, e: number, quoted: number): string {
  const text = buf.toString('utf8', s, e);
  return quoted === 2 ? text.replace(/""/g, '"') : text;
}

/** A batch of records over the bytes they were split from. */
export class ByteBatch implements RowBatch, TypedColumns {
  private readonly strings = new Map<string, readonly unknown[]>();
  private readonly numeric = new Map<string, NumericColumn>();
  private readonly category = new Map<string, CategoryColumn>();

  constructor(
    private readonly index: ReadonlyMap<string, number>,
    private readonly width: number,
    private readonly buf: Buffer,
    /** Field byte ranges, row-major (`width` per row), and 0 plain / 1 quoted / 2 quoted with doubled quotes. */
    private readonly starts: Int32Array,
    private readonly ends: Int32Array,
    private readonly quoted: Uint8Array,
    readonly length: number,
    readonly rowNumbers: Uint32Array,
    readonly skipped: readonly SkippedRow[],
    private readonly interners: Map<string, ByteInterner>,
  ) {}

  get firstRow(): number {
    return this.rowNumbers[0] ?? 0;
  }

  has(name: string): boolean {
    return this.index.has(name);
  }

  column(name: string): readonly unknown[] {
    const cached = this.strings.get(name);
    if (cached) return cached;
    const at = this.index.get(name);
    const out: (string | undefined)[] = new Array<string | undefined>(this.length);
    for (let r = 0; r < this.length; r++) {
      const f = r * this.width + (at ?? 0);
      out[r] = at === undefined ? undefined : decodeField(this.buf, this.starts[f] as number, this.ends[f] as number, this.quoted[f] as number);
    }
    this.strings.set(name, out);
    return out;
  }

  numbers(name: string): NumericColumn {
    const cached = this.numeric.get(name);
    if (cached) return cached;
    const at = this.index.get(name);
    const values = new Float64Array(this.length);
    const status = new Uint8Array(this.length);
    if (at === undefined) {
      values.fill(NaN);
      status.fill(1);
    } else {
      const { buf, starts, ends, quoted, width } = this;
      for (let r = 0; r < this.length; r++) {
        const f = r * width + at;
        const s = starts[f] as number;
        const e = ends[f] as number;
        // the common spelling inline: 1–15 bytes of digits with at most one '.', unquoted, at
        // least one digit (≤ 15 digits: the value is parseNumber's, one exact division)
        if (e - s <= 15 && e > s && quoted[f] === 0) {
          let m = 0;
          let dot = -1;
          let i = s;
          for (; i < e; i++) {
            const c = buf[i] as number;
            if (c >= 0x30 && c <= 0x39) m = m * 10 + (c - 0x30);
            else if (c === 0x2e && dot < 0) dot = i;
            else break;
          }
          if (i === e && e - s > (dot < 0 ? 0 : 1)) {
            values[r] = dot < 0 ? m : m / (POW10[e - dot - 1] as number);
            continue; // status 0
          }
        }
        status[r] = parseNumber(buf, s, e, quoted[f] as number, values, r);
      }
    }
    const column = { values, status };
    this.numeric.set(name, column);
    return column;
  }

  categories(name: string): CategoryColumn {
    const cached = this.category.get(name);
    if (cached) return cached;
    let interner = this.interners.get(name);
    if (!interner) {
      interner = new ByteInterner();
      this.interners.set(name, interner);
    }
    const at = this.index.get(name);
    const ids = new Int32Array(this.length);
    const { buf, starts, ends, quoted, width } = this;
    if (at === undefined) {
      if (this.length > 0) ids.fill(interner.id(buf, 0, 0, 0));
    } else {
      for (let r = 0; r < this.length; r++) {
        const f = r * width + at;
        // keyed on the raw bytes: only a quoted field holds a doubled quote, so one text has one key
        ids[r] = interner.id(buf, starts[f] as number, ends[f] as number, quoted[f] as number);
      }
    }
    const column = { ids, values: interner.values };
    this.category.set(name, column);
    return column;
  }
}

/** What `splitRecords` found. */
export const enum Split {
  /** A record ends at `next` (its fields in the tokenizer's arrays). */
  Record,
  /** A blank line ends at `next` (no record). */
  Blank,
  /** The record runs past the data read so far. */
  More,
  /** Text the byte path does not read as csv-parse does: hand the file to csv-parse. */
  Bail,
  /** No more data. */
  End,
}

/**
 * Splits one record at a time. Its fields land in `starts`/`ends`/`quoted` from `at` on (at most
 * `room` of them are written; `count` counts them all): byteBatches points these at the batch's
 * next row (`into`), so a record of the right width needs no copy.
 */
export class RecordSplitter {
  /** 0 unknown, 1 LF, 2 CRLF. */
  private eol = 0;
  /** 1 for the bytes that end an unquoted field: the delimiter, LF, CR and the quote. */
  private readonly stops = new Uint8Array(256);
  starts: Int32Array = new Int32Array(64);
  ends: Int32Array = new Int32Array(64);
  quoted: Uint8Array = new Uint8Array(64);
  at = 0;
  room = 64;
  count = 0;
  next = 0;

  constructor(private readonly delimiter: number) {
    for (const c of [delimiter, LF, CR, QUOTE]) this.stops[c] = 1;
  }

  /** Where the next records' fields go: `starts`… from `at`, at most `room` fields. */
  into(starts: Int32Array, ends: Int32Array, quoted: Uint8Array, at: number, room: number): void {
    this.starts = starts;
    this.ends = ends;
    this.quoted = quoted;
    this.at = at;
    this.room = room;
  }

  /** Splits the record starting at `p` of `buf[0, end)`; `final`: no data follows `end`. */
  split(buf: Uint8Array, p: number, end: number, final: boolean): Split {
    this.count = 0;
    if (p >= end) return final ? Split.End : Split.More;
    const d = this.delimiter;
    const { stops, starts, ends, quoted, at, room } = this;
    let count = 0;
    let i = p;
    for (;;) {
      let c: number;
      if (buf[i] === QUOTE) {
        i++;
        const inner = i;
        let escaped = 0;
        let innerEnd: number;
        for (;;) {
          if (i >= end) return final ? Split.Bail : Split.More;
          if (buf[i] === QUOTE) {
            if (i + 1 >= end && !final) return Split.More;
            if (buf[i + 1] === QUOTE && i + 1 < end) {
              escaped = 1;
              i += 2;
              continue;
            }
            innerEnd = i;
            i++;
            break;
          }
          i++;
        }
        if (count < room) {
          starts[at + count] = inner;
          ends[at + count] = innerEnd;
          quoted[at + count] = 1 + escaped;
        }
        count++;
        this.count = count;
        if (i >= end) {
          this.next = i;
          return Split.Record; // final (checked above)
        }
        c = buf[i] as number;
        if (c === d) {
          i++;
          continue;
        }
        if (c !== LF && c !== CR) return Split.Bail;
      } else {
        const start = i;
        while (i < end && stops[buf[i] as number] === 0) i++;
        if (i >= end) {
          if (!final) return Split.More;
          if (count < room) {
            starts[at + count] = start;
            ends[at + count] = i;
            quoted[at + count] = 0;
          }
          count++;
          this.count = count;
          this.next = i;
          return count === 1 && i === start ? Split.Blank : Split.Record;
        }
        c = buf[i] as number;
        if (c === QUOTE) return Split.Bail;
        if (count < room) {
          starts[at + count] = start;
          ends[at + count] = i;
          quoted[at + count] = 0;
        }
        count++;
        this.count = count;
        if (c === d) {
          i++;
          continue;
        }
      }
      // a line end at i
      if (c === LF) {
        if (this.eol === 0) this.eol = 1;
        else if (this.eol === 2) return Split.Bail;
        this.next = i + 1;
      } else {
        if (i + 1 >= end) return final ? Split.Bail : Split.More;
        if (buf[i + 1] !== LF) return Split.Bail;
        if (this.eol === 0) this.eol = 2;
        else if (this.eol === 1) return Split.Bail;
        this.next = i + 2;
      }
      return count === 1 && quoted[at] === 0 && starts[at] === ends[at] ? Split.Blank : Split.Record;
    }
  }
}
