/**
 * Ranked suggestions for a spec (issue #16), from everything known before a run: the model's
 * inputs and outputs (names, dtypes, shapes, metadata) and a profile of the data's first rows.
 * Pure: the caller profiles a first batch and lists the files next to the data. Every suggestion
 * carries the reason it is made ("2 values, matches the [N, 2] output"), so the guided flow and
 * `bias-inspector init` can show why; a choice that cannot be decided (more columns fit an
 * input than its width) is marked for the user to make, never guessed silently.
 */
import { basename, extname } from 'node:path';
import { intArrayCell, numericCell } from './cells';
import type { AnalysisSpec, InputMapping, OutputKind, Task } from './spec-types';
import type { RowBatch } from './table';
import { normalizeDtype, showShape, type ModelInputInfo } from './tensors';

export type ColumnKind = 'number' | 'int-array' | 'string' | 'empty';

export interface ColumnProfile {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Distinct non-missing values in the profiled rows. */
  readonly distinct: number;
  /** Rows profiled, and how many of them hold a value in this column. */
  readonly rows: number;
  readonly present: number;
  /** Every present value is an integer (numbers only). */
  readonly integer: boolean;
  /** Numbers strictly increasing down the rows (a row counter). */
  readonly increasing: boolean;
  /** Mean length of the text cells (strings only, else 0). */
  readonly meanLength: number;
  /** The distinct values as text, sorted, when there are at most 20 of them. */
  readonly values?: readonly string[];
}

const MAX_LISTED_VALUES = 20;

/** Classifies each column by its non-missing cells in a sample batch. */
export function profileColumns(batch: RowBatch, columns: readonly string[]): ColumnProfile[] {
  return columns.map((name) => {
    const cells = batch.column(name).filter((c) => numericCell(c).kind !== 'missing');
    const texts = cells.map((c) => (typeof c === 'object' ? JSON.stringify(c) : String(c)));
    const distinctValues = new Set(texts);
    let kind: ColumnKind = 'empty';
    const numbers: number[] = [];
    if (cells.length > 0) {
      for (const c of cells) {
        const n = numericCell(c);
        if (n.kind !== 'number' || typeof c === 'boolean') break;
        numbers.push(n.value);
      }
      if (numbers.length === cells.length) kind = 'number';
      else if (cells.every((c) => Array.isArray(intArrayCell(c)))) kind = 'int-array';
      else kind = 'string';
    }
    const isNumber = kind === 'number';
    const strings = kind === 'string' ? texts : [];
    return {
      name, kind, distinct: distinctValues.size, rows: batch.length, present: cells.length,
      integer: isNumber && numbers.every(Number.isInteger),
      increasing: isNumber && numbers.length > 1 && numbers.every((v, i) => i === 0 || v > numbers[i - 1]!),
      meanLength: strings.length > 0 ? strings.reduce((s, t) => s + t.length, 0) / strings.length : 0,
      ...(distinctValues.size <= MAX_LISTED_VALUES ? { values: [...distinctValues].sort(compareValues) } : {}),
    };
  });
}

function compareValues(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  return Number.isFinite(x) && Number.isFinite(y) ? x - y : a < b ? -1 : a > b ? 1 : 0;
}

