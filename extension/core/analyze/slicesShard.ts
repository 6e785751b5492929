/**
 * Sharded slice discovery (docs/SHARDING.md §5). A shard writes its column dictionaries (each
 * value's text or number, and the first row it appears on) and the cube of metrics/slicesState.ts
 * over every set of at most maxLevel candidate columns, keyed by raw values. The merge decides
 * what a single run decides from all rows — which columns are skipped, which are numeric, the
 * holdout, the GLOBAL quantile bin edges (exactly, from the merged counts of each number among
 * the searched rows), the value order (by first row) — then re-keys the cells by the single
 * run's codes, adds them, and runs the same search and holdout tests on the merged cube.
 */
import { BadInputError } from '../errors';
import type { ResolvedSpec, Shard } from '../data';
import { binOf, fillQValues, quantileEdges, SLICE_DEFAULTS } from '../metrics/slices';
import {
  buildCube, cellMetrics, columnSets, cubeTest, mergeCell, moments, searchCube, CELL_WIDTH,
  type CubeSubset, type SliceTask,
} from '../metrics/slicesState';
import { REPORT_SCHEMA } from '../../protocol/report';
import type { SliceColumnInfo, SliceEntry, SliceErrorKind, SlicePredicate, SlicesReport } from '../../protocol/slices';
import { resolveRunOptions } from './options';
import { binnedPredicates, categoricalPredicates, HOLDOUT_MIN_ROWS, MAX_DEFAULT_VALUES, noLossError, slicePass, type SlicesRunOptions } from './slices';
import {
  checkSameSettings, checkShardSet, firstSource, mergedData, refuseRowLimit, rowPassHeader, shardRuns,
  type ShardPlacement, type ShardStateHeader,
} from './shards';

/** A candidate column as one shard saw it. */
export interface SliceColumnState {
  readonly name: string;
  /** More than MAX_DEFAULT_VALUES distinct values in this shard alone (default candidates only). */
  readonly skipped: boolean;
  /** Every non-missing cell of the shard is a finite number. */
  readonly numeric: boolean;
  /** Dictionary: the text of each value index (null: numbers only, a numeric column with many values). */
  readonly texts: readonly string[] | null;
  /** The number of each value index (numeric columns). */
  readonly numbers: readonly number[] | null;
  /** The first data row number of each value index. */
  readonly firstRow: readonly number[];
  readonly missing: number;
}

/** The settings every shard must share. */
export interface SlicesSettings {
  readonly columns: readonly string[];
  readonly named: boolean;
  readonly groups: readonly string[];
  readonly task: SliceTask;
  readonly errorKind: SliceErrorKind;
  readonly maxLevel: number;
  readonly k: number | null;
  readonly alpha: number | null;
  readonly minSupport: number | null;
  readonly holdout: boolean | null;
  readonly minGroupSize: number;
  /** The spec's loss (for the refusal of a loss search without losses). */
  readonly loss: string | null;
  readonly predictions: boolean;
}

export interface SlicesShardState extends ShardStateHeader {
  readonly analysis: 'slices';
  readonly slices: {
    readonly settings: SlicesSettings;
    readonly columns: readonly SliceColumnState[];
    /** Column sets index `columns`; the set ∅ holds the shard's totals. */
    readonly cube: readonly CubeSubset[];
  };
}

/** The column's dictionary and per-row value indices in this shard. */
function columnState(name: string, pass: Awaited<ReturnType<typeof slicePass>>['pass'], skip: boolean): { state: SliceColumnState; codes: Int32Array; cardinality: number } {
  const col = pass.extra[name]!;
  const n = col.length;
  const numbers = col.numbersOf();
  const raw = col.codesOf();
  const codes = new Int32Array(n).fill(-1);
  if (skip) return { state: { name, skipped: true, numeric: numbers !== null, texts: null, numbers: null, firstRow: [], missing: col.missing }, codes, cardinality: 0 };
  const firstRow: number[] = [];
  const nums: number[] = [];
  if (raw) {
    for (let i = 0; i < n; i++) {
      const c = raw[i]!;
      codes[i] = c;
      if (c >= 0 && firstRow[c] === undefined) { firstRow[c] = pass.rowNumbers[i]!; if (numbers) nums[c] = numbers[i]!; }
    }
    return { state: { name, skipped: false, numeric: numbers !== null, texts: [...col.values], numbers: numbers ? nums : null, firstRow, missing: col.missing }, codes, cardinality: col.values.length };
  }
  if (!numbers) throw new Error(`slice column ${name}: neither numbers nor codes were kept`);
  const index = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const x = numbers[i]!;
    if (x !== x) continue;
    let c = index.get(x);
    if (c === undefined) { c = nums.length; index.set(x, c); nums.push(x); firstRow.push(pass.rowNumbers[i]!); }
    codes[i] = c;
  }
  return { state: { name, skipped: false, numeric: true, texts: null, numbers: nums, firstRow, missing: col.missing }, codes, cardinality: nums.length };
}

