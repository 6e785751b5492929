/**
 * CSV/TSV reader: RFC 4180 quoting (embedded delimiters, quotes and newlines) through the
 * `csv-parse` streaming parser, with backpressure, so memory stays flat in the number of rows.
 *
 * Ragged rows (a different field count than the header) are SKIPPED and counted with the
 * reason 'ragged row' and their data row number; they usually come from a hand-edited file and
 * dropping them keeps the rest of the file usable. Blank lines are ignored (not counted as rows).
 *
 * Most evaluation files have no quotes at all; for those a plain line/delimiter split gives
 * exactly csv-parse's records several times faster (the data pass dominates a groups analysis
 * of a small model). The first quote, or a line ending the split cannot mirror, hands the file
 * to csv-parse, which re-reads it and skips the records already yielded (so its messages keep
 * the file's own line numbers).
 */
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { parse, CsvError } from 'csv-parse';
import { BadInputError, throwIfAborted } from '../errors';
import { ByteBatch, ByteInterner, RecordSplitter, Split } from './csvBytes';
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
    // The byte-level path (csvBytes.ts) reads the file unless it meets text only csv-parse reads
    // exactly; then csv-parse (or the plain split) goes on after the records already yielded.
    const fast = byteBatches(path, delimiter, header.length, index, batchRows, options.signal, progress);
    let next: IteratorResult<ByteBatch, { done: boolean; consumed: number; rows: number }>;
    try {
      next = await fast.next();
      while (!next.done) {
        yield next.value;
        throwIfAborted(options.signal);
        next = await fast.next();
      }
    } finally {
      // a consumer that stops early (break, an error) closes the byte path's file now, not at a collection
      await fast.return({ done: true, consumed: 0, rows: 0 });
    }
    if (next.value.done) return;
    let skip = next.value.consumed;
    let row = next.value.rows;
    let records: string[][] = [];
    let rowNumbers: number[] = [];
    let skipped: SkippedRow[] = [];
    for await (const chunk of readRecordChunks(path, delimiter, options.signal, progress)) {
      for (const record of chunk) {
        if (skip > 0) {
          skip--; // the header, and the records the byte path yielded
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

/** Bytes per read: as the record path (memory stays a few batches ahead of the consumer). */
const BYTE_CHUNK = READ_CHUNK_BYTES;

/**
 * Batches of the byte-level path: the same batches (rows, row numbers, ragged rows) the record
 * path makes. Returns `done: true` at the end of the file, or, when it meets text it leaves to
 * csv-parse, `done: false` with the records (header included) and data rows already yielded.
 */
async function* byteBatches(
  path: string,
  delimiter: string,
  width: number,
  index: ReadonlyMap<string, number>,
  batchRows: number,
  signal: AbortSignal | undefined,
  progress: { bytesRead: number },
): AsyncGenerator<ByteBatch, { done: boolean; consumed: number; rows: number }> {
  throwIfAborted(signal);
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if (isNodeError(err) && err.code === 'ENOENT') throw new BadInputError('file-not-found', `${path}: file not found`, { file: path, cause: err });
    throw err;
  }
  try {
    const splitter = new RecordSplitter(delimiter.charCodeAt(0));
    const interners = new Map<string, ByteInterner>();
    let buf = Buffer.alloc(0);
    let end = 0;
    let final = false;
    let p = 0;
    let bomChecked = false;
    let headerRead = false;
    let readTotal = 0;
    // the batch being built: its fields are offsets into buf, from batchStart on
    let batchStart = 0;
    let starts = new Int32Array(batchRows * width);
    let ends = new Int32Array(batchRows * width);
    let quoted = new Uint8Array(batchRows * width);
    let rows = 0;
    let rowNumbers = new Uint32Array(batchRows);
    let skipped: SkippedRow[] = [];
    let records = 0; // records of the batch, ragged ones included
    let consumed = 0;
    let consumedRows = 0;
    let row = 0;
    const batch = (): ByteBatch => new ByteBatch(index, width, buf, starts.subarray(0, rows * width), ends.subarray(0, rows * width), quoted.subarray(0, rows * width), rows, rowNumbers.subarray(0, rows), skipped, interners);
    // the splitter writes each record's fields straight into the batch's next row
    splitter.into(starts, ends, quoted, 0, width);
    for (;;) {
      const r = splitter.split(buf, p, end, final);
      if (r === Split.More) {
        const chunk = Buffer.allocUnsafe(BYTE_CHUNK);
        const { bytesRead } = await file.read(chunk, 0, BYTE_CHUNK, null);
        readTotal += bytesRead;
        progress.bytesRead = readTotal;
        if (bytesRead === 0) {
          final = true;
          continue;
        }
        // keep the batch's bytes: the new buffer starts at the batch's first record
        const next = Buffer.allocUnsafe(end - batchStart + bytesRead);
        buf.copy(next, 0, batchStart, end);
        chunk.copy(next, end - batchStart, 0, bytesRead);
        for (let f = 0; f < rows * width; f++) {
          starts[f] = (starts[f] as number) - batchStart;
          ends[f] = (ends[f] as number) - batchStart;
        }
        p -= batchStart;
        end = next.length;
        batchStart = 0;
        buf = next;
        if (!bomChecked && (end >= 3 || final)) {
          bomChecked = true;
          if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) p = 3;
        }
        continue;
      }
      if (!bomChecked) {
        bomChecked = true;
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
          p = 3;
          continue;
        }
      }
      if (r === Split.Bail) return { done: false, consumed: Math.max(consumed, 1), rows: consumedRows };
      if (r === Split.End) {
        if (rows > 0 || skipped.length > 0) yield batch();
        return { done: true, consumed, rows: row };
      }
      p = splitter.next;
      if (r === Split.Blank) continue;
      if (!headerRead) {
        headerRead = true;
        consumed = 1;
        batchStart = p;
        continue;
      }
      row++;
      records++;
      if (splitter.count !== width) {
        skipped.push({ row, reason: 'ragged row' });
      } else {
        rowNumbers[rows] = row;
        rows++;
        splitter.at = rows * width;
      }
      if (rows >= batchRows) {
        yield batch();
        consumed += records;
        consumedRows = row;
        records = 0;
        batchStart = p;
        starts = new Int32Array(batchRows * width);
        ends = new Int32Array(batchRows * width);
        quoted = new Uint8Array(batchRows * width);
        rows = 0;
        rowNumbers = new Uint32Array(batchRows);
        skipped = [];
        splitter.into(starts, ends, quoted, 0, width);
      }
    }
  } finally {
    await file.close();
  }
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
 * Streams records in chunks (whatever was read or buffered), so the per-record cost is a plain
 * loop rather than a promise; `progress.bytesRead` follows the file stream. Quote-free files take
 * the fast split; the others go through csv-parse (see the file comment).
 */
export async function* readRecordChunks(
  path: string,
  delimiter: string,
  signal: AbortSignal | undefined,
  progress: { bytesRead: number },
): AsyncGenerator<string[][]> {
  let yielded = 0;
  const fast = splitRecordChunks(path, delimiter, signal, progress);
  try {
    for (let next = await fast.next(); ; next = await fast.next()) {
      if (next.done) {
        if (next.value === 'done') return;
        break;
      }
      yielded += next.value.length;
      yield next.value;
    }
  } finally {
    await fast.return('done'); // closes the file when the consumer stops early
  }
  let skip = yielded;
  for await (const chunk of parseRecordChunks(path, delimiter, signal, progress)) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    yield skip > 0 ? chunk.slice(skip) : chunk;
    skip = 0;
  }
}

