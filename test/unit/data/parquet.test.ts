import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openTable } from '../../../extension/core/data';
import { readAll, rejection, tempDir } from './helpers';
import { writeParquet } from './parquet-writer';

const { file } = tempDir();

describe('Parquet reader', () => {
  const n = 10;
  const path = file('t.parquet', writeParquet([
    { name: 'age', type: 'INT32', values: Array.from({ length: n }, (_, i) => 20 + i) },
    { name: 'big', type: 'INT64', values: Array.from({ length: n }, (_, i) => i * 1000) },
    { name: 'score', type: 'DOUBLE', values: Array.from({ length: n }, (_, i) => (i === 3 ? null : i / 4)) },
    { name: 'sex', type: 'UTF8', values: Array.from({ length: n }, (_, i) => (i % 2 ? 'F' : 'M')) },
    { name: 'y', type: 'BOOLEAN', values: Array.from({ length: n }, (_, i) => i % 3 === 0) },
  ], 4));

  it('reads the schema and row count from the footer', async () => {
    const reader = await openTable(path);
    assert.equal(reader.format, 'parquet');
    assert.deepEqual(reader.columns, ['age', 'big', 'score', 'sex', 'y']);
    assert.equal(reader.rowsHint, 10);
  });

  it('streams row groups (4, 4, 2 rows) cut into batches, with values and nulls', async () => {
    const { rows, batches, rowNumbers } = await readAll(await openTable(path, { batchRows: 3 }));
    assert.deepEqual(batches.map((b) => [b.firstRow, b.length]), [[1, 3], [4, 1], [5, 3], [8, 1], [9, 2]]);
    assert.deepEqual(rowNumbers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(rows[3], { age: 23, big: 3000n, score: null, sex: 'F', y: true });
    assert.deepEqual(rows.map((r) => r['score']), [0, 0.25, 0.5, null, 1, 1.25, 1.5, 1.75, 2, 2.25]);
    assert.deepEqual(rows.map((r) => r['y']), [true, false, false, true, false, false, true, false, false, true]);
  });

  it('rejects a file that is not Parquet, and an empty one', async () => {
    const bad = file('bad.parquet', 'not parquet at all');
    const err = await rejection(() => openTable(bad));
    assert.equal(err.code, 'bad-parquet');
    assert.ok(err.message.startsWith(`${bad}: not a readable Parquet file (`), err.message);
    const empty = file('empty.parquet', writeParquet([{ name: 'a', type: 'INT32', values: [] }], 4));
    const err2 = await rejection(() => openTable(empty));
    assert.equal(err2.message, `${empty}: no data rows (the Parquet file has 0 rows)`);
  });
});
