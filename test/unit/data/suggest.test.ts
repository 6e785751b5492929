import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  acceptSuggestions, openTable, profileColumns, suggestSpec,
  type ColumnProfile, type ModelFacts, type ModelInputInfo, type RowBatch, type SpecSuggestions, type SuggestHints,
} from '../../../extension/core/data';
import { tempDir } from './helpers';
import { csvOf, gen, issueColumns, shuffled, type ColumnGen } from './synthetic';

const { file } = tempDir();

async function profile(path: string): Promise<ColumnProfile[]> {
  const table = await openTable(path, { batchRows: 512 });
  try {
    let first: RowBatch | undefined;
    for await (const batch of table.batches()) { first = batch; break; }
    return profileColumns(first!, table.columns);
  } finally {
    await table.close();
  }
}

const io = (name: string, dtype: string, shape: ModelInputInfo['shape']): ModelInputInfo => ({ name, dtype, shape });

/** What a user who accepts every suggestion gets, in a compact form to compare. */
function accepted(s: SpecSuggestions): Record<string, unknown> {
  return {
    task: s.tasks[0]?.value,
    label: s.labels.find((l) => l.fits)?.value,
    inputs: Object.fromEntries(s.inputs.map((i) => [i.input, i.mapping ?? null])),
    groups: s.groups.filter((g) => g.picked).map((g) => g.value),
    ids: s.idColumns,
    choose: Object.fromEntries(s.inputs.flatMap((i) => (i.choose ? [[i.input, i.choose]] : []))),
    problems: s.problems.length,
  };
}

describe('profileColumns', () => {
  it('classifies numbers (NaN and empty allowed), int arrays, strings and empty columns', async () => {
    const path = file('p.csv', 'n,age,ids,sex,blank,y\n1,30,"[1, 2]",F,,1\n2,NaN,[3],M,,0\n3,,[],F,,1\n');
    assert.deepEqual(await profile(path), [
      { name: 'n', kind: 'number', distinct: 3, rows: 3, present: 3, integer: true, increasing: true, meanLength: 0, values: ['1', '2', '3'] },
      { name: 'age', kind: 'number', distinct: 2, rows: 3, present: 2, integer: false, increasing: false, meanLength: 0, values: ['30', 'NaN'] },
      { name: 'ids', kind: 'int-array', distinct: 3, rows: 3, present: 3, integer: false, increasing: false, meanLength: 0, values: ['[1, 2]', '[3]', '[]'] },
      { name: 'sex', kind: 'string', distinct: 2, rows: 3, present: 3, integer: false, increasing: false, meanLength: 1, values: ['F', 'M'] },
      { name: 'blank', kind: 'empty', distinct: 0, rows: 3, present: 0, integer: false, increasing: false, meanLength: 0, values: [] },
      { name: 'y', kind: 'number', distinct: 2, rows: 3, present: 3, integer: true, increasing: false, meanLength: 0, values: ['0', '1'] },
    ]);
  });

  it('lists no values past 20 distinct', async () => {
    const path = file('many.csv', csvOf([['v', gen.real(0, 1, 6)]], 40, 1));
    const [v] = await profile(path);
    assert.equal(v?.distinct, 40);
    assert.equal(v?.values, undefined);
  });
});

