import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  createInputEncoder, openTable, resolveSpec,
  type EncodedBatch, type EncoderSummary, type ModelInputInfo, type ResolvedSpec,
} from '../../../extension/core/data';
import { Xoshiro128 } from '../../../extension/core/metrics/stats';
import { FIXTURES, rejection, tempDir } from './helpers';

const { dir, file } = tempDir();

/** Reference coder: each column's values get codes in first-seen order across calls, −1 = missing. */
class GroupCoder {
  readonly values: string[][];

  constructor(readonly columns: readonly string[]) {
    this.values = columns.map(() => []);
  }

  encode(values: Readonly<Record<string, readonly (string | null)[]>>, rows: number): Int32Array[] {
    return this.columns.map((column, c) => Int32Array.from({ length: rows }, (_, i) => {
      const value = values[column]?.[i];
      if (value === null || value === undefined) return -1;
      const dictionary = this.values[c]!;
      if (!dictionary.includes(value)) dictionary.push(value);
      return dictionary.indexOf(value);
    }));
  }
}
const TABULAR: ModelInputInfo[] = [{ name: 'features', dtype: 'float32', shape: ['N', 2] }];

async function spec(fields: Record<string, unknown>): Promise<ResolvedSpec> {
  return resolveSpec({ model: 'm.onnx', task: 'binary', label: 'y', ...fields }, { baseDir: dir, specPath: join(dir, 's.bias.json'), checkFiles: false });
}

async function encodeAll(s: ResolvedSpec, inputs: readonly ModelInputInfo[], batchRows = 1024): Promise<{ batches: EncodedBatch[]; summary: EncoderSummary }> {
  const table = await openTable(s.data, { batchRows });
  const encoder = await createInputEncoder(s, inputs, table);
  const batches: EncodedBatch[] = [];
  try {
    for await (const batch of table.batches()) batches.push(await encoder.encode(batch));
    return { batches, summary: encoder.finish() };
  } finally {
    await encoder.close();
  }
}

