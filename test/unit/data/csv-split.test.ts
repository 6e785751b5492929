// The quote-free fast path of the CSV reader must give exactly csv-parse's records, and hand a
// file it cannot split (quotes, stray CRs) to csv-parse without losing or repeating a record.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { openTable } from '../../../extension/core/data';
import { readRecordChunks } from '../../../extension/core/data/csv';
import { readAll, rejection, tempDir } from './helpers';

const { file } = tempDir();

async function records(path: string, delimiter: ',' | '\t'): Promise<string[][]> {
  const out: string[][] = [];
  for await (const chunk of readRecordChunks(path, delimiter, undefined, { bytesRead: 0 })) out.push(...chunk);
  return out;
}

function reference(text: string, delimiter: ',' | '\t'): string[][] {
  return parse(text, { delimiter, bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
}

const field = fc.stringMatching(/^[a-z0-9 .\-é€]{0,6}$/);
const line = (delimiter: string) => fc.array(field, { minLength: 1, maxLength: 5 }).map((f) => f.join(delimiter));

describe('CSV quote-free fast path', () => {
  it('property: LF, CRLF, BOM, blank lines, no final newline, comma or tab: the records of csv-parse', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom<',' | '\t'>(',', '\t'),
      fc.constantFrom('\n', '\r\n'),
      fc.boolean(),
      fc.boolean(),
      fc.array(fc.oneof({ weight: 5, arbitrary: line(',') }, { weight: 1, arbitrary: fc.constant('') }), { minLength: 1, maxLength: 30 }),
      async (delimiter, eol, bom, finalEol, lines) => {
        const body = lines.map((l) => (delimiter === '\t' ? l.replaceAll(',', '\t') : l)).join(eol);
        const text = `${bom ? '\uFEFF' : ''}${body}${finalEol ? eol : ''}`;
        const path = file(`p${n++}.csv`, text);
        assert.deepEqual(await records(path, delimiter), reference(text, delimiter));
      },
    ), { seed: 42, numRuns: 150 });
  });

  it('hands quoted or mixed-line-ending files to csv-parse with no record lost or repeated, across 64 KiB chunks', async () => {
    const plain = Array.from({ length: 9000 }, (_, i) => `${i},x${i % 7}é€,${(i / 3).toFixed(4)}`);
    const cases: Record<string, string> = {
      'quote-late.csv': `a,b,c\n${plain.join('\n')}\n9001,"q, uoted",1\n9002,y,2\n`,
      'quote-first.csv': `a,b,c\n1,"x",2\n${plain.join('\n')}\n`,
      'lone-cr.csv': `a,b,c\n${plain.join('\n')}\n1,b\r,3\n`,
      'lf-in-crlf.csv': `a,b,c\r\n${plain.join('\r\n')}\r\n5,6,7\n8,9,10\r\n`,
      'cr-at-end.csv': `a,b,c\n${plain.join('\n')}\r`,
      'plain-big.csv': `a,b,c\n${plain.join('\n')}`,
    };
    for (const [name, text] of Object.entries(cases)) {
      const path = file(name, text);
      assert.ok(text.length > 2 * 64 * 1024 || name.startsWith('quote-first'), `${name} spans several chunks`);
      assert.deepEqual(await records(path, ','), reference(text, ','), name);
    }
  });

  it('row numbers and ragged-row skips are the same after a late switch to csv-parse', async () => {
    const plain = Array.from({ length: 5000 }, (_, i) => `${i},${i % 2},0.${i}`);
    const path = file('late.csv', `id,g,s\n${plain.join('\n')}\n5000,1\n5001,"a,b",3\n`);
    const { rows, rowNumbers, skipped } = await readAll(await openTable(path, { batchRows: 1000 }));
    assert.equal(rows.length, 5001);
    assert.deepEqual(rows.at(-1), { id: '5001', g: 'a,b', s: '3' });
    assert.deepEqual(rowNumbers.slice(-2), [5000, 5002]);
    assert.deepEqual(skipped, [{ row: 5001, reason: 'ragged row' }]);
  });

  it('an unclosed quote after a long quote-free prefix still names the line of the file', async () => {
    const plain = Array.from({ length: 6000 }, (_, i) => `${i},a,b`);
    const path = file('unclosed.csv', `x,y,z\n${plain.join('\n')}\n1,"open,2\n`);
    const err = await rejection(async () => readAll(await openTable(path)));
    assert.equal(err.code, 'csv-parse');
    assert.match(err.message, /unclosed\.csv/);
    assert.match(err.message, /line 6002/);
  });
});
