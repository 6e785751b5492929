/**
 * CSV shards that parse only their own blocks (core/data/csvShard.ts) read exactly the rows the
 * whole-file path gives the shard (`shardRows` over the full parse): row numbers, cells, ragged
 * skips — on seeded files with quoted fields holding delimiters, doubled quotes and line ends,
 * LF or CRLF, a BOM, blank lines and an empty last line. Files the scan cannot read as the parser
 * does (a stray quote, a bare CR, mixed line ends) take the whole-file path and still agree.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { openTable, openTableShard, shardRows, SHARD_BLOCK_ROWS, type RowBatch, type Shard } from '../../../extension/core/data';
import { scanCsvBlocks } from '../../../extension/core/data/csvShard';
import { Xoshiro128 } from '../../../extension/core/metrics/stats';

const dir = mkdtempSync(join(tmpdir(), 'csv-shard-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Shape { rows: number; seed: number; crlf: boolean; bom: boolean; trailing: 'none' | 'one' | 'blank'; quoteRate: number; blankRate: number; raggedRate: number; tsv: boolean }

function cell(r: Xoshiro128, quoteRate: number, d: string, eol: string): string {
  const x = r.nextFloat();
  const plain = String(Math.floor(r.nextFloat() * 1000) / 10);
  if (x >= quoteRate) return x < quoteRate + 0.1 ? '' : plain;
  const parts = ['a', 'b"c', d, eol, '\n', 'x y', '""', ''];
  let text = '';
  for (let k = 0; k < 1 + Math.floor(r.nextFloat() * 3); k++) text += parts[Math.floor(r.nextFloat() * parts.length)];
  return `"${text.replace(/"/g, '""')}"`;
}

function writeCsv(name: string, s: Shape): string {
  const r = new Xoshiro128(s.seed);
  const d = s.tsv ? '\t' : ',';
  const eol = s.crlf ? '\r\n' : '\n';
  const lines = [['id', 'score', 'text', 'group'].join(d)];
  for (let i = 0; i < s.rows; i++) {
    if (r.nextFloat() < s.blankRate) lines.push('');
    const width = r.nextFloat() < s.raggedRate ? 3 : 4;
    lines.push([String(i), cell(r, s.quoteRate, d, eol), cell(r, s.quoteRate, d, eol), cell(r, s.quoteRate, d, eol)].slice(0, width).join(d));
  }
  let text = (s.bom ? '\ufeff' : '') + lines.join(eol);
  if (s.trailing !== 'none') text += eol;
  if (s.trailing === 'blank') text += eol;
  const path = join(dir, `${name}.${s.tsv ? 'tsv' : 'csv'}`);
  writeFileSync(path, text);
  return path;
}

/** Every row of a reader: [row, cells…] and skips, in order. */
async function rowsOf(table: { batches(): AsyncIterable<RowBatch>; close(): Promise<void> }, columns: readonly string[]): Promise<{ rows: unknown[][]; skipped: string[] }> {
  const rows: unknown[][] = [];
  const skipped: string[] = [];
  for await (const b of table.batches()) {
    const cols = columns.map((c) => b.column(c));
    for (let i = 0; i < b.length; i++) rows.push([b.rowNumbers[i], ...cols.map((c) => c[i])]);
    for (const s of b.skipped) skipped.push(`${s.row}:${s.reason}`);
  }
  await table.close();
  return { rows, skipped: skipped.sort() };
}

async function assertShardsAgree(path: string, count: number): Promise<void> {
  const all = await rowsOf(await openTable(path, { batchRows: 100 }), ['id', 'score', 'text', 'group']);
  let total = 0;
  for (let index = 0; index < count; index++) {
    const shard: Shard = { index, count };
    const expected = await rowsOf(shardRows(await openTable(path, { batchRows: 100 }), shard), ['id', 'score', 'text', 'group']);
    const got = await rowsOf(await openTableShard(path, { batchRows: 100 }, shard), ['id', 'score', 'text', 'group']);
    assert.deepEqual(got, expected, `shard ${index}/${count} of ${path}`);
    total += got.rows.length;
  }
  assert.equal(total, all.rows.length, 'every row in exactly one shard');
}

