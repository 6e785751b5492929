/**
 * Slice discovery over a spec (FORMULAS.md §E): one pass keeps every row's error and metadata
 * cells, the SliceLine search runs on the even rows (n ≥ 2000 or `holdout`), and each reported
 * slice is tested on the odd rows. The CLI and the VS Code host call `runSlices` with the same spec.
 */
import { BadInputError, throwIfAborted, type ProgressFn } from '../errors';
import { openTable, type ResolvedSpec, type Shard } from '../data';
import { binOf, fillQValues, quantileEdges, sliceTest, SLICE_DEFAULTS, type SliceSearchColumn } from '../metrics/slices';
import { searchSlices } from '../metrics/sliceBitsets';
import { cellMetrics, rowSums, type SliceTask } from '../metrics/slicesState';
import { REPORT_SCHEMA } from '../../protocol/report';
import type { SliceColumnInfo, SliceEntry, SliceErrorKind, SliceMetrics, SlicePredicate, SlicesReport } from '../../protocol/slices';
import { resolveRunOptions, type RunOverrides } from './options';
import { collectRows, type RowPass } from './rows';
import type { SliceColumnCollector } from './sliceColumns';

export interface SlicesRunOptions extends RunOverrides {
  /** Candidate columns (default: the spec's `slices.columns`, else every metadata column). */
  readonly columns?: readonly string[];
  readonly maxLevel?: number;
  readonly k?: number;
  readonly alpha?: number;
  readonly minSupport?: number;
  readonly errorKind?: 'misclassification' | 'loss';
  /** true: always hold out the odd rows; false: never; default: from 2000 rows on. */
  readonly holdout?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
}

export type { SlicesReport } from '../../protocol/slices';

/** Most distinct values a column may have to be a default candidate (FORMULAS.md §E). */
export const MAX_DEFAULT_VALUES = 1000;
export const HOLDOUT_MIN_ROWS = 2000;
export const MISSING = '∅';

/** Columns that are not metadata: label, predictions, model inputs, weights. */
function reservedColumns(spec: ResolvedSpec): Set<string> {
  const out = new Set<string>();
  if (spec.label) out.add(spec.label);
  if (spec.predictions?.score) out.add(spec.predictions.score);
  if (spec.predictions?.pred) out.add(spec.predictions.pred);
  for (const m of Object.values(spec.inputs)) {
    if ('columns' in m) m.columns.forEach((c) => out.add(c));
    if ('column' in m) out.add(m.column);
    if ('text' in m) out.add(m.text);
  }
  // A yes/no probe's prompt columns are its input.
  if (spec.probe?.kind === 'yesno') for (const m of spec.probe.prompt.matchAll(/\{([^{}]+)\}/g)) out.add(m[1]!);
  for (const c of [spec.weight, spec.likelihood, spec.attention?.tokens, ...Object.values(spec.attention?.spans ?? {})]) if (c) out.add(c);
  return out;
}

interface BuiltColumn {
  readonly search: SliceSearchColumn;
  readonly info: SliceColumnInfo;
  /** Code per used row. */
  readonly codes: Int32Array;
  readonly predicate: (code: number) => SlicePredicate;
  /** Distinct non-missing values (counted up to MAX_DEFAULT_VALUES + 1). */
  readonly distinct: number;
}

/** Predicates and value texts of a numeric column cut at `edges` (code `bins` = missing). */
export function binnedPredicates(name: string, edges: readonly number[], min: number, max: number): { bins: number; predicate: (code: number) => SlicePredicate; valueText: (code: number) => string } {
  const bins = edges.length + 1;
  const predicate = (code: number): SlicePredicate => {
    if (code === bins) return { column: name, value: null };
    const low = code === 0 ? min : edges[code - 1]!;
    const high = code === edges.length ? max : edges[code]!;
    return { column: name, low, high, lowOpen: code > 0 };
  };
  const valueText = (code: number): string => {
    if (code === bins) return MISSING;
    const p = predicate(code) as { low: number; high: number; lowOpen: boolean };
    return `${p.lowOpen ? '(' : '['}${String(p.low)}, ${String(p.high)}]`;
  };
  return { bins, predicate, valueText };
}

