/**
 * The comparison analysis (issue 12, FORMULAS.md §G): two models on the same rows of one spec
 * (`modelB`), two specs over the same data (`specB`), two prediction files (`predictionsB`), or
 * the spec's `referenceModel` (A = the reference, the baseline; B = the spec's model, the
 * candidate). Each side is one data pass into a metrics builder; core/metrics/compare pairs them.
 * The report carries `compare` and the candidate's own `groups` section.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { BadInputError, type ProgressFn } from '../errors';
import { isColumnsMapping, isIdsMapping, isTextMapping, openTable, type ResolvedSpec } from '../data';
import { diffWeights, loadModel, summarizeModel } from '../onnx';
import { compareBuilders } from '../metrics/compare';
import { REPORT_SCHEMA } from '../../protocol/report';
import { figureSection } from '../../protocol/budgets';
import type { ModelSummary, ValueInfo } from '../../protocol/model';
import type { CompareFlipRow, CompareParameters, CompareSection, CompareSide } from '../../protocol/compare';
import { passModel, passModelPair, passPredictions, type GroupsPass, type GroupsRunOptions, type PairedBatchHook } from './groups';
import { replicatesFor, resolveRunOptions } from './options';
import { passProbe } from './probeRows';

/** What B is (A is the spec's, or with `referenceModel` the reference). */
export type CompareTarget =
  | { readonly kind: 'model-b'; readonly model: string }
  | { readonly kind: 'spec-b'; readonly spec: ResolvedSpec }
  | { readonly kind: 'predictions-b'; readonly file: string; readonly score?: string; readonly pred?: string }
  | { readonly kind: 'referenceModel' };

export interface CompareRunOptions extends GroupsRunOptions {
  readonly target: CompareTarget;
  /** Flipped rows listed (default 200). */
  readonly flipRowsShown?: number;
}

import type { CompareReport, GroupsComparisonReport } from '../../protocol/compare';
export type { CompareReport, GroupsComparisonReport } from '../../protocol/compare';

const ioText = (v: readonly ValueInfo[]): string => v.map((x) => `${x.name} ${x.dtype} [${(x.shape ?? []).map((d) => d ?? '?').join(', ')}]`).join('; ');

/** Inputs must match by name and dtype, and the output read must exist in both with the same shape. */
export function checkSameIo(a: ModelSummary, b: ModelSummary, output: string | undefined): void {
  // names, dtypes and fixed dimensions (a named or unknown dimension matches anything)
  const key = (v: readonly ValueInfo[]): string => v.map((x) => `${x.name}:${x.dtype}:${(x.shape ?? []).map((d) => (typeof d === 'number' ? d : '?')).join('x')}`).sort().join(',');
  if (key(a.inputs) !== key(b.inputs)) {
    throw new BadInputError('compare.io-differs', `${a.path} and ${b.path}: the models' inputs differ (${ioText(a.inputs)} vs ${ioText(b.inputs)}); a comparison runs both on the same feeds`, { file: b.path });
  }
  const name = output ?? a.outputs[0]?.name;
  const oa = a.outputs.find((o) => o.name === name);
  const ob = b.outputs.find((o) => o.name === name);
  const last = (o: ValueInfo | undefined): unknown => o?.shape?.at(-1);
  if (!oa || !ob || oa.dtype !== ob.dtype || (typeof last(oa) === 'number' && typeof last(ob) === 'number' && last(oa) !== last(ob))) {
    throw new BadInputError('compare.io-differs', `${a.path} and ${b.path}: the models' outputs differ (${ioText(a.outputs)} vs ${ioText(b.outputs)}); both need output "${name}" of the same type and width`, { file: b.path });
  }
}

async function sameFile(x: string, y: string): Promise<boolean> {
  const [rx, ry] = await Promise.all([realpath(x).catch(() => x), realpath(y).catch(() => y)]);
  return rx === ry;
}

