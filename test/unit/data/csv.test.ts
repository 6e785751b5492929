import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openTable } from '../../../extension/core/data';
import { readAll, rejection, tempDir } from './helpers';

const { file } = tempDir();

describe('CSV reader', () => {
  it('reads RFC 4180 quoting: embedded commas, doubled quotes, newlines, CRLF, BOM', async () => {
    const path = file('rfc.csv', '\uFEFFid,text,score\r\n1,"a, b",0.5\r\n2,"say ""hi""",NaN\r\n3,"two\r\nlines",\r\n4,plain,inf\r\n');
    const reader = await openTable(path);
    assert.deepEqual(reader.columns, ['id', 'text', 'score']);
    assert.equal(reader.format, 'csv');
    const { rows, rowNumbers, skipped } = await readAll(reader);
    assert.deepEqual(rows, [
      { id: '1', text: 'a, b', score: '0.5' },
      { id: '2', text: 'say "hi"', score: 'NaN' },
      { id: '3', text: 'two\r\nlines', score: '' },
      { id: '4', text: 'plain', score: 'inf' },
    ]);
    assert.deepEqual(rowNumbers, [1, 2, 3, 4]);
    assert.deepEqual(skipped, []);
  });

  it('reads TSV with tabs, and a file without a trailing newline', async () => {
    const path = file('t.tsv', 'a\tb\n1\tx y\n2\t"q\tr"');
    const reader = await openTable(path);
    assert.equal(reader.format, 'tsv');
    const { rows } = await readAll(reader);
    assert.deepEqual(rows, [{ a: '1', b: 'x y' }, { a: '2', b: 'q\tr' }]);
  });

  it('skips ragged rows with their data row number, counts them, and keeps alignment of the rest', async () => {
    const path = file('ragged.csv', 'a,b\n1,2\n3\n4,5\n6,7,8\n9,10\n');
    const { rows, rowNumbers, skipped } = await readAll(await openTable(path));
    assert.deepEqual(rows.map((r) => r['a']), ['1', '4', '9']);
    assert.deepEqual(rowNumbers, [1, 3, 5]);
    assert.deepEqual(skipped, [{ row: 2, reason: 'ragged row' }, { row: 4, reason: 'ragged row' }]);
  });

  it('cuts rows into batches of batchRows with consecutive row numbers, and can be read twice', async () => {
    const lines = ['x', ...Array.from({ length: 10 }, (_, i) => String(i))];
    const reader = await openTable(file('b.csv', lines.join('\n')), { batchRows: 4 });
    const first = await readAll(reader);
    assert.deepEqual(first.batches.map((b) => [b.firstRow, b.length]), [[1, 4], [5, 4], [9, 2]]);
    const second = await readAll(reader);
    assert.deepEqual(second.rows, first.rows);
    assert.equal(reader.progress().bytesRead, reader.progress().bytesTotal);
  });

  it('reports an unclosed quote with the file and line', async () => {
    const path = file('quote.csv', 'a,b\n1,2\n3,"open\n4,5\n');
    const err = await rejection(async () => readAll(await openTable(path)));
    assert.equal(err.code, 'csv-parse');
    assert.equal(err.message, `${path}: Quote Not Closed: the parsing is finished with an opening quote at line 4`);
  });

  it('rejects an empty file, a header-only file, a duplicate header and an unknown extension', async () => {
    const cases: [string, string, string, string][] = [
      ['empty.csv', '', 'empty-data', 'the file is empty (no header, no rows)'],
      ['header.csv', 'a,b\n', 'empty-data', 'no data rows (only the header: a, b)'],
      ['dup.csv', 'a,b,a\n1,2,3\n', 'duplicate-column', 'header: column "a" appears twice (columns 1 and 3)'],
      ['x.xlsx', 'a\n1\n', 'unsupported-data', 'unknown data format ".xlsx"; use one of .csv, .tsv, .jsonl, .ndjson, .parquet'],
    ];
    for (const [name, content, code, message] of cases) {
      const path = file(name, content);
      const err = await rejection(() => openTable(path));
      assert.equal(err.code, code, name);
      assert.equal(err.message, `${path}: ${message}`);
    }
    const missing = await rejection(() => openTable('/nonexistent/d.csv'));
    assert.equal(missing.message, '/nonexistent/d.csv: data file not found');
  });

  it('stops with CancelledError when the signal fires between batches', async () => {
    const controller = new AbortController();
    const reader = await openTable(file('c.csv', ['x', ...Array.from({ length: 50 }, (_, i) => String(i))].join('\n')), { batchRows: 10, signal: controller.signal });
    let seen = 0;
    const err = await rejection(async () => {
      for await (const _ of reader.batches()) {
        seen++;
        controller.abort();
      }
    });
    assert.equal(err.name, 'CancelledError');
    assert.equal(seen, 1);
  });
});
