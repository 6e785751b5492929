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

const answers = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, uniqueItems: true } as const;
const probeCommon = { tokenizer: name, maxLength: positiveInt } as const;

/** A language-model probe (FORMULAS.md §H); the kind picks a closed branch. */
const probe = {
  type: 'object',
  required: ['kind'],
  properties: { kind: { enum: ['yesno', 'counterfactual'] } },
  if: { properties: { kind: { const: 'yesno' } } },
  then: {
    required: ['prompt', 'yes', 'no'],
    properties: { kind: { const: 'yesno' }, prompt: name, yes: answers, no: answers, ...probeCommon },
    additionalProperties: false,
  },
  else: {
    required: ['templates', 'terms'],
    properties: {
      kind: { const: 'counterfactual' },
      templates: name,
      column: name,
      slot: name,
      terms: { type: 'object', minProperties: 2, additionalProperties: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 } },
      answers: { type: 'object', additionalProperties: false, properties: { yes: answers, no: answers } },
      ...probeCommon,
    },
    additionalProperties: false,
  },
} as const;

export const SPEC_SCHEMA = {
  $id: 'bias-inspector.spec',
  type: 'object',
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
    slices: {
      type: 'object',
      additionalProperties: false,
      properties: { columns: { type: 'array', items: name, minItems: 1, uniqueItems: true }, maxLevel: { type: 'integer', minimum: 1, maximum: 3 } },
    },
    minGroupSize: { type: 'integer', minimum: 0 },
    bootstrap: { type: 'integer', minimum: 0, maximum: 100_000 },
    seed: { type: 'integer' },
    maxGroupValues: positiveInt,
    probe,
    budgets: {
      type: 'array',
      items: {
        type: 'object',
        required: ['figure'],
        additionalProperties: false,
        properties: { figure: name, max: { type: 'number' }, min: { type: 'number' }, use: { enum: ['estimate', 'interval'] } },
      },
    },
  },
  allOf: [
    // Without a predictions file the model is run: it and its input mapping are needed (a
    // language-model probe feeds the model itself: its prompts are the input).
    { if: { not: { anyOf: [{ required: ['predictions'] }, { required: ['probe'] }] } }, then: { required: ['model', 'inputs'] } },
    // A probe needs the model; it reads no task unless it has labels, and a counterfactual
    // probe's templates file is its data.
    {
      if: { required: ['probe'] },
      then: {
        required: ['model'],
        if: { properties: { probe: { properties: { kind: { const: 'counterfactual' } } } } },
        else: { required: ['data'] },
      },
      else: { required: ['data'] },
    },
  ],
} as const;

/** ajv's options for SPEC_SCHEMA (runtime compile and the build's standalone code alike: specValidator.ts). */
export const SPEC_VALIDATOR_OPTIONS = { allErrors: true, verbose: true, strict: false } as const;

/** Top-level field names in the order `writeSpec` writes them. */
export const SPEC_KEY_ORDER = [
  '$schema', 'model', 'data', 'inputs', 'output', 'outputKind', 'task', 'label', 'groups', 'loss', 'referenceModel',
  'predictions', 'featureTensor', 'positiveLabel', 'classes', 'weight', 'likelihood', 'attention', 'slices', 'minGroupSize',
  'bootstrap', 'seed', 'maxGroupValues', 'probe', 'budgets',
] as const;

/** Field order inside an input mapping and the other nested objects. */
export const NESTED_KEY_ORDER = ['columns', 'column', 'text', 'tokenizer', 'npy', 'maxLength', 'padId', 'file', 'score', 'pred', 'tokens', 'spans', 'maxLevel',
  'kind', 'prompt', 'yes', 'no', 'templates', 'slot', 'terms', 'answers', 'figure', 'max', 'min', 'use'] as const;
