/**
 * Input mapping -> tensors (DESIGN.md §3). An encoder turns each RowBatch into plain typed-array
 * feeds for the model plus the per-row label, group values, weight and likelihood, skipping
 * unusable rows with a counted reason and throwing BadInputError for input that contradicts
 * the spec. The runtime module wraps the feeds into onnxruntime tensors.
 *
 * Mappings: {columns} -> float32/float64 [N, F]; {column} (JSON int arrays) -> int64/int32
 * [N, T] padded to the batch's longest row (or the model's fixed T); {text, tokenizer} ->
 * token ids the same way; {npy} -> the .npy rows aligned with the data rows. Unmapped model
 * inputs named like `attention_mask`/`mask`, `token_type_ids` and `position_ids` are filled
 * automatically from the (first) sequence input, and a decoder's `past_key_values.*` cache with
 * a past length of 0 (FORMULAS.md §H).
 */
import { BadInputError } from '../errors';
import { intArrayCell, showCell } from './cells';
import { openNpy, type NpyArray, type NpyFile } from './npy';
import { hasTypedColumns, type NumericColumn } from './csvBytes';
import { cellError, GroupCollector, LabelParser, numberOrSkip, type CellPlace } from './row-values';
import { SkipTally, type SkipSummary } from './skips';
import { escapePointer } from './json-locate';
import { fieldName } from './spec';
import { isColumnsMapping, isIdsMapping, isNpyMapping, type ResolvedSpec } from './spec-types';
import type { RowBatch, SkipReason, SkippedRow, TableReader } from './table';
import { allocate, get, normalizeDtype, put, showShape, type ModelInputInfo, type TensorArray, type TensorData, type TensorDType } from './tensors';
import { loadTokenizer, type TokenEncoder } from './tokenizer';

/** What the encoder makes of one batch. All per-row arrays cover the used rows only. */
export interface EncodedBatch {
  readonly feeds: Record<string, TensorData>;
  readonly rowsUsed: number;
  /** 1-based data row number of each used row. */
  readonly rowNumbers: Uint32Array;
  /** Labels of used rows: binary 0/1, multiclass class index, regression value (when the spec has a label). */
  readonly labels?: Float64Array;
  /** Sample weights (spec `weight`). */
  readonly weights?: Float64Array;
  /** Likelihood p in (0, 1] (spec `likelihood`, FORMULAS.md A.6). */
  readonly likelihood?: Float64Array;
  /** Group value per group column, per used row; null = missing (counted overall, in no group). */
  readonly groups: Readonly<Record<string, readonly (string | null)[]>>;
  /**
   * The same as codes, one Int32Array per group column in the spec's order: the index of the
   * value in `groupDictionary`, −1 = missing.
   */
  readonly groupCodes: readonly Int32Array[];
  /**
   * Values per group column in code order (first seen first) as of this batch; later batches'
   * dictionaries extend it, so codes keep their meaning for the whole pass.
   */
  readonly groupDictionary: readonly (readonly string[])[];
  /** Token strings per text input, per used row (heatmap labels). */
  readonly tokens: Readonly<Record<string, readonly (readonly string[])[]>>;
  /** Rows of this batch left out, with their reason (including the reader's). */
  readonly skipped: readonly SkippedRow[];
}

export interface EncoderSummary extends SkipSummary {
  /** Data rows read (used + skipped). */
  readonly rows: number;
  readonly rowsUsed: number;
  /** Distinct values seen per group column, sorted. */
  readonly groupValues: Readonly<Record<string, readonly string[]>>;
}

export interface InputEncoder {
  /** Model inputs fed, mapped or automatic. */
  readonly inputNames: readonly string[];
  encode(batch: RowBatch): Promise<EncodedBatch>;
  /**
   * Ends a pass: checks that some rows were used and that .npy inputs had exactly as many rows
   * as the data (`partial`: a row limit ended the pass early, so only that they had the rows
   * read); returns the counts for the report.
   */
  finish(options?: { readonly partial?: boolean }): EncoderSummary;
  close(): Promise<void>;
}

export interface EncoderOptions {
  /** Multiclass without `classes`: labels must be below this (the model's class count). */
  readonly numClasses?: number;
}

