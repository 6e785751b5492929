/**
 * Spec suggestions for a model file and a data file (issue #16): the one entry the CLI's `init`
 * and the guided flow in VS Code share. Reads the model's summary and the data's first rows,
 * lists the files next to the data, and asks core/data's pure `suggestSpec`.
 */
import { readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { BadInputError } from '../errors';
import {
  acceptSuggestions, openTable, profileColumns, suggestSpec, isNpyMapping, isTextMapping,
  type AnalysisSpec, type ColumnProfile, type InputMapping, type RowBatch, type SpecSuggestions, type SuggestHints,
} from '../data';
import { inspectModel } from '../onnx';
import type { ModelSummary } from '../../protocol/model';

export interface FileSuggestions {
  readonly model: ModelSummary;
  readonly columns: readonly ColumnProfile[];
  readonly suggestions: SpecSuggestions;
}

/** Rows profiled to suggest columns (the first batch of the file). */
export const PROFILE_ROWS = 512;

/** Profiles the data's first rows once; `suggestFor` can then be asked again as choices are made. */
export async function profileData(dataPath: string, signal?: AbortSignal): Promise<ColumnProfile[]> {
  const table = await openTable(dataPath, { batchRows: PROFILE_ROWS, ...(signal ? { signal } : {}) });
  try {
    let first: RowBatch | undefined;
    for await (const batch of table.batches()) { first = batch; break; }
    if (!first || first.length === 0) throw new BadInputError('data.empty', `${dataPath}: the data file has no rows`, { file: dataPath });
    return profileColumns(first, table.columns);
  } finally {
    await table.close();
  }
}

/** Absolute paths of the files next to the data (to find a tokenizer.json or row-aligned .npy). */
export async function filesNextTo(dataPath: string): Promise<string[]> {
  const folder = dirname(resolve(dataPath));
  try {
    return (await readdir(folder)).sort().map((f) => join(folder, f));
  } catch {
    return [];
  }
}

/** Reads the model and the data and returns the ranked suggestions (hints are choices made). */
export async function suggestForFiles(modelPath: string, dataPath: string, hints: Pick<SuggestHints, 'label' | 'groups' | 'task'> = {}, signal?: AbortSignal): Promise<FileSuggestions> {
  const model = await inspectModel(resolve(modelPath));
  const columns = await profileData(resolve(dataPath), signal);
  const files = await filesNextTo(dataPath);
  return { model, columns, suggestions: suggestSpec(model, columns, { ...hints, dataPath: resolve(dataPath), files }) };
}

/**
 * The spec of every accepted suggestion, its paths (model, data, .npy, tokenizer) relative to the
 * folder of the spec file it will be written to. Explicit mappings in `inputs` replace suggested ones.
 */
export function specFromSuggestions(
  s: SpecSuggestions, paths: { readonly model: string; readonly data: string; readonly specPath: string },
  hints: Pick<SuggestHints, 'label' | 'groups' | 'task'> & { readonly inputs?: Readonly<Record<string, InputMapping>> } = {},
): AnalysisSpec {
  const folder = dirname(resolve(paths.specPath));
  const rel = (p: string): string => (isAbsolute(p) ? relative(folder, p) || '.' : p);
  const spec = acceptSuggestions(s, { model: rel(resolve(paths.model)), data: rel(resolve(paths.data)) }, hints);
  const inputs: Record<string, InputMapping> = {};
  for (const [name, m] of Object.entries({ ...spec.inputs, ...hints.inputs })) {
    inputs[name] = isNpyMapping(m) ? { npy: rel(m.npy) } : isTextMapping(m) ? { ...m, tokenizer: rel(m.tokenizer) } : m;
  }
  return { ...spec, inputs };
}