/** Predicates and value texts of a categorical column (code `missingCode` = missing). */
export function categoricalPredicates(name: string, values: readonly string[], missingCode: number): { predicate: (code: number) => SlicePredicate; valueText: (code: number) => string } {
  return {
    predicate: (code) => ({ column: name, value: code === missingCode ? null : values[code]! }),
    valueText: (code) => (code === missingCode ? MISSING : values[code]!),
  };
}

/**
 * Codes of one column over all used rows. A numeric column with more than 8 distinct values is
 * cut at the 1/8..7/8 quantiles of its searched rows (FORMULAS.md §E); anything else is
 * categorical; a missing cell is its own value ∅.
 */
function buildColumn(name: string, col: SliceColumnCollector, searched: Uint8Array): BuiltColumn {
  const n = col.length;
  const missing = col.missing;
  const numbers = col.numbersOf();
  const codes = new Int32Array(n);
  if (numbers && col.distinct() > 8) {
    const values: number[] = [];
    for (let i = 0; i < n; i++) if (searched[i] && numbers[i] === numbers[i]) values.push(numbers[i]!);
    const sorted = Float64Array.from(values).sort();
    const edges = sorted.length > 0 ? quantileEdges(sorted) : [];
    const min = sorted[0] ?? Number.NaN;
    const max = sorted[sorted.length - 1] ?? Number.NaN;
    const { bins, predicate, valueText } = binnedPredicates(name, edges, min, max);
    for (let i = 0; i < n; i++) codes[i] = numbers[i] === numbers[i] ? binOf(numbers[i]!, edges) : bins;
    return {
      search: { name, codes, cardinality: bins + 1, valueText }, codes, predicate, distinct: col.distinct(),
      info: { name, kind: 'numeric', values: bins, edges, missing },
    };
  }
  const raw = col.codesOf();
  if (!raw) throw new Error(`slice column ${name}: neither numbers nor codes were kept`);
  const values = col.values;
  const missingCode = missing > 0 ? values.length : -1;
  for (let i = 0; i < n; i++) codes[i] = raw[i]! < 0 ? missingCode : raw[i]!;
  const cardinality = values.length + (missingCode >= 0 ? 1 : 0);
  const { predicate, valueText } = categoricalPredicates(name, values, missingCode);
  return {
    search: { name, codes, cardinality: Math.max(1, cardinality), valueText }, codes,
    predicate, distinct: col.distinct(),
    info: { name, kind: 'categorical', values: values.length, missing },
  };
}

export function errorKindOf(spec: ResolvedSpec, requested: SlicesRunOptions['errorKind']): SliceErrorKind {
  if (requested === 'loss') return 'loss';
  if (spec.task === 'regression') return 'squared_error';
  return 'misclassification';
}

/** §B-style metrics of a set of rows (threshold-dependent ones from the predictions). */
function metricsOf(spec: ResolvedSpec, rows: Iterable<number>, labels: Float64Array, pred: Float64Array, loss: Float64Array): SliceMetrics {
  return cellMetrics(spec.task as SliceTask, rowSums(spec.task as SliceTask, rows, labels, pred, loss), 0);
}

/** The default candidates: every non-reserved column of the data, in file order. */
export async function defaultColumns(spec: ResolvedSpec): Promise<string[]> {
  const file = spec.predictions ? spec.predictions.file : spec.data;
  const table = await openTable(file, { batchRows: 16 });
  try {
    const reserved = reservedColumns(spec);
    return table.columns.filter((c) => !reserved.has(c));
  } finally {
    await table.close();
  }
}

/** The checked per-row pass of a slices run: every used row's error (NaN: undefined). */
export interface SlicePass {
  readonly pass: RowPass;
  readonly candidates: readonly string[];
  /** True when the columns were named (flag or spec): named columns are never skipped. */
  readonly named: boolean;
  readonly maxLevel: number;
  readonly errorKind: SliceErrorKind;
  readonly errors: Float64Array;
  readonly defined: Uint8Array;
  readonly undefinedErrors: number;
}