/** The two specs A and B run under, checked to be comparable. */
export async function sides(spec: ResolvedSpec, target: CompareTarget): Promise<{ a: ResolvedSpec; b: ResolvedSpec; source: CompareSection['source'] }> {
  switch (target.kind) {
    case 'referenceModel': {
      if (!spec.referenceModel) throw new BadInputError('spec.referenceModel', `${spec.specPath || 'the spec'}: field "referenceModel" is not set; give the other model (--model-b), spec (--spec-b) or predictions (--predictions-b)`, { file: spec.specPath });
      return { a: { ...spec, model: spec.referenceModel }, b: { ...spec }, source: 'referenceModel' };
    }
    case 'model-b':
      if (!spec.model) throw new BadInputError('spec.model', `${spec.specPath || 'the spec'}: --model-b compares with the spec's model, and the spec has none`, { file: spec.specPath });
      return { a: { ...spec }, b: { ...spec, model: target.model }, source: 'model-b' };
    case 'spec-b': {
      const other = target.spec;
      if (!(await sameFile(spec.data, other.data))) {
        throw new BadInputError('compare.data-differs', `${other.specPath}: its data ${other.data} is not the data of ${spec.specPath} (${spec.data}); a comparison needs both specs over the same rows`, { file: other.specPath });
      }
      const differs = (['task', 'label', 'weight', 'positiveLabel'] as const).find((f) => JSON.stringify(spec[f]) !== JSON.stringify(other[f]))
        ?? (JSON.stringify(spec.groups) !== JSON.stringify(other.groups) ? 'groups' : undefined);
      if (differs) {
        throw new BadInputError('compare.spec-differs', `${other.specPath}: field "${differs}" is ${JSON.stringify(other[differs]) ?? 'not set'} there and ${JSON.stringify(spec[differs]) ?? 'not set'} in ${spec.specPath}; both specs must read the same labels and groups`, { file: other.specPath });
      }
      return { a: spec, b: other, source: 'spec-b' };
    }
    case 'predictions-b': {
      if (!spec.predictions) throw new BadInputError('spec.predictions', `${spec.specPath || 'the spec'}: --predictions-b compares with the spec's predictions file, and the spec has none (give --predictions)`, { file: spec.specPath });
      const b = { ...spec, predictions: { file: target.file, ...(target.score ?? spec.predictions.score ? { score: target.score ?? spec.predictions.score } : {}), ...(target.pred ?? spec.predictions.pred ? { pred: target.pred ?? spec.predictions.pred } : {}) } };
      return { a: spec, b: b as ResolvedSpec, source: 'predictions-b' };
    }
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function scaled(onProgress: ProgressFn | undefined, from: number, to: number, label: string): ProgressFn {
  return (f, m) => onProgress?.(from + (to - from) * f, `${label}: ${m}`);
}

/** The columns a flipped row shows: the spec's input columns (the label is the row's `label`). */
export function shownColumns(spec: ResolvedSpec): string[] {
  const out: string[] = [];
  for (const m of Object.values(spec.inputs)) {
    if (isColumnsMapping(m)) out.push(...m.columns);
    else if (isIdsMapping(m)) out.push(m.column);
    else if (isTextMapping(m)) out.push(m.text);
  }
  // A yes/no probe's prompt is filled from the columns it names.
  if (spec.probe?.kind === 'yesno') out.push(...[...spec.probe.prompt.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!));
  return [...new Set(out)].filter((c) => c !== spec.label);
}

/** core/metrics/compare's default number of listed flipped rows. */
const DEFAULT_FLIP_ROWS_SHOWN = 200;

/**
 * Keeps, during a paired pass, the input cells of the first `limit` rows of each flip kind
 * (broken, fixed, changed: the rows the report may list, FORMULAS.md §G) so that they need no
 * second read of the data. Regression predictions have no flips: nothing is kept.
 */
class CellsOfFlips {
  private readonly kept = new Map<number, Record<string, string>>();
  private readonly counts = { broken: 0, fixed: 0, changed: 0 };
  private seen = false;
  constructor(private readonly columns: readonly string[], private readonly limit: number) {}

  readonly hook: PairedBatchHook = (batch, positions, rowNumbers, labels, [predA, predB]) => {
    this.seen = true;
    if (!predA || !predB || this.columns.length === 0) return;
    let present: { name: string; cells: ArrayLike<unknown> }[] | undefined;
    for (let i = 0; i < rowNumbers.length; i++) {
      const pa = predA[i] as number;
      const pb = predB[i] as number;
      if (pa === pb || Number.isNaN(pa)) continue;
      const y = labels[i] as number;
      const kind = pa === y ? 'broken' : pb === y ? 'fixed' : 'changed';
      if (this.counts[kind] >= this.limit) continue;
      this.counts[kind]++;
      present ??= this.columns.filter((c) => batch.has(c)).map((name) => ({ name, cells: batch.column(name) }));
      const at = positions[i] as number;
      const row: Record<string, string> = {};
      for (const c of present) {
        const v = c.cells[at];
        row[c.name] = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      }
      this.kept.set(rowNumbers[i] as number, row);
    }
  };

  /** Whether the pass ran through the hook and kept every listed row (or there are no input columns). */
  covers(rows: readonly CompareFlipRow[]): boolean {
    return this.seen && (this.columns.length === 0 || rows.every((r) => this.kept.has(r.row)));
  }

  attach(rows: readonly CompareFlipRow[]): CompareFlipRow[] {
    return this.columns.length === 0 ? [...rows] : rows.map((r) => ({ ...r, inputs: this.kept.get(r.row) ?? {} }));
  }
}

/** Reads the cells of the listed rows (one more pass over the data; only those rows are kept). */
export async function attachInputs(rows: readonly CompareFlipRow[], dataPath: string, columns: readonly string[], signal: AbortSignal | undefined): Promise<CompareFlipRow[]> {
  if (rows.length === 0 || columns.length === 0) return [...rows];
  const wanted = new Map(rows.map((r) => [r.row, {} as Record<string, string>]));
  const last = Math.max(...wanted.keys());
  const table = await openTable(dataPath, { batchRows: 4096, ...(signal ? { signal } : {}) });
  try {
    for await (const batch of table.batches()) {
      const present = columns.filter((c) => batch.has(c));
      const cells = present.map((c) => batch.column(c));
      batch.rowNumbers.forEach((row, i) => {
        const target = wanted.get(row);
        if (!target) return;
        present.forEach((c, j) => {
          const v = cells[j]?.[i];
          target[c] = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
        });
      });
      if ((batch.rowNumbers[batch.length - 1] ?? 0) >= last) break;
    }
  } finally {
    await table.close();
  }
  return rows.map((r) => ({ ...r, inputs: wanted.get(r.row) ?? {} }));
}

export function side(pass: GroupsPass, spec: ResolvedSpec, sha: string | null): CompareSide {
  const s = pass.modelSummary;
  return {
    model: s?.path ?? pass.dataPath,
    sha256: s?.sha256 ?? sha ?? '',
    ...(spec.specPath ? { spec: spec.specPath } : {}),
    ...(s ? { summary: { inputs: s.inputs, outputs: s.outputs, parameters: s.parameters.total, nodes: s.nodeCount, ops: s.opHistogram, opsets: s.opsets, producer: s.producer } } : {}),
  };
}

/** Both sides' passes over the same rows, checked (inputs/outputs, rows): what a run and a shard (compareShard.ts) start from. */
export async function comparePasses(spec: ResolvedSpec, options: CompareRunOptions): Promise<{
  a: ResolvedSpec; b: ResolvedSpec; source: CompareSection['source']; byPredictions: boolean; passA: GroupsPass; passB: GroupsPass; nameA: string; nameB: string;
  /** The input cells of the first flipped rows, kept during a paired pass. */
  cells: CellsOfFlips; flipRowsShown: number;
  /** Which weights changed (both sides models). */
  parameters: CompareParameters | undefined;
}> {
  const { a, b, source } = await sides(spec, options.target);
  const byPredictions = source === 'predictions-b';
  let parameters: CompareParameters | undefined;
  if (!byPredictions) {
    if (!a.model || !b.model) throw new BadInputError('spec.model', `${spec.specPath || 'the spec'}: both sides of a comparison need a model`, { file: spec.specPath });
    // Both models are read once here: their IO is checked and their weights compared tensor by
    // tensor (external data range by range); the bytes are dropped before the data pass.
    const signal = options.signal ? { signal: options.signal } : {};
    const [ma, mb] = await Promise.all([loadModel(a.model, signal), loadModel(b.model, signal)]);
    checkSameIo(summarizeModel(ma), summarizeModel(mb), a.output);
    parameters = await diffWeights(ma, mb, signal);
  }
  const pass = (s: ResolvedSpec, from: number, to: number, label: string): Promise<GroupsPass> => {
    const o = { ...options, onProgress: scaled(options.onProgress, from, to, label) } as GroupsRunOptions;
    // A labelled yes/no probe spec: each side's LM scored by the probe (probeRows.ts).
    return s.probe ? passProbe(s, o, true) : byPredictions ? passPredictions(s, o, true) : passModel(s, o, true);
  };
  // Two models on one spec's rows (referenceModel, --model-b): one read of the data feeds both
  // sessions, and the input cells of the first flipped rows are kept on the way (no second read).
  const flipRowsShown = options.flipRowsShown ?? DEFAULT_FLIP_ROWS_SHOWN;
  const cells = new CellsOfFlips(shownColumns(b), flipRowsShown);
  // (A yes/no probe's LMs are scored by the probe, one side after the other.)
  const [passA, passB] = (source === 'referenceModel' || source === 'model-b') && !a.probe
    ? await passModelPair(a, b.model as string, { ...options, onProgress: scaled(options.onProgress, 0, 0.8, 'A and B') }, cells.hook)
    : [await pass(a, 0, 0.4, 'A'), await pass(b, 0.4, 0.8, 'B')];
  const nameA = passA.modelSummary?.path ?? passA.dataPath;
  const nameB = passB.modelSummary?.path ?? passB.dataPath;
  if (passA.rowNumbers.length !== passB.rowNumbers.length || passA.rowNumbers.some((r, i) => r !== passB.rowNumbers[i])) {
    const what = byPredictions ? 'prediction files' : 'sides';
    throw new BadInputError('compare.rows-differ', `${nameA} and ${nameB}: the ${what} have different rows (${passA.rowNumbers.length} used rows vs ${passB.rowNumbers.length}); a comparison needs the same rows in the same order`, { file: nameB });
  }
  return { a, b, source, byPredictions, passA, passB, nameA, nameB, cells, flipRowsShown, parameters };
}

/** Runs both sides over the same rows and compares them. */
export async function runCompare(spec: ResolvedSpec, options: CompareRunOptions): Promise<CompareReport> {
  const { a, b, source, byPredictions, passA, passB, nameA, nameB, cells, flipRowsShown, parameters } = await comparePasses(spec, options);
  const run = resolveRunOptions(spec, options);
  const bootstrap = replicatesFor(run.bootstrap, passA.builder.rowCount);
  const seed = run.seed;
  const minGroupSize = run.minGroupSize;
  const compared = await compareBuilders(passA.builder, passB.builder, {
    bootstrap, seed, minGroupSize, rowNumbers: passA.rowNumbers, names: [nameA, nameB], flipRowsShown, scheme: run.bootstrapScheme,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: scaled(options.onProgress, 0.8, 0.95, 'paired bootstrap'),
  });
  // The candidate's own intervals cost a second bootstrap: only when a budget checks a groups interval.
  const groupsBootstrap = (spec.budgets ?? []).some((x) => x.use === 'interval' && figureSection(x.figure) === 'groups') ? bootstrap : 0;
  const groups = await passB.builder.finish({ minGroupSize, bootstrap: groupsBootstrap, seed, scheme: run.bootstrapScheme, ...(options.signal ? { signal: options.signal } : {}) });
  const flipRows = cells.covers(compared.flipRows) ? cells.attach(compared.flipRows) : await attachInputs(compared.flipRows, b.data, shownColumns(b), options.signal);
  const [shaA, shaB] = byPredictions ? await Promise.all([sha256File(passA.dataPath), sha256File(passB.dataPath)]) : [null, null];
  options.onProgress?.(1, 'done');
  const summary = passB.summary;
  return {
    schema: REPORT_SCHEMA, kind: 'compare', createdAt: new Date().toISOString(), spec: spec.specPath,
    model: passB.model, runtime: passB.runtime,
    data: { path: b.data, rows: summary.rows, skippedRows: summary.skippedRows, skipReasons: summary.skipReasons },
    groups,
    compare: { a: side(passA, a, shaA), b: side(passB, b, shaB), source, ...compared, ...(parameters ? { parameters } : {}), flipRows },
  };
}

/**
 * The groups analysis of a spec with `referenceModel` (DESIGN.md §3: it makes `groups` a
 * comparison): the candidate's groups report with the comparison against the reference attached.
 */
export async function runGroupsWithReference(spec: ResolvedSpec, options: GroupsRunOptions): Promise<GroupsComparisonReport> {
  const report = await runCompare(spec, { ...options, target: { kind: 'referenceModel' } });
  return { ...report, kind: 'groups' };
}
