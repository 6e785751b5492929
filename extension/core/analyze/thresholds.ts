/**
 * Threshold what-if over a spec (FORMULAS.md §F): Fairlearn ThresholdOptimizer's randomised
 * per-group thresholds on the spec's rows and sensitive columns, the relaxed front, per-group
 * curves for manual thresholds, and the single-threshold baseline.
 */
import { BadInputError, throwIfAborted, type ProgressFn } from '../errors';
import type { ResolvedSpec, Shard } from '../data';
import {
  checkObjective, DegenerateLabelsError, DEFAULT_TOLERANCES, manualThresholds, optimizeThresholds, thresholdCurves,
  THRESHOLD_CONSTRAINTS, THRESHOLD_OBJECTIVES, type OperatingPoint, type ThresholdConstraint, type ThresholdData, type ThresholdObjective,
} from '../metrics/thresholds';
import { REPORT_SCHEMA } from '../../protocol/report';
import type { ThresholdGroupPoint, ThresholdsReport, ThresholdValue } from '../../protocol/thresholds';
import { resolveRunOptions, type RunOverrides } from './options';
import { collectRows, type RowPass } from './rows';

export interface ThresholdsRunOptions extends RunOverrides {
  readonly constraint?: string;
  readonly objective?: string;
  /** Compute the relaxed front over ε ∈ {0, 0.01, …, 0.20} (simple constraints). */
  readonly front?: boolean;
  /** Steps of the manual-threshold grid (default 1000: thresholds 0.000 … 1.000). */
  readonly steps?: number;
  readonly baselineThreshold?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
}

export type { ThresholdsReport } from '../../protocol/thresholds';

/** Fairlearn's `_merge_columns`: values joined by ",", with "\" and "," escaped. */
export function mergeGroupValues(values: readonly string[]): string {
  if (values.length === 1) return values[0]!;
  return values.map((v) => v.replace(/\\/g, '\\\\').replace(/,/g, '\\,')).join(',');
}

const thresholdValue = (t: number): ThresholdValue => (t === Infinity ? 'inf' : t === -Infinity ? '-inf' : t);

export function parseConstraint(value: string | undefined, where: string): ThresholdConstraint {
  const v = value ?? 'demographic_parity';
  const c = v === 'selection_rate_parity' ? 'demographic_parity' : v;
  if (!(THRESHOLD_CONSTRAINTS as readonly string[]).includes(c)) throw new BadInputError('thresholds.constraint', `${where} ${v}: expected one of ${THRESHOLD_CONSTRAINTS.join(', ')}`);
  return c as ThresholdConstraint;
}

export function parseObjective(value: string | undefined, where: string): ThresholdObjective {
  const v = value ?? 'accuracy_score';
  if (!(THRESHOLD_OBJECTIVES as readonly string[]).includes(v)) throw new BadInputError('thresholds.objective', `${where} ${v}: expected one of ${THRESHOLD_OBJECTIVES.join(', ')}`);
  return v as ThresholdObjective;
}

/** The checked per-row pass of a thresholds run: scores, and each row's merged group (null: missing). */
export interface ThresholdRows {
  readonly pass: RowPass;
  readonly score: Float64Array;
  readonly constraint: ThresholdConstraint;
  readonly objective: ThresholdObjective;
  readonly merged: readonly (string | null)[];
  readonly keys: ReadonlyMap<string, Record<string, string>>;
  readonly skippedRows: number;
}

/** Checks the options, runs the pass (of `options.shard` only, when given) and groups its rows. */
export async function thresholdRows(spec: ResolvedSpec, options: ThresholdsRunOptions & { readonly shard?: Shard }): Promise<ThresholdRows> {
  const where = spec.specPath || 'thresholds';
  const constraint = parseConstraint(options.constraint, '--constraint');
  const objective = parseObjective(options.objective, '--objective');
  const mismatch = checkObjective(constraint, objective);
  if (mismatch) throw new BadInputError('thresholds.objective', `--objective ${objective}: ${mismatch}`);
  if (spec.task !== 'binary') throw new BadInputError('spec.task', `${where}: field "task": threshold what-if needs a binary task (got "${spec.task}")`, { file: spec.specPath });
  if (spec.groups.length === 0) throw new BadInputError('spec.groups', `${where}: field "groups": name at least one sensitive column`, { file: spec.specPath });
  const run = resolveRunOptions(spec, options);
  const pass = await collectRows(spec, [], { ...run, ...(options.shard ? { shard: options.shard } : {}), ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) }, 'threshold what-if');
  throwIfAborted(options.signal);
  if (!pass.score) throw new BadInputError('spec.predictions', `${where}: field "predictions.score": threshold what-if needs P(positive) per row (a score column)`, { file: spec.specPath });
  const score = pass.score;
  let outside = 0;
  let firstOutside = -1;
  for (let i = 0; i < score.length; i++) {
    const s = score[i]!;
    if (!(s >= 0 && s <= 1)) { outside++; if (firstOutside < 0) firstOutside = i; }
  }
  if (outside > 0) {
    throw new BadInputError('thresholds.score-range', `${pass.dataPath}: row ${pass.rowNumbers[firstOutside]}: score ${score[firstOutside]} is not a probability in [0, 1] (${outside} such rows); thresholds apply to P(positive) (probabilities, or logits through the model spec)`, { file: pass.dataPath });
  }
  // Group per row (Fairlearn's merged value); rows with a missing sensitive value are left out.
  const merged: (string | null)[] = [];
  const keys = new Map<string, Record<string, string>>();
  let skippedRows = 0;
  for (let i = 0; i < score.length; i++) {
    const values = pass.groups.map((g) => g[i] ?? null);
    if (values.some((v) => v === null)) { merged.push(null); skippedRows++; continue; }
    const name = mergeGroupValues(values as string[]);
    if (!keys.has(name)) keys.set(name, Object.fromEntries(spec.groups.map((g, k) => [g, values[k]!])));
    merged.push(name);
  }
  return { pass, score, constraint, objective, merged, keys, skippedRows };
}

