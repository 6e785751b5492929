import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { openTable } from '../../../extension/core/data';
import { tempDir } from './helpers';

const { dir } = tempDir();
const ROWS = 200_000;
const BATCH = 1024;

/** Fixed-width rows (32 bytes with the newline), so bytes consumed = rows * 32. */
function row(i: number): string {
  const head = `${String(i).padStart(8, '0')},${(i % 97) / 4},${i % 2 ? 'F' : 'M'},`;
  return `${head}"${`q,${i % 10}`.padEnd(31 - head.length - 2, ' ')}"\n`;
}

describe('streaming a 200k-row CSV', () => {
  it('reads every row while holding only a few batches of the file ahead of the consumer', async () => {
    const path = `${dir}/big.csv`;
    const header = 'id,x,sex,note                  \n';
    assert.equal(header.length, 32);
    const out = createWriteStream(path);
    for (let start = 0; start < ROWS; start += 10_000) {
      let chunk = start === 0 ? header : '';
      for (let i = start; i < start + 10_000; i++) chunk += row(i);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, "finish");

    const reader = await openTable(path, { batchRows: BATCH });
    let rows = 0;
    let maxAhead = 0;
    let sum = 0;
    let batches = 0;
    for await (const batch of reader.batches()) {
      batches++;
      rows += batch.length;
      const ahead = reader.progress().bytesRead - (rows + 1) * 32;
      maxAhead = Math.max(maxAhead, ahead);
      const ids = batch.column('id');
      for (const id of ids) sum += Number(id);
      // Give the file stream every chance to run ahead if backpressure were missing.
      if (batches % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.equal(rows, ROWS);
    assert.equal(batches, Math.ceil(ROWS / BATCH));
    assert.equal(sum, (ROWS * (ROWS - 1)) / 2);
    // The file is 6.4 MB; the reader may be ahead by the read chunk (64 KiB) plus the parser's
    // buffers, i.e. a few batches (one batch = 32 KiB here), never by a large share of the file.
    assert.ok(maxAhead <= 4 * BATCH * 32, `read ahead ${maxAhead} bytes`);
    assert.equal(reader.progress().bytesTotal, (ROWS + 1) * 32);
  });
});
