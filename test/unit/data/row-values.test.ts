import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LabelParser } from '../../../extension/core/data/row-values';

const place = { file: 'd.csv', format: 'csv' } as const;

describe('binary labels', () => {
  it('parse "0"/"1" (the shortcut) exactly as the general path parses every other spelling', () => {
    const parser = new LabelParser({ task: 'binary' }, place, 'y');
    const cases: [unknown, number | string][] = [
      ['0', 0], ['1', 1], [' 1', 1], ['1 ', 1], ['1.0', 1], ['0.0', 0], ['+1', 1], ['-0', -0], ['1e0', 1],
      [0, 0], [1, 1], [true, 1], [false, 0], ['true', 1], ['False', 0], ['yes', 1], ['NO', 0],
      ['', 'missing label'], [' ', 'missing label'], [undefined, 'missing label'], [null, 'missing label'], ['NaN', 'non-finite label'],
    ];
    for (const [cell, want] of cases) assert.ok(Object.is(parser.parse(cell, 1), want), `${JSON.stringify(cell)} -> ${String(parser.parse(cell, 1))}, expected ${String(want)}`);
    assert.throws(() => parser.parse('2', 7), /row 7 \(data row, header excluded\), column "y": binary label "2" is not 0\/1/);
  });

  it('with positiveLabel, "0" and "1" are values like any other (no shortcut)', () => {
    const parser = new LabelParser({ task: 'binary', positiveLabel: 0 }, place, 'y');
    assert.equal(parser.parse('0', 1), 1);
    assert.equal(parser.parse('1', 2), 0);
    assert.throws(() => parser.parse('2', 3), /third value/);
  });
});