type SequencePlan = {
  kind: 'ids' | 'text';
  input: string;
  dtype: TensorDType;
  column: string;
  padId: number;
  maxLength: number | undefined;
  /** The model's fixed sequence length, when its shape has one. */
  fixedLength: number | undefined;
  text?: TokenEncoder;
};
type Plan =
  | { kind: 'columns'; input: string; dtype: TensorDType; columns: readonly string[] }
  | SequencePlan
  | { kind: 'npy'; input: string; dtype: TensorDType; file: NpyFile }
  | { kind: 'auto'; input: string; dtype: TensorDType; fill: 'mask' | 'type_ids' | 'position_ids'; source: string }
  /** An empty `past_key_values.*` cache: dims with the batch axis as −1 and the past length 0. */
  | { kind: 'past'; input: string; dtype: TensorDType; dims: readonly number[] };

type TableInfo = Pick<TableReader, 'path' | 'format' | 'columns' | 'findColumns'>;

/** Builds the encoder; checks every mapped column exists and every model input is fed. */
export async function createInputEncoder(
  spec: ResolvedSpec,
  modelInputs: readonly ModelInputInfo[],
  table: TableInfo,
  options: EncoderOptions = {},
): Promise<InputEncoder> {
  const specName = spec.specPath === '' ? 'the spec' : spec.specPath;
  await checkColumns(spec, table, specName);
  const plans = await buildPlans(spec, modelInputs, specName);
  const place: CellPlace = { file: table.path, format: table.format };
  // Labels are read only for a spec with a task: the analyses that score predictions.
  const labels = spec.label === undefined || spec.task === undefined ? undefined : new LabelParser(spec, place, spec.label, options.numClasses);
  const groups = new GroupCollector(spec.groups, place, spec.maxGroupValues);
  const tally = new SkipTally();
  const typed = new TypedCache();
  let rows = 0;
  let rowsUsed = 0;

  return {
    inputNames: plans.map((p) => p.input),
    async encode(batch) {
      const out = await encodeBatch(batch, spec, plans, place, labels, groups, typed);
      tally.add(out.skipped);
      rowsUsed += out.rowsUsed;
      rows = Math.max(rows, batch.rowNumbers[batch.length - 1] ?? 0, ...out.skipped.map((s) => s.row));
      return out;
    },
    finish(options = {}) {
      if (rowsUsed === 0) {
        throw new BadInputError('no-usable-rows', `${table.path}: no usable rows: all ${rows} data rows were skipped: ${tally.describe()}`, { file: table.path });
      }
      for (const p of plans) {
        if (p.kind === 'npy' && (options.partial ? p.file.rows < rows : p.file.rows !== rows)) {
          throw new BadInputError('npy-rows',
            `${p.file.path}: has ${p.file.rows} rows but ${table.path} has ${rows} data rows; the rows of input "${p.input}" must align one to one with the data rows`,
            { file: p.file.path });
        }
      }
      return { rows, rowsUsed, ...tally.summary(), groupValues: groups.values() };
    },
    async close() {
      for (const p of plans) if (p.kind === 'npy') await p.file.close();
    },
  };
}

async function checkColumns(spec: ResolvedSpec, table: TableInfo, specName: string): Promise<void> {
  const needed: { column: string; pointer: string }[] = [];
  for (const [name, m] of Object.entries(spec.inputs)) {
    const at = `/inputs/${escapePointer(name)}`;
    if (isColumnsMapping(m)) m.columns.forEach((c, i) => needed.push({ column: c, pointer: `${at}/columns/${i}` }));
    else if (isIdsMapping(m)) needed.push({ column: m.column, pointer: `${at}/column` });
    else if (!isNpyMapping(m)) needed.push({ column: m.text, pointer: `${at}/text` });
  }
  if (spec.label !== undefined && spec.task !== undefined) needed.push({ column: spec.label, pointer: '/label' });
  spec.groups.forEach((g, i) => needed.push({ column: g, pointer: `/groups/${i}` }));
  if (spec.weight !== undefined) needed.push({ column: spec.weight, pointer: '/weight' });
  if (spec.likelihood !== undefined) needed.push({ column: spec.likelihood, pointer: '/likelihood' });
  let have = new Set(table.columns);
  // JSONL rows may omit keys: a column the first rows lack is looked for in the rest of the file.
  const absent = needed.filter((n) => !have.has(n.column)).map((n) => n.column);
  if (absent.length > 0 && table.findColumns) {
    await table.findColumns(absent);
    have = new Set(table.columns);
  }
  for (const { column, pointer } of needed) {
    if (!have.has(column)) {
      const list = table.columns.length > 40 ? `${table.columns.slice(0, 40).join(', ')}, ... (${table.columns.length} in all)` : table.columns.join(', ');
      throw new BadInputError('missing-column',
        `${table.path}: no column "${column}" (field "${fieldName(pointer)}" of ${specName}); available columns: ${list}`, { file: table.path });
    }
  }
}