describe('input encoder: tabular', () => {
  it('maps {columns} to float32 [N, F] with labels, groups and weights of the used rows', async () => {
    const data = file('t.csv', 'age,hours,sex,y,w\n30,40,F,1,1\n41.5,20,M,0,2\n,10,F,1,1\n22,NaN,,true,1\n50,35,,false,0.5\n');
    const s = await spec({ data, inputs: { features: { columns: ['age', 'hours'] } }, groups: ['sex'], weight: 'w' });
    const { batches, summary } = await encodeAll(s, TABULAR);
    const [b] = batches;
    assert.ok(b);
    assert.deepEqual(b.feeds['features'], { dtype: 'float32', data: new Float32Array([30, 40, 41.5, 20, 50, 35]), dims: [3, 2] });
    assert.deepEqual([...b.rowNumbers], [1, 2, 5]);
    assert.deepEqual([...b.labels!], [1, 0, 0]);
    assert.deepEqual([...b.weights!], [1, 2, 0.5]);
    assert.deepEqual(b.groups, { sex: ['F', 'M', null] });
    assert.deepEqual(b.skipped, [{ row: 3, reason: 'missing feature' }, { row: 4, reason: 'non-finite feature' }]);
    assert.deepEqual(summary, {
      rows: 5, rowsUsed: 3, skippedRows: 2,
      skipReasons: { 'missing feature': 1, 'non-finite feature': 1 },
      groupValues: { sex: ['F', 'M'] },
    });
  });

  it('gives group codes in first-seen order across batches, the codes a GroupCoder makes of the values', async () => {
    const rng = new Xoshiro128(5);
    const sexes = ['F', 'M', ' ', ''];
    const races = ['A', 'B', 'C', 'D', 'E'];
    const lines = ['a,b,sex,race,y'];
    for (let i = 0; i < 500; i++) {
      const a = rng.nextInt(20) === 0 ? '' : String(rng.nextInt(9)); // some rows skipped (missing feature)
      lines.push(`${a},1,${sexes[rng.nextInt(sexes.length)]},${i < 100 ? 'A' : races[rng.nextInt(races.length)]},${rng.nextInt(2)}`);
    }
    const data = file('codes.csv', `${lines.join('\n')}\n`);
    const { batches } = await encodeAll(await spec({ data, inputs: { features: { columns: ['a', 'b'] } }, groups: ['sex', 'race'] }), TABULAR, 64);
    const coder = new GroupCoder(['sex', 'race']);
    for (const b of batches) {
      const expected = coder.encode(b.groups, b.rowsUsed);
      assert.deepEqual(b.groupCodes.map((c) => [...c]), expected.map((c) => [...c]));
      assert.deepEqual(b.groupDictionary.map((d) => [...d]), coder.values.map((d) => [...d]));
    }
    assert.deepEqual(batches.at(-1)?.groupDictionary.map((d) => [...d].sort()), [['F', 'M'], races]);
    assert.equal(batches[0]?.groupDictionary[1]?.[0], 'A');
  });

  it('counts every skip reason once per row, ragged rows included', async () => {
    const data = file('skips.csv', 'a,b,y\n1,2,1\n1,2\n1,inf,1\n1,2,\n1,2,NaN\n-inf,,0\n3,4,0\n');
    const s = await spec({ data, inputs: { features: { columns: ['a', 'b'] } } });
    const { summary } = await encodeAll(s, TABULAR, 2);
    assert.deepEqual(summary.skipReasons, { 'missing label': 1, 'non-finite feature': 2, 'non-finite label': 1, 'ragged row': 1 });
    assert.deepEqual([summary.rows, summary.rowsUsed, summary.skippedRows], [7, 2, 5]);
  });

  it('reads labels by task: positiveLabel, class names, class indices, regression values', async () => {
    const data = file('labels.csv', 'a,b,y\n1,2,yes\n1,2,no\n1,2,yes\n');
    const pos = await encodeAll(await spec({ data, inputs: { features: { columns: ['a', 'b'] } }, positiveLabel: 'yes' }), TABULAR);
    assert.deepEqual([...pos.batches[0]!.labels!], [1, 0, 1]);
    const multi = file('multi.csv', 'a,b,y\n1,2,cat\n1,2,2\n1,2,dog\n');
    const mc = await encodeAll(await spec({ data: multi, task: 'multiclass', classes: ['cat', 'dog', 'bird'], inputs: { features: { columns: ['a', 'b'] } } }), TABULAR);
    assert.deepEqual([...mc.batches[0]!.labels!], [0, 2, 1]);
    const reg = file('reg.csv', 'a,b,y\n1,2,-0.5\n1,2,nan\n1,2,3e2\n');
    const r = await encodeAll(await spec({ data: reg, task: 'regression', inputs: { features: { columns: ['a', 'b'] } } }), TABULAR);
    assert.deepEqual([...r.batches[0]!.labels!], [-0.5, 300]);
    assert.deepEqual(r.summary.skipReasons, { 'non-finite label': 1 });
  });
});

