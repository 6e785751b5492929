/**
 * The candidate columns a guided spec suggests for slice discovery (issue #16 item 4): every
 * metadata column picked (groups and columns the model does not read), the label, row ids and
 * model features offered unpicked, each with why.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { suggestSliceColumns, type ColumnProfile } from '../../../extension/core/data';

const col = (name: string, kind: ColumnProfile['kind'], distinct: number): ColumnProfile => ({
  name, kind, distinct, rows: 100, present: kind === 'empty' ? 0 : 100, integer: kind === 'number', increasing: false, meanLength: kind === 'string' ? 4 : 0,
});

describe('suggestSliceColumns', () => {
  const columns = [col('id', 'number', 100), col('age', 'number', 40), col('income', 'number', 90), col('sex', 'string', 2), col('device', 'string', 3), col('score_band', 'number', 5), col('label', 'number', 2)];
  const table: readonly [string, Parameters<typeof suggestSliceColumns>[1], string[], [string, string][]][] = [
    ['the issue-16 case: groups and other metadata picked; id, features, label not',
      { label: 'label', groups: ['sex'], inputs: { x: { columns: ['age', 'income'] } } },
      ['sex', 'device', 'score_band'],
      [['sex', 'group column, 2 values in the first 100 rows'], ['device', 'metadata the model does not read: text, 3 values in the first 100 rows'],
        ['score_band', 'metadata the model does not read: numbers (binned), 5 values in the first 100 rows'],
        ['id', 'not suggested: row id (100 values in the first 100 rows): one row per value'],
        ['age', 'not suggested: a feature of model input "x"; pick it to slice by its values too'],
        ['income', 'not suggested: a feature of model input "x"; pick it to slice by its values too'],
        ['label', 'not suggested: the label (slices are searched for its errors)']]],
    ['no features read from the table (an .npy input): every non-label, non-id column is metadata',
      { label: 'label', groups: ['sex'], inputs: { pixels: { npy: 'x.npy' } } },
      ['age', 'income', 'sex', 'device', 'score_band'], []],
    ['a text input and a weight column are not suggested',
      { label: 'label', groups: [], inputs: { ids: { text: 'device', tokenizer: 't.json' } }, weight: 'score_band' },
      ['age', 'income', 'sex'], [['device', 'not suggested: a feature of model input "ids"; pick it to slice by its values too'], ['score_band', 'not suggested: the sample weight']]],
  ];
  for (const [name, spec, picked, reasons] of table) {
    it(name, () => {
      const options = suggestSliceColumns(columns, spec, ['id']);
      assert.deepEqual(options.filter((o) => o.picked).map((o) => o.value), picked);
      assert.equal(options.length, columns.length, 'every column is listed');
      for (const [c, reason] of reasons) assert.equal(options.find((o) => o.value === c)?.reason, reason, c);
      assert.ok(options.findIndex((o) => !o.picked) === -1 || options.slice(options.findIndex((o) => !o.picked)).every((o) => !o.picked), 'picked ones first');
    });
  }

  it('token arrays and empty columns cannot be picked as slices', () => {
    const options = suggestSliceColumns([col('ids', 'int-array', 50), col('blank', 'empty', 0), col('g', 'string', 2)], { groups: ['g'] }, []);
    assert.deepEqual(options.map((o) => [o.value, o.picked, o.fits]), [['g', true, true], ['ids', false, false], ['blank', false, false]]);
  });
});