describe('suggestSpec on the model and CSV of issue #16', () => {
  const model: ModelFacts = { inputs: [io('x', 'float32', ['N', 5])], outputs: [io('logits', 'float32', ['N', 2])] };

  it('label `label`, task binary, inputs age..debt, groups sex, race, region, id never a feature', async () => {
    const s = suggestSpec(model, await profile(file('issue.csv', csvOf(issueColumns(), 600, 7))));
    assert.deepEqual(accepted(s), {
      task: 'binary', label: 'label', inputs: { x: { columns: ['age', 'income', 'hours', 'tenure', 'debt'] } },
      groups: ['sex', 'race', 'region'], ids: ['id'], choose: {}, problems: 0,
    });
    assert.deepEqual(s.labels[0], { value: 'label', reason: 'named like a label, 2 values, matches the [N, 2] output', fits: true });
    // income has hundreds of values: listed, with why it does not fit
    const income = s.labels.find((l) => l.value === 'income');
    assert.deepEqual(income, { value: 'income', reason: '512 values, the [N, 2] output needs 2', fits: false });
    assert.deepEqual(s.tasks.map((t) => [t.value, t.fits]), [['binary', true], ['multiclass', false], ['regression', false]]);
    assert.equal(s.tasks[0]?.reason, 'the output [N, 2] fits; label "label": 2 values, matches the [N, 2] output');
    assert.equal(s.tasks[2]?.reason, 'the output [N, 2] does not fit; label "label": numbers, 2 values, but the [N, 2] output holds 2 values per row, not one');
    assert.equal(s.inputs[0]?.reason, '5 numeric columns in file order, matches the 5-wide input; left out: id (row id), label (label)');
    assert.deepEqual(s.groups.map((g) => g.reason), [
      'named like a sensitive attribute, 2 values (F, M)',
      'named like a sensitive attribute, 4 values (A, B, C, D)',
      'named like a sensitive attribute, 5 values (centre, east, north, south, west)',
    ]);
    assert.deepEqual(s.output, { name: 'logits', kind: 'logits', reason: 'logits [N, 2]' });
    assert.deepEqual(acceptSuggestions(s, { model: 'm.onnx', data: 'd.csv' }), {
      model: 'm.onnx', data: 'd.csv', inputs: { x: { columns: ['age', 'income', 'hours', 'tenure', 'debt'] } },
      output: 'logits', outputKind: 'logits', task: 'binary', label: 'label', groups: ['sex', 'race', 'region'], loss: 'cross_entropy',
    });
  });

  it('with the columns shuffled (5 orders), the features follow the file order and nothing else changes', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const columns = shuffled(issueColumns(), seed);
      const s = suggestSpec(model, await profile(file(`issue-${seed}.csv`, csvOf(columns, 300, seed))));
      const features = columns.map(([n]) => n).filter((n) => ['age', 'income', 'hours', 'tenure', 'debt'].includes(n));
      const groups = columns.map(([n]) => n).filter((n) => ['sex', 'race', 'region'].includes(n));
      assert.deepEqual(accepted(s), { task: 'binary', label: 'label', inputs: { x: { columns: features } }, groups, ids: ['id'], choose: {}, problems: 0 }, `seed ${seed}`);
    }
  });
});

interface Case {
  readonly name: string;
  readonly model: ModelFacts;
  readonly columns: readonly (readonly [string, ColumnGen])[];
  readonly rows?: number;
  readonly hints?: SuggestHints;
  readonly expected: Record<string, unknown>;
}

const binaryOut = [io('logits', 'float32', ['N', 2])];
const features = (width: number | string): ModelInputInfo[] => [io('features', 'tensor(float)', ['batch', width])];

