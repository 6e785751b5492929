import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SliceColumnCollector } from '../../../extension/core/analyze/sliceColumns';

test('a column keeps numbers while numeric, codes while few values or text, and nothing raw', () => {
  const text = new SliceColumnCollector('region', 1000);
  for (const c of ['W', 'E', '', 'W', null, 'N']) text.add(c);
  assert.equal(text.isNumeric(), false);
  assert.deepEqual([...text.codesOf()!], [0, 1, -1, 0, -1, 2]);
  assert.deepEqual(text.values, ['W', 'E', 'N']);
  assert.equal(text.missing, 2);

  const many = new SliceColumnCollector('age', 10);
  for (let i = 0; i < 50; i++) many.add(String(i % 20));
  assert.equal(many.codesOf(), null, 'more than maxValues numbers: binned later, no dictionary');
  assert.equal(many.numbersOf()![19], 19);
  assert.equal(many.distinct(), 11, 'counted up to maxValues + 1');

  const few = new SliceColumnCollector('level', 10);
  for (const c of ['1', '2', '1.0', '3']) few.add(c);
  assert.deepEqual([...few.numbersOf()!], [1, 2, 1, 3]);
  assert.deepEqual(few.values, ['1', '2', '1.0', '3']);

  // numeric for a while (dictionary dropped), then text: earlier rows get their number's text
  const mixed = new SliceColumnCollector('zip', 3);
  for (const c of ['10', '20', '30', '40', 'x', '10']) mixed.add(c);
  assert.equal(mixed.isNumeric(), false);
  assert.equal(mixed.numbersOf(), null);
  assert.deepEqual([...mixed.codesOf()!].map((k) => mixed.values[k]), ['10', '20', '30', '40', 'x', '10']);

  const ids = new SliceColumnCollector('id', 1000);
  for (let i = 0; i < 10_000; i++) ids.add(`u${i}`);
  assert.equal(ids.distinct(), 10_000, 'a text column keeps every value (searched when named)');
});