const AUTO_INPUTS: readonly [RegExp, 'mask' | 'type_ids' | 'position_ids'][] = [
  [/mask/i, 'mask'],
  [/token_type_ids|segment_ids/i, 'type_ids'],
  [/position_ids/i, 'position_ids'],
];

const PAST_INPUT = /^past_key_values[._]/i;

/** Dims of an empty cache: batch first (−1), the one axis the graph leaves open is the past length (0). */
function emptyPastDims(shape: ModelInputInfo['shape']): number[] | undefined {
  if (!shape || shape.length < 2) return undefined;
  const open = shape.map((d, i) => (i > 0 && typeof d !== 'number' ? i : -1)).filter((i) => i >= 0);
  if (open.length !== 1) return undefined;
  return shape.map((d, i) => (i === 0 ? -1 : i === open[0] ? 0 : (d as number)));
}

async function buildPlans(spec: ResolvedSpec, modelInputs: readonly ModelInputInfo[], specName: string): Promise<Plan[]> {
  const byName = new Map(modelInputs.map((m) => [m.name, m]));
  const fail = (code: string, pointer: string, cause: string): never => {
    throw new BadInputError(code, `${specName}: field "${fieldName(pointer)}": ${cause}`, spec.specPath === '' ? {} : { file: spec.specPath });
  };
  const plans: Plan[] = [];
  try {
    for (const [name, m] of Object.entries(spec.inputs)) {
      const at = `/inputs/${escapePointer(name)}`;
      const input = byName.get(name) ?? fail('unknown-input', at, `the model has no input "${name}" (its inputs: ${modelInputs.map((i) => i.name).join(', ') || 'none'})`);
      const dtype = normalizeDtype(input.dtype);
      const shape = input.shape;
      const described = `model input "${name}" is ${input.dtype} ${showShape(shape)}`;
      if (isColumnsMapping(m)) {
        if (dtype !== 'float32' && dtype !== 'float64') fail('input-dtype', at, `${described}; a {"columns"} mapping makes float32 or float64`);
        if (shape && (shape.length !== 2 || (typeof shape[1] === 'number' && shape[1] !== m.columns.length))) {
          fail('input-shape', at, `${described}; ${m.columns.length} columns make [N, ${m.columns.length}]${shape.length > 2 ? ' (map it to an .npy file instead)' : ''}`);
        }
        plans.push({ kind: 'columns', input: name, dtype: dtype as TensorDType, columns: m.columns });
      } else if (isNpyMapping(m)) {
        if (dtype === undefined || dtype === 'float16') fail('input-dtype', at, `${described}; an {"npy"} mapping cannot make ${input.dtype}`);
        const file = await openNpy(m.npy);
        plans.push({ kind: 'npy', input: name, dtype: dtype as TensorDType, file });
        checkNpyShape(file, shape, (cause) => fail('input-shape', at, `${described}; ${cause}`));
      } else {
        if (dtype !== 'int64' && dtype !== 'int32') fail('input-dtype', at, `${described}; a token-id mapping makes int64 or int32`);
        if (shape && shape.length !== 2) fail('input-shape', at, `${described}; a token-id mapping makes [N, T]`);
        const fixedLength = typeof shape?.[1] === 'number' ? shape[1] : undefined;
        if (isIdsMapping(m)) {
          plans.push({ kind: 'ids', input: name, dtype: dtype as TensorDType, column: m.column, padId: m.padId ?? 0, maxLength: m.maxLength ?? fixedLength, fixedLength });
        } else {
          const text = await loadTokenizer(m.tokenizer);
          plans.push({ kind: 'text', input: name, dtype: dtype as TensorDType, column: m.text, padId: m.padId ?? text.padId, maxLength: m.maxLength ?? fixedLength, fixedLength, text });
        }
      }
    }
    const firstSequence = plans.find((p): p is SequencePlan => p.kind === 'ids' || p.kind === 'text');
    for (const input of modelInputs) {
      if (Object.hasOwn(spec.inputs, input.name)) continue;
      const fill = AUTO_INPUTS.find(([re]) => re.test(input.name))?.[1];
      const dtype = normalizeDtype(input.dtype);
      const past = PAST_INPUT.test(input.name) && firstSequence && dtype === 'float32' ? emptyPastDims(input.shape) : undefined;
      if (past) {
        plans.push({ kind: 'past', input: input.name, dtype: 'float32', dims: past });
      } else if (fill && firstSequence && dtype !== undefined && dtype !== 'float16') {
        plans.push({ kind: 'auto', input: input.name, dtype, fill, source: firstSequence.input });
      } else {
        fail('unmapped-input', '/inputs', `model input "${input.name}" (${input.dtype} ${showShape(input.shape)}) is not mapped; add "${input.name}": {...} to "inputs"`);
      }
    }
  } catch (err) {
    for (const p of plans) if (p.kind === 'npy') await p.file.close();
    throw err;
  }
  return plans;
}

