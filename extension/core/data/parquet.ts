/**
 * Parquet reader over `hyparquet`: the file is read through a file-backed AsyncBuffer (byte
 * ranges on demand, never the whole file), one row group at a time, then cut into batches.
 * Memory is bounded by the largest row group. Codecs: uncompressed and snappy (hyparquet's own).
 */
import { stat } from 'node:fs/promises';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { BadInputError, throwIfAborted } from '../errors';
import { ColumnBatch, DEFAULT_BATCH_ROWS, type OpenTableOptions, type RowBatch, type TableReader } from './table';

/** The footer of one Parquet file: what a reader needs before it reads any rows. */
export interface ParquetFooter {
  readonly path: string;
  readonly file: AsyncBuffer;
  readonly metadata: FileMetaData;
  readonly columns: readonly string[];
  readonly rows: number;
  readonly size: number;
}

/** Reads the footer (schema, row count, row groups) of a Parquet file; counts bytes into `progress`. */
export async function readParquetFooter(path: string, progress: { bytesRead: number }): Promise<ParquetFooter> {
  const { size } = await stat(path);
  const file = trackReads(await asyncBufferFromFile(path), progress);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    throw new BadInputError('bad-parquet', `${path}: not a readable Parquet file (${cause})`, { file: path, cause: err });
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  return { path, file, metadata, columns, rows: Number(metadata.num_rows), size };
}

/**
 * Batches of one Parquet file, one row group at a time; row numbers start after `rowOffset`
 * (the rows of the part files before this one in a dataset folder).
 */
export async function* parquetBatches(footer: ParquetFooter, batchRows: number, rowOffset: number, signal?: AbortSignal): AsyncGenerator<RowBatch> {
  const { path, file, metadata, columns } = footer;
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    throwIfAborted(signal);
    const groupEnd = groupStart + Number(group.num_rows);
    const data = await readRange(path, file, metadata, columns, groupStart, groupEnd);
    for (let start = groupStart; start < groupEnd; start += batchRows) {
      const end = Math.min(groupEnd, start + batchRows);
      const slice = new Map<string, readonly unknown[]>();
      for (const [name, values] of data) slice.set(name, values.slice(start - groupStart, end - groupStart));
      yield new ColumnBatch(slice, end - start, rowOffset + start + 1);
      throwIfAborted(signal);
    }
    groupStart = groupEnd;
  }
}

/** Opens a Parquet file: reads only its footer (schema, row count, row groups). */
export async function openParquet(path: string, options: OpenTableOptions = {}): Promise<TableReader> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const progress = { bytesRead: 0, bytesTotal: 0 };
  const footer = await readParquetFooter(path, progress);
  progress.bytesTotal = footer.size;
  const { columns, rows } = footer;
  if (rows === 0) throw new BadInputError('empty-data', `${path}: no data rows (the Parquet file has 0 rows)`, { file: path });

  function batches(): AsyncGenerator<RowBatch> {
    return parquetBatches(footer, batchRows, 0, options.signal);
  }
  return {
    path,
    format: 'parquet',
    columns,
    rowsHint: rows,
    batches,
    progress: () => ({ ...progress }),
    close: async () => {},
  };
}

/** Reads rows [start, end) of every column into plain arrays (chunks may overhang the range). */
async function readRange(
  path: string,
  file: AsyncBuffer,
  metadata: FileMetaData,
  columns: readonly string[],
  start: number,
  end: number,
): Promise<Map<string, unknown[]>> {
  const data = new Map<string, unknown[]>(columns.map((c) => [c, new Array<unknown>(end - start)]));
  try {
    await parquetRead({
      file,
      metadata,
      rowStart: start,
      rowEnd: end,
      onChunk: (chunk) => {
        const target = data.get(chunk.columnName);
        if (!target) return;
        const from = Math.max(start, chunk.rowStart);
        const to = Math.min(end, chunk.rowEnd);
        for (let r = from; r < to; r++) target[r - start] = chunk.columnData[r - chunk.rowStart];
      },
    });
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    throw new BadInputError('bad-parquet', `${path}: rows ${start + 1}-${end}: cannot be decoded (${cause})`, { file: path, cause: err });
  }
  return data;
}

function trackReads(file: AsyncBuffer, progress: { bytesRead: number }): AsyncBuffer {
  return {
    byteLength: file.byteLength,
    slice: async (start, end) => {
      const bytes = await file.slice(start, end);
      progress.bytesRead = Math.max(progress.bytesRead, end ?? file.byteLength);
      return bytes;
    },
  };
}