const CASES: readonly Case[] = [
  {
    name: 'label named target (yes/no), a shuffled row_id, gender and country as groups',
    model: { inputs: features(3), outputs: binaryOut },
    columns: [['gender', gen.pick('f', 'm', 'x')], ['row_id', gen.shuffledIds(300, 3)], ['balance', gen.real(0, 9e3)], ['target', gen.pick('yes', 'no')], ['country', gen.pick('DE', 'FR')], ['score', gen.real(0, 1, 3)], ['visits', gen.int(0, 400)]],
    expected: { task: 'binary', label: 'target', inputs: { features: { columns: ['balance', 'score', 'visits'] } }, groups: ['gender', 'country'], ids: ['row_id'], choose: {}, problems: 0 },
  },
  {
    name: 'an unnamed row counter is an id; outcome is a 4-class label of a [N, 4] output',
    model: { inputs: features(2), outputs: [io('scores', 'float32', ['N', 4])] },
    columns: [['n', gen.counter()], ['x1', gen.real(-1, 1)], ['race', gen.pick('A', 'B')], ['outcome', gen.pick('0', '1', '2', '3')], ['x2', gen.real(-1, 1)]],
    expected: { task: 'multiclass', label: 'outcome', inputs: { features: { columns: ['x1', 'x2'] } }, groups: ['race'], ids: ['n'], choose: {}, problems: 0 },
  },
  {
    name: 'more numeric columns than the width: the first in file order are proposed and the choice is asked',
    model: { inputs: features(3), outputs: binaryOut },
    columns: [['a', gen.real(0, 1)], ['b', gen.real(0, 1)], ['sex', gen.pick('F', 'M')], ['c', gen.real(0, 1)], ['d', gen.real(0, 1)], ['e', gen.real(0, 1)], ['y', gen.pick('0', '1')]],
    expected: {
      task: 'binary', label: 'y', inputs: { features: { columns: ['a', 'b', 'c'] } }, groups: ['sex'], ids: [],
      choose: { features: { width: 3, candidates: ['a', 'b', 'c', 'd', 'e'] } }, problems: 0,
    },
  },
  {
    name: 'the model metadata lists the features: its order, no question',
    model: { inputs: features(3), outputs: binaryOut, metadata: { feature_names: '["e", "a", "c"]', target: 'y' } },
    columns: [['a', gen.real(0, 1)], ['b', gen.real(0, 1)], ['c', gen.real(0, 1)], ['d', gen.real(0, 1)], ['e', gen.real(0, 1)], ['y', gen.pick('0', '1')], ['sex', gen.pick('F', 'M')]],
    expected: { task: 'binary', label: 'y', inputs: { features: { columns: ['e', 'a', 'c'] } }, groups: ['sex'], ids: [], choose: {}, problems: 0 },
  },
  {
    name: 'one-value output, label y with many values: regression; a 0/1 feature is not taken as the label',
    model: { inputs: features(2), outputs: [io('pred', 'float32', ['N', 1])] },
    columns: [['smoker', gen.pick('0', '1')], ['bmi', gen.real(15, 40)], ['y', gen.real(0, 100)], ['region', gen.pick('n', 's')]],
    expected: { task: 'regression', label: 'y', inputs: { features: { columns: ['smoker', 'bmi'] } }, groups: ['region'], ids: [], choose: {}, problems: 0 },
  },
  {
    name: 'one-value output, label class with 2 values: binary',
    model: { inputs: features(2), outputs: [io('logit', 'float32', ['N', 1])] },
    columns: [['u', gen.real(0, 1)], ['class', gen.pick('0', '1')], ['v', gen.real(0, 1)], ['sex', gen.pick('F', 'M')]],
    expected: { task: 'binary', label: 'class', inputs: { features: { columns: ['u', 'v'] } }, groups: ['sex'], ids: [], choose: {}, problems: 0 },
  },
  {
    name: 'text input: a review column tokenized with the tokenizer.json next to the data; the mask is left to the encoder',
    model: { inputs: [io('input_ids', 'int64', ['batch', 'seq']), io('attention_mask', 'int64', ['batch', 'seq'])], outputs: binaryOut },
    columns: [['review_id', gen.shuffledIds(300, 9)], ['review', gen.text()], ['identity', gen.pick('a', 'b', 'c')], ['label', gen.pick('0', '1')]],
    hints: { files: ['reviews.csv', 'tokenizer.json'] },
    expected: { task: 'binary', label: 'label', inputs: { input_ids: { text: 'review', tokenizer: 'tokenizer.json' } }, groups: ['identity'], ids: ['review_id'], choose: {}, problems: 0 },
  },
  {
    name: 'token-id arrays: the int-array column',
    model: { inputs: [io('input_ids', 'int64', ['batch', 'seq'])], outputs: binaryOut },
    columns: [['sentence', gen.text()], ['tokens', gen.tokenIds()], ['y', gen.pick('true', 'false')], ['group', gen.pick('g1', 'g2')]],
    expected: { task: 'binary', label: 'y', inputs: { input_ids: { column: 'tokens' } }, groups: ['group'], ids: [], choose: {}, problems: 0 },
  },
  {
    name: 'image input: the .npy named like the data; ten classes; a text category offered as group',
    model: { inputs: [io('pixels', 'float32', ['N', 3, 8, 8])], outputs: [io('logits', 'float32', ['N', 10])] },
    columns: [['label', gen.int(0, 9)], ['scanner', gen.pick('a', 'b')]],
    hints: { dataPath: '/w/faces.csv', files: ['notes.txt', 'faces_pixels.npy'] },
    expected: { task: 'multiclass', label: 'label', inputs: { pixels: { npy: 'faces_pixels.npy' } }, groups: ['scanner'], ids: [], choose: {}, problems: 0 },
  },
  {
    name: 'language model ([B, T, V] output): no task or label needed',
    model: { inputs: [io('input_ids', 'int64', ['b', 't'])], outputs: [io('logits', 'float32', ['b', 't', 512])] },
    columns: [['prompt', gen.text()], ['gender', gen.pick('f', 'm')]],
    hints: { files: ['tokenizer.json'] },
    expected: { task: 'language_model', label: undefined, inputs: { input_ids: { text: 'prompt', tokenizer: 'tokenizer.json' } }, groups: ['gender'], ids: [], choose: {}, problems: 0 },
  },
  {
    name: 'no column fits the label of a binary output: a problem, not a guess',
    model: { inputs: features(2), outputs: binaryOut },
    columns: [['a', gen.real(0, 1)], ['b', gen.real(0, 1)], ['sex', gen.pick('F', 'M')]],
    expected: { task: 'binary', label: undefined, inputs: { features: { columns: ['a', 'b'] } }, groups: ['sex'], ids: [], choose: {}, problems: 1 },
  },
  {
    name: 'too few numeric columns for the width: no mapping, a problem',
    model: { inputs: features(4), outputs: binaryOut },
    columns: [['id', gen.counter()], ['a', gen.real(0, 1)], ['b', gen.real(0, 1)], ['label', gen.pick('0', '1')], ['race', gen.pick('x', 'y')]],
    expected: { task: 'binary', label: 'label', inputs: { features: null }, groups: ['race'], ids: ['id'], choose: {}, problems: 1 },
  },
  {
    name: 'choices made earlier win: the chosen label is no feature, nor is a column named like a label; chosen groups only',
    model: { inputs: features(3), outputs: [io('y', 'float32', ['N', 1])] },
    columns: [['a', gen.real(0, 1)], ['target', gen.pick('0', '1')], ['b', gen.real(0, 1)], ['c', gen.real(0, 1)], ['risk', gen.real(0, 1)], ['sex', gen.pick('F', 'M')], ['race', gen.pick('A', 'B')]],
    hints: { label: 'risk', groups: ['race'], task: 'regression' },
    expected: { task: 'regression', label: 'risk', inputs: { features: { columns: ['a', 'b', 'c'] } }, groups: ['race'], ids: [], choose: {}, problems: 0 },
  },
];