function checkNpyShape(file: NpyFile, shape: ModelInputInfo['shape'], fail: (cause: string) => never): void {
  const npyShape = file.shape.length === 0 ? [1] : file.shape;
  if (!shape) return;
  if (shape.length !== npyShape.length) fail(`${file.path} has shape (${file.shape.join(', ')}), rank ${npyShape.length}`);
  shape.forEach((d, i) => {
    if (i > 0 && typeof d === 'number' && d !== npyShape[i]) fail(`${file.path} has shape (${file.shape.join(', ')}); axis ${i} differs`);
  });
}

/** Rows of one batch: which are kept, and the values parsed for them. */
class RowMask {
  readonly keep: Uint8Array;
  readonly skipped: SkippedRow[];

  constructor(private readonly batch: RowBatch) {
    this.keep = new Uint8Array(batch.length).fill(1);
    this.skipped = [...batch.skipped];
  }

  skip(i: number, reason: SkipReason): void {
    if (this.keep[i] === 0) return;
    this.keep[i] = 0;
    this.skipped.push({ row: this.batch.rowNumbers[i]!, reason });
  }

  kept(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.keep.length; i++) if (this.keep[i]) out.push(i);
    return out;
  }
}

/** Parses a numeric per-row column; skips rows that have no usable value. */
function numericColumn(
  batch: RowBatch,
  mask: RowMask,
  place: CellPlace,
  column: string,
  reasons: { missing: SkipReason; nonFinite: SkipReason },
  what: string,
  check?: (value: number, row: number) => void,
): Float64Array {
  const values = new Float64Array(batch.length);
  if (hasTypedColumns(batch)) {
    const cells = batch.numbers(column);
    for (let i = 0; i < batch.length; i++) {
      const v = typedNumberOrSkip(batch, cells, i, place, column, reasons, what);
      if (typeof v === 'number') {
        check?.(v, batch.rowNumbers[i]!);
        values[i] = v;
      } else {
        mask.skip(i, v);
      }
    }
    return values;
  }
  const cells = batch.column(column);
  for (let i = 0; i < batch.length; i++) {
    const row = batch.rowNumbers[i]!;
    const v = numberOrSkip(cells[i], place, row, column, reasons, what);
    if (typeof v === 'number') {
      check?.(v, row);
      values[i] = v;
    } else {
      mask.skip(i, v);
    }
  }
  return values;
}

/**
 * What the encoder remembers of typed columns (csvBytes.ts) for a pass: the parsed label and the
 * group code of each distinct text, keyed to the pass's dictionaries (a new pass starts afresh).
 */
class TypedCache {
  private labelTexts: readonly string[] | null = null;
  private labelValues: (number | SkipReason | undefined)[] = [];
  private readonly groupTexts: (readonly string[] | null)[] = [];
  private readonly groupCodes: (number | undefined)[][] = [];

  labels(texts: readonly string[]): (number | SkipReason | undefined)[] {
    if (texts !== this.labelTexts) {
      this.labelTexts = texts;
      this.labelValues = [];
    }
    return this.labelValues;
  }