/** Checks the options, runs the pass (of `options.shard` only, when given) and computes the errors. */
export async function slicePass(spec: ResolvedSpec, options: SlicesRunOptions & { readonly shard?: Shard }): Promise<SlicePass> {
  const named = options.columns ?? spec.slices?.columns;
  const maxLevel = options.maxLevel ?? spec.slices?.maxLevel ?? SLICE_DEFAULTS.maxLevel;
  if (!Number.isInteger(maxLevel) || maxLevel < 1 || maxLevel > 3) throw new BadInputError('slices.max-level', `${spec.specPath || 'slices'}: maxLevel ${maxLevel}: expected 1, 2 or 3`, { file: spec.specPath });
  if (spec.task !== 'regression' && options.errorKind === undefined && spec.predictions && !spec.predictions.pred && spec.task === 'multiclass') {
    throw new BadInputError('spec.predictions', `${spec.specPath}: field "predictions.pred": multiclass slices need the predicted class`, { file: spec.specPath });
  }
  const candidates = named ? [...named] : await defaultColumns(spec);
  const run = resolveRunOptions(spec, options);
  const pass = await collectRows(spec, candidates, { ...run, ...(options.shard ? { shard: options.shard } : {}), ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) }, 'slice discovery', MAX_DEFAULT_VALUES);
  throwIfAborted(options.signal);
  const errorKind = errorKindOf(spec, options.errorKind);
  const nAll = pass.labels.length;
  const errors = new Float64Array(nAll);
  let undefinedErrors = 0;
  const defined = new Uint8Array(nAll);
  for (let i = 0; i < nAll; i++) {
    const e = errorKind === 'misclassification' ? (pass.pred[i] === pass.labels[i] ? 0 : 1)
      : errorKind === 'loss' ? pass.loss[i]!
        : (pass.pred[i]! - pass.labels[i]!) ** 2;
    if (!(e >= 0) || !Number.isFinite(e)) { undefinedErrors++; errors[i] = Number.NaN; continue; }
    errors[i] = e;
    defined[i] = 1;
  }
  return { pass, candidates, named: named !== undefined, maxLevel, errorKind, errors, defined, undefinedErrors };
}

/** The refusal of a loss search where no row has a loss. */
export function noLossError(spec: { readonly predictions?: unknown; readonly loss?: string | null }, dataPath: string): BadInputError {
  return new BadInputError('slices.no-loss', `${dataPath}: no row has a per-sample loss (${spec.predictions ? 'a predictions file needs a score column for losses' : `loss "${spec.loss}" is set-level`}); use --error misclassification`, { file: dataPath });
}