describe('input encoder: bad input is named by file, row and column', () => {
  const features = { features: { columns: ['a', 'b'] } };
  const cases: [string, string, Record<string, unknown>, string, string][] = [
    ['non-numeric feature', 'a,b,y\n1,2,1\n1,abc,0\n', {}, 'not-numeric',
      '{data}: row 2 (data row, header excluded), column "b": a feature must be a number, got "abc" (leave the cell empty or write NaN for a missing value)'],
    ['binary label 2', 'a,b,y\n1,2,1\n1,2,0\n1,2,2\n', {}, 'label-out-of-task',
      '{data}: row 3 (data row, header excluded), column "y": binary label "2" is not 0/1 or true/false (set "positiveLabel" in the spec to name the positive class)'],
    ['third value with positiveLabel', 'a,b,y\n1,2,yes\n1,2,no\n1,2,maybe\n', { positiveLabel: 'yes' }, 'label-out-of-task',
      '{data}: row 3 (data row, header excluded), column "y": binary label "maybe" is a third value (seen: "yes", "no"); a binary task needs two label values'],
    ['multiclass index out of range', 'a,b,y\n1,2,cat\n1,2,3\n', { task: 'multiclass', classes: ['cat', 'dog', 'bird'] }, 'label-out-of-task',
      '{data}: row 2 (data row, header excluded), column "y": multiclass label "3" is not a class index 0..2 or a name in "classes" (cat, dog, bird)'],
    ['negative weight', 'a,b,y,w\n1,2,1,1\n1,2,0,-1\n', { weight: 'w' }, 'bad-weight',
      '{data}: row 2 (data row, header excluded), column "w": weight -1 is negative'],
    ['likelihood above 1', 'a,b,y,p\n1,2,1,0.5\n1,2,0,1.5\n', { likelihood: 'p' }, 'bad-likelihood',
      '{data}: row 2 (data row, header excluded), column "p": likelihood 1.5 is outside (0, 1]'],
    ['missing column', 'a,b,y\n1,2,1\n', { groups: ['gender'] }, 'missing-column',
      '{data}: no column "gender" (field "groups[0]" of {spec}); available columns: a, b, y'],
    ['no usable rows', 'a,b,y\n1,,1\nNaN,2,0\n', {}, 'no-usable-rows',
      '{data}: no usable rows: all 2 data rows were skipped: 1 missing feature (row 1), 1 non-finite feature (row 2)'],
  ];
  for (const [name, content, fields, code, message] of cases) {
    it(name, async () => {
      const data = file(`${name.replace(/\W+/g, '-')}.csv`, content);
      const s = await spec({ data, inputs: features, ...fields });
      const err = await rejection(() => encodeAll(s, TABULAR));
      assert.equal(err.code, code);
      assert.equal(err.message, message.replace('{data}', data).replace('{spec}', s.specPath));
    });
  }

  it('a group column with more than maxGroupValues values is refused unless the spec raises the limit', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => `1,2,${i % 2},id${i}`);
    const data = file('ids.csv', ['a,b,y,uid', ...rows].join('\n'));
    const s = await spec({ data, inputs: features, groups: ['uid'], maxGroupValues: 10 });
    const err = await rejection(() => encodeAll(s, TABULAR, 5));
    assert.equal(err.code, 'too-many-groups');
    assert.equal(err.message, `${data}: group column "uid" has more than 10 distinct values (by row 11 (data row, header excluded)): it looks like an identifier or a continuous value, not a group; bin it into a few groups, or raise "maxGroupValues" in the spec`);
    const ok = await encodeAll(await spec({ data, inputs: features, groups: ['uid'], maxGroupValues: 12 }), TABULAR, 5);
    assert.equal(ok.summary.groupValues['uid']!.length, 12);
  });

  it('checks the mapping against the model inputs', async () => {
    const data = file('m.csv', 'a,b,c,y\n1,2,3,1\n');
    const table = await openTable(data);
    const cases: [Record<string, unknown>, ModelInputInfo[], string, string][] = [
      [{ x: { columns: ['a', 'b'] } }, TABULAR, 'unknown-input', 'field "inputs.x": the model has no input "x" (its inputs: features)'],
      [{}, TABULAR, 'unmapped-input', 'field "inputs": model input "features" (float32 [N, 2]) is not mapped; add "features": {...} to "inputs"'],
      [{ features: { columns: ['a', 'b', 'c'] } }, TABULAR, 'input-shape', 'field "inputs.features": model input "features" is float32 [N, 2]; 3 columns make [N, 3]'],
      [{ features: { columns: ['a', 'b'] } }, [{ name: 'features', dtype: 'int64', shape: ['N', 2] }], 'input-dtype',
        'field "inputs.features": model input "features" is int64 [N, 2]; a {"columns"} mapping makes float32 or float64'],
    ];
    for (const [inputs, model, code, message] of cases) {
      const s = await spec({ data, inputs });
      const err = await rejection(() => createInputEncoder(s, model, table));
      assert.equal(err.code, code);
      assert.equal(err.message, `${s.specPath}: ${message}`);
    }
  });
});

