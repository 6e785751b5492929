/**
 * One streaming interface over every tabular data format (DESIGN.md §1, core/data).
 * Readers yield column-addressable batches of rows; cells stay raw (CSV cells are strings,
 * JSONL cells are JSON values, Parquet cells are what the file stores) until an input mapping
 * asks for a number, so parsing "NaN", "" or "inf" is always explicit (see cells.ts).
 */

/** A row the reader (or the encoder) left out, with its 1-based data row number (header excluded). */
export interface SkippedRow {
  readonly row: number;
  readonly reason: SkipReason;
}

/** Stable reasons a row can be skipped for; the report counts them by reason. */
export type SkipReason =
  | 'ragged row'
  | 'missing feature'
  | 'non-finite feature'
  | 'missing label'
  | 'non-finite label'
  | 'missing weight'
  | 'non-finite weight'
  | 'missing likelihood'
  | 'missing text'
  | 'missing token ids';

/** A range of rows with column access. */
export interface RowBatch {
  /** Number of rows in the batch. */
  readonly length: number;
  /** 1-based data row number (header excluded) of the first row of the batch. */
  readonly firstRow: number;
  /**
   * 1-based data row number of each row. Consecutive unless the reader skipped rows in between
   * (those are listed in `skipped`), so row-aligned side files (.npy) stay aligned.
   */
  readonly rowNumbers: Uint32Array;
  /** Rows the reader left out just before or inside this batch (e.g. ragged CSV rows). */
  readonly skipped: readonly SkippedRow[];
  /** True when the table has this column. */
  has(name: string): boolean;
  /** Raw cell values of one column, one per row; `undefined` where a row lacks the field. */
  column(name: string): readonly unknown[];
}

/** An open table; `batches()` may be iterated more than once (each pass re-reads the file). */
export interface TableReader {
  readonly path: string;
  readonly format: TableFormat;
  /**
   * Column names, in file order (JSONL: the keys of the rows read for the first batch, in
   * first-seen order, plus any that `findColumns` found later in the file).
   */
  readonly columns: readonly string[];
  /**
   * Looks for these columns in the rest of the file, where the format learns its columns from
   * the first rows only (JSONL, whose rows may omit keys); the columns met while looking join
   * `columns` and the batches (all of the file's when a name is in no row). Absent where the
   * header already lists every column.
   */
  findColumns?(names: readonly string[]): Promise<void>;
  /** Number of data rows when the format knows it up front (Parquet). */
  readonly rowsHint?: number;
  batches(): AsyncIterable<RowBatch>;
  /** Fraction of the file read by the pass in progress, in [0, 1], for progress reporting. */
  progress(): { bytesRead: number; bytesTotal: number };
  close(): Promise<void>;
}

export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';

export interface OpenTableOptions {
  readonly signal?: AbortSignal;
  /** Rows per batch (default 1024). */
  readonly batchRows?: number;
}

export const DEFAULT_BATCH_ROWS = 1024;

/** A batch over row-major records (CSV/TSV): columns are materialised on first access. */
export class RecordBatch implements RowBatch {
  private readonly cache = new Map<string, readonly unknown[]>();
  readonly rowNumbers: Uint32Array;

  constructor(
    private readonly index: ReadonlyMap<string, number>,
    private readonly records: readonly (readonly string[])[],
    rowNumbers: readonly number[],
    readonly skipped: readonly SkippedRow[],
  ) {
    this.rowNumbers = Uint32Array.from(rowNumbers);
  }

  get length(): number {
    return this.records.length;
  }

  get firstRow(): number {
    return this.rowNumbers[0] ?? 0;
  }

  has(name: string): boolean {
    return this.index.has(name);
  }

  column(name: string): readonly unknown[] {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const at = this.index.get(name);
    const values = this.records.map((r) => (at === undefined ? undefined : r[at]));
    this.cache.set(name, values);
    return values;
  }
}

/** A batch over JSON objects (JSONL): columns are materialised on first access. */
export class ObjectBatch implements RowBatch {
  private readonly cache = new Map<string, readonly unknown[]>();
  readonly rowNumbers: Uint32Array;

  constructor(
    private readonly known: ReadonlySet<string>,
    private readonly objects: readonly Readonly<Record<string, unknown>>[],
    rowNumbers: readonly number[],
    readonly skipped: readonly SkippedRow[],
  ) {
    this.rowNumbers = Uint32Array.from(rowNumbers);
  }

  get length(): number {
    return this.objects.length;
  }

  get firstRow(): number {
    return this.rowNumbers[0] ?? 0;
  }

  has(name: string): boolean {
    return this.known.has(name);
  }

  column(name: string): readonly unknown[] {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const values = this.objects.map((o) => (Object.hasOwn(o, name) ? o[name] : undefined));
    this.cache.set(name, values);
    return values;
  }
}

/** A batch over column arrays (Parquet). */
export class ColumnBatch implements RowBatch {
  readonly rowNumbers: Uint32Array;
  readonly skipped: readonly SkippedRow[] = [];

  constructor(
    private readonly data: ReadonlyMap<string, readonly unknown[]>,
    readonly length: number,
    readonly firstRow: number,
  ) {
    this.rowNumbers = new Uint32Array(length);
    for (let i = 0; i < length; i++) this.rowNumbers[i] = firstRow + i;
  }

  has(name: string): boolean {
    return this.data.has(name);
  }

  column(name: string): readonly unknown[] {
    return this.data.get(name) ?? new Array<undefined>(this.length).fill(undefined);
  }
}
