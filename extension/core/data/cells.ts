/**
 * Explicit conversion of raw cells to numbers. A CSV cell is a string until a mapping asks for
 * a number; the rules are the same for every format:
 *  - missing: undefined, null, "" (after trimming) -> { kind: 'missing' }
 *  - "NaN"/"nan" and "inf"/"+inf"/"-inf"/"Infinity" (any case) -> a non-finite number
 *  - a decimal or scientific literal -> its value (JS Number syntax rules, no hex)
 *  - numbers, bigints (Parquet INT64) and booleans (true = 1) pass through
 *  - anything else (a word, an object) -> { kind: 'invalid' }
 */

export type NumericCell =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid' };

const MISSING: NumericCell = { kind: 'missing' };
const INVALID: NumericCell = { kind: 'invalid' };
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE: Record<string, number> = {
  nan: NaN, '+nan': NaN, '-nan': NaN,
  inf: Infinity, '+inf': Infinity, '-inf': -Infinity,
  infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity,
};

/** Classifies a raw cell as a number, a missing value, or not a number. */
export function numericCell(cell: unknown): NumericCell {
  switch (typeof cell) {
    case 'number': return { kind: 'number', value: cell };
    case 'bigint': return { kind: 'number', value: Number(cell) };
    case 'boolean': return { kind: 'number', value: cell ? 1 : 0 };
    case 'undefined': return MISSING;
    case 'string': {
      const text = cell.trim();
      if (text === '') return MISSING;
      if (DECIMAL.test(text)) return { kind: 'number', value: Number(text) };
      const special = NON_FINITE[text.toLowerCase()];
      return special === undefined ? INVALID : { kind: 'number', value: special };
    }
    default:
      return cell === null ? MISSING : INVALID;
  }
}

/** A cell as text for messages: strings quoted, long values cut. */
export function showCell(cell: unknown): string {
  let text: string;
  if (typeof cell === 'string') text = JSON.stringify(cell);
  else if (typeof cell === 'bigint') text = `${cell}`;
  else if (cell === undefined) text = '(missing)';
  else text = JSON.stringify(cell) ?? String(cell);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A cell as a group value: strings as they are, numbers/booleans as text; missing -> null. */
export function groupValue(cell: unknown): string | null {
  if (cell === undefined || cell === null) return null;
  if (typeof cell === 'string') return cell.trim() === '' ? null : cell;
  if (typeof cell === 'number' || typeof cell === 'bigint' || typeof cell === 'boolean') return String(cell);
  return JSON.stringify(cell);
}

/**
 * A cell holding a sequence of integers: a JSON array (already parsed, or a string such as
 * "[101, 7, 102]"). Returns null for a missing cell, 'invalid' for anything else.
 */
export function intArrayCell(cell: unknown): readonly number[] | null | 'invalid' {
  let value: unknown = cell;
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    try {
      value = JSON.parse(text);
    } catch {
      return 'invalid';
    }
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) value = Array.from(value as unknown as ArrayLike<number | bigint>);
  if (!Array.isArray(value)) return 'invalid';
  const out: number[] = [];
  for (const item of value as unknown[]) {
    const n = typeof item === 'bigint' ? Number(item) : item;
    if (typeof n !== 'number' || !Number.isInteger(n)) return 'invalid';
    out.push(n);
  }
  return out;
}
