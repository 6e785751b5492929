import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { BadInputError } from '../errors';
import { openDelimited } from './csv';
import { openJsonl } from './jsonl';
import { openParquet } from './parquet';
import { openParquetDataset } from './parquet-dataset';
import type { OpenTableOptions, TableReader } from './table';

/** Extensions `openTable` reads, for messages and file pickers. */
export const TABLE_EXTENSIONS = ['.csv', '.tsv', '.jsonl', '.ndjson', '.parquet'] as const;

/**
 * Opens a data table by its extension (.csv, .tsv, .jsonl/.ndjson, .parquet), or a folder of
 * Parquet part files as one table. Throws
 * BadInputError when the file is missing, of an unknown kind, or has no data rows.
 */
export async function openTable(path: string, options: OpenTableOptions = {}): Promise<TableReader> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (err) {
    throw new BadInputError('file-not-found', `${path}: data file not found`, { file: path, cause: err });
  }
  // A folder is a dataset of Parquet part files (Spark/Ray/Dask output), or a clear error naming it.
  if (isFolder) return openParquetDataset(path, options);
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.csv': return openDelimited(path, ',', options);
    case '.tsv':
    case '.tab': return openDelimited(path, '\t', options);
    case '.jsonl':
    case '.ndjson': return openJsonl(path, options);
    case '.parquet': return openParquet(path, options);
    case '.npy':
      throw new BadInputError('unsupported-data', `${path}: a .npy file is not a table; map it to a model input with {"npy": "${path}"} and give a table (${TABLE_EXTENSIONS.join(', ')}) for labels and groups`, { file: path });
    default:
      throw new BadInputError('unsupported-data', `${path}: unknown data format "${ext}"; use one of ${TABLE_EXTENSIONS.join(', ')}`, { file: path });
  }
}
