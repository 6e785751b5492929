/**
 * Per-row values other than model inputs: label (by task), weight, likelihood (A.6) and group
 * values. A value a row cannot be used with returns a SkipReason; a value that contradicts
 * the spec (binary label 2, a word in a numeric column) throws a BadInputError naming the row.
 */
import { BadInputError } from '../errors';
import { groupValue, numericCell, showCell } from './cells';
import type { ResolvedSpec } from './spec-types';
import type { SkipReason, TableFormat } from './table';

/** Where a cell is, for messages: file, 1-based data row, column. */
export interface CellPlace {
  readonly file: string;
  readonly format: TableFormat;
}

/** "row 4 (data row, header excluded)" for delimited text, "row 4" otherwise. */
export function rowWhere(format: TableFormat, row: number): string {
  return format === 'csv' || format === 'tsv' ? `row ${row} (data row, header excluded)` : `row ${row}`;
}

export function cellError(code: string, place: CellPlace, row: number, column: string, cause: string): BadInputError {
  return new BadInputError(code, `${place.file}: ${rowWhere(place.format, row)}, column "${column}": ${cause}`, { file: place.file });
}

/** A finite number, a skip reason for missing / non-finite, or an error for a non-number. */
export function numberOrSkip(
  cell: unknown,
  place: CellPlace,
  row: number,
  column: string,
  reasons: { missing: SkipReason; nonFinite: SkipReason },
  what: string,
): number | SkipReason {
  const c = numericCell(cell);
  if (c.kind === 'missing') return reasons.missing;
  if (c.kind === 'invalid') {
    throw cellError('not-numeric', place, row, column, `${what} must be a number, got ${showCell(cell)} (leave the cell empty or write NaN for a missing value)`);
  }
  return Number.isFinite(c.value) ? c.value : reasons.nonFinite;
}

const TRUE_WORDS = new Set(['true', 'yes']);
const FALSE_WORDS = new Set(['false', 'no']);

/** Parses labels for the spec's task; keeps the distinct values seen to catch a third binary class. */
export class LabelParser {
  private readonly seen = new Map<string, number>();
  private readonly classIndex: Map<string, number> | undefined;
  /** Binary task without `positiveLabel`: the cells "0" and "1" are the labels 0 and 1. */
  private readonly binaryDigits: boolean;

  constructor(
    private readonly spec: Pick<ResolvedSpec, 'task' | 'positiveLabel' | 'classes'>,
    private readonly place: CellPlace,
    private readonly column: string,
    /** Number of classes when known (multiclass without `classes`: the model's output size). */
    private readonly numClasses?: number,
  ) {
    this.classIndex = spec.classes ? new Map(spec.classes.map((c, i) => [c, i])) : undefined;
    this.binaryDigits = spec.task === 'binary' && spec.positiveLabel === undefined;
  }

  parse(cell: unknown, row: number): number | SkipReason {
    // The common binary cells, without trimming, word lookups or number parsing (same results).
    if (this.binaryDigits) {
      if (cell === '0') return 0;
      if (cell === '1') return 1;
    }
    if (cell === undefined || cell === null || (typeof cell === 'string' && cell.trim() === '')) return 'missing label';
    switch (this.spec.task) {
      case 'regression':
        return numberOrSkip(cell, this.place, row, this.column, { missing: 'missing label', nonFinite: 'non-finite label' }, 'a regression label');
      case 'binary':
        return this.binary(cell, row);
      case 'multiclass':
        return this.multiclass(cell, row);
      default:
        // No task (undefined): the encoder makes a label parser only for a spec with a task.
        throw cellError('label-out-of-task', this.place, row, this.column, 'a label needs the spec\'s "task" to be read');
    }
  }

  private binary(cell: unknown, row: number): number | SkipReason {
    const positive = this.spec.positiveLabel;
    if (positive !== undefined) {
      const key = typeof cell === 'string' ? cell.trim() : String(cell);
      if (!this.seen.has(key)) {
        if (this.seen.size >= 2) {
          throw cellError('label-out-of-task', this.place, row, this.column,
            `binary label ${showCell(cell)} is a third value (seen: ${[...this.seen.keys()].map((k) => JSON.stringify(k)).join(', ')}); a binary task needs two label values`);
        }
        this.seen.set(key, key === String(positive).trim() ? 1 : 0);
      }
      return this.seen.get(key)!;
    }
    if (typeof cell === 'string') {
      const word = cell.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return 1;
      if (FALSE_WORDS.has(word)) return 0;
    }
    const c = numericCell(cell);
    if (c.kind === 'number' && Number.isNaN(c.value)) return 'non-finite label';
    if (c.kind === 'number' && (c.value === 0 || c.value === 1)) return c.value;
    throw cellError('label-out-of-task', this.place, row, this.column,
      `binary label ${showCell(cell)} is not 0/1 or true/false (set "positiveLabel" in the spec to name the positive class)`);
  }

  private multiclass(cell: unknown, row: number): number | SkipReason {
    const byName = this.classIndex?.get(typeof cell === 'string' ? cell.trim() : String(cell));
    if (byName !== undefined) return byName;
    const c = numericCell(cell);
    if (c.kind === 'number' && Number.isNaN(c.value)) return 'non-finite label';
    const limit = this.spec.classes?.length ?? this.numClasses;
    if (c.kind === 'number' && Number.isInteger(c.value) && c.value >= 0 && (limit === undefined || c.value < limit)) return c.value;
    const expected = limit === undefined ? 'a class index 0, 1, 2, ...' : `a class index 0..${limit - 1}`;
    const names = this.spec.classes ? ` or a name in "classes" (${this.spec.classes.join(', ')})` : ' (or list the class names in "classes")';
    throw cellError('label-out-of-task', this.place, row, this.column, `multiclass label ${showCell(cell)} is not ${expected}${names}`);
  }
}

/**
 * Collects group values, failing when a column has more distinct values than a group column
 * should. Each column's values get integer codes in first-seen order (the dictionary only grows),
 * so one lookup per cell gives both the value and the code the group metrics take.
 */
export class GroupCollector {
  private readonly index: Map<string, number>[];
  private readonly dictionaries: string[][];

  constructor(
    private readonly columns: readonly string[],
    private readonly place: CellPlace,
    private readonly maxValues: number,
  ) {
    this.index = columns.map(() => new Map<string, number>());
    this.dictionaries = columns.map(() => []);
  }

  /** Code of the cell's group value in column k (first-seen order), −1 when it is missing. */
  code(k: number, cell: unknown, row: number): number {
    const v = groupValue(cell);
    if (v === null) return -1;
    const index = this.index[k]!;
    const known = index.get(v);
    if (known !== undefined) return known;
    const dictionary = this.dictionaries[k]!;
    const code = dictionary.length;
    if (code >= this.maxValues) {
      const column = this.columns[k]!;
      throw new BadInputError('too-many-groups',
        `${this.place.file}: group column "${column}" has more than ${this.maxValues} distinct values (by ${rowWhere(this.place.format, row)}): it looks like an identifier or a continuous value, not a group; bin it into a few groups, or raise "maxGroupValues" in the spec`,
        { file: this.place.file });
    }
    dictionary.push(v);
    index.set(v, code);
    return code;
  }

  /** Values seen so far per group column, in code order (append-only arrays: later codes extend them). */
  get dictionary(): readonly (readonly string[])[] {
    return this.dictionaries;
  }

  /** Distinct values seen so far, per group column. */
  values(): Record<string, string[]> {
    return Object.fromEntries(this.columns.map((c, k) => [c, [...this.dictionaries[k]!].sort()]));
  }
}