/** Text the split cannot read as csv-parse would: a quote, or a CR that is not part of CRLF (LF files: any CR). */
const NOT_SPLITTABLE_LF = /["\r]/;
const NOT_SPLITTABLE_CRLF = /"|\r(?!\n)|(?<!\r)\n/;

/**
 * The fast path for quote-free files: lines split on LF (or CRLF, when the first line ends so),
 * fields on the delimiter, blank lines dropped. Yields only records of text it has checked; returns
 * 'unsplittable' before yielding anything of a chunk that needs the real parser.
 */
async function* splitRecordChunks(
  path: string,
  delimiter: string,
  signal: AbortSignal | undefined,
  progress: { bytesRead: number },
): AsyncGenerator<string[][], 'done' | 'unsplittable'> {
  throwIfAborted(signal);
  const file = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let eol: '\n' | '\r\n' | undefined;
  let first = true;
  const split = (text: string, lineEnd: string): string[][] => {
    const records: string[][] = [];
    for (const line of text.split(lineEnd)) if (line !== '') records.push(line.split(delimiter));
    return records;
  };
  try {
    for await (const buffer of file as AsyncIterable<Buffer>) {
      progress.bytesRead = file.bytesRead;
      let text = carry + decoder.write(buffer);
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      const last = text.lastIndexOf('\n');
      if (last < 0) {
        carry = text;
        continue;
      }
      eol ??= text.charCodeAt(text.indexOf('\n') - 1) === 0x0d ? '\r\n' : '\n';
      const complete = text.slice(0, last + 1);
      if ((eol === '\n' ? NOT_SPLITTABLE_LF : NOT_SPLITTABLE_CRLF).test(complete)) return 'unsplittable';
      carry = text.slice(last + 1);
      const records = split(complete.slice(0, complete.length - eol.length), eol);
      if (records.length > 0) yield records;
    }
    const rest = carry + decoder.end();
    if (NOT_SPLITTABLE_LF.test(rest)) return 'unsplittable';
    const records = split(rest, '\n');
    if (records.length > 0) yield records;
    throwIfAborted(signal);
    return 'done';
  } catch (err) {
    if (isNodeError(err) && err.code === 'ENOENT') {
      throw new BadInputError('file-not-found', `${path}: file not found`, { file: path, cause: err });
    }
    throw err;
  } finally {
    file.destroy();
  }
}

/** Records through csv-parse, chunked; parse errors name the file and line. */
async function* parseRecordChunks(
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