  groups(k: number, texts: readonly string[]): (number | undefined)[] {
    if (texts !== this.groupTexts[k]) {
      this.groupTexts[k] = texts;
      this.groupCodes[k] = [];
    }
    return this.groupCodes[k]!;
  }
}

/** `numberOrSkip` on a typed column (the cell's text only for the message of a non-number). */
function typedNumberOrSkip(
  batch: RowBatch, cells: NumericColumn, i: number, place: CellPlace, column: string,
  reasons: { missing: SkipReason; nonFinite: SkipReason }, what: string,
): number | SkipReason {
  const status = cells.status[i]!;
  if (status === 1) return reasons.missing;
  if (status === 2) return numberOrSkip(batch.column(column)[i], place, batch.rowNumbers[i]!, column, reasons, what);
  const v = cells.values[i]!;
  return Number.isFinite(v) ? v : reasons.nonFinite;
}

async function encodeBatch(
  batch: RowBatch,
  spec: ResolvedSpec,
  plans: readonly Plan[],
  place: CellPlace,
  labelParser: LabelParser | undefined,
  groups: GroupCollector,
  typed: TypedCache,
): Promise<EncodedBatch> {
  const n = batch.length;
  const mask = new RowMask(batch);

  let labels: Float64Array | undefined;
  if (labelParser && spec.label !== undefined) {
    labels = new Float64Array(n);
    if (hasTypedColumns(batch) && spec.task !== 'regression') {
      // each distinct label text is parsed once, at its first row (the parser's state changes only there)
      const { ids, values } = batch.categories(spec.label);
      const parsed = typed.labels(values);
      for (let i = 0; i < n; i++) {
        const id = ids[i]!;
        let v = parsed[id];
        if (v === undefined) {
          v = labelParser.parse(values[id], batch.rowNumbers[i]!);
          parsed[id] = v;
        }
        if (typeof v === 'number') labels[i] = v;
        else mask.skip(i, v);
      }
    } else if (hasTypedColumns(batch)) {
      const column = spec.label;
      const cells = batch.numbers(column);
      for (let i = 0; i < n; i++) {
        const v = typedNumberOrSkip(batch, cells, i, place, column, { missing: 'missing label', nonFinite: 'non-finite label' }, 'a regression label');
        if (typeof v === 'number') labels[i] = v;
        else mask.skip(i, v);
      }
    } else {
      const cells = batch.column(spec.label);
      for (let i = 0; i < n; i++) {
        const v = labelParser.parse(cells[i], batch.rowNumbers[i]!);
        if (typeof v === 'number') labels[i] = v;
        else mask.skip(i, v);
      }
    }
  }
  const weight = spec.weight;
  const weights = weight === undefined ? undefined
    : numericColumn(batch, mask, place, weight, { missing: 'missing weight', nonFinite: 'non-finite weight' }, 'a weight', (w, row) => {
      if (w < 0) throw cellError('bad-weight', place, row, weight, `weight ${w} is negative`);
    });
  const likelihoodColumn = spec.likelihood;
  const likelihood = likelihoodColumn === undefined ? undefined
    : numericColumn(batch, mask, place, likelihoodColumn, { missing: 'missing likelihood', nonFinite: 'missing likelihood' }, 'a likelihood', (p, row) => {
      if (!(p > 0 && p <= 1)) throw cellError('bad-likelihood', place, row, likelihoodColumn, `likelihood ${p} is outside (0, 1]`);
    });

  // Parse every mapped input before compacting, so each skipped row is counted once with its first reason.
  const features = new Map<string, Float64Array>();
  const sequences = new Map<string, { ids: (readonly number[] | null)[]; tokens?: (string[] | null)[] }>();
  for (const plan of plans) {
    if (plan.kind === 'columns') features.set(plan.input, parseFeatures(batch, mask, place, plan.columns));
    else if (plan.kind === 'ids' || plan.kind === 'text') sequences.set(plan.input, parseSequences(batch, mask, place, plan));
  }

  const kept = mask.kept();
  const m = kept.length;
  const feeds: Record<string, TensorData> = {};
  const tokens: Record<string, (readonly string[])[]> = {};
  for (const plan of plans) {
    if (plan.kind === 'columns') {
      const f = plan.columns.length;
      const src = features.get(plan.input)!;
      // columns mappings make float32 or float64 (checked in buildPlans): whole rows copy with set().
      const data = allocate(plan.dtype, m * f) as Float32Array | Float64Array;
      if (m === n) data.set(src);
      else kept.forEach((i, r) => data.set(src.subarray(i * f, i * f + f), r * f));
      feeds[plan.input] = { dtype: plan.dtype, data, dims: [m, f] };
    } else if (plan.kind === 'ids' || plan.kind === 'text') {
      const seq = sequences.get(plan.input)!;
      const rows = kept.map((i) => seq.ids[i]!);
      const length = plan.fixedLength ?? Math.max(1, ...rows.map((r) => r.length));
      const data = allocate(plan.dtype, m * length);
      rows.forEach((ids, r) => {
        for (let t = 0; t < length; t++) put(data, r * length + t, t < ids.length ? ids[t]! : plan.padId);
      });
      feeds[plan.input] = { dtype: plan.dtype, data, dims: [m, length] };
      if (seq.tokens) tokens[plan.input] = kept.map((i) => seq.tokens![i]!);
    }
  }
  for (const plan of plans) {
    if (plan.kind === 'npy') feeds[plan.input] = await npyRows(plan.file, plan.dtype, kept.map((i) => batch.rowNumbers[i]!), place);
  }
  for (const plan of plans) {
    if (plan.kind === 'past') feeds[plan.input] = { dtype: plan.dtype, data: allocate(plan.dtype, 0), dims: plan.dims.map((d) => (d === -1 ? kept.length : d)) };
  }
  for (const plan of plans) {
    if (plan.kind !== 'auto') continue;
    const source = feeds[plan.source]!;
    const lengths = kept.map((i) => sequences.get(plan.source)!.ids[i]!.length);
    feeds[plan.input] = autoInput(plan.dtype, plan.fill, source.dims, lengths);
  }

  const groupValues: Record<string, (string | null)[]> = {};
  const dictionary = groups.dictionary;
  const groupCodes = spec.groups.map((g, k) => {
    const values: (string | null)[] = new Array<string | null>(m);
    const codes = new Int32Array(m);
    const known = dictionary[k]!;
    if (hasTypedColumns(batch)) {
      // each distinct text gets its code once, at its first kept row (the collector only grows there)
      const { ids, values: texts } = batch.categories(g);
      const coded = typed.groups(k, texts);
      for (let r = 0; r < m; r++) {
        const id = ids[kept[r]!]!;
        let code = coded[id];
        if (code === undefined) {
          code = groups.code(k, texts[id], batch.rowNumbers[kept[r]!]!);
          coded[id] = code;
        }
        codes[r] = code;
        values[r] = code < 0 ? null : known[code]!;
      }
      groupValues[g] = values;
      return codes;
    }
    const cells = batch.column(g);
    for (let r = 0; r < m; r++) {
      const code = groups.code(k, cells[kept[r]!], batch.rowNumbers[kept[r]!]!);
      codes[r] = code;
      values[r] = code < 0 ? null : known[code]!;
    }
    groupValues[g] = values;
    return codes;
  });
  const pick = (a: Float64Array | undefined): Float64Array | undefined => {
    if (!a || m === n) return a;
    const out = new Float64Array(m);
    for (let r = 0; r < m; r++) out[r] = a[kept[r]!]!;
    return out;
  };
  const pickedLabels = pick(labels);
  const pickedWeights = pick(weights);
  const pickedLikelihood = pick(likelihood);
  return {
    feeds,
    rowsUsed: m,
    rowNumbers: m === n ? batch.rowNumbers.slice() : Uint32Array.from(kept, (i) => batch.rowNumbers[i]!),
    ...(pickedLabels ? { labels: pickedLabels } : {}),
    ...(pickedWeights ? { weights: pickedWeights } : {}),
    ...(pickedLikelihood ? { likelihood: pickedLikelihood } : {}),
    groups: groupValues,
    groupCodes,
    groupDictionary: dictionary.map((values) => values.slice()),
    tokens,
    skipped: mask.skipped.sort((a, b) => a.row - b.row),
  };
}