describe('suggestSpec: generated (model, data) pairs', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const path = file(`${c.name.slice(0, 20).replace(/\W/g, '_')}.csv`, csvOf(c.columns, c.rows ?? 300, 11));
      const s = suggestSpec(c.model, await profile(path), c.hints);
      const got = accepted(s);
      // A chosen label is the label even when the ranking would not suggest it.
      if (c.hints?.label) got.label = c.hints.label;
      assert.deepEqual(got, c.expected, JSON.stringify(s, null, 1));
    });
  }
});

describe('suggestSpec: reasons of the problem cases', () => {
  it('says which columns were tried for the label and why they do not fit', async () => {
    const s = suggestSpec({ inputs: features(1), outputs: binaryOut }, await profile(file('nolabel.csv', csvOf([['a', gen.real(0, 1, 6)], ['sex', gen.pick('F', 'M')], ['kind', gen.pick('u', 'v', 'w')]], 100, 2))));
    assert.deepEqual(s.problems, ['no column fits as the label: a (100 values, the [N, 2] output needs 2); kind (3 values, the [N, 2] output needs 2); sex (2 values, matches the [N, 2] output, named like a sensitive attribute)']);
  });

  it('says how many numeric columns there are for a wider input', async () => {
    const s = suggestSpec({ inputs: features(4), outputs: binaryOut }, await profile(file('narrow.csv', csvOf([['a', gen.real(0, 1)], ['label', gen.pick('0', '1')]], 50, 3))));
    assert.deepEqual(s.problems, ['features (tensor(float) [batch, 4]): 1 numeric column (a) for the 4-wide input; left out: label (label)']);
  });

  it('a binary label of two words gets a positive class, named when a word says so', async () => {
    const words = (a: string, b: string) => csvOf([['f', gen.real(0, 1)], ['outcome', gen.pick(a, b)], ['sex', gen.pick('F', 'M')]], 60, 4);
    const model = { inputs: features(1), outputs: binaryOut };
    const named = suggestSpec(model, await profile(file('approved.csv', words('denied', 'approved'))));
    assert.deepEqual(named.positiveLabel, { value: 'approved', reason: '"approved" is taken as the positive class (the other value is "denied")' });
    assert.equal(acceptSuggestions(named, { model: 'm.onnx', data: 'd.csv' }).positiveLabel, 'approved');
    const unnamed = suggestSpec(model, await profile(file('ab.csv', words('beta', 'alpha'))));
    assert.deepEqual(unnamed.positiveLabel, { value: 'beta', reason: '"beta" is taken as the positive class (the other value is "alpha"): the later in sorted order, nothing names it positive' });
    const digits = suggestSpec(model, await profile(file('01.csv', words('0', '1'))));
    assert.equal(digits.positiveLabel, undefined);
  });
});
