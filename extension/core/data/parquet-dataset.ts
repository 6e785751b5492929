/**
 * A dataset given as a folder of Parquet part files, as Spark, Ray or Dask write them
 * (`part-00000-….snappy.parquet`, `part.0.parquet`, Hive-style `key=value/` sub-folders). The
 * parts are read one after another, one row group at a time, so memory is bounded by the
 * largest row group whatever the total size. Row numbers run on across parts in path order, so
 * a row has the same 1-based number whether the folder is read whole or one part at a time.
 *
 * Files whose name starts with `_` or `.` (`_SUCCESS`, `_metadata`, `.crc`) are not parts.
 * Hive partition folders add their keys as string columns (after the file's own columns).
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { BadInputError, throwIfAborted } from '../errors';
import { parquetBatches, readParquetFooter, type ParquetFooter } from './parquet';
import { ColumnBatch, DEFAULT_BATCH_ROWS, type OpenTableOptions, type RowBatch, type TableReader } from './table';

/** One part file of a dataset folder and its place in the dataset. */
export interface DatasetPart {
  /** Path of the part file. */
  readonly path: string;
  /** Rows in the part (from its footer). */
  readonly rows: number;
  /** Rows in the parts before this one. */
  readonly rowOffset: number;
  /** Hive partition values from the folders above the file (`key=value`). */
  readonly partition: Readonly<Record<string, string>>;
}

/** Lists the Parquet part files under a folder, recursively, in path order (empty when none). */
export async function listParquetParts(dir: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(folder: string): Promise<void> {
    const entries = await readdir(folder, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && entry.name.toLowerCase().endsWith('.parquet')) found.push(path);
    }
  }
  await walk(dir);
  return found;
}

function partitionOf(dir: string, path: string): Record<string, string> {
  const folders = relative(dir, path).split(sep).slice(0, -1);
  const out: Record<string, string> = {};
  for (const folder of folders) {
    const eq = folder.indexOf('=');
    if (eq > 0) out[folder.slice(0, eq)] = decodeURIComponent(folder.slice(eq + 1));
  }
  return out;
}

/**
 * Reads every part's footer (a few KB each) and checks that the parts share one schema; the
 * error names the first part whose columns differ.
 */
export async function datasetParts(dir: string): Promise<{ parts: DatasetPart[]; columns: string[]; footers: ParquetFooter[]; reads: { bytesRead: number }[] }> {
  const paths = await listParquetParts(dir);
  if (paths.length === 0) {
    throw new BadInputError('data.is-folder', `${dir}: is a folder, not a data file; name a table (.csv, .tsv, .jsonl, .ndjson, .parquet) or a folder of Parquet part files`, { file: dir });
  }
  const parts: DatasetPart[] = [];
  const footers: ParquetFooter[] = [];
  let columns: string[] | undefined;
  let partitionKeys: string[] | undefined;
  const reads: { bytesRead: number }[] = [];
  let offset = 0;
  for (const path of paths) {
    const read = { bytesRead: 0 };
    reads.push(read);
    const footer = await readParquetFooter(path, read);
    const partition = partitionOf(dir, path);
    const keys = Object.keys(partition);
    if (columns === undefined) {
      columns = [...footer.columns];
      partitionKeys = keys;
    } else {
      const same = footer.columns.length === columns.length && footer.columns.every((c, i) => c === columns![i]);
      if (!same) {
        throw new BadInputError('dataset-schema', `${path}: its columns (${footer.columns.join(', ')}) differ from the first part's (${columns.join(', ')}); every part of a dataset folder needs the same columns`, { file: path });
      }
      if (keys.join('\u0000') !== (partitionKeys ?? []).join('\u0000')) {
        throw new BadInputError('dataset-schema', `${path}: its partition folders (${keys.join(', ') || 'none'}) differ from the first part's (${(partitionKeys ?? []).join(', ') || 'none'})`, { file: path });
      }
    }
    parts.push({ path, rows: footer.rows, rowOffset: offset, partition });
    footers.push(footer);
    offset += footer.rows;
  }
  const all = [...(columns ?? [])];
  for (const key of partitionKeys ?? []) if (!all.includes(key)) all.push(key);
  return { parts, columns: all, footers, reads };
}

/** Options of a dataset reader: which parts to read (default all, e.g. one shard's parts). */
export interface DatasetOptions extends OpenTableOptions {
  /** Keep only the parts whose index this returns true for (row numbers stay global). */
  readonly partFilter?: (index: number, part: DatasetPart) => boolean;
}

/** Opens a folder of Parquet parts as one table. */
export async function openParquetDataset(dir: string, options: DatasetOptions = {}): Promise<TableReader> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const { parts, columns, footers, reads } = await datasetParts(dir);
  const chosen = parts.map((p, i) => i).filter((i) => options.partFilter?.(i, parts[i]!) ?? true);
  const rows = chosen.reduce((sum, i) => sum + parts[i]!.rows, 0);
  if (rows === 0) throw new BadInputError('empty-data', `${dir}: no data rows in ${chosen.length === parts.length ? 'its' : 'the chosen'} Parquet parts`, { file: dir });
  const bytesTotal = chosen.reduce((sum, i) => sum + footers[i]!.size, 0);
  let done = 0;
  let current: { bytesRead: number } | undefined;
  const partitionKeys = Object.keys(parts[0]?.partition ?? {});

  async function* batches(): AsyncGenerator<RowBatch> {
    done = 0;
    for (const i of chosen) {
      throwIfAborted(options.signal);
      const part = parts[i]!;
      current = reads[i]!;
      current.bytesRead = 0;
      for await (const batch of parquetBatches(footers[i]!, batchRows, part.rowOffset, options.signal)) {
        if (partitionKeys.length === 0) {
          yield batch;
          continue;
        }
        const data = new Map<string, readonly unknown[]>();
        for (const c of columns) if (batch.has(c)) data.set(c, batch.column(c));
        for (const key of partitionKeys) data.set(key, new Array<string>(batch.length).fill(part.partition[key] ?? ''));
        yield new ColumnBatch(data, batch.length, batch.firstRow);
      }
      done += footers[i]!.size;
      current = undefined;
    }
  }

  return {
    path: dir,
    format: 'parquet',
    columns,
    rowsHint: rows,
    batches,
    progress: () => ({ bytesRead: Math.min(bytesTotal, done + (current?.bytesRead ?? 0)), bytesTotal }),
    close: async () => {},
  };
}

/** True when the path is a folder (a dataset of parts, or a mistake the caller reports). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
