import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openTable } from '../../../extension/core/data';
import { readAll, rejection, tempDir } from './helpers';

const { file } = tempDir();

describe('JSONL reader', () => {
  it('reads one object per line with JSON values, ignoring blank lines; columns are the first-seen keys', async () => {
    const path = file('d.jsonl', '{"ids":[101,7,102],"y":1,"g":"F"}\n\n{"ids":[101,102],"y":0,"g":null,"extra":true}\r\n{"y":1}');
    const reader = await openTable(path);
    assert.equal(reader.format, 'jsonl');
    assert.deepEqual(reader.columns, ['ids', 'y', 'g', 'extra']);
    const { rows, rowNumbers } = await readAll(reader);
    assert.deepEqual(rows, [
      { ids: [101, 7, 102], y: 1, g: 'F', extra: undefined },
      { ids: [101, 102], y: 0, g: null, extra: true },
      { ids: undefined, y: 1, g: undefined, extra: undefined },
    ]);
    assert.deepEqual(rowNumbers, [1, 2, 3]);
  });

  it('accepts .ndjson and batches rows', async () => {
    const path = file('d.ndjson', Array.from({ length: 5 }, (_, i) => JSON.stringify({ i })).join('\n') + '\n');
    const { batches } = await readAll(await openTable(path, { batchRows: 2 }));
    assert.deepEqual(batches.map((b) => [...b.column('i')]), [[0, 1], [2, 3], [4]]);
  });

  it('names the file and line of a bad line', async () => {
    const cases: [string, string][] = [
      ['{"a":1}\n{"a":2\n', 'line 2: not valid JSON ('],
      ['{"a":1}\n\n[1,2]\n', 'line 3: expected a JSON object, got an array'],
      ['{"a":1}\n42\n', 'line 2: expected a JSON object, got number'],
    ];
    for (const [i, [content, message]] of cases.entries()) {
      const path = file(`bad${i}.jsonl`, content);
      const err = await rejection(async () => readAll(await openTable(path)));
      assert.equal(err.code, 'bad-json-line');
      assert.ok(err.message.startsWith(`${path}: ${message}`), err.message);
    }
  });

  it('rejects a file with no JSON lines', async () => {
    const path = file('empty.jsonl', '\n\n');
    const err = await rejection(() => openTable(path));
    assert.equal(err.code, 'empty-data');
    assert.equal(err.message, `${path}: no data rows (the file has no JSON lines)`);
  });
});
