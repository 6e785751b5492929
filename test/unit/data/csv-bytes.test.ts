// The byte-level CSV path (csvBytes.ts) must read exactly what the csv-parse-based reader reads:
// the same records, row numbers, ragged-row skips and batches; its typed columns must equal
// numericCell over the strings and the strings themselves; and text it cannot mirror goes to
// csv-parse with no record lost or repeated.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { hasTypedColumns, numericCell, openTable } from '../../../extension/core/data';
import { ByteInterner, parseNumber } from '../../../extension/core/data/csvBytes';
import { rejection, tempDir } from './helpers';

const { file } = tempDir();

/** What the reader must give, from csv-parse's records: rows (as strings), row numbers, ragged skips. */
function reference(text: string, delimiter: ',' | '\t'): { header: string[]; rows: string[][]; rowNumbers: number[]; skipped: number[] } {
  const records = parse(text, { delimiter, bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  const [header = [], ...data] = records;
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  const skipped: number[] = [];
  data.forEach((r, i) => {
    if (r.length === header.length) {
      rows.push(r);
      rowNumbers.push(i + 1);
    } else {
      skipped.push(i + 1);
    }
  });
  return { header, rows, rowNumbers, skipped };
}

/** Cells that exercise the number parser, interning and quoting. */
const plainCell = fc.oneof(
  fc.stringMatching(/^[a-z0-9 .é€]{0,5}$/),
  fc.constantFrom('0', '1', '-0', '+3.5', '.5', '5.', '1e3', '1E-7', '-2.5e+10', 'NaN', 'inf', '-Infinity', ' 7 ', '1e', '.', '+', '0x10', '1_0',
    '12345678901234567', '0.1234567890123456789', '1e400', '4.9e-324', '00012', '3.000000'),
  fc.double({ noNaN: true }).map((d) => String(d)),
  fc.integer({ min: -1e6, max: 1e6 }).map((i) => (i / 1000).toFixed(3)),
);
const quotedCell = fc.stringMatching(/^[a-z,"\n\r é]{0,6}$/).map((s) => `"${s.replace(/"/g, '""')}"`);
const cell = fc.oneof({ weight: 4, arbitrary: plainCell }, { weight: 1, arbitrary: quotedCell });

function csvText(delimiter: string, eol: string, bom: boolean, finalEol: boolean, header: string[], lines: (string[] | null)[]): string {
  const body = [header.join(delimiter), ...lines.map((l) => (l === null ? '' : l.join(delimiter)))].join(eol);
  return `${bom ? '\uFEFF' : ''}${body}${finalEol ? eol : ''}`;
}

describe('byte-level CSV path', () => {
  it('property: records, row numbers, ragged skips, typed numbers and categories equal the csv-parse reader\'s', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom<',' | '\t'>(',', '\t'),
      fc.constantFrom('\n', '\r\n'),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.oneof({ weight: 8, arbitrary: fc.array(cell, { minLength: 1, maxLength: 5 }) }, { weight: 1, arbitrary: fc.constant(null) }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 7 }),
      async (delimiter, eol, bom, finalEol, width, lines, batchRows) => {
        const header = Array.from({ length: width }, (_, i) => `c${i}`);
        const text = csvText(delimiter, eol, bom, finalEol, header, lines.map((l) => (l === null ? null : l.map((c) => (delimiter === '\t' ? c.replaceAll('\t', ' ') : c)))));
        let want: ReturnType<typeof reference>;
        try {
          want = reference(text, delimiter);
        } catch {
          return; // malformed for csv-parse too (e.g. a quote inside an unquoted field): covered below
        }
        if (want.rows.length === 0 && want.skipped.length === 0) return; // the reader refuses files without data rows
        if (want.header.join('\u0000') !== header.join('\u0000')) return; // a quoted newline moved the header
        const path = file(`b${n++}.${delimiter === "\t" ? "tsv" : "csv"}`, text);
        const reader = await openTable(path, { batchRows });
        const rows: string[][] = [];
        const rowNumbers: number[] = [];
        const skipped: number[] = [];
        for await (const batch of reader.batches()) {
          assert.ok(batch.length <= batchRows);
          const cols = header.map((c) => batch.column(c) as string[]);
          for (let i = 0; i < batch.length; i++) rows.push(cols.map((c) => c[i]!));
          rowNumbers.push(...batch.rowNumbers);
          skipped.push(...batch.skipped.map((s) => s.row));
          if (hasTypedColumns(batch)) {
            header.forEach((c, k) => {
              const { values, status } = batch.numbers(c);
              const { ids, values: texts } = batch.categories(c);
              for (let i = 0; i < batch.length; i++) {
                const expected = numericCell(cols[k]![i]);
                const kind = expected.kind === 'number' ? 0 : expected.kind === 'missing' ? 1 : 2;
                assert.equal(status[i], kind, `${JSON.stringify(cols[k]![i])}: status`);
                if (expected.kind === 'number') assert.ok(Object.is(values[i], expected.value), `${JSON.stringify(cols[k]![i])}: ${values[i]} vs ${expected.value}`);
                assert.equal(texts[ids[i]!], cols[k]![i]);
              }
              // one id per distinct text
              assert.equal(new Set(texts).size, texts.length);
            });
          }
        }
        assert.deepEqual(rows, want.rows);
        assert.deepEqual(rowNumbers, want.rowNumbers);
        assert.deepEqual(skipped, want.skipped);
      },
    ), { seed: 14, numRuns: 300 });
  });

  it('parseNumber: correctly rounded like Number() on plain decimals, numericCell on anything else', () => {
    fc.assert(fc.property(
      fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d)),
        fc.tuple(fc.integer({ min: -999999999, max: 999999999 }), fc.integer({ min: 0, max: 12 })).map(([m, k]) => (m / 10 ** k).toFixed(k)),
        fc.stringMatching(/^[ +\-.0-9eE]{1,12}$/),
      ),
      (text) => {
        const buf = Buffer.from(text);
        const out = new Float64Array(1);
        const status = parseNumber(buf, 0, buf.length, 0, out, 0);
        const expected = numericCell(text);
        assert.equal(status, expected.kind === 'number' ? 0 : expected.kind === 'missing' ? 1 : 2, text);
        if (expected.kind === 'number') assert.ok(Object.is(out[0], expected.value), `${text}: ${out[0]} vs ${expected.value}`);
      },
    ), { seed: 7, numRuns: 5000 });
  });

  it('typed numbers of digits-and-dots spellings (numbers()\' inline path, up to 15 bytes, and past it) equal numericCell', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.stringMatching(/^[0-9.]{1,18}$/), { minLength: 1, maxLength: 60 }), async (cells) => {
      const path = file('digits.csv', `x,y\n${cells.map((c, i) => `${c},${i}`).join('\n')}\n`);
      const reader = await openTable(path, { batchRows: 16 });
      let r = 0;
      for await (const batch of reader.batches()) {
        assert.ok(hasTypedColumns(batch));
        const { values, status } = batch.numbers('x');
        for (let i = 0; i < batch.length; i++, r++) {
          const expected = numericCell(cells[r]);
          assert.equal(status[i], expected.kind === 'number' ? 0 : expected.kind === 'missing' ? 1 : 2, cells[r]);
          if (expected.kind === 'number') assert.ok(Object.is(values[i], expected.value), `${cells[r]}: ${values[i]} vs ${expected.value}`);
        }
      }
      assert.equal(r, cells.length);
    }), { seed: 1406, numRuns: 200 });
  });

  it('interning: one-byte keys (their own table) and longer ones share one id sequence; a quoted one-byte field is the same key', () => {
    const interner = new ByteInterner();
    const fields = ['F', 'Fe', 'M', '"F"', 'Fe', 'x', '"Ma"', 'M', 'x'];
    const ids = fields.map((f) => {
      const buf = Buffer.from(`,${f},`);
      const quoted = f.startsWith('"') ? 1 : 0;
      return interner.id(buf, 1 + quoted, buf.length - 1 - quoted, quoted);
    });
    assert.deepEqual(ids, [0, 1, 2, 0, 1, 3, 4, 2, 3]);
    assert.deepEqual(interner.values, ['F', 'Fe', 'M', 'x', 'Ma']);
  });

  it('interning: one id per distinct byte string, first seen first, across growth', () => {
    const interner = new ByteInterner();
    const texts = Array.from({ length: 500 }, (_, i) => `v${i % 237}é`);
    const ids = texts.map((t) => {
      const buf = Buffer.from(`,${t},`);
      return interner.id(buf, 1, buf.length - 1, 0);
    });
    texts.forEach((t, i) => assert.equal(interner.values[ids[i]!], t));
    assert.equal(interner.values.length, 237);
    assert.deepEqual(ids.slice(0, 237), Array.from({ length: 237 }, (_, i) => i));
  });

  it('quoted fields across 64 KiB reads, CRLF, a BOM: the same rows as csv-parse, typed columns included', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i},"g, ${i % 3}",${(i / 7).toFixed(5)},"say ""${i % 5}"""`);
    const text = `\uFEFFid,group,score,note\r\n${lines.join('\r\n')}\r\n`;
    const path = file('quoted-big.csv', text);
    const want = reference(text, ',');
    const reader = await openTable(path, { batchRows: 4096 });
    let r = 0;
    let typed = 0;
    for await (const batch of reader.batches()) {
      if (hasTypedColumns(batch)) typed++;
      const ids = batch.column('id');
      const groups = batch.column('group');
      const notes = batch.column('note');
      for (let i = 0; i < batch.length; i++, r++) assert.deepEqual([ids[i], groups[i], notes[i]], [want.rows[r]![0], want.rows[r]![1], want.rows[r]![3]]);
    }
    assert.equal(r, 20_000);
    assert.ok(typed > 0, 'the byte path read the quoted file');
  });

  it('a consumer that stops after the first batch closes the file at once (no handle left to a collection)', async () => {
    const path = file('early-stop.csv', `x,y\n${Array.from({ length: 5000 }, (_, i) => `${i},${i % 2}`).join('\n')}\n`);
    const openFds = (): number => readdirSync('/proc/self/fd').length;
    const before = openFds();
    const reader = await openTable(path, { batchRows: 64 });
    for await (const batch of reader.batches()) {
      assert.equal(batch.length, 64);
      assert.ok(openFds() > before, 'the byte path holds the file open while reading');
      break;
    }
    await reader.close();
    assert.equal(openFds(), before);
  });

  it('malformed quoting late in a file: csv-parse takes over and names the line; a quote inside a field still reads as csv-parse reads it', async () => {
    const plain = Array.from({ length: 7000 }, (_, i) => `${i},"a",b`);
    const bad = file('bad-close.csv', `x,y,z\n${plain.join('\n')}\n1,"open"x,2\n`);
    const err = await rejection(async () => {
      const reader = await openTable(bad);
      for await (const batch of reader.batches()) batch.column('x');
    });
    assert.equal(err.code, 'csv-parse');
    assert.match(err.message, /bad-close\.csv/);
    assert.match(err.message, /line 7002/);
  });
});
