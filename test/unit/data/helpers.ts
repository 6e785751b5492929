import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { RowBatch, TableReader } from '../../../extension/core/data';

/** A temp folder removed after the test file; `file(name, content)` writes into it. */
export function tempDir(): { dir: string; file: (name: string, content: string | Uint8Array) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'bias-data-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    file: (name, content) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'data');

/** Every row as an object of the given columns, plus the batches' row numbers and skips. */
export async function readAll(reader: TableReader, columns: readonly string[] = reader.columns): Promise<{
  rows: Record<string, unknown>[];
  rowNumbers: number[];
  skipped: { row: number; reason: string }[];
  batches: RowBatch[];
}> {
  const rows: Record<string, unknown>[] = [];
  const rowNumbers: number[] = [];
  const skipped: { row: number; reason: string }[] = [];
  const batches: RowBatch[] = [];
  for await (const batch of reader.batches()) {
    batches.push(batch);
    const cols = columns.map((c) => batch.column(c));
    for (let i = 0; i < batch.length; i++) rows.push(Object.fromEntries(columns.map((c, k) => [c, cols[k]![i]])));
    rowNumbers.push(...batch.rowNumbers);
    skipped.push(...batch.skipped);
  }
  return { rows, rowNumbers, skipped, batches };
}

/** Runs `fn` and returns the error it rejects with (fails the test if it resolves). */
export async function rejection(fn: () => Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
