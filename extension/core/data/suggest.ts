/**
 * Proposes a spec's input mapping from a model's inputs and a data table's columns, for the
 * guided "Create Analysis Spec" flow. Pure: the caller profiles a first batch and lists files.
 */
import { basename, extname } from 'node:path';
import { intArrayCell, numericCell } from './cells';
import type { InputMapping } from './spec-types';
import type { RowBatch } from './table';
import { normalizeDtype, showShape, type ModelInputInfo } from './tensors';

export type ColumnKind = 'number' | 'int-array' | 'string' | 'empty';

export interface ColumnProfile {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Distinct non-missing values in the profiled rows. */
  readonly distinct: number;
}

/** Classifies each column by its non-missing cells in a sample batch. */
export function profileColumns(batch: RowBatch, columns: readonly string[]): ColumnProfile[] {
  return columns.map((name) => {
    const cells = batch.column(name).filter((c) => numericCell(c).kind !== 'missing');
    const distinct = new Set(cells.map((c) => (typeof c === 'object' ? JSON.stringify(c) : String(c)))).size;
    let kind: ColumnKind = 'empty';
    if (cells.length > 0) {
      if (cells.every((c) => numericCell(c).kind === 'number' && typeof c !== 'boolean')) kind = 'number';
      else if (cells.every((c) => Array.isArray(intArrayCell(c)))) kind = 'int-array';
      else kind = 'string';
    }
    return { name, kind, distinct };
  });
}

export interface SuggestHints {
  readonly label?: string;
  readonly groups?: readonly string[];
  /** The data file (its stem names a matching .npy). */
  readonly dataPath?: string;
  /** Files next to the data (names or paths), to find .npy arrays and a tokenizer.json. */
  readonly files?: readonly string[];
}

export interface SpecSuggestion {
  readonly inputs: Record<string, InputMapping>;
  readonly label?: string;
  readonly groups: string[];
  /** What could not be decided, for the user to fix. */
  readonly notes: string[];
}

const LABEL_NAMES = /^(label|labels|target|y|class|outcome|income)$/i;
const GROUP_NAMES = /^(sex|gender|race|ethnicity|age_group|agegroup|age_bucket|religion|nationality|country|disability|marital_status|group|skin_tone|region)$/i;
const AUTO_NAMES = /mask|token_type_ids|segment_ids|position_ids/i;
const TEXT_NAMES = /^(text|sentence|review|comment|content|prompt|input_text)$/i;

/** Proposes label, groups and an input mapping per model input (see module doc). */
export function suggestSpec(modelInputs: readonly ModelInputInfo[], columns: readonly ColumnProfile[], hints: SuggestHints = {}): SpecSuggestion {
  const notes: string[] = [];
  const label = hints.label ?? columns.find((c) => LABEL_NAMES.test(c.name))?.name;
  const groups = hints.groups ? [...hints.groups] : columns.filter((c) => GROUP_NAMES.test(c.name) && c.name !== label).map((c) => c.name);
  const reserved = new Set([label, ...groups].filter((c): c is string => c !== undefined));
  const files = hints.files ?? [];
  const inputs: Record<string, InputMapping> = {};
  const hasSequence = modelInputs.some((i) => isSequence(i) && !AUTO_NAMES.test(i.name));

  for (const input of modelInputs) {
    const dtype = normalizeDtype(input.dtype);
    const rank = input.shape?.length;
    const described = `${input.name} (${input.dtype} ${showShape(input.shape)})`;
    if (hasSequence && AUTO_NAMES.test(input.name)) continue; // filled by the encoder
    if ((dtype === 'float32' || dtype === 'float64') && (rank === 2 || rank === undefined)) {
      const numeric = columns.filter((c) => c.kind === 'number' && !reserved.has(c.name)).map((c) => c.name);
      const width = input.shape?.[1];
      if (numeric.length === 0) notes.push(`${described}: no numeric columns to map`);
      else {
        inputs[input.name] = { columns: numeric };
        if (typeof width === 'number' && width !== numeric.length) notes.push(`${described}: the model takes ${width} features, ${numeric.length} numeric columns were found: edit "columns"`);
      }
    } else if (isSequence(input)) {
      const ids = pickIdsColumn(input.name, columns);
      const text = columns.find((c) => c.kind === 'string' && TEXT_NAMES.test(c.name));
      const tokenizer = files.find((f) => basename(f) === 'tokenizer.json');
      if (ids) inputs[input.name] = { column: ids };
      else if (text && tokenizer) inputs[input.name] = { text: text.name, tokenizer };
      else notes.push(`${described}: no column of token-id arrays${text ? ` and no tokenizer.json for text column "${text.name}"` : ''}`);
    } else if (rank !== undefined && rank >= 3) {
      const npy = files.filter((f) => extname(f) === '.npy');
      const stem = hints.dataPath ? basename(hints.dataPath, extname(hints.dataPath)) : undefined;
      const pick = npy.find((f) => basename(f, '.npy') === input.name) ?? npy.find((f) => stem !== undefined && basename(f, '.npy').startsWith(stem)) ?? npy[0];
      if (pick) inputs[input.name] = { npy: pick };
      else {
        inputs[input.name] = { npy: `${stem ?? input.name}.npy` };
        notes.push(`${described}: expects an .npy array with one row per data row; ${stem ?? input.name}.npy was not found`);
      }
    } else {
      notes.push(`${described}: no mapping could be proposed`);
    }
  }
  if (label === undefined) notes.push('no label column found: set "label"');
  return { inputs, ...(label !== undefined ? { label } : {}), groups, notes };
}

function isSequence(input: ModelInputInfo): boolean {
  const dtype = normalizeDtype(input.dtype);
  return (dtype === 'int64' || dtype === 'int32') && (input.shape?.length ?? 2) === 2;
}

function pickIdsColumn(inputName: string, columns: readonly ColumnProfile[]): string | undefined {
  const arrays = columns.filter((c) => c.kind === 'int-array');
  return (arrays.find((c) => c.name === inputName) ?? arrays.find((c) => /ids|tokens/i.test(c.name)) ?? arrays[0])?.name;
}