function parseFeatures(batch: RowBatch, mask: RowMask, place: CellPlace, columns: readonly string[]): Float64Array {
  const f = columns.length;
  const values = new Float64Array(batch.length * f);
  columns.forEach((column, j) => {
    if (hasTypedColumns(batch)) {
      const cells = batch.numbers(column);
      for (let i = 0; i < batch.length; i++) {
        const v = typedNumberOrSkip(batch, cells, i, place, column, { missing: 'missing feature', nonFinite: 'non-finite feature' }, 'a feature');
        if (typeof v === 'number') values[i * f + j] = v;
        else mask.skip(i, v);
      }
      return;
    }
    const cells = batch.column(column);
    for (let i = 0; i < batch.length; i++) {
      const v = numberOrSkip(cells[i], place, batch.rowNumbers[i]!, column, { missing: 'missing feature', nonFinite: 'non-finite feature' }, 'a feature');
      if (typeof v === 'number') values[i * f + j] = v;
      else mask.skip(i, v);
    }
  });
  return values;
}

function parseSequences(batch: RowBatch, mask: RowMask, place: CellPlace, plan: SequencePlan): { ids: (readonly number[] | null)[]; tokens?: (string[] | null)[] } {
  const cells = batch.column(plan.column);
  const ids: (readonly number[] | null)[] = new Array<null>(batch.length).fill(null);
  if (plan.text) {
    const tokens: (string[] | null)[] = new Array<null>(batch.length).fill(null);
    for (let i = 0; i < batch.length; i++) {
      const cell = cells[i];
      if (cell === undefined || cell === null || (typeof cell === 'string' && cell.trim() === '')) {
        mask.skip(i, 'missing text');
        continue;
      }
      const encoded = plan.text.encode(typeof cell === 'string' ? cell : String(cell), plan.maxLength);
      ids[i] = encoded.ids;
      tokens[i] = encoded.tokens;
    }
    return { ids, tokens };
  }
  for (let i = 0; i < batch.length; i++) {
    const row = batch.rowNumbers[i]!;
    const parsed = intArrayCell(cells[i]);
    if (parsed === 'invalid') {
      throw cellError('not-int-array', place, row, plan.column, `token ids must be a JSON array of integers, got ${showCell(cells[i])}`);
    }
    if (parsed === null || parsed.length === 0) {
      mask.skip(i, 'missing token ids');
      continue;
    }
    if (plan.maxLength !== undefined && parsed.length > plan.maxLength) {
      if (plan.fixedLength !== undefined && plan.maxLength === plan.fixedLength) {
        throw cellError('sequence-too-long', place, row, plan.column,
          `${parsed.length} token ids, the model input "${plan.input}" takes ${plan.fixedLength} (set "maxLength" in the mapping to truncate)`);
      }
      ids[i] = parsed.slice(0, plan.maxLength);
    } else {
      ids[i] = parsed;
    }
  }
  return { ids };
}

