/**
 * Shards of a dataset for sharded runs (`--shard i/n`, docs/SHARDING.md §1). A shard is a fixed
 * set of rows, named by their global 1-based row numbers, so that every shard of a file can be
 * computed anywhere and the union of the shards is the whole file, each row once:
 *
 * - a folder of Parquet parts with at least n parts: part k belongs to shard k mod n (a worker
 *   reads only its own parts);
 * - any other table: rows in blocks of SHARD_BLOCK_ROWS (1024) by row number, block b to shard b mod n
 *   (a CSV/TSV shard scans the file for record ends and parses only its blocks: csvShard.ts; other
 *   formats are read through, and only the shard's blocks evaluated).
 */
import { BadInputError } from '../errors';
import { openTable } from './open-table';
import { isDirectory, listParquetParts, openParquetDataset } from './parquet-dataset';
import { csvShard } from './csvShard';
import type { OpenTableOptions, RowBatch, TableReader } from './table';

/** Rows per block of a file shard. */
export const SHARD_BLOCK_ROWS = 1024;

/** Shard `index` (0-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parses `i/n` (0 ≤ i < n). */
export function parseShard(text: string, flag = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count) || count > 1_000_000) {
    throw new BadInputError('cli.bad-flag', `${flag} ${text}: expected i/n with 0 ≤ i < n ≤ 1000000 (e.g. 0/4 for the first of four shards)`);
  }
  return { index, count };
}

/** True when the 1-based row number belongs to the shard (file sharding by blocks). */
export function rowInShard(row: number, shard: Shard): boolean {
  return Math.floor((row - 1) / SHARD_BLOCK_ROWS) % shard.count === shard.index;
}

/** The rows of a batch at the given positions (skips listed before the first kept row stay). */
export function pickRows(batch: RowBatch, positions: Uint32Array): RowBatch {
  const rowNumbers = new Uint32Array(positions.length);
  for (let i = 0; i < positions.length; i++) rowNumbers[i] = batch.rowNumbers[positions[i]!]!;
  const cache = new Map<string, readonly unknown[]>();
  return {
    length: positions.length,
    firstRow: rowNumbers[0] ?? batch.firstRow,
    rowNumbers,
    skipped: batch.skipped,
    has: (name) => batch.has(name),
    column: (name) => {
      const hit = cache.get(name);
      if (hit) return hit;
      const all = batch.column(name);
      const out = Array.from(positions, (p) => all[p]);
      cache.set(name, out);
      return out;
    },
  };
}

/**
 * A reader of one shard's rows of a table (file sharding: blocks of rows). Skipped rows are
 * kept only when they fall in the shard's blocks, so the shards' skip counts add up.
 */
export function shardRows(table: TableReader, shard: Shard): TableReader {
  if (shard.count === 1) return table;
  async function* batches(): AsyncGenerator<RowBatch> {
    for await (const batch of table.batches()) {
      const keep: number[] = [];
      for (let i = 0; i < batch.length; i++) if (rowInShard(batch.rowNumbers[i]!, shard)) keep.push(i);
      const skipped = batch.skipped.filter((s) => rowInShard(s.row, shard));
      if (keep.length === batch.length && skipped.length === batch.skipped.length) {
        yield batch;
        continue;
      }
      if (keep.length === 0 && skipped.length === 0) continue;
      const picked = pickRows(batch, Uint32Array.from(keep));
      yield { ...picked, skipped, has: picked.has, column: picked.column };
    }
  }
  const sharded: TableReader = {
    path: table.path,
    format: table.format,
    get columns() {
      return table.columns;
    },
    batches,
    progress: () => table.progress(),
    close: () => table.close(),
    ...(table.findColumns ? { findColumns: (names: readonly string[]) => table.findColumns!(names) } : {}),
  };
  return sharded;
}

/**
 * Opens one shard of a table: a folder with at least `count` Parquet parts is sharded by part
 * (part k to shard k mod count, other parts never read); anything else by blocks of rows.
 */
export async function openTableShard(path: string, options: OpenTableOptions, shard: Shard | undefined): Promise<TableReader> {
  if (!shard || shard.count === 1) return openTable(path, options);
  if (await isDirectory(path)) {
    const parts = await listParquetParts(path);
    if (parts.length >= shard.count) return openParquetDataset(path, { ...options, partFilter: (k) => k % shard.count === shard.index });
  }
  const table = await openTable(path, options);
  // a CSV/TSV shard reads only its blocks' bytes (csvShard.ts; the whole file when the scan cannot)
  if (table.format === 'csv' || table.format === 'tsv') return csvShard(table, table.format === 'csv' ? ',' : '\t', options, shard, SHARD_BLOCK_ROWS, shardRows(table, shard));
  return shardRows(table, shard);
}
