import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openTable, profileColumns, suggestSpec, type ColumnProfile, type RowBatch } from '../../../extension/core/data';
import { tempDir } from './helpers';

const { file } = tempDir();
const col = (name: string, kind: ColumnProfile['kind'], distinct = 2): ColumnProfile => ({ name, kind, distinct });

describe('profileColumns', () => {
  it('classifies numbers (NaN and empty allowed), int arrays, strings and empty columns', async () => {
    const path = file('p.csv', 'age,ids,sex,blank,y\n30,"[1, 2]",F,,1\nNaN,[3],M,,0\n,[],F,,1\n');
    const table = await openTable(path);
    let first: RowBatch | undefined;
    for await (const batch of table.batches()) first ??= batch;
    assert.deepEqual(profileColumns(first!, table.columns), [
      col('age', 'number', 2), col('ids', 'int-array', 3), col('sex', 'string', 2), col('blank', 'empty', 0), col('y', 'number', 2),
    ]);
  });
});

describe('suggestSpec', () => {
  it('maps a float [N, F] input to the numeric columns minus label and groups', () => {
    const s = suggestSpec(
      [{ name: 'features', dtype: 'float32', shape: ['N', 3] }],
      [col('age', 'number'), col('hours', 'number'), col('sex', 'string'), col('race', 'string'), col('label', 'number'), col('education', 'number')],
    );
    assert.deepEqual(s, { inputs: { features: { columns: ['age', 'hours', 'education'] } }, label: 'label', groups: ['sex', 'race'], notes: [] });
  });

  it('notes a feature count that differs from the model', () => {
    const s = suggestSpec([{ name: 'x', dtype: 'tensor(float)', shape: [null, 5] }], [col('a', 'number'), col('target', 'number')], { groups: [] });
    assert.deepEqual(s.inputs, { x: { columns: ['a'] } });
    assert.deepEqual(s.notes, ['x (tensor(float) [?, 5]): the model takes 5 features, 1 numeric columns were found: edit "columns"']);
  });

  it('maps int64 [N, T] ids to a column of int arrays and leaves the mask to the encoder', () => {
    const model = [
      { name: 'input_ids', dtype: 'int64', shape: ['batch', 'seq'] },
      { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] },
    ];
    const s = suggestSpec(model, [col('text', 'string'), col('token_ids', 'int-array'), col('y', 'number'), col('gender', 'string')]);
    assert.deepEqual(s, { inputs: { input_ids: { column: 'token_ids' } }, label: 'y', groups: ['gender'], notes: [] });
    const t = suggestSpec(model, [col('text', 'string'), col('y', 'number')], { files: ['data.csv', 'tokenizer.json'] });
    assert.deepEqual(t.inputs, { input_ids: { text: 'text', tokenizer: 'tokenizer.json' } });
  });

  it('maps a [N, C, H, W] input to an .npy next to the data, or says it is missing', () => {
    const model = [{ name: 'pixels', dtype: 'float32', shape: ['N', 3, 32, 32] }];
    const cols = [col('label', 'number'), col('skin_tone', 'string')];
    const found = suggestSpec(model, cols, { dataPath: '/w/faces.csv', files: ['notes.txt', 'other.npy', 'faces_pixels.npy'] });
    assert.deepEqual(found, { inputs: { pixels: { npy: 'faces_pixels.npy' } }, label: 'label', groups: ['skin_tone'], notes: [] });
    const missing = suggestSpec(model, cols, { dataPath: '/w/faces.csv', files: [] });
    assert.deepEqual(missing.inputs, { pixels: { npy: 'faces.npy' } });
    assert.deepEqual(missing.notes, ['pixels (float32 [N, 3, 32, 32]): expects an .npy array with one row per data row; faces.npy was not found']);
  });

  it('says when it finds no label', () => {
    const s = suggestSpec([], [col('a', 'number')]);
    assert.deepEqual(s, { inputs: {}, groups: [], notes: ['no label column found: set "label"'] });
  });
});
