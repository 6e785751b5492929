import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { groupValue, intArrayCell, numericCell } from '../../../extension/core/data';

describe('cell parsing', () => {
  it('parses numbers, missing values and explicit non-finite words', () => {
    const table: [unknown, ReturnType<typeof numericCell>][] = [
      ['1.5', { kind: 'number', value: 1.5 }],
      [' -2e3 ', { kind: 'number', value: -2000 }],
      ['.5', { kind: 'number', value: 0.5 }],
      ['7.', { kind: 'number', value: 7 }],
      ['NaN', { kind: 'number', value: NaN }],
      ['nan', { kind: 'number', value: NaN }],
      ['inf', { kind: 'number', value: Infinity }],
      ['-Infinity', { kind: 'number', value: -Infinity }],
      ['', { kind: 'missing' }],
      ['  ', { kind: 'missing' }],
      [null, { kind: 'missing' }],
      [undefined, { kind: 'missing' }],
      [3, { kind: 'number', value: 3 }],
      [5n, { kind: 'number', value: 5 }],
      [true, { kind: 'number', value: 1 }],
      ['abc', { kind: 'invalid' }],
      ['0x10', { kind: 'invalid' }],
      ['1,5', { kind: 'invalid' }],
      ['1e', { kind: 'invalid' }],
      [[1], { kind: 'invalid' }],
    ];
    for (const [cell, expected] of table) assert.deepEqual(numericCell(cell), expected, String(cell));
  });

  it('round-trips every double written as text (property, seeded)', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        // String(-0) is "0", so -0 comes back as 0; NaN, Infinity and 1e+21 forms are covered.
        const cell = numericCell(String(x));
        assert.equal(cell.kind, 'number');
        assert.ok(cell.kind === 'number' && Object.is(cell.value, Object.is(x, -0) ? 0 : x), String(x));
      }),
      { seed: 4242, numRuns: 500 },
    );
  });

  it('parses int arrays from JSON text or parsed arrays', () => {
    assert.deepEqual(intArrayCell('[101, 7, 102]'), [101, 7, 102]);
    assert.deepEqual(intArrayCell([1, 2n]), [1, 2]);
    assert.deepEqual(intArrayCell(new Int32Array([4, 5])), [4, 5]);
    assert.equal(intArrayCell(''), null);
    assert.equal(intArrayCell(null), null);
    assert.equal(intArrayCell('[1.5]'), 'invalid');
    assert.equal(intArrayCell('1 2 3'), 'invalid');
    assert.equal(intArrayCell({ a: 1 }), 'invalid');
  });

  it('turns group cells into strings, empty into null', () => {
    assert.deepEqual(['F', '', ' ', null, undefined, 3, false, 7n].map(groupValue), ['F', null, null, null, null, '3', 'false', '7']);
  });
});