describe('input encoder: sequences', () => {
  const BERT: ModelInputInfo[] = [
    { name: 'input_ids', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'token_type_ids', dtype: 'int64', shape: ['batch', 'seq'] },
  ];

  it('pads JSON int arrays to the batch max length with padId and adds the attention mask', async () => {
    const data = file('ids.jsonl', [
      { ids: [2, 4, 5, 3], y: 1 }, { ids: [2, 9, 3], y: 0 }, { ids: [], y: 1 }, { ids: '[2, 8, 6, 7, 3, 3]', y: 0 },
    ].map((r) => JSON.stringify(r)).join('\n'));
    const s = await spec({ data, inputs: { input_ids: { column: 'ids', padId: 99, maxLength: 5 } } });
    const { batches, summary } = await encodeAll(s, BERT);
    const b = batches[0]!;
    assert.deepEqual(b.feeds['input_ids'], { dtype: 'int64', data: BigInt64Array.from([2, 4, 5, 3, 99, 2, 9, 3, 99, 99, 2, 8, 6, 7, 3].map(BigInt)), dims: [3, 5] });
    assert.deepEqual(b.feeds['attention_mask'], { dtype: 'int64', data: BigInt64Array.from([1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1].map(BigInt)), dims: [3, 5] });
    assert.deepEqual([...(b.feeds['token_type_ids']!.data as BigInt64Array)], new Array(15).fill(0n));
    assert.deepEqual(summary.skipReasons, { 'missing token ids': 1 });
  });

  it('a JSONL key that first appears after the rows read for the first batch is found, and a key in no row is refused', async () => {
    // The reader reads whole 64 KiB chunks for the first batch: 4000 rows of ~20 bytes are more.
    const rows = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ ids: [i % 50], y: i % 2 }));
    rows.push('{"ids":[7],"y":1,"g":"F"}');
    const data = file('late-key.jsonl', `${rows.join('\n')}\n`);
    const table = await openTable(data, { batchRows: 2 });
    assert.deepEqual(table.columns, ['ids', 'y']);
    await table.findColumns?.(['g']);
    assert.deepEqual(table.columns, ['ids', 'y', 'g']);
    const s = await spec({ data, inputs: { input_ids: { column: 'ids' } }, groups: ['g'] });
    const { batches, summary } = await encodeAll(s, BERT, 2);
    assert.equal(batches.length, 2001);
    assert.equal(summary.rowsUsed, 4001);
    assert.deepEqual(summary.groupValues, { g: ['F'] });
    const missing = await spec({ data, inputs: { input_ids: { column: 'ids' } }, groups: ['h'] });
    const err = await rejection(() => encodeAll(missing, BERT, 2));
    assert.equal(err.code, 'missing-column');
    assert.equal(err.message, `${data}: no column "h" (field "groups[0]" of ${missing.specPath}); available columns: ids, y, g`);
  });

  it('pads to the model fixed length, in int32 with a bool mask, and refuses longer rows', async () => {
    const data = file('fixed.jsonl', '{"ids":[5,6],"y":1}\n{"ids":[7],"y":0}\n');
    const model: ModelInputInfo[] = [{ name: 'ids', dtype: 'int32', shape: [null, 4] }, { name: 'mask', dtype: 'bool', shape: [null, 4] }];
    const { batches } = await encodeAll(await spec({ data, inputs: { ids: { column: 'ids' } } }), model);
    assert.deepEqual(batches[0]!.feeds['ids'], { dtype: 'int32', data: new Int32Array([5, 6, 0, 0, 7, 0, 0, 0]), dims: [2, 4] });
    assert.deepEqual(batches[0]!.feeds['mask'], { dtype: 'bool', data: new Uint8Array([1, 1, 0, 0, 1, 0, 0, 0]), dims: [2, 4] });
    const long = file('long.jsonl', '{"ids":[1,2,3,4,5],"y":1}\n');
    const err = await rejection(async () => encodeAll(await spec({ data: long, inputs: { ids: { column: 'ids' } } }), model));
    assert.equal(err.message, `${long}: row 1, column "ids": 5 token ids, the model input "ids" takes 4 (set "maxLength" in the mapping to truncate)`);
    const bad = file('bad.jsonl', '{"ids":[1,"x"],"y":1}\n');
    const err2 = await rejection(async () => encodeAll(await spec({ data: bad, inputs: { ids: { column: 'ids' } } }), model));
    assert.equal(err2.message, `${bad}: row 1, column "ids": token ids must be a JSON array of integers, got [1,"x"]`);
  });

  it('tokenizes a text column with tokenizer.json, truncating but keeping [SEP]', async () => {
    const data = file('text.csv', 'text,y\nThe nurse is kind,1\nShe is a doctor,0\n"",1\n');
    const s = await spec({ data, inputs: { input_ids: { text: 'text', tokenizer: join(FIXTURES, 'tokenizer.json'), maxLength: 5 } } });
    const { batches, summary } = await encodeAll(s, BERT);
    const b = batches[0]!;
    // [CLS] the nurse is kind [SEP] -> cut to 5 keeping [SEP]; "a" is unknown -> [UNK]=1.
    assert.deepEqual([...(b.feeds['input_ids']!.data as BigInt64Array)].map(Number), [2, 4, 5, 6, 3, 2, 9, 6, 1, 3]);
    assert.deepEqual(b.feeds['input_ids']!.dims, [2, 5]);
    assert.deepEqual(b.tokens['input_ids'], [['[CLS]', 'the', 'nurse', 'is', '[SEP]'], ['[CLS]', 'she', 'is', 'a', '[SEP]']]);
    assert.deepEqual(summary.skipReasons, { 'missing text': 1 });
  });
});