export async function runSlices(spec: ResolvedSpec, options: SlicesRunOptions): Promise<SlicesReport> {
  const { pass, candidates, named: isNamed, maxLevel, errorKind, errors, defined, undefinedErrors } = await slicePass(spec, options);
  const named = isNamed ? candidates : undefined;
  const run = resolveRunOptions(spec, options);
  const nAll = pass.labels.length;
  if (errorKind === 'loss' && undefinedErrors === nAll) throw noLossError(spec, pass.dataPath);
  const nDefined = nAll - undefinedErrors;
  const holdout = options.holdout ?? nDefined >= HOLDOUT_MIN_ROWS;
  const searched = new Uint8Array(nAll);
  const evaluation = new Uint8Array(nAll);
  for (let i = 0; i < nAll; i++) {
    if (!defined[i]) continue;
    const even = (pass.rowNumbers[i]! - 1) % 2 === 0;
    searched[i] = !holdout || even ? 1 : 0;
    evaluation[i] = !holdout || !even ? 1 : 0;
  }

  const skippedColumns: { column: string; reason: string }[] = [];
  const built: BuiltColumn[] = [];
  for (const name of candidates) {
    const col = buildColumn(name, pass.extra[name]!, searched);
    if (!named && !spec.groups.includes(name) && col.distinct > MAX_DEFAULT_VALUES) {
      skippedColumns.push({ column: name, reason: `more than ${MAX_DEFAULT_VALUES} distinct values; name it in slices.columns (or --columns) to search it anyway` });
      continue;
    }
    built.push(col);
  }
  if (built.length === 0) {
    throw new BadInputError('slices.no-columns', `${pass.dataPath}: no metadata column to slice by${skippedColumns.length ? ` (${skippedColumns.map((s) => `${s.column}: ${s.reason}`).join('; ')})` : ''}; name columns with "slices": {"columns": [...]} or --columns`, { file: pass.dataPath });
  }
  const searchIdx: number[] = [];
  for (let i = 0; i < nAll; i++) if (searched[i]) searchIdx.push(i);
  const searchErrors = Float64Array.from(searchIdx, (i) => errors[i]!);
  const columns: SliceSearchColumn[] = built.map((b) => ({ ...b.search, codes: Int32Array.from(searchIdx, (i) => b.codes[i]!) }));
  options.onProgress?.(0.92, 'searching slices');
  const found = searchSlices(columns, searchErrors, {
    ...(options.alpha !== undefined ? { alpha: options.alpha } : {}), maxLevel,
    ...(options.minSupport !== undefined ? { minSupport: options.minSupport } : {}),
    ...(options.k !== undefined ? { k: options.k } : {}), ...(options.signal ? { signal: options.signal } : {}),
  });

  const evalIdx: number[] = [];
  for (let i = 0; i < nAll; i++) if (evaluation[i]) evalIdx.push(i);
  const evalErrors = Float64Array.from(evalIdx, (i) => errors[i]!);
  const binary = errorKind === 'misclassification';
  const minGroupSize = run.minGroupSize;
  const tests = found.top.map((s) => {
    const member = (i: number): boolean => s.predicates.every(([c, v]) => built[c]!.codes[i] === v);
    return sliceTest(evalIdx.map(member), evalErrors, binary, !holdout);
  });
  fillQValues(tests);
  const top: SliceEntry[] = found.top.map((s, t) => {
    const member = (i: number): boolean => s.predicates.every(([c, v]) => built[c]!.codes[i] === v);
    const rows: number[] = [];
    for (let i = 0; i < nAll; i++) if (member(i)) rows.push(i);
    const test = tests[t]!;
    return {
      text: s.text, predicates: s.predicates.map(([c, v]) => built[c]!.predicate(v)),
      size: s.size, errorSum: s.errorSum, errorMean: s.errorMean, score: s.score,
      test: { size: test.size, errorMean: test.errorMean, ci: test.ci, diff: test.diff, p: test.p, q: test.q, selectedOnSameData: test.selectedOnSameData },
      metrics: metricsOf(spec, rows, pass.labels, pass.pred, pass.loss),
      ...(test.size < minGroupSize ? { small: true as const } : {}),
    };
  });
  options.onProgress?.(1, 'done');
  const allRows = { [Symbol.iterator]: function* () { for (let i = 0; i < nAll; i++) yield i; } };
  return {
    schema: REPORT_SCHEMA, kind: 'slices', createdAt: new Date().toISOString(), spec: spec.specPath, model: pass.model, runtime: pass.runtime,
    data: { path: pass.dataPath, rows: pass.rows, skippedRows: pass.skippedRows, skipReasons: pass.skipReasons },
    slices: {
      n: found.n, errorKind, errorMean: found.errorMean, alpha: found.alpha, maxLevel, minSupport: found.minSupport,
      k: options.k ?? SLICE_DEFAULTS.k, holdout, evaluated: found.evaluated, pruned: found.pruned, undefinedErrors,
      columns: built.map((b) => b.info), skippedColumns,
      overall: metricsOf(spec, allRows, pass.labels, pass.pred, pass.loss), top,
    },
  };
}
