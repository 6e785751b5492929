/**
 * The mergeable partial state of a groups pass (docs/SHARDING.md §3): every accumulator's
 * additive sums, named by group values (not by codes, which differ from shard to shard), for
 * the pass itself and for each Poisson bootstrap replicate. JSON numbers round-trip float64
 * exactly, so a state written and read back merges to the same sums.
 */
import { GroupAccumulator, type AccumulatorConfig } from './accumulator';
import type { DiceOptions } from './losses';
import type { MetricsTask } from '../../protocol/groups';

/** The additive sums of one GroupAccumulator (its public fields). */
export interface AccumulatorSums {
  readonly count: number; readonly weight: number; readonly lossSum: number; readonly lossWeight: number; readonly nanLosses: number;
  readonly correct: number; readonly brierSum: number; readonly tp: number; readonly fp: number; readonly tn: number; readonly fn: number;
  readonly positives: number; readonly negatives: number; readonly selected: number; readonly sqErr: number; readonly absErr: number;
  readonly errWeight: number; readonly bins: readonly number[]; readonly perClass: readonly number[]; readonly diceSums: readonly number[];
}

/** One pass's accumulators by group values. */
export interface SumsSet {
  /** Intersections present: the value of each sensitive column, and the sums. */
  readonly slots: readonly { readonly group: readonly string[]; readonly sums: AccumulatorSums }[];
  /** Rows with a missing sensitive value. */
  readonly missing: AccumulatorSums;
  /** Those rows again, per column value they do have. */
  readonly partial: readonly { readonly column: number; readonly value: string; readonly sums: AccumulatorSums }[];
}

/** The groups part of a shard's state. */
export interface GroupsState {
  readonly task: MetricsTask;
  readonly numClasses: number;
  readonly dice?: DiceOptions;
  readonly sensitive: readonly string[];
  readonly rows: number;
  readonly missingGroup: number;
  readonly missingByColumn: readonly number[];
  readonly sums: SumsSet;
  /** Poisson bootstrap settings (null: no intervals) and the replicates' sums. */
  readonly bootstrap: { readonly replicates: number; readonly seed: number; readonly confidence: number; readonly scheme: 'poisson' } | null;
  readonly replicates: readonly SumsSet[];
}

export function sumsOf(a: GroupAccumulator): AccumulatorSums {
  return {
    count: a.count, weight: a.weight, lossSum: a.lossSum, lossWeight: a.lossWeight, nanLosses: a.nanLosses, correct: a.correct,
    brierSum: a.brierSum, tp: a.tp, fp: a.fp, tn: a.tn, fn: a.fn, positives: a.positives, negatives: a.negatives, selected: a.selected,
    sqErr: a.sqErr, absErr: a.absErr, errWeight: a.errWeight, bins: Array.from(a.bins), perClass: Array.from(a.perClass), diceSums: Array.from(a.diceSums),
  };
}

/** Adds stored sums into an accumulator (same config: array lengths must match). */
export function addSums(a: GroupAccumulator, s: AccumulatorSums): void {
  a.count += s.count;
  a.weight += s.weight;
  a.lossSum += s.lossSum;
  a.lossWeight += s.lossWeight;
  a.nanLosses += s.nanLosses;
  a.correct += s.correct;
  a.brierSum += s.brierSum;
  a.tp += s.tp;
  a.fp += s.fp;
  a.tn += s.tn;
  a.fn += s.fn;
  a.positives += s.positives;
  a.negatives += s.negatives;
  a.selected += s.selected;
  a.sqErr += s.sqErr;
  a.absErr += s.absErr;
  a.errWeight += s.errWeight;
  addArray(a.bins, s.bins, 'bins');
  addArray(a.perClass, s.perClass, 'perClass');
  addArray(a.diceSums, s.diceSums, 'diceSums');
}

function addArray(target: Float64Array, source: readonly number[], what: string): void {
  if (source.length !== target.length) throw new Error(`state sums: ${what} has ${source.length} values, expected ${target.length}`);
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) + (source[i] as number);
}

/** The accumulator configuration a state was computed with. */
export function configOf(state: GroupsState): AccumulatorConfig {
  return state.dice === undefined ? { task: state.task, numClasses: state.numClasses } : { task: state.task, numClasses: state.numClasses, dice: state.dice };
}