/** Runs one shard of a slices analysis and returns its partial state. */
export async function runSlicesShard(spec: ResolvedSpec, options: SlicesRunOptions & { readonly shard: Shard }): Promise<SlicesShardState> {
  const started = Date.now();
  refuseRowLimit(resolveRunOptions(spec, options).maxRows);
  const sp = await slicePass(spec, options);
  const { pass, candidates, named, maxLevel, errorKind } = sp;
  const run = resolveRunOptions(spec, options);
  const built = candidates.map((name) => {
    const col = pass.extra[name]!;
    return columnState(name, pass, !named && !spec.groups.includes(name) && col.distinct() > MAX_DEFAULT_VALUES);
  });
  const task = spec.task as SliceTask;
  options.onProgress?.(0.92, 'counting slices');
  const kept = built.flatMap((b, j) => (b.state.skipped ? [] : [j]));
  const cube = buildCube({
    task, codes: built.map((b) => b.codes), cardinality: built.map((b) => b.cardinality), errors: sp.errors, defined: sp.defined,
    rowNumbers: pass.rowNumbers, labels: pass.labels, pred: pass.pred, loss: pass.loss,
  }, columnSets(kept, maxLevel), options.signal);
  options.onProgress?.(1, 'done');
  return {
    ...(await rowPassHeader('slices', options.shard, spec.specPath, started, pass)),
    slices: {
      settings: {
        columns: candidates, named, groups: spec.groups, task, errorKind, maxLevel, k: options.k ?? null, alpha: options.alpha ?? null,
        minSupport: options.minSupport ?? null, holdout: options.holdout ?? null, minGroupSize: run.minGroupSize,
        loss: spec.loss ?? null, predictions: spec.predictions !== undefined,
      },
      columns: built.map((b) => b.state),
      cube,
    },
  };
}

/** A merged column: its report info, and the single run's code of each shard's value index. */
interface MergedColumn {
  readonly name: string;
  readonly info: SliceColumnInfo;
  readonly cardinality: number;
  readonly valueText: (code: number) => string;
  readonly predicate: (code: number) => SlicePredicate;
  /** code[shard][value index + 1] (index −1: missing). */
  readonly code: readonly Int32Array[];
}

const SKIP_REASON = `more than ${MAX_DEFAULT_VALUES} distinct values; name it in slices.columns (or --columns) to search it anyway`;