describe('input encoder: npy inputs', () => {
  const IMAGE: ModelInputInfo[] = [{ name: 'pixels', dtype: 'float32', shape: ['N', 1, 2, 2] }];
  const npy = join(FIXTURES, 'img_5x1x2x2.npy'); // values 0..19, 4 per row

  it('takes the npy rows of the used data rows, ragged and skipped rows included in the alignment', async () => {
    const data = file('img.csv', 'y,g\n1,a\n0\n1,b\n,a\n0,b\n');
    const { batches, summary } = await encodeAll(await spec({ data, inputs: { pixels: { npy } }, groups: ['g'] }), IMAGE, 2);
    const feeds = batches.map((b) => b.feeds['pixels']!);
    // The reader fills batches with kept rows: [1, 3] (row 2 is ragged), then [4, 5] (row 4 has no label).
    assert.deepEqual(feeds.map((f) => f.dims), [[2, 1, 2, 2], [1, 1, 2, 2]]);
    assert.deepEqual(batches.map((b) => [...b.rowNumbers]), [[1, 3], [5]]);
    assert.deepEqual(feeds.flatMap((f) => [...f.data]), [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19]);
    assert.deepEqual(summary.skipReasons, { 'missing label': 1, 'ragged row': 1 });
  });

  it('names both files when the row counts differ', async () => {
    const fewer = file('fewer.csv', 'y\n1\n0\n');
    const err = await rejection(async () => encodeAll(await spec({ data: fewer, inputs: { pixels: { npy } } }), IMAGE));
    assert.equal(err.code, 'npy-rows');
    assert.equal(err.message, `${npy}: has 5 rows but ${fewer} has 2 data rows; the rows of input "pixels" must align one to one with the data rows`);
    const more = file('more.csv', ['y', ...new Array(7).fill('1')].join('\n'));
    const err2 = await rejection(async () => encodeAll(await spec({ data: more, inputs: { pixels: { npy } } }), IMAGE));
    assert.equal(err2.message, `${npy}: has 5 rows but ${more} has at least 7; the rows of an {"npy"} input must align one to one with the data rows`);
  });

  it('a pass a row limit ended early (a dry run, maxRows) only needs the npy rows it read', async () => {
    const s = await spec({ data: file('first3.csv', 'y\n1\n0\n1\n'), inputs: { pixels: { npy } } });
    const table = await openTable(s.data);
    const encoder = await createInputEncoder(s, IMAGE, table);
    try {
      for await (const batch of table.batches()) await encoder.encode(batch);
      assert.equal(encoder.finish({ partial: true }).rows, 3);
      assert.throws(() => encoder.finish(), /has 5 rows but .*first3\.csv has 3 data rows/);
    } finally {
      await encoder.close();
    }
  });
});