export async function runThresholds(spec: ResolvedSpec, options: ThresholdsRunOptions): Promise<ThresholdsReport> {
  const { pass, score, constraint, objective, merged, keys, skippedRows } = await thresholdRows(spec, options);
  const groupNames = [...keys.keys()].sort();
  const index = new Map(groupNames.map((g, i) => [g, i]));
  const used = merged.flatMap((m, i) => (m === null ? [] : [i]));
  const data: ThresholdData = {
    scores: Float64Array.from(used, (i) => score[i]!), labels: Uint8Array.from(used, (i) => pass.labels[i]!),
    group: Int32Array.from(used, (i) => index.get(merged[i]!)!), groupNames,
  };
  return thresholdsReport(spec, { ...options, constraint, objective }, data, keys, skippedRows, pass);
}

/** What a thresholds report needs besides the rows: the model, the runtime and the data counts. */
export type ThresholdsSource = Pick<RowPass, 'model' | 'runtime' | 'dataPath' | 'rows' | 'skippedRows' | 'skipReasons'>;

/**
 * The report from the grouped rows (`data`, `keys` naming each merged group value): a single
 * run's rows, or the rows a sharded run's merged score counts stand for (shards/thresholds.ts).
 */
export function thresholdsReport(
  spec: Pick<ResolvedSpec, 'specPath' | 'groups'>, options: ThresholdsRunOptions & { readonly constraint: ThresholdConstraint; readonly objective: ThresholdObjective },
  data: ThresholdData, keys: ReadonlyMap<string, Record<string, string>>, skippedRows: number, pass: ThresholdsSource,
): ThresholdsReport {
  const { constraint, objective } = options;
  const groupNames = data.groupNames;
  const steps = options.steps ?? 1000;
  const baselineThreshold = options.baselineThreshold ?? 0.5;
  options.onProgress?.(0.92, 'optimising thresholds');
  let result;
  try {
    result = optimizeThresholds(data, { constraint, objective, tolerances: options.front && constraint !== 'equalized_odds' ? DEFAULT_TOLERANCES : [] });
  } catch (e) {
    if (e instanceof DegenerateLabelsError) {
      throw new BadInputError('thresholds.degenerate', `${pass.dataPath}: group ${JSON.stringify(keys.get(e.group))} has only one label value; ThresholdOptimizer needs positives and negatives in every group`, { file: pass.dataPath });
    }
    throw e;
  }
  const point = (p: OperatingPoint, g: number): ThresholdGroupPoint => ({
    group: keys.get(groupNames[g]!)!, count: p.rates.count, p0: p.interpolation.p0,
    threshold0: thresholdValue(p.interpolation.threshold0), threshold1: thresholdValue(p.interpolation.threshold1),
    ...(p.interpolation.pIgnore !== undefined ? { pIgnore: p.interpolation.pIgnore, predictionConstant: p.interpolation.predictionConstant! } : {}),
    selection_rate: p.rates.selection_rate, tpr: p.rates.tpr, fpr: p.rates.fpr, objective: p.rates.objective,
    expected: p.counts,
  });
  const baseline = manualThresholds(data, groupNames.map(() => baselineThreshold));
  const curves = thresholdCurves(data, steps);
  options.onProgress?.(1, 'done');
  return {
    schema: REPORT_SCHEMA, kind: 'thresholds', createdAt: new Date().toISOString(), spec: spec.specPath, model: pass.model, runtime: pass.runtime,
    data: { path: pass.dataPath, rows: pass.rows, skippedRows: pass.skippedRows, skipReasons: pass.skipReasons },
    thresholds: {
      constraint, objective, sensitive: spec.groups,
      groups: result.optimized.groups.map(point),
      overall: { objective: result.optimized.objective, disparity: result.optimized.disparity },
      front: result.front.map((f) => ({ tolerance: f.tolerance, objective: f.objective, disparity: f.disparity, groups: f.groups.map(point) })),
      steps,
      curves: curves.map((c, g) => ({ group: keys.get(groupNames[g]!)!, positives: c.positives, negatives: c.negatives, tp: c.tp, fp: c.fp })),
      baseline: { threshold: baselineThreshold, ...baseline },
      skippedRows,
    },
  };
}
