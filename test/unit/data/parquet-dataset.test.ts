import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { listParquetParts, openParquetDataset, openTable } from '../../../extension/core/data';
import { readAll, rejection, tempDir } from './helpers';
import { writeParquet, type ParquetColumn } from './parquet-writer';

const { dir, file } = tempDir();

function part(ages: number[], sex: string[]): Uint8Array {
  const columns: ParquetColumn[] = [
    { name: 'age', type: 'INT32', values: ages },
    { name: 'sex', type: 'UTF8', values: sex },
  ];
  return writeParquet(columns, 2);
}

describe('Parquet dataset folder', () => {
  // Spark-style folder: parts in name order, plus files that are not parts.
  mkdirSync(join(dir, 'spark'));
  file('spark/part-00001-abc.snappy.parquet', part([30, 31, 32], ['F', 'M', 'F']));
  file('spark/part-00000-abc.snappy.parquet', part([20, 21], ['M', 'M']));
  file('spark/_SUCCESS', '');
  file('spark/.part-00000-abc.snappy.parquet.crc', 'crc');

  it('lists the parts in path order, leaving out _ and . files', async () => {
    const parts = await listParquetParts(join(dir, 'spark'));
    assert.deepEqual(parts.map((p) => p.slice(dir.length + 7)), ['part-00000-abc.snappy.parquet', 'part-00001-abc.snappy.parquet']);
  });

  it('reads every part as one table with row numbers running on across parts', async () => {
    const reader = await openTable(join(dir, 'spark'), { batchRows: 2 });
    assert.equal(reader.format, 'parquet');
    assert.equal(reader.rowsHint, 5);
    assert.deepEqual(reader.columns, ['age', 'sex']);
    const { rows, rowNumbers } = await readAll(reader);
    assert.deepEqual(rows.map((r) => r['age']), [20, 21, 30, 31, 32]);
    assert.deepEqual(rows.map((r) => r['sex']), ['M', 'M', 'F', 'M', 'F']);
    assert.deepEqual(rowNumbers, [1, 2, 3, 4, 5]);
    assert.deepEqual(reader.progress().bytesRead, reader.progress().bytesTotal);
  });

  it('reads a subset of parts with their global row numbers (a shard)', async () => {
    const reader = await openParquetDataset(join(dir, 'spark'), { partFilter: (i) => i === 1 });
    assert.equal(reader.rowsHint, 3);
    const { rows, rowNumbers } = await readAll(reader);
    assert.deepEqual(rows.map((r) => r['age']), [30, 31, 32]);
    assert.deepEqual(rowNumbers, [3, 4, 5]);
  });

  it('adds Hive partition folders as string columns', async () => {
    mkdirSync(join(dir, 'hive', 'region=W'), { recursive: true });
    mkdirSync(join(dir, 'hive', 'region=E%20x'), { recursive: true });
    file('hive/region=W/part.0.parquet', part([1, 2], ['F', 'M']));
    file('hive/region=E%20x/part.0.parquet', part([3], ['F']));
    const reader = await openTable(join(dir, 'hive'));
    assert.deepEqual(reader.columns, ['age', 'sex', 'region']);
    const { rows } = await readAll(reader);
    assert.deepEqual(rows, [
      { age: 3, sex: 'F', region: 'E x' },
      { age: 1, sex: 'F', region: 'W' },
      { age: 2, sex: 'M', region: 'W' },
    ]);
  });

  it('refuses parts whose columns differ, naming the part', async () => {
    mkdirSync(join(dir, 'mixed'));
    file('mixed/a.parquet', part([1], ['F']));
    const odd = file('mixed/b.parquet', writeParquet([{ name: 'age', type: 'INT32', values: [2] }], 2));
    const err = await rejection(() => openTable(join(dir, 'mixed')));
    assert.equal(err.code, 'dataset-schema');
    assert.equal(err.message, `${odd}: its columns (age) differ from the first part's (age, sex); every part of a dataset folder needs the same columns`);
  });

  it('refuses a folder without parts: a clear bad-input error, not EISDIR', async () => {
    mkdirSync(join(dir, 'empty'));
    file('empty/notes.txt', 'x');
    const err = await rejection(() => openTable(join(dir, 'empty')));
    assert.equal(err.code, 'data.is-folder');
    assert.match(err.message, /is a folder, not a data file; name a table \(.*\) or a folder of Parquet part files$/);
  });
});
