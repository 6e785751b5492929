/**
 * The candidate columns of slice discovery (`slices.columns`, FORMULAS.md §E) suggested for a
 * guided spec (issue #16): every metadata column of the data is picked — the group columns and
 * the columns the model does not read — and the label, row ids and model features are offered
 * unpicked, each with the reason. Pure: the caller profiles the first rows.
 */
import type { ColumnProfile, GroupOption } from './suggest';
import type { AnalysisSpec, InputMapping } from './spec-types';

/** A candidate column; `picked` ones are the default `slices.columns`. */
export type SliceColumnOption = GroupOption;

/** Columns a mapping reads (features, token ids, text). */
function mappedColumns(m: InputMapping): string[] {
  if ('columns' in m) return [...m.columns];
  if ('column' in m) return [m.column];
  if ('text' in m) return [m.text];
  return [];
}

/**
 * Ranks the data's columns as slice candidates for `spec` (its label, groups and input mappings),
 * in file order within picked, then unpicked; `idColumns` are the row ids the suggestions found.
 */
export function suggestSliceColumns(columns: readonly ColumnProfile[], spec: Pick<AnalysisSpec, 'label' | 'groups' | 'inputs' | 'weight'>, idColumns: readonly string[]): SliceColumnOption[] {
  const features = new Map<string, string>();
  for (const [input, m] of Object.entries(spec.inputs ?? {})) for (const c of mappedColumns(m)) features.set(c, input);
  const picked: SliceColumnOption[] = [];
  const offered: SliceColumnOption[] = [];
  for (const c of columns) {
    const values = `${c.distinct} value${c.distinct === 1 ? '' : 's'} in the first ${c.rows} rows`;
    const not = (why: string, fits = true): void => { offered.push({ value: c.name, reason: `not suggested: ${why}`, fits, picked: false }); };
    if (c.name === spec.label) not('the label (slices are searched for its errors)', false);
    else if (idColumns.includes(c.name)) not(`row id (${values}): one row per value`);
    else if (features.has(c.name)) not(`a feature of model input "${features.get(c.name)}"; pick it to slice by its values too`);
    else if (c.name === spec.weight) not('the sample weight');
    else if (c.kind === 'int-array') not('token-id arrays', false);
    else if (c.kind === 'empty') not(`empty in the first ${c.rows} rows`, false);
    else if (spec.groups?.includes(c.name)) picked.push({ value: c.name, reason: `group column, ${values}`, fits: true, picked: true });
    else picked.push({ value: c.name, reason: `metadata the model does not read: ${c.kind === 'number' ? 'numbers (binned)' : 'text'}, ${values}`, fits: true, picked: true });
  }
  return [...picked, ...offered];
}
