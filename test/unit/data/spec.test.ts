import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSpec, specToJson, validateSpec, writeSpec, type AnalysisSpec } from '../../../extension/core/data';
import { rejection, tempDir } from './helpers';

const { dir, file } = tempDir();
file('model.onnx', 'not really a model: only existence is checked here');
file('data.csv', 'age,hours,sex,label\n30,40,F,1\n');
file('tok.json', '{}');

const base = {
  model: 'model.onnx',
  data: 'data.csv',
  inputs: { features: { columns: ['age', 'hours'] } },
  output: 'logits',
  outputKind: 'logits',
  task: 'binary',
  label: 'label',
  groups: ['sex'],
  loss: 'cross_entropy',
  referenceModel: null,
};

/** Writes `spec` as 2-space JSON (positions below refer to that layout) and returns the load error. */
async function loadError(name: string, spec: unknown): Promise<{ path: string; message: string; code: string | undefined }> {
  const path = file(name, JSON.stringify(spec, null, 2));
  const err = await rejection(() => loadSpec(path));
  return { path, message: err.message, code: err.code };
}

describe('spec validation: located, exact messages', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['task typo', { ...base, task: 'binay' }, ':14:11: field "task": must be one of binary, multiclass, regression (got "binay")'],
    ['unknown field with suggestion', { ...base, labl: 'label', label: undefined }, ':20:11: field "labl": unknown field; did you mean "label"?'],
    ['missing data', { ...base, data: undefined }, ':1:1: field "data": is required'],
    ['no model and no predictions', { ...base, model: undefined, inputs: undefined },
      ':1:1: field "model": is required (the model is run unless "predictions" is given)\n{path}:1:1: field "inputs": is required (the model is run unless "predictions" is given)'],
    ['mapping of no known kind', { ...base, inputs: { features: { cols: ['age'] } } },
      ':5:17: field "inputs.features": must be one of {"columns": [...]}, {"column": "..."}, {"text": "...", "tokenizer": "..."}, {"npy": "..."} (got keys cols)'],
    ['text mapping without tokenizer', { ...base, inputs: { ids: { text: 'sex' } } }, ':5:12: field "inputs.ids.tokenizer": is required'],
    ['extra key in an ids mapping', { ...base, inputs: { ids: { column: 'x', pad: 0 } } }, ':7:14: field "inputs.ids.pad": unknown field; did you mean "padId"?'],
    ['empty columns', { ...base, inputs: { features: { columns: [] } } }, ':6:18: field "inputs.features.columns": must have at least 1 item(s) (got 0)'],
    ['empty column name', { ...base, inputs: { features: { columns: ['age', ''] } } }, ':8:9: field "inputs.features.columns[1]": must not be empty'],
    ['groups not an array', { ...base, groups: 'sex' }, ':16:13: field "groups": must be an array (got "sex")'],
    ['unknown loss', { ...base, loss: 'hinge' }, ':19:11: field "loss": must be one of cross_entropy, binary_cross_entropy, focal, mse, mae, dice, crps, fair_crps, af_crps, bias_loss (got "hinge")'],
    ['unknown outputKind', { ...base, outputKind: 'scores' }, ':13:17: field "outputKind": must be one of logits, probabilities, regression, ensemble, language_model (got "scores")'],
    ['referenceModel of the wrong type', { ...base, referenceModel: 3 }, ':20:21: field "referenceModel": must be a string or null (got number 3)'],
    ['label also a group', { ...base, groups: ['sex', 'label'] }, ':18:5: field "groups[1]": "label" is the label column; a group column must be another column'],
    ['positiveLabel on multiclass', { ...base, task: 'multiclass', positiveLabel: 'yes' }, ':21:20: field "positiveLabel": only applies to task "binary" (the task is "multiclass")'],
    ['repeated classes', { ...base, task: 'multiclass', classes: ['a', 'b', 'a'] }, ':21:14: field "classes": must not repeat a value (items 1 and 3 are equal)'],
    ['maxGroupValues below 1', { ...base, maxGroupValues: 0 }, ':21:21: field "maxGroupValues": must be >= 1 (got number 0)'],
    ['predictions without file', { ...base, predictions: { score: 'p' } }, ':21:18: field "predictions.file": is required'],
    ['bias_loss without featureTensor', { ...base, loss: 'bias_loss' },
      ':19:11: field "loss": "bias_loss" needs "featureTensor", the intermediate tensor whose per-sample feature variance weights the cross-entropy'],
  ];
  for (const [name, spec, expected] of cases) {
    it(name, async () => {
      const { path, message, code } = await loadError(`${name.replace(/\W+/g, '-')}.bias.json`, spec);
      assert.equal(code, 'bad-spec');
      assert.equal(message, `${path}${expected.replaceAll('{path}', path)}`);
    });
  }

  it('points a JSON syntax error at its line and column', async () => {
    const path = file('syntax.bias.json', '{\n  "data": "data.csv",\n  "task": "binary",,\n}');
    const err = await rejection(() => loadSpec(path));
    assert.equal(err.code, 'bad-spec-json');
    assert.ok(err.message.startsWith(`${path}:3:20: not valid JSON (`), err.message);
  });

  it('names the field and the absolute path of a missing file', async () => {
    const { path, message, code } = await loadError('missing.bias.json', { ...base, data: 'sub/nope.csv' });
    assert.equal(code, 'missing-file');
    assert.equal(message, `${path}:3:11: field "data": file not found: ${join(dir, 'sub', 'nope.csv')}`);
    const tok = await loadError('tok.bias.json', { ...base, inputs: { ids: { text: 'sex', tokenizer: 'missing-tok.json' } } });
    assert.equal(tok.message, `${tok.path}:7:20: field "inputs.ids.tokenizer": file not found: ${join(dir, 'missing-tok.json')}`);
  });

  it('returns issues as values, without positions when no text is given', () => {
    assert.deepEqual(validateSpec({ data: 'd.csv', task: 'binary', predictions: { file: 'p.csv' } }), []);
    assert.deepEqual(validateSpec({ data: 'd.csv', task: 'ternary', predictions: { file: 'p.csv' } }), [
      { pointer: '/task', field: 'task', message: 'must be one of binary, multiclass, regression (got "ternary")' },
    ]);
    assert.deepEqual(validateSpec([]).map((i) => i.message), ['must be an object (got an array)']);
  });
});

