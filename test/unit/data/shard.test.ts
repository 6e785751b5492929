import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openTable } from '../../../extension/core/data';
import { parseShard, rowInShard, SHARD_BLOCK_ROWS, shardRows } from '../../../extension/core/data/shard';
import { readAll, tempDir } from './helpers';

const { file } = tempDir();

describe('shards of a table', () => {
  it('parses i/n and refuses anything else with the flag named', () => {
    assert.deepEqual(parseShard('1/4'), { index: 1, count: 4 });
    for (const bad of ['4/4', '-1/2', '1/0', 'a/b', '1', '1/2/3']) {
      assert.throws(() => parseShard(bad), (e: Error) => e.message.startsWith(`--shard ${bad}: expected i/n`));
    }
  });

  it('assigns blocks of rows round-robin', () => {
    const s = { index: 1, count: 3 };
    assert.equal(rowInShard(1, s), false);
    assert.equal(rowInShard(SHARD_BLOCK_ROWS, s), false);
    assert.equal(rowInShard(SHARD_BLOCK_ROWS + 1, s), true);
    assert.equal(rowInShard(2 * SHARD_BLOCK_ROWS, s), true);
    assert.equal(rowInShard(2 * SHARD_BLOCK_ROWS + 1, s), false);
    assert.equal(rowInShard(4 * SHARD_BLOCK_ROWS + 1, s), true);
  });

  it('the shards of a file are disjoint and cover every row and skipped row once', async () => {
    const n = 2 * SHARD_BLOCK_ROWS + 1000;
    const lines = ['a,b'];
    for (let i = 1; i <= n; i++) lines.push(i % 1000 === 7 ? `${i}` : `${i},x${i % 3}`); // a few ragged rows
    const path = file('big.csv', lines.join('\n'));
    const seen: number[] = [];
    const skipped: number[] = [];
    for (let index = 0; index < 2; index++) {
      const { rows, rowNumbers, skipped: skips } = await readAll(shardRows(await openTable(path, { batchRows: 5000 }), { index, count: 2 }), ['a']);
      rows.forEach((r, k) => assert.equal(Number(r['a']), rowNumbers[k]));
      for (const row of rowNumbers) assert.equal(rowInShard(row, { index, count: 2 }), true);
      seen.push(...rowNumbers);
      skipped.push(...skips.map((s) => s.row));
    }
    const ragged = [7, 1007, 2007, 3007];
    assert.equal(seen.length, n - ragged.length);
    assert.deepEqual([...new Set(seen)].length, seen.length);
    assert.deepEqual(skipped.sort((x, y) => x - y), ragged);
  });
});

describe('shards of a Parquet dataset folder', () => {
  it('shards by part when there are at least as many parts as shards', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { writeParquet } = await import('./parquet-writer');
    const { openTableShard } = await import('../../../extension/core/data');
    const { dir } = tempDir();
    mkdirSync(join(dir, 'ds'));
    for (let p = 0; p < 3; p++) {
      writeFileSync(join(dir, 'ds', `part.${p}.parquet`), writeParquet([{ name: 'a', type: 'INT32', values: [10 * p + 1, 10 * p + 2] }], 4));
    }
    const shard0 = await readAll(await openTableShard(join(dir, 'ds'), {}, { index: 0, count: 2 }));
    const shard1 = await readAll(await openTableShard(join(dir, 'ds'), {}, { index: 1, count: 2 }));
    assert.deepEqual(shard0.rows.map((r) => r['a']), [1, 2, 21, 22]);
    assert.deepEqual(shard0.rowNumbers, [1, 2, 5, 6]);
    assert.deepEqual(shard1.rows.map((r) => r['a']), [11, 12]);
    assert.deepEqual(shard1.rowNumbers, [3, 4]);
  });
});
