/**
 * CSV/TSV reader: RFC 4180 quoting (embedded delimiters, quotes and newlines) through the
 * `csv-parse` streaming parser, with backpressure, so memory stays flat in the number of rows.
 *
 * Ragged rows (a different field count than the header) are SKIPPED and counted with the
 * reason 'ragged row' and their data row number; they usually come from a hand-edited file and
 * dropping them keeps the rest of the file usable. Blank lines are ignored (not counted as rows).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse, CsvError } from 'csv-parse';
import { BadInputError, throwIfAborted } from '../errors';
import { DEFAULT_BATCH_ROWS, RecordBatch, type OpenTableOptions, type RowBatch, type SkippedRow, type TableReader } from './table';

const READ_CHUNK_BYTES = 64 * 1024;

/** Opens a CSV (`,`) or TSV (tab) file: reads the header and checks there is at least one data row. */
export async function openDelimited(path: string, delimiter: ',' | '\t', options: OpenTableOptions = {}): Promise<TableReader> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const { size } = await stat(path);
  const progress = { bytesRead: 0, bytesTotal: size };

  const header = await readHeader(path, readRecords(path, delimiter, options.signal, progress));
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    if (index.has(name)) {
      throw new BadInputError('duplicate-column', `${path}: header: column "${name}" appears twice (columns ${index.get(name)! + 1} and ${i + 1})`, { file: path });
    }
    index.set(name, i);
  });

  async function* batches(): AsyncGenerator<RowBatch> {
    let row = 0;
    let records: string[][] = [];
    let rowNumbers: number[] = [];
    let skipped: SkippedRow[] = [];
    let first = true;
    for await (const chunk of readRecordChunks(path, delimiter, options.signal, progress)) {
      for (const record of chunk) {
        if (first) {
          first = false; // the header
          continue;
        }
        row++;
        if (record.length !== header.length) {
          skipped.push({ row, reason: 'ragged row' });
          continue;
        }
        records.push(record);
        rowNumbers.push(row);
        if (records.length >= batchRows) {
          yield new RecordBatch(index, records, rowNumbers, skipped);
          throwIfAborted(options.signal);
          records = [];
          rowNumbers = [];
          skipped = [];
        }
      }
    }
    if (records.length > 0 || skipped.length > 0) yield new RecordBatch(index, records, rowNumbers, skipped);
  }

  return {
    path,
    format: delimiter === ',' ? 'csv' : 'tsv',
    columns: header,
    batches,
    progress: () => ({ ...progress }),
    close: async () => {},
  };
}

async function readHeader(path: string, records: AsyncGenerator<string[]>): Promise<string[]> {
  try {
    const first = await records.next();
    if (first.done) throw new BadInputError('empty-data', `${path}: the file is empty (no header, no rows)`, { file: path });
    const second = await records.next();
    if (second.done) throw new BadInputError('empty-data', `${path}: no data rows (only the header: ${first.value.join(', ')})`, { file: path });
    return first.value;
  } finally {
    await records.return(undefined);
  }
}

/**
 * Streams records in chunks (whatever the parser has buffered), so the per-record cost is a
 * plain loop rather than a promise; `progress.bytesRead` follows the file stream. Parse errors
 * name the file and line.
 */
async function* readRecordChunks(
  path: string,
  delimiter: string,
  signal: AbortSignal | undefined,
  progress: { bytesRead: number },
): AsyncGenerator<string[][]> {
  throwIfAborted(signal);
  const file = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  const parser = parse({ delimiter, bom: true, relax_column_count: true, skip_empty_lines: true });
  let ended = false;
  let failure: unknown;
  let wake: () => void = () => {};
  file.on('data', () => {
    progress.bytesRead = file.bytesRead;
  });
  file.on('error', (err) => parser.destroy(err));
  parser.on('readable', () => wake());
  parser.on('end', () => {
    ended = true;
    wake();
  });
  parser.on('error', (err) => {
    failure = err;
    wake();
  });
  file.pipe(parser);
  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      const chunk: string[][] = [];
      for (let record = parser.read() as string[] | null; record !== null; record = parser.read() as string[] | null) chunk.push(record);
      if (chunk.length > 0) {
        yield chunk;
        continue;
      }
      if (ended) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    throwIfAborted(signal);
  } catch (err) {
    if (err instanceof CsvError) {
      // csv-parse messages already say the line ("... at line 3").
      throw new BadInputError('csv-parse', `${path}: ${err.message}`, { file: path, cause: err });
    }
    if (isNodeError(err) && err.code === 'ENOENT') {
      throw new BadInputError('file-not-found', `${path}: file not found`, { file: path, cause: err });
    }
    throw err;
  } finally {
    file.destroy();
    parser.destroy();
  }
}

/** Records one at a time (for the header); the batch loop uses the chunks directly. */
async function* readRecords(path: string, delimiter: string, signal: AbortSignal | undefined, progress: { bytesRead: number }): AsyncGenerator<string[]> {
  for await (const chunk of readRecordChunks(path, delimiter, signal, progress)) yield* chunk;
}

function isNodeError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && 'code' in err;
}