describe('loadSpec / writeSpec', () => {
  it('resolves paths against the spec folder and fills defaults', async () => {
    const path = file('ok.bias.json', JSON.stringify({
      model: 'model.onnx', data: 'data.csv', task: 'regression', label: 'hours',
      inputs: { a: { columns: ['age'] }, t: { text: 'sex', tokenizer: 'tok.json', maxLength: 8 } },
    }));
    const spec = await loadSpec(path);
    assert.equal(spec.specPath, path);
    assert.equal(spec.model, join(dir, 'model.onnx'));
    assert.equal(spec.data, join(dir, 'data.csv'));
    assert.deepEqual(spec.inputs, { a: { columns: ['age'] }, t: { text: 'sex', tokenizer: join(dir, 'tok.json'), maxLength: 8 } });
    assert.deepEqual([spec.outputKind, spec.loss, spec.groups, spec.referenceModel, spec.maxGroupValues], ['regression', 'mse', [], null, 1000]);
  });

  it('writes 2-space JSON in a stable key order that loads back to the same spec', async () => {
    const spec: AnalysisSpec = {
      groups: ['sex'], task: 'binary', label: 'label', data: 'data.csv', model: 'model.onnx',
      inputs: { features: { columns: ['age', 'hours'] } }, loss: 'cross_entropy', referenceModel: null,
    };
    const path = join(dir, 'written.bias.json');
    await writeSpec(path, spec);
    const text = readFileSync(path, 'utf8');
    assert.equal(text, [
      '{',
      '  "model": "model.onnx",',
      '  "data": "data.csv",',
      '  "inputs": {',
      '    "features": {',
      '      "columns": [',
      '        "age",',
      '        "hours"',
      '      ]',
      '    }',
      '  },',
      '  "task": "binary",',
      '  "label": "label",',
      '  "groups": [',
      '    "sex"',
      '  ],',
      '  "loss": "cross_entropy",',
      '  "referenceModel": null',
      '}',
      '',
    ].join('\n'));
    assert.equal(specToJson(JSON.parse(text) as AnalysisSpec), text);
    assert.equal((await loadSpec(path)).groups[0], 'sex');
  });

  it('refuses to write an invalid spec', () => {
    assert.throws(() => specToJson({ data: 'd.csv', task: 'binary' }), {
      message: 'spec: field "model": is required (the model is run unless "predictions" is given)\nspec: field "inputs": is required (the model is run unless "predictions" is given)',
    });
  });
});