async function npyRows(file: NpyFile, dtype: TensorDType, rows: readonly number[], place: CellPlace): Promise<TensorData> {
  const rest = file.shape.slice(1);
  const size = file.rowSize;
  const out = allocate(dtype, rows.length * size);
  if (rows.length > 0) {
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    if (last > file.rows) {
      throw new BadInputError('npy-rows', `${file.path}: has ${file.rows} rows but ${place.file} has at least ${last}; the rows of an {"npy"} input must align one to one with the data rows`, { file: file.path });
    }
    const block = await file.readRows(first - 1, last);
    rows.forEach((row, r) => copyRow(block, (row - first) * size, out, r * size, size));
  }
  return { dtype, data: out, dims: [rows.length, ...rest] };
}

function copyRow(src: NpyArray, from: number, dst: TensorArray, to: number, size: number): void {
  if ((src instanceof BigInt64Array) === (dst instanceof BigInt64Array) && src.constructor === dst.constructor) {
    (dst as Float32Array).set((src as Float32Array).subarray(from, from + size), to);
    return;
  }
  for (let k = 0; k < size; k++) put(dst, to + k, get(src, from + k));
}

function autoInput(dtype: TensorDType, fill: 'mask' | 'type_ids' | 'position_ids', dims: readonly number[], lengths: readonly number[]): TensorData {
  const [m = 0, t = 0] = dims;
  const data = allocate(dtype, m * t);
  if (fill !== 'type_ids') {
    for (let r = 0; r < m; r++) {
      for (let k = 0; k < t; k++) put(data, r * t + k, fill === 'mask' ? (k < lengths[r]! ? 1 : 0) : k);
    }
  }
  return { dtype, data, dims: [m, t] };
}