test('CSV shards read only their blocks and equal the whole-file path (seeded shapes)', { timeout: 120_000 }, async () => {
  let n = 0;
  await fc.assert(fc.asyncProperty(
    fc.record({
      rows: fc.integer({ min: 1, max: 3 * SHARD_BLOCK_ROWS + 200 }), seed: fc.integer({ min: 1, max: 1e9 }), crlf: fc.boolean(), bom: fc.boolean(),
      trailing: fc.constantFrom('none' as const, 'one' as const, 'blank' as const), quoteRate: fc.constantFrom(0, 0.05, 0.5),
      blankRate: fc.constantFrom(0, 0.01), raggedRate: fc.constantFrom(0, 0.02), tsv: fc.boolean(),
    }),
    fc.integer({ min: 2, max: 4 }),
    async (shape, count) => {
      const path = writeCsv(`p${n++}`, shape);
      // the fast path is taken on every well-formed file
      assert.ok(await scanCsvBlocks(path, shape.tsv ? '\t' : ',', { index: 0, count }, SHARD_BLOCK_ROWS), 'the scan reads a well-formed file');
      await assertShardsAgree(path, count);
    },
  ), { seed: 15, numRuns: 25 });
});

test('the scan gives each shard the byte ranges of its blocks, with their first global rows', async () => {
  const path = join(dir, 'ranges.csv');
  const lines = ['a,b'];
  for (let i = 1; i <= 2500; i++) lines.push(i === 1030 ? `"x\ny",${i}` : `${i},${i}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  const text = `${lines.join('\n')}\n`;
  const startOf = (row: number): number => Buffer.byteLength(`${lines.slice(0, row).join('\n')}\n`);
  assert.deepEqual(await scanCsvBlocks(path, ',', { index: 1, count: 2 }, 1024), [{ start: startOf(1025), end: startOf(2049), firstRow: 1025 }]);
  assert.deepEqual(await scanCsvBlocks(path, ',', { index: 0, count: 2 }, 1024), [
    { start: startOf(1), end: startOf(1025), firstRow: 1 }, { start: startOf(2049), end: Buffer.byteLength(text), firstRow: 2049 },
  ]);
});

test('text the scan leaves to the parser (stray quote, bare CR, mixed line ends): the whole-file path, same rows', async () => {
  const base = Array.from({ length: 2200 }, (_, i) => `${i},${i % 7},t${i},g${i % 3}`);
  const cases: [string, string][] = [
    ['bare-cr', ['id,score,text,group', ...base.slice(0, 1500), '1500,1,a\rb,g', ...base.slice(1501)].join('\n')],
    ['mixed-eol', `${['id,score,text,group', ...base.slice(0, 1500)].join('\n')}\r\n${base.slice(1500).join('\n')}\n`],
  ];
  for (const [name, text] of cases) {
    const path = join(dir, `${name}.csv`);
    writeFileSync(path, text);
    assert.equal(await scanCsvBlocks(path, ',', { index: 0, count: 2 }, SHARD_BLOCK_ROWS), undefined, name);
    await assertShardsAgree(path, 2);
  }
  // a quote inside an unquoted field: the parser fails on it, whole file or shard alike
  const stray = join(dir, 'stray.csv');
  writeFileSync(stray, ['id,score,text,group', ...base.slice(0, 1500), '1500,1,a"b,g', ...base.slice(1501)].join('\n'));
  assert.equal(await scanCsvBlocks(stray, ',', { index: 1, count: 2 }, SHARD_BLOCK_ROWS), undefined);
  const whole = async () => rowsOf(shardRows(await openTable(stray, { batchRows: 100 }), { index: 0, count: 2 }), ['id']);
  const shard = async () => rowsOf(await openTableShard(stray, { batchRows: 100 }, { index: 0, count: 2 }), ['id']);
  const [w, s] = await Promise.allSettled([whole(), shard()]);
  assert.equal(s.status, w.status);
  if (w.status === 'rejected' && s.status === 'rejected') assert.equal(String(s.reason), String(w.reason));
});