/** Merges every shard's state into the slices report of a single run over all their rows. */
export function mergeSlicesStates(states: readonly SlicesShardState[], placement: readonly ShardPlacement[] = []): SlicesReport {
  const ordered = checkShardSet(states);
  checkSameSettings(ordered, (s) => (s as SlicesShardState).slices.settings, 'slice settings');
  const settings = ordered[0]!.slices.settings;
  const source = { ...firstSource(ordered), data: mergedData(ordered) };
  // Totals (the ∅ cell of every shard).
  const totals = new Float64Array(CELL_WIDTH);
  for (const s of ordered) {
    const empty = s.slices.cube.find((c) => c.columns.length === 0);
    if (empty && empty.stats.length > 0) mergeCell(totals, 0, empty.stats, 0);
  }
  const all = moments(totals, 0, 'both');
  const nDefined = all[0];
  const undefinedErrors = totals[0]! - nDefined;
  const holdout = settings.holdout ?? nDefined >= HOLDOUT_MIN_ROWS;
  const searchedPart = holdout ? 'even' : 'both';
  const evalPart = holdout ? 'odd' : 'both';
  if (settings.errorKind === 'loss' && nDefined === 0) {
    throw noLossError({ predictions: settings.predictions, loss: settings.loss }, source.data.path);
  }

  const skippedColumns: { column: string; reason: string }[] = [];
  const merged: (MergedColumn | null)[] = settings.columns.map((name, j) => {
    const cols = ordered.map((s) => s.slices.columns[j]!);
    const canSkip = !settings.named && !settings.groups.includes(name);
    if (cols.some((c) => c.skipped)) { skippedColumns.push({ column: name, reason: SKIP_REASON }); return null; }
    const numeric = cols.every((c) => c.numeric);
    const missing = cols.reduce((m, c) => m + c.missing, 0);
    const distinctNumbers = new Set<number>();
    if (numeric) for (const c of cols) for (const x of c.numbers ?? []) distinctNumbers.add(x);
    const textOf = (c: SliceColumnState, v: number): string => (c.texts ? c.texts[v]! : String(c.numbers![v]));
    const texts = new Map<string, number>();
    if (!numeric || distinctNumbers.size <= 8) {
      cols.forEach((c) => c.firstRow.forEach((row, v) => { const t = textOf(c, v); texts.set(t, Math.min(row, texts.get(t) ?? Infinity)); }));
    }
    const distinct = numeric ? distinctNumbers.size : texts.size;
    if (canSkip && distinct > MAX_DEFAULT_VALUES) { skippedColumns.push({ column: name, reason: SKIP_REASON }); return null; }
    if (numeric && distinct > 8) {
      // Global edges: the searched rows' numbers, as counts of each number over all shards.
      const counts = new Map<number, number>();
      ordered.forEach((s, k) => {
        const level1 = s.slices.cube.find((c) => c.columns.length === 1 && c.columns[0] === j);
        if (!level1) return;
        const nums = cols[k]!.numbers!;
        for (let m = 0; m < level1.keys.length; m++) {
          const v = level1.keys[m]!;
          if (v < 0) continue;
          const [size] = moments(level1.stats, m * CELL_WIDTH, searchedPart);
          if (size > 0) counts.set(nums[v]!, (counts.get(nums[v]!) ?? 0) + size);
        }
      });
      const sorted = [...counts.keys()].sort((a, b) => a - b);
      const ends: number[] = [];
      let total = 0;
      for (const x of sorted) { total += counts.get(x)!; ends.push(total); }
      const at = (i: number): number => { let lo = 0; let hi = ends.length - 1; while (lo < hi) { const mid = (lo + hi) >> 1; if (ends[mid]! > i) hi = mid; else lo = mid + 1; } return sorted[lo]!; };
      const virtual = new Proxy({ length: total } as ArrayLike<number>, { get: (t, p) => (p === 'length' ? total : typeof p === 'string' && /^\d+$/.test(p) ? at(Number(p)) : Reflect.get(t, p)) });
      const edges = total > 0 ? quantileEdges(virtual) : [];
      const { bins, predicate, valueText } = binnedPredicates(name, edges, sorted[0] ?? Number.NaN, sorted[sorted.length - 1] ?? Number.NaN);
      const code = cols.map((c) => Int32Array.from([bins, ...c.numbers!.map((x) => binOf(x, edges))]));
      return { name, info: { name, kind: 'numeric', values: bins, edges, missing }, cardinality: bins + 1, valueText, predicate, code };
    }
    const values = [...texts.keys()].sort((a, b) => texts.get(a)! - texts.get(b)!);
    const rank = new Map(values.map((t, i) => [t, i]));
    const missingCode = missing > 0 ? values.length : -1;
    const { predicate, valueText } = categoricalPredicates(name, values, missingCode);
    const code = cols.map((c) => Int32Array.from([missingCode, ...c.firstRow.map((_, v) => rank.get(textOf(c, v))!)]));
    return { name, info: { name, kind: 'categorical', values: values.length, missing }, cardinality: Math.max(1, values.length + (missingCode >= 0 ? 1 : 0)), valueText, predicate, code };
  });
  const builtIndex = new Map<number, number>();
  const built: MergedColumn[] = [];
  merged.forEach((m, j) => { if (m) { builtIndex.set(j, built.length); built.push(m); } });
  if (built.length === 0) {
    throw new BadInputError('slices.no-columns', `${source.data.path}: no metadata column to slice by${skippedColumns.length ? ` (${skippedColumns.map((s) => `${s.column}: ${s.reason}`).join('; ')})` : ''}; name columns with "slices": {"columns": [...]} or --columns`, { file: source.data.path });
  }

  // The merged cube, keyed by the single run's codes.
  const cube = new Map<string, Map<string, Float64Array>>();
  ordered.forEach((s, k) => {
    for (const subset of s.slices.cube) {
      if (subset.columns.length === 0 || !subset.columns.every((j) => builtIndex.has(j))) continue;
      const cols = subset.columns.map((j) => builtIndex.get(j)!);
      const setKey = cols.join(',');
      const cells = cube.get(setKey) ?? new Map<string, Float64Array>();
      cube.set(setKey, cells);
      const width = cols.length;
      for (let m = 0; m * width < subset.keys.length; m++) {
        const codes = subset.columns.map((j, t) => merged[j]!.code[k]![subset.keys[m * width + t]! + 1]!);
        const key = codes.join(',');
        let cell = cells.get(key);
        if (!cell) { cell = new Float64Array(CELL_WIDTH); cells.set(key, cell); }
        mergeCell(cell, 0, subset.stats, m * CELL_WIDTH);
      }
    }
  });
  const cellOf = (cols: readonly number[], codes: readonly number[]): Float64Array | undefined => cube.get(cols.join(','))?.get(codes.join(','));
  const [n, total] = moments(totals, 0, searchedPart);
  const found = searchCube(built.map((b) => ({ name: b.name, cardinality: b.cardinality, valueText: b.valueText })), (cols, codes) => {
    const cell = cellOf(cols, codes);
    if (!cell) return undefined;
    const [size, errorSum, maxError] = moments(cell, 0, searchedPart);
    return { size, errorSum, maxError };
  }, n, total, {
    ...(settings.alpha !== null ? { alpha: settings.alpha } : {}), maxLevel: settings.maxLevel,
    ...(settings.minSupport !== null ? { minSupport: settings.minSupport } : {}), ...(settings.k !== null ? { k: settings.k } : {}),
  });
  const binary = settings.errorKind === 'misclassification';
  const evalAll = moments(totals, 0, evalPart);
  const cells = found.top.map((s) => cellOf(s.predicates.map(([c]) => c), s.predicates.map(([, v]) => v))!);
  const tests = cells.map((cell) => cubeTest(moments(cell, 0, evalPart), evalAll, binary, !holdout));
  fillQValues(tests);
  const top: SliceEntry[] = found.top.map((s, t) => {
    const test = tests[t]!;
    return {
      text: s.text, predicates: s.predicates.map(([c, v]) => built[c]!.predicate(v)),
      size: s.size, errorSum: s.errorSum, errorMean: s.errorMean, score: s.score,
      test: { size: test.size, errorMean: test.errorMean, ci: test.ci, diff: test.diff, p: test.p, q: test.q, selectedOnSameData: test.selectedOnSameData },
      metrics: cellMetrics(settings.task, cells[t]!, 0),
      ...(test.size < settings.minGroupSize ? { small: true as const } : {}),
    };
  });
  return {
    schema: REPORT_SCHEMA, kind: 'slices', createdAt: new Date().toISOString(), spec: ordered[0]!.spec.path, ...firstSource(ordered),
    data: source.data,
    slices: {
      n: found.n, errorKind: settings.errorKind, errorMean: found.errorMean, alpha: found.alpha, maxLevel: settings.maxLevel, minSupport: found.minSupport,
      k: settings.k ?? SLICE_DEFAULTS.k, holdout, evaluated: found.evaluated, pruned: found.pruned, undefinedErrors,
      columns: built.map((b) => b.info), skippedColumns,
      overall: cellMetrics(settings.task, totals, 0), top,
    },
    shards: shardRuns(ordered as readonly ShardStateHeader[], placement),
  };
}
