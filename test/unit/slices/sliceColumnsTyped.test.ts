// The typed path of SliceColumnCollector (byte-level CSV batches: numbers parsed from the bytes,
// categories as interner ids) stores exactly what the string path (`add` of each cell) stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hasTypedColumns, openTable, type RowBatch } from '../../../extension/core/data';
import { SliceColumnCollector } from '../../../extension/core/analyze/sliceColumns';
import { tempDir } from '../data/helpers';

const { file } = tempDir();

const NUMBERS = ['1', '2', '2.5', '-0', '0', '1.0', ' 3', '3 ', '1e3', '0.1', '-7', '12', '100', '.5', '+4'];
const TEXTS = ['a', 'W', 'x y', '"q,r"', '"say ""hi"""', 'é', 'inf', 'NaN', 'Infinity', '-infinity', 'true', '1,5'.replace(',', ';')];
const MISSING = ['', ' ', '""'];

const cell = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 3, arbitrary: fc.integer({ min: -50, max: 5000 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom(...MISSING) },
  { weight: 1, arbitrary: fc.constantFrom(...TEXTS) },
);
/** A column: numeric cells, then from `switchAt` on any cell (text included), or text only. */
const column = fc.record({ kind: fc.constantFrom('numeric', 'switch', 'text', 'few'), switchAt: fc.nat(60) });

function cellFor(kind: string, switchAt: number, row: number, draw: () => number, pick: string[]): string {
  const r = draw();
  if (kind === 'few') return ['1', '2', '3', ''][Math.floor(r * 4)]!;
  if (kind === 'text') return ['a', 'b', 'c d', '', '"e,f"', '7'][Math.floor(r * 6)]!;
  if (kind === 'numeric' || row < switchAt) return r < 0.1 ? '' : String(Math.floor(r * 1000) / 10);
  return pick[Math.floor(r * pick.length)]!;
}

function collected(c: SliceColumnCollector): unknown {
  return {
    numbers: c.numbersOf() ? [...c.numbersOf()!] : null, codes: c.codesOf() ? [...c.codesOf()!] : null,
    values: [...c.values], missing: c.missing, length: c.length, distinct: c.distinct(), numeric: c.isNumeric(),
  };
}

let n = 0;
test('typed and string paths collect the same columns on random CSVs', async () => {
  let typedBatches = 0;
  await fc.assert(fc.asyncProperty(
    fc.array(column, { minLength: 1, maxLength: 5 }), fc.array(cell, { minLength: 1, maxLength: 40 }),
    fc.integer({ min: 20, max: 150 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.integer(), fc.double({ min: 0, max: 0.5, noNaN: true }),
    async (cols, pick, rows, batchRows, maxValues, seed, dropRate) => {
      let s = seed >>> 0;
      const draw = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
      const names = cols.map((_, j) => `m${j}`);
      const lines = ['id,' + names.join(',')];
      for (let r = 0; r < rows; r++) lines.push([String(r), ...cols.map((c) => cellFor(c.kind, c.switchAt, r, draw, pick))].join(','));
      const path = file(`t${n++}.csv`, lines.join('\n') + '\n');
      const reader = await openTable(path, { batchRows });
      const typed = names.map((c) => new SliceColumnCollector(c, maxValues, 4));
      const strings = names.map((c) => new SliceColumnCollector(c, maxValues, 4));
      try {
        for await (const batch of reader.batches()) {
          if (hasTypedColumns(batch)) typedBatches++;
          // rows the encoder keeps: a random subset, in order
          const positions = Uint32Array.from(Array.from({ length: batch.length }, (_, i) => i).filter(() => draw() >= dropRate));
          names.forEach((c, j) => {
            typed[j]!.addBatch(batch, positions, positions.length);
            const cells = batch.column(c);
            for (const p of positions) strings[j]!.add(cells[p]);
          });
        }
      } finally {
        await reader.close();
      }
      names.forEach((c, j) => assert.deepStrictEqual(collected(typed[j]!), collected(strings[j]!), `column ${c} (${cols[j]!.kind})`));
    },
  ), { seed: 11, numRuns: 150 });
  assert.ok(typedBatches > 0, 'the byte-level path was exercised');
});

test('a many-valued numeric column is read as numbers only: categories stop once its dictionary is dropped', async () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => `${i},${(i * 7919) % 10007}`);
  const path = file('many.csv', ['id,x', ...rows].join('\n') + '\n');
  const reader = await openTable(path, { batchRows: 1000 });
  const col = new SliceColumnCollector('x', 10);
  let categoryCalls = 0;
  let batches = 0;
  try {
    for await (const batch of reader.batches()) {
      batches++;
      assert.ok(hasTypedColumns(batch));
      const wrapped = Object.assign(Object.create(batch) as RowBatch, {
        categories: (name: string) => { categoryCalls++; return batch.categories(name); },
        numbers: (name: string) => batch.numbers(name),
      });
      col.addBatch(wrapped, Uint32Array.from({ length: batch.length }, (_, i) => i), batch.length);
    }
  } finally {
    await reader.close();
  }
  assert.equal(batches, 20);
  assert.equal(categoryCalls, 1, 'only the first batch, while at most 10 values were seen');
  assert.equal(col.codesOf(), null);
  assert.equal(col.numbersOf()!.length, 20_000);
  assert.equal(col.numbersOf()![12_345], (12_345 * 7919) % 10007);
});
