/**
 * The shapes one group-metrics pass works with: the accumulator sets (the streaming pass, or one
 * bootstrap replicate), the numbers computed from them, and the report order of the groups.
 * Internal to core/metrics (the report's own types are in protocol/groups.ts).
 */
import type { GroupAccumulator } from './accumulator';
import type { GroupKey, MetricRecord } from '../../protocol/groups';

/**
 * What a pass accumulates: one accumulator per intersection, one for rows with a missing value,
 * and per column value the rows with a missing value elsewhere. Each row lands in exactly one
 * accumulator (plus its partial columns when it has missing values), so the hot loop does one
 * update per row; `derive` merges these into overall and per-column accumulators.
 */
export interface RawSet {
  slots: GroupAccumulator[];
  missing: GroupAccumulator;
  partial: GroupAccumulator[][];
}

/** Accumulators of one pass (the streaming one, or one bootstrap replicate). */
export interface AccSet {
  overall: GroupAccumulator;
  columns: GroupAccumulator[][];
  slots: GroupAccumulator[];
}

/** Disparity numbers of one table, per metric index. */
export interface DisparityValues {
  difference: Float64Array;
  ratio: Float64Array;
  toOverallDifference: Float64Array;
  toOverallRatio: Float64Array;
  worstIndex: Int32Array;
  worstValue: Float64Array;
  fairness: Float64Array;
}

/** Everything computed from one AccSet, groups in report order. */
export interface Computed {
  overall: MetricRecord;
  slots: (MetricRecord | null)[];
  slotDisparity: DisparityValues;
  columns: { records: (MetricRecord | null)[]; disparity: DisparityValues }[];
}

export interface Layout {
  /** Intersection slots in report order. */
  slotOrder: number[];
  /** Per column: codes present, in report order. */
  columnOrder: number[][];
  slotKeys: GroupKey[];
  columnKeys: GroupKey[][];
  metrics: readonly string[];
}
