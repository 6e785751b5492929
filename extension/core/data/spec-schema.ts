/** JSON schema (draft-07, validated with ajv) of the analysis spec, DESIGN.md §3. */
import { LOSSES, OUTPUT_KINDS, TASKS } from './spec-types';

const name = { type: 'string', minLength: 1 } as const;
const positiveInt = { type: 'integer', minimum: 1 } as const;

/** Which mapping an input is follows from the key it has; each branch is closed. */
const inputMapping = {
  type: 'object',
  if: { required: ['columns'] },
  then: { properties: { columns: { type: 'array', items: name, minItems: 1, uniqueItems: true } }, additionalProperties: false },
  else: {
    if: { required: ['column'] },
    then: { properties: { column: name, padId: { type: 'integer' }, maxLength: positiveInt }, additionalProperties: false },
    else: {
      if: { required: ['text'] },
      then: { required: ['tokenizer'], properties: { text: name, tokenizer: name, maxLength: positiveInt, padId: { type: 'integer' } }, additionalProperties: false },
      else: {
        if: { required: ['npy'] },
        then: { properties: { npy: name }, additionalProperties: false },
        else: { required: ['columns'] },
      },
    },
  },
} as const;

export const SPEC_SCHEMA = {
  $id: 'bias-inspector.spec',
  type: 'object',
  required: ['data', 'task'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    model: name,
    data: name,
    inputs: { type: 'object', additionalProperties: inputMapping },
    output: name,
    outputKind: { enum: [...OUTPUT_KINDS] },
    task: { enum: [...TASKS] },
    label: name,
    groups: { type: 'array', items: name, uniqueItems: true },
    loss: { enum: [...LOSSES] },
    referenceModel: { type: ['string', 'null'], minLength: 1 },
    predictions: {
      type: 'object',
      required: ['file'],
      additionalProperties: false,
      properties: { file: name, score: name, pred: name },
    },
    featureTensor: name,
    positiveLabel: { type: ['string', 'number', 'boolean'] },
    classes: { type: 'array', items: { type: 'string' }, minItems: 2, uniqueItems: true },
    weight: name,
    likelihood: name,
    attention: {
      type: 'object',
      additionalProperties: false,
      properties: { tokens: name, spans: { type: 'object', additionalProperties: name } },
    },
    minGroupSize: { type: 'integer', minimum: 0 },
    bootstrap: { type: 'integer', minimum: 0, maximum: 100_000 },
    seed: { type: 'integer' },
    maxGroupValues: positiveInt,
  },
  // Without a predictions file the model is run: it and its input mapping are needed.
  if: { not: { required: ['predictions'] } },
  then: { required: ['model', 'inputs'] },
} as const;

/** Top-level field names in the order `writeSpec` writes them. */
export const SPEC_KEY_ORDER = [
  '$schema', 'model', 'data', 'inputs', 'output', 'outputKind', 'task', 'label', 'groups', 'loss', 'referenceModel',
  'predictions', 'featureTensor', 'positiveLabel', 'classes', 'weight', 'likelihood', 'attention', 'minGroupSize',
  'bootstrap', 'seed', 'maxGroupValues',
] as const;

/** Field order inside an input mapping and the other nested objects. */
export const NESTED_KEY_ORDER = ['columns', 'column', 'text', 'tokenizer', 'npy', 'maxLength', 'padId', 'file', 'score', 'pred', 'tokens', 'spans'] as const;
