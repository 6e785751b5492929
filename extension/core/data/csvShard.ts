/**
 * A CSV/TSV shard that parses only its own rows (docs/SHARDING.md §1). Shard i of n owns the
 * blocks of 1024 data rows b ≡ i (mod n), by global row number; to know where a block starts, a
 * first pass scans the bytes for record ends without splitting fields: quote-free lines in one
 * loop that stops only at LF, CR and `"` (a record ends at a line end outside quotes), and only a
 * record holding a quote goes through the byte splitter (RFC 4180 quoting: a quoted field may hold
 * delimiters, doubled quotes and line ends), which also rejects what csv-parse would read
 * differently. Blank lines are not rows, as in the reader. The shard then reads and splits only
 * its blocks' bytes, with their global row numbers (the keyed Poisson bootstrap needs them).
 *
 * Whatever the scan cannot read as the reader does — a quote inside an unquoted field, text after
 * a closing quote, a bare CR, a line end other than the file's first — makes the shard parse the
 * whole file as before (`shardRows`): same rows, same errors.
 */
import { open, stat } from 'node:fs/promises';
import { InspectorError, throwIfAborted } from '../errors';
import { ByteBatch, ByteInterner, RecordSplitter, Split } from './csvBytes';
import type { Shard } from './shard';
import { DEFAULT_BATCH_ROWS, type OpenTableOptions, type RowBatch, type SkippedRow, type TableReader } from './table';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const SCAN_CHUNK = 1 << 22;

/** Bytes [start, end) of the file hold the data rows firstRow, firstRow + 1, … of one shard's blocks. */
export interface CsvRange {
  readonly start: number;
  readonly end: number;
  readonly firstRow: number;
}

/**
 * The byte ranges of the shard's blocks (adjacent owned blocks joined), or undefined when the file
 * holds text the scan leaves to the full parse. Reads the file once, a chunk at a time.
 */
export async function scanCsvBlocks(path: string, delimiter: string, shard: Shard, blockRows: number, options: { signal?: AbortSignal; progress?: { bytesRead: number } } = {}): Promise<CsvRange[] | undefined> {
  const file = await open(path, 'r');
  try {
    const splitter = new RecordSplitter(delimiter.charCodeAt(0));
    let buf = Buffer.alloc(0);
    let base = 0; // file offset of buf[0]
    let end = 0;
    let eof = false;
    let p = 0;
    let mode = 0; // line ends: 0 not seen, 1 LF, 2 CRLF
    let headerSeen = false;
    let row = 0;
    const ranges: CsvRange[] = [];
    let open_: { start: number; firstRow: number } | undefined;
    const refill = async (): Promise<void> => {
      throwIfAborted(options.signal);
      const chunk = Buffer.allocUnsafe(SCAN_CHUNK);
      const { bytesRead } = await file.read(chunk, 0, SCAN_CHUNK, base + end);
      if (bytesRead === 0) {
        eof = true;
        return;
      }
      const next = Buffer.allocUnsafe(end - p + bytesRead);
      buf.copy(next, 0, p, end);
      chunk.copy(next, end - p, 0, bytesRead);
      base += p;
      end = next.length;
      buf = next;
      p = 0;
      if (options.progress) options.progress.bytesRead = base + end;
    };
    /** A record starts at p (file offset base + p): count it, open or close ranges at block starts. */
    const record = (): void => {
      if (!headerSeen) {
        headerSeen = true;
        return;
      }
      row++;
      if ((row - 1) % blockRows !== 0) return;
      const owned = Math.floor((row - 1) / blockRows) % shard.count === shard.index;
      if (owned && !open_) open_ = { start: base + p, firstRow: row };
      if (!owned && open_) {
        ranges.push({ ...open_, end: base + p });
        open_ = undefined;
      }
    };
    /** The line end before `at` (LF at at − 1): 1 LF, 2 CRLF; false when it breaks the file's. */
    const lineEnd = (at: number): boolean => {
      const kind = at >= 2 && buf[at - 2] === CR ? 2 : 1;
      if (mode === 0) mode = kind;
      return mode === kind;
    };
    await refill();
    if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) p = 3;
    for (;;) {
      if (p >= end) {
        if (eof) break;
        await refill();
        continue;
      }
      // quote-free lines: one pass over the bytes, stopping at line ends and quotes only
      let lineStart = p;
      let k = p;
      let cut = false; // a CR is the last byte read
      const bytes: Uint8Array = buf; // a local the loop can keep in a register (buf is reassigned by refill)
      const stop = end;
      for (; k < stop; k++) {
        const c = bytes[k]!;
        if (c !== LF && c !== CR && c !== QUOTE) continue;
        if (c === QUOTE) break;
        if (c === CR) {
          if (k + 1 >= end) {
            cut = true;
            break;
          }
          if (buf[k + 1] !== LF) return undefined; // a bare CR
          if (mode === 0) mode = 2;
          else if (mode !== 2) return undefined;
          if (k > lineStart) {
            p = lineStart;
            record();
          }
          k++;
          lineStart = k + 1;
          continue;
        }
        if (mode === 0) mode = 1;
        else if (mode !== 1) return undefined; // an LF line end in a CRLF file
        if (k > lineStart) {
          p = lineStart;
          record();
        }
        lineStart = k + 1;
      }
      p = lineStart;
      if (k < end && buf[k] === QUOTE) {
        // a record holding a quote: the splitter reads it (it may run over several lines)
        const r = splitter.split(buf, p, end, eof);
        if (r === Split.More) {
          await refill();
          continue;
        }
        if (r === Split.Bail) return undefined;
        if (r === Split.End) break;
        const next = splitter.next;
        if (buf[next - 1] === LF && !lineEnd(next)) return undefined;
        if (r === Split.Record) record();
        p = next;
        continue;
      }
      if (!eof) {
        await refill(); // the rest of the line
        continue;
      }
      if (cut) return undefined; // a CR at the end of the file
      if (end > p) record(); // the last line, without a line end
      p = end;
    }
    if (open_) ranges.push({ ...open_, end: base + end });
    return ranges;
  } finally {
    await file.close();
  }
}

