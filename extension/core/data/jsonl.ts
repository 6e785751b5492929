/**
 * JSONL / NDJSON reader: one JSON object per line, streamed line by line with backpressure.
 * Blank lines are ignored and do not count as data rows; any other line that is not a JSON
 * object is an error naming the file and line number.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { BadInputError, throwIfAborted } from '../errors';
import { DEFAULT_BATCH_ROWS, ObjectBatch, type OpenTableOptions, type RowBatch, type TableReader } from './table';

type JsonObject = Readonly<Record<string, unknown>>;

/**
 * Opens a JSONL file; the columns are the keys seen in the rows read for the first batch, in
 * first-seen order. A key that first appears later is found by `findColumns` (the encoder asks
 * for the columns a spec names but the first rows lack).
 */
export async function openJsonl(path: string, options: OpenTableOptions = {}): Promise<TableReader> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const { size } = await stat(path);
  const progress = { bytesRead: 0, bytesTotal: size };
  const known = new Set<string>();

  const firstPass = readObjects(path, options.signal, progress);
  try {
    let n = 0;
    for await (const chunk of firstPass) {
      for (const value of chunk) {
        for (const key of Object.keys(value)) known.add(key);
        n++;
      }
      if (n >= batchRows) break;
    }
    if (n === 0) throw new BadInputError('empty-data', `${path}: no data rows (the file has no JSON lines)`, { file: path });
  } finally {
    await firstPass.return(undefined);
  }

  async function* batches(): AsyncGenerator<RowBatch> {
    let objects: JsonObject[] = [];
    let rows: number[] = [];
    let row = 0;
    for await (const chunk of readObjects(path, options.signal, progress)) {
      for (const value of chunk) {
        objects.push(value);
        rows.push(++row);
        if (objects.length >= batchRows) {
          yield new ObjectBatch(known, objects, rows, []);
          throwIfAborted(options.signal);
          objects = [];
          rows = [];
        }
      }
    }
    if (objects.length > 0) yield new ObjectBatch(known, objects, rows, []);
  }

  return {
    path,
    format: 'jsonl',
    get columns() {
      return [...known];
    },
    async findColumns(names: readonly string[]): Promise<void> {
      const wanted = new Set(names.filter((n) => !known.has(n)));
      if (wanted.size === 0) return;
      const scan = readObjects(path, options.signal, { bytesRead: 0 });
      try {
        for await (const chunk of scan) {
          for (const value of chunk) {
            // Every key seen joins: when a name is in no row the whole file is read, and the
            // error then lists all of its columns.
            for (const key of Object.keys(value)) {
              known.add(key);
              wanted.delete(key);
            }
          }
          if (wanted.size === 0) break;
        }
      } finally {
        await scan.return(undefined);
      }
    },
    batches,
    progress: () => ({ ...progress }),
    close: async () => {},
  };
}

/** The objects of each chunk read (a plain loop per line, one await per chunk). */
async function* readObjects(path: string, signal: AbortSignal | undefined, progress: { bytesRead: number }): AsyncGenerator<JsonObject[]> {
  throwIfAborted(signal);
  const file = createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  let rest = '';
  let line = 0;
  try {
    for await (const chunk of file as AsyncIterable<string>) {
      progress.bytesRead = file.bytesRead;
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      const values: JsonObject[] = [];
      for (const text of parts) {
        const value = parseLine(path, text, ++line);
        if (value) values.push(value);
      }
      if (values.length > 0) yield values;
      throwIfAborted(signal);
    }
    const last = parseLine(path, rest, ++line);
    if (last) yield [last];
  } finally {
    file.destroy();
  }
}

function parseLine(path: string, raw: string, line: number): JsonObject | undefined {
  const text = raw.trim();
  if (text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    throw new BadInputError('bad-json-line', `${path}: line ${line}: not valid JSON (${cause})`, { file: path, cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new BadInputError('bad-json-line', `${path}: line ${line}: expected a JSON object, got ${got}`, { file: path });
  }
  return value as JsonObject;
}