/** What the model says about itself (core/onnx's summary has these fields). */
export interface ModelFacts {
  readonly inputs: readonly ModelInputInfo[];
  readonly outputs: readonly ModelInputInfo[];
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface SuggestHints {
  /** Choices already made (flags, earlier steps of the flow): they win over suggestions. */
  readonly label?: string;
  readonly groups?: readonly string[];
  readonly task?: Task;
  /** The data file (its stem names a matching .npy). */
  readonly dataPath?: string;
  /** Files next to the data (names or paths), to find .npy arrays and a tokenizer.json. */
  readonly files?: readonly string[];
}

/** One ranked option and why; `fits` is false for options shown only to say why they do not fit. */
export interface Ranked<T> {
  readonly value: T;
  readonly reason: string;
  readonly fits: boolean;
}

/** A group column option; `picked` ones are pre-selected. */
export interface GroupOption extends Ranked<string> { readonly picked: boolean }

/** What the model's output says the task is. */
export type ModelTask = Task | 'language_model';

export interface InputSuggestion {
  readonly input: string;
  /** "x (float32 [N, 5])" */
  readonly described: string;
  /** The proposed mapping; absent when none could be proposed (see reason). */
  readonly mapping?: InputMapping;
  readonly reason: string;
  /** More columns fit than the input's width: `width` of `candidates` (file order) must be chosen. */
  readonly choose?: { readonly width: number; readonly candidates: readonly string[] };
}

export interface SpecSuggestions {
  /** The output to evaluate and how to read it. */
  readonly output?: { readonly name: string; readonly kind: OutputKind; readonly reason: string };
  /** Task options, best first (empty for a language model: its analyses need no task). */
  readonly tasks: readonly Ranked<ModelTask>[];
  /** Label options, best first; unfit ones last with the reason. */
  readonly labels: readonly Ranked<string>[];
  /** Group column options, picked ones first. */
  readonly groups: readonly GroupOption[];
  /** Columns that identify rows: never labels, groups or features. */
  readonly idColumns: readonly string[];
  readonly inputs: readonly InputSuggestion[];
  /** A binary label of two words other than 0/1, true/false, yes/no: the class taken as positive. */
  readonly positiveLabel?: { readonly value: string; readonly reason: string };
  /** Problems that stop a runnable spec (no label that fits, an input without mapping...). */
  readonly problems: readonly string[];
}

const LABEL_NAMES = /^(label|labels|target|targets|y|class|outcome|ground_truth|truth|gt)$/i;
const LABEL_ISH = /(^|_)(label|target|outcome|class)($|_)/i;
const GROUP_NAMES = /^(sex|gender|race|ethnicity|age_group|agegroup|age_bucket|age_band|religion|nationality|country|disability|marital_status|group|skin_tone|region|identity|source|language)$/i;
const ID_NAMES = /^(id|ids|idx|index|row|row_id|rowid|uid|uuid|key|record_id|sample_id|example_id|.*_id)$/i;
const AUTO_NAMES = /mask|token_type_ids|segment_ids|position_ids/i;
const TEXT_NAMES = /^(text|sentence|review|comment|content|prompt|input_text|body|document)$/i;
const PROB_OUTPUT = /prob|softmax|sigmoid/i;
/** Group columns have few values; more than this in the profiled rows is not a group. */
const MAX_GROUP_DISTINCT = 50;

/** Ranked suggestions for every part of a spec (see module doc). */
export function suggestSpec(model: ModelFacts, columns: readonly ColumnProfile[], hints: SuggestHints = {}): SpecSuggestions {
  const problems: string[] = [];
  const byName = new Map(columns.map((c) => [c.name, c]));
  const idColumns = columns.filter(isIdLike).map((c) => c.name);
  const metaNames = metadataColumnLists(model.metadata ?? {}, byName);
  const output = pickOutput(model.outputs);
  const shape = output ? describeOutput(output) : undefined;

  const candidates = columns.filter((c) => !idColumns.includes(c.name) && (c.kind === 'number' || c.kind === 'string'));
  const labels = shape?.modelTask === 'language_model' ? [] : rankLabels(candidates, shape, metaNames.label, hints.task);
  const label = hints.label ?? labels.find((l) => l.fits)?.value;
  const tasks = rankTasks(shape, label === undefined ? undefined : byName.get(label), hints.task);
  const task = hints.task ?? (tasks[0]?.value !== 'language_model' ? tasks[0]?.value : undefined);

  const positiveLabel = task === 'binary' && label !== undefined ? suggestPositive(byName.get(label)) : undefined;
  const groups = rankGroups(candidates.filter((c) => c.name !== label), hints.groups);
  const chosenGroups = hints.groups ?? groups.filter((g) => g.picked).map((g) => g.value);
  // A column named like a label is never a feature, even when another column was chosen as the label.
  const labelNamed = columns.filter((c) => LABEL_NAMES.test(c.name) && c.name !== label).map((c) => [c.name, 'named like a label'] as const);
  const reserved = new Map<string, string>([
    ...idColumns.map((c) => [c, 'row id'] as const), ...chosenGroups.map((g) => [g, 'group'] as const), ...labelNamed,
    ...(label === undefined ? [] : [[label, 'label'] as const]),
  ]);
  const inputs = suggestInputs(model.inputs, columns, reserved, metaNames.features, hints);
  for (const i of inputs) if (!i.mapping) problems.push(`${i.described}: ${i.reason}`);
  if (shape?.modelTask !== 'language_model') {
    if (label === undefined) problems.push(labels.length ? `no column fits as the label: ${labels.map((l) => `${l.value} (${l.reason})`).join('; ')}` : 'no column can be the label');
    else if (byName.get(label) === undefined) problems.push(`label "${label}" is not a column of the data`);
  }
  if (hints.groups) for (const g of hints.groups) if (!byName.has(g)) problems.push(`group "${g}" is not a column of the data`);
  if (!output) problems.push('the model has no outputs');
  const outKind: OutputKind = task === 'regression' ? 'regression' : output && PROB_OUTPUT.test(output.name) ? 'probabilities' : 'logits';
  return {
    ...(output && shape ? { output: { name: output.name, kind: outKind, reason: `${output.name} ${shape.dims}${outKind === 'probabilities' ? ', named as probabilities' : ''}` } } : {}),
    tasks, labels, groups, idColumns, inputs, ...(positiveLabel ? { positiveLabel } : {}), problems,
  };
}

/**
 * The spec that accepting every suggestion gives (choices in `hints` win), for the data and model
 * paths as they should be written. Undefined fields are left out.
 */
export function acceptSuggestions(s: SpecSuggestions, paths: { readonly model: string; readonly data: string }, hints: Pick<SuggestHints, 'label' | 'groups' | 'task'> = {}): AnalysisSpec {
  const modelTask = hints.task ?? s.tasks[0]?.value;
  const task: Task = modelTask === undefined || modelTask === 'language_model' ? 'binary' : modelTask;
  const label = hints.label ?? s.labels.find((l) => l.fits)?.value;
  const groups = hints.groups ?? s.groups.filter((g) => g.picked).map((g) => g.value);
  const inputs = Object.fromEntries(s.inputs.flatMap((i) => (i.mapping ? [[i.input, i.mapping] as const] : [])));
  const outputKind: OutputKind | undefined = s.output ? (task === 'regression' ? 'regression' : s.output.kind === 'regression' ? 'logits' : s.output.kind) : undefined;
  return {
    model: paths.model,
    data: paths.data,
    inputs,
    ...(s.output ? { output: s.output.name } : {}),
    ...(outputKind ? { outputKind } : {}),
    task,
    ...(label !== undefined && modelTask !== 'language_model' ? { label } : {}),
    groups: [...groups],
    ...(s.positiveLabel && task === 'binary' ? { positiveLabel: s.positiveLabel.value } : {}),
    loss: task === 'regression' ? 'mse' : 'cross_entropy',
  };
}

const BINARY_WORDS = new Set(['0', '1', 'true', 'false', 'yes', 'no']);
const POSITIVE_WORDS = /^(positive|pos|approved?|accept(ed)?|hired|default|good|high|spam|toxic|fraud|sick|admit(ted)?)$/i;

/** Two label words the encoder cannot read as 0/1: which one is the positive class. */
function suggestPositive(c: ColumnProfile | undefined): { value: string; reason: string } | undefined {
  const values = c?.values;
  if (!c || c.kind !== 'string' || !values || values.length !== 2 || values.every((v) => BINARY_WORDS.has(v.trim().toLowerCase()))) return undefined;
  const named = values.find((v) => POSITIVE_WORDS.test(v.trim()));
  const value = named ?? values[1]!;
  const other = values.find((v) => v !== value)!;
  return { value, reason: `"${value}" is taken as the positive class (the other value is "${other}")${named ? '' : ': the later in sorted order, nothing names it positive'}` };
}

/** A row identifier: named like one, or an integer counter that increases row by row. */
function isIdLike(c: ColumnProfile): boolean {
  if (ID_NAMES.test(c.name) && c.kind !== 'int-array' && !GROUP_NAMES.test(c.name)) return c.distinct > MAX_GROUP_DISTINCT || c.distinct === c.present;
  if (c.kind === 'number') return c.integer && c.increasing && c.present === c.rows && c.rows > 2;
  // Unique short codes in every row (a uuid, a customer number as text).
  return c.kind === 'string' && c.present === c.rows && c.rows > 2 && c.distinct === c.present && c.meanLength < 40 && !TEXT_NAMES.test(c.name) && /^[\w-]+$/.test(c.name) && /(^|_)(id|key|uuid|code)$/i.test(c.name);
}

/**
 * The model's language-model output ([B, T, V] logits: the first float output has rank 3), as the
 * spec suggestions read it; undefined for any other model. The model editor shows its probe
 * launcher, and the guided flow suggests a probe spec, by this one test.
 */
export function languageModelOutput(model: Pick<ModelFacts, 'outputs'>): { readonly name: string; readonly vocab?: number; readonly reason: string } | undefined {
  const output = pickOutput(model.outputs);
  if (!output) return undefined;
  const shape = describeOutput(output);
  if (shape.modelTask !== 'language_model') return undefined;
  return { name: output.name, ...(shape.width !== undefined ? { vocab: shape.width } : {}), reason: `output "${output.name}" ${shape.dims} scores a vocabulary at every position` };
}

interface OutputShape {
  readonly modelTask?: ModelTask;
  /** Values per row of the output (its last dim), when fixed. */
  readonly width?: number;
  /** "[N, 2]" */
  readonly dims: string;
}

/** The first float output (skips e.g. an int64 "predicted label" output some exporters add). */
function pickOutput(outputs: readonly ModelInputInfo[]): ModelInputInfo | undefined {
  return outputs.find((o) => { const d = normalizeDtype(o.dtype); return d === 'float32' || d === 'float64' || d === 'float16'; }) ?? outputs[0];
}

function describeOutput(o: ModelInputInfo): OutputShape {
  const dims = showShape(o.shape);
  const rank = o.shape?.length;
  const last = o.shape?.at(-1);
  const width = typeof last === 'number' ? last : undefined;
  if (rank === 3) return { modelTask: 'language_model', ...(width !== undefined ? { width } : {}), dims };
  if (rank === 1) return { width: 1, dims };
  if (rank === 2 && width !== undefined) {
    if (width === 2) return { modelTask: 'binary', width, dims };
    if (width > 2) return { modelTask: 'multiclass', width, dims };
    return { width, dims };
  }
  return { dims };
}

/** How well a column fits as the label of a task; a reason either way. */
function labelFit(c: ColumnProfile, task: Task, shape: OutputShape | undefined): { fits: boolean; reason: string } {
  const values = `${c.distinct} value${c.distinct === 1 ? '' : 's'}`;
  const width = shape?.width;
  const out = shape === undefined ? 'the output' : `the ${shape.dims} output`;
  switch (task) {
    case 'binary': {
      if (c.distinct === 2 || c.distinct === 1) return { fits: true, reason: `${values}, matches ${out}` };
      return { fits: false, reason: `${values}, ${out} needs 2` };
    }
    case 'multiclass': {
      const indexes = c.kind === 'string' || (c.integer && (c.values ?? []).every((v) => Number(v) >= 0 && (width === undefined || Number(v) < width)));
      const ok = c.distinct >= 2 && (width === undefined || c.distinct <= width) && indexes;
      const classes = width === undefined ? 'its classes' : `${width} classes`;
      return ok ? { fits: true, reason: `${values}, matches ${out} (${classes})` } : { fits: false, reason: `${values}${c.kind === 'number' && !c.integer ? ' (not whole numbers)' : ''}, ${out} scores ${classes}` };
    }
    case 'regression':
      if (c.kind !== 'number') return { fits: false, reason: `text, ${out} is a number` };
      if (width !== undefined && width !== 1) return { fits: false, reason: `numbers, ${values}, but ${out} holds ${width} values per row, not one` };
      return { fits: true, reason: `numbers, ${values}, fits ${out}` };
  }
}

/** The tasks a column may be the label of, given the output's shape (best first). */
function tasksFor(shape: OutputShape | undefined, c: ColumnProfile, forced?: Task): Task[] {
  if (forced) return [forced];
  if (shape?.modelTask === 'binary' || shape?.modelTask === 'multiclass') return [shape.modelTask];
  if (c.distinct <= 2) return ['binary'];
  if (shape?.width === 1) return ['regression'];
  return c.kind === 'number' && !(c.integer && c.distinct <= MAX_LISTED_VALUES) ? ['regression'] : ['multiclass'];
}

function rankLabels(candidates: readonly ColumnProfile[], shape: OutputShape | undefined, metaLabel: string | undefined, forced?: Task): Ranked<string>[] {
  const scored = candidates.map((c, i) => {
    const task = tasksFor(shape, c, forced)[0]!;
    const fit = labelFit(c, task, shape);
    const named = LABEL_NAMES.test(c.name) ? 4 : LABEL_ISH.test(c.name) ? 2 : 0;
    const meta = metaLabel === c.name ? 6 : 0;
    // Any numeric column "fits" a regression output: only a name says which one is the label.
    const sensitive = GROUP_NAMES.test(c.name) && named + meta === 0;
    const fits = fit.fits && !sensitive && (task !== 'regression' || named + meta > 0);
    const why = !fit.fits || fits ? '' : sensitive ? 'named like a sensitive attribute' : 'not named like a label';
    const reasons = [meta ? 'named by the model\'s metadata' : '', named ? 'named like a label' : '', fit.reason, why].filter(Boolean);
    // A 0/1 number column is a likelier binary label than two words; a later column breaks ties.
    const score = (fits ? 10 : 0) + named + meta + (c.kind === 'number' ? 0.5 : 0) + i / (candidates.length * 10);
    return { value: c.name, reason: reasons.join(', '), fits, score };
  });
  return scored.sort((a, b) => b.score - a.score).map(({ value, reason, fits }) => ({ value, reason, fits }));
}

function rankTasks(shape: OutputShape | undefined, label: ColumnProfile | undefined, forced?: Task): Ranked<ModelTask>[] {
  if (shape?.modelTask === 'language_model') {
    return [{ value: 'language_model', reason: `the output ${shape.dims} scores a vocabulary at every position`, fits: true }];
  }
  const fromOutput = shape?.modelTask;
  const best = forced ?? (label ? tasksFor(shape, label)[0] : fromOutput);
  const ranked = (['binary', 'multiclass', 'regression'] as const).map((t): Ranked<ModelTask> => {
    const outputFits = fromOutput !== undefined ? fromOutput === t : !(shape?.width === 1 && t === 'multiclass');
    const byLabel = label ? labelFit(label, t, shape) : undefined;
    const output = shape === undefined ? '' : fromOutput === t ? `the output ${shape.dims} fits` : outputFits ? '' : `the output ${shape.dims} does not fit`;
    const reason = [t === forced ? 'chosen' : '', output, byLabel ? `label "${label!.name}": ${byLabel.reason}` : ''].filter(Boolean).join('; ');
    return { value: t, reason: reason || 'nothing indicates it', fits: t === best || (outputFits && (byLabel?.fits ?? true)) };
  });
  return ranked.sort((a, b) => Number(b.value === best) - Number(a.value === best) || Number(b.fits) - Number(a.fits));
}

function rankGroups(candidates: readonly ColumnProfile[], chosen: readonly string[] | undefined): GroupOption[] {
  const options: (GroupOption & { score: number })[] = [];
  candidates.forEach((c, i) => {
    const named = GROUP_NAMES.test(c.name);
    const few = c.distinct >= 1 && c.distinct <= MAX_GROUP_DISTINCT && c.distinct < Math.max(3, c.present / 2);
    const values = `${c.distinct} value${c.distinct === 1 ? '' : 's'}${c.values && c.values.length <= 6 ? ` (${c.values.join(', ')})` : ''}`;
    if (named && few) options.push({ value: c.name, reason: `named like a sensitive attribute, ${values}`, fits: true, picked: true, score: 3 - i / 1000 });
    else if (c.kind === 'string' && few) options.push({ value: c.name, reason: `categories, ${values}`, fits: true, picked: false, score: 2 - i / 1000 });
    else if (c.kind === 'number' && c.integer && few && c.distinct <= 10) options.push({ value: c.name, reason: `whole numbers, ${values}`, fits: true, picked: false, score: 1 - i / 1000 });
    else if (named) options.push({ value: c.name, reason: `named like a sensitive attribute, but ${values} in the first ${c.rows} rows`, fits: false, picked: false, score: 0 - i / 1000 });
  });
  // No column named like a sensitive attribute: the text categories are the first offer.
  if (!options.some((o) => o.picked)) for (const [k, o] of options.entries()) if (o.score >= 2 && o.score < 3) options[k] = { ...o, picked: true };
  const ranked = options.sort((a, b) => b.score - a.score).map(({ score: _score, ...o }) => o);
  if (!chosen) return ranked;
  const known = new Set(ranked.map((o) => o.value));
  return [
    ...chosen.map((g) => ({ value: g, reason: known.has(g) ? `chosen; ${ranked.find((o) => o.value === g)!.reason}` : 'chosen', fits: true, picked: true })),
    ...ranked.filter((o) => !chosen.includes(o.value)).map((o) => ({ ...o, picked: false })),
  ];
}

/**
 * Column lists named in the model's metadata: a value that is a JSON array or a comma list of
 * data columns (e.g. `feature_names`), and a key like `label`/`target` whose value is a column.
 */
function metadataColumnLists(metadata: Readonly<Record<string, string>>, columns: ReadonlyMap<string, ColumnProfile>): { features?: { key: string; columns: string[] }; label?: string } {
  let features: { key: string; columns: string[] } | undefined;
  let label: string | undefined;
  for (const [key, value] of Object.entries(metadata)) {
    const trimmed = value.trim();
    if (/label|target|outcome/i.test(key) && columns.has(trimmed)) label ??= trimmed;
    let list: unknown;
    try { list = trimmed.startsWith('[') ? JSON.parse(trimmed) : trimmed.split(','); } catch { list = undefined; }
    if (!Array.isArray(list)) continue;
    const names = list.map((n) => String(n).trim());
    if (names.length >= 2 && names.every((n) => columns.has(n)) && (!features || names.length > features.columns.length)) features = { key, columns: names };
  }
  return { ...(features ? { features } : {}), ...(label !== undefined ? { label } : {}) };
}

function suggestInputs(
  modelInputs: readonly ModelInputInfo[], columns: readonly ColumnProfile[], reserved: ReadonlyMap<string, string>,
  metaFeatures: { key: string; columns: string[] } | undefined, hints: SuggestHints,
): InputSuggestion[] {
  const files = hints.files ?? [];
  const used = new Set<string>();
  const hasSequence = modelInputs.some((i) => isSequence(i) && !AUTO_NAMES.test(i.name));
  const out: InputSuggestion[] = [];
  for (const input of modelInputs) {
    const described = `${input.name} (${input.dtype} ${showShape(input.shape)})`;
    if (hasSequence && AUTO_NAMES.test(input.name)) continue; // filled by the encoder
    const base = { input: input.name, described };
    const dtype = normalizeDtype(input.dtype);
    const rank = input.shape?.length;
    if ((dtype === 'float32' || dtype === 'float64') && (rank === 2 || rank === undefined)) {
      out.push({ ...base, ...numericMapping(input, columns, reserved, used, metaFeatures) });
    } else if (isSequence(input)) {
      out.push({ ...base, ...sequenceMapping(input, columns, reserved, files) });
    } else if (rank !== undefined && rank >= 3) {
      out.push({ ...base, ...npyMapping(input, files, hints.dataPath) });
    } else {
      out.push({ ...base, reason: `no mapping for a ${input.dtype} input of rank ${rank ?? 'unknown'}: write it in "inputs"` });
    }
  }
  return out;
}

function numericMapping(
  input: ModelInputInfo, columns: readonly ColumnProfile[], reserved: ReadonlyMap<string, string>, used: Set<string>,
  meta: { key: string; columns: string[] } | undefined,
): Omit<InputSuggestion, 'input' | 'described'> {
  const width = typeof input.shape?.[1] === 'number' ? input.shape[1] : undefined;
  const wide = width === undefined ? 'the input' : `the ${width}-wide input`;
  const byName = columns.find((c) => c.name === input.name && c.kind === 'number' && !used.has(c.name));
  if (byName && (width === undefined || width === 1)) {
    used.add(byName.name);
    return { mapping: { columns: [byName.name] }, reason: `the column named like the input` };
  }
  if (meta && (width === undefined || meta.columns.length === width) && meta.columns.every((c) => !used.has(c))) {
    meta.columns.forEach((c) => used.add(c));
    return { mapping: { columns: meta.columns }, reason: `the model's metadata "${meta.key}" lists these ${meta.columns.length} columns` };
  }
  const fit = columns.filter((c) => c.kind === 'number' && !reserved.has(c.name) && !used.has(c.name)).map((c) => c.name);
  const skipped = columns.filter((c) => c.kind === 'number' && reserved.has(c.name)).map((c) => `${c.name} (${reserved.get(c.name)})`);
  const left = skipped.length > 0 ? `; left out: ${skipped.join(', ')}` : '';
  if (fit.length === 0) return { reason: `no numeric column left for ${wide}${left}` };
  if (width !== undefined && fit.length < width) {
    return { reason: `${fit.length} numeric column${fit.length === 1 ? '' : 's'} (${fit.join(', ')}) for ${wide}${left}` };
  }
  if (width !== undefined && fit.length > width) {
    const first = fit.slice(0, width);
    first.forEach((c) => used.add(c));
    return {
      mapping: { columns: first },
      reason: `${fit.length} numeric columns fit ${wide}: choose ${width} (the first ${width} in file order are proposed)`,
      choose: { width, candidates: fit },
    };
  }
  fit.forEach((c) => used.add(c));
  return { mapping: { columns: fit }, reason: `${fit.length} numeric column${fit.length === 1 ? '' : 's'} in file order, ${width === undefined ? 'the input width is not fixed' : `matches ${wide}`}${left}` };
}

function sequenceMapping(input: ModelInputInfo, columns: readonly ColumnProfile[], reserved: ReadonlyMap<string, string>, files: readonly string[]): Omit<InputSuggestion, 'input' | 'described'> {
  const arrays = columns.filter((c) => c.kind === 'int-array' && !reserved.has(c.name));
  const ids = arrays.find((c) => c.name === input.name) ?? arrays.find((c) => /ids|tokens/i.test(c.name)) ?? arrays[0];
  if (ids) return { mapping: { column: ids.name }, reason: `"${ids.name}" holds token-id arrays${ids.name === input.name ? ', named like the input' : ''}` };
  const texts = columns.filter((c) => c.kind === 'string' && !reserved.has(c.name));
  const text = texts.find((c) => TEXT_NAMES.test(c.name)) ?? texts.filter((c) => c.meanLength >= 20 && c.distinct > c.present / 2).sort((a, b) => b.meanLength - a.meanLength)[0];
  const tokenizer = files.find((f) => basename(f) === 'tokenizer.json');
  if (text && tokenizer) return { mapping: { text: text.name, tokenizer }, reason: `"${text.name}" is text (${Math.round(text.meanLength)} characters on average), tokenized with ${basename(tokenizer)}` };
  return { reason: `no column of token-id arrays${text ? ` and no tokenizer.json next to the data for text column "${text.name}"` : ' and no text column'}` };
}

function npyMapping(input: ModelInputInfo, files: readonly string[], dataPath: string | undefined): Omit<InputSuggestion, 'input' | 'described'> {
  const npy = files.filter((f) => extname(f) === '.npy');
  const stem = dataPath ? basename(dataPath, extname(dataPath)) : undefined;
  const byInput = npy.find((f) => basename(f, '.npy') === input.name);
  const byData = npy.find((f) => stem !== undefined && basename(f, '.npy').startsWith(stem));
  const pick = byInput ?? byData ?? npy[0];
  if (!pick) return { reason: `expects an .npy array with one row per data row; no .npy file is next to the data` };
  const why = pick === byInput ? 'named like the input' : pick === byData ? 'named like the data file' : 'the only .npy array next to the data';
  return { mapping: { npy: pick }, reason: `${basename(pick)}, ${why} (rows must align with the data rows)` };
}

function isSequence(input: ModelInputInfo): boolean {
  const dtype = normalizeDtype(input.dtype);
  return (dtype === 'int64' || dtype === 'int32') && (input.shape?.length ?? 2) === 2;
}