/**
 * Batches of the rows in `ranges` (scanCsvBlocks'), read and split range by range: at most
 * `batchRows` rows each, ragged rows skipped with their global row number, as the reader does.
 */
async function* rangeBatches(path: string, delimiter: string, header: readonly string[], ranges: readonly CsvRange[], batchRows: number, signal: AbortSignal | undefined, progress: { bytesRead: number }): AsyncGenerator<RowBatch> {
  const width = header.length;
  const index = new Map(header.map((name, i) => [name, i] as const));
  const interners = new Map<string, ByteInterner>();
  const file = await open(path, 'r');
  try {
    for (const range of ranges) {
      throwIfAborted(signal);
      const buf = Buffer.allocUnsafe(range.end - range.start);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await file.read(buf, got, buf.length - got, range.start + got);
        if (bytesRead === 0) throw new InspectorError('csv-shard.changed', 'failure', `${path}: the file got shorter while a shard read it`);
        got += bytesRead;
      }
      progress.bytesRead = Math.max(progress.bytesRead, range.end);
      const splitter = new RecordSplitter(delimiter.charCodeAt(0));
      let row = range.firstRow - 1;
      let p = 0;
      let rows = 0;
      let starts = new Int32Array(batchRows * width);
      let ends = new Int32Array(batchRows * width);
      let quoted = new Uint8Array(batchRows * width);
      let rowNumbers: number[] = [];
      let skipped: SkippedRow[] = [];
      const batch = (): ByteBatch => new ByteBatch(index, width, buf, starts.subarray(0, rows * width), ends.subarray(0, rows * width), quoted.subarray(0, rows * width), rows, Uint32Array.from(rowNumbers), skipped, interners);
      for (;;) {
        const r = splitter.split(buf, p, buf.length, true);
        if (r === Split.End) break;
        if (r !== Split.Record && r !== Split.Blank) {
          throw new InspectorError('csv-shard.split', 'failure', `${path}: the bytes at ${range.start + p} do not split as the scan read them (the file changed while a shard read it?)`);
        }
        p = splitter.next;
        if (r === Split.Blank) continue;
        row++;
        if (splitter.count !== width) {
          skipped.push({ row, reason: 'ragged row' });
        } else {
          const o = rows * width;
          for (let f = 0; f < width; f++) {
            starts[o + f] = splitter.starts[f] as number;
            ends[o + f] = splitter.ends[f] as number;
            quoted[o + f] = splitter.quoted[f] as number;
          }
          rowNumbers.push(row);
          rows++;
        }
        if (rows >= batchRows) {
          yield batch();
          rows = 0;
          rowNumbers = [];
          skipped = [];
          starts = new Int32Array(batchRows * width);
          ends = new Int32Array(batchRows * width);
          quoted = new Uint8Array(batchRows * width);
        }
      }
      if (rows > 0 || skipped.length > 0) yield batch();
    }
  } finally {
    await file.close();
  }
}

/**
 * One shard of a CSV/TSV table (`table` opened on the whole file: header, columns) that reads
 * only its blocks of `blockRows` rows; `whole` (the shard's rows of the whole parse, `shardRows`)
 * when the scan leaves the file to the parser.
 */
export async function csvShard(table: TableReader, delimiter: string, options: OpenTableOptions, shard: Shard, blockRows: number, whole: TableReader): Promise<TableReader> {
  const { size } = await stat(table.path);
  const progress = { bytesRead: 0 };
  async function* batches(): AsyncGenerator<RowBatch> {
    progress.bytesRead = 0;
    const ranges = await scanCsvBlocks(table.path, delimiter, shard, blockRows, { ...(options.signal ? { signal: options.signal } : {}), progress });
    if (!ranges) {
      yield* whole.batches();
      return;
    }
    yield* rangeBatches(table.path, delimiter, table.columns, ranges, options.batchRows ?? DEFAULT_BATCH_ROWS, options.signal, progress);
    progress.bytesRead = size;
  }
  return { ...whole, batches, progress: () => (progress.bytesRead > 0 ? { bytesRead: progress.bytesRead, bytesTotal: size } : whole.progress()) };
}
