/**
 * The report's `thresholds` section (DESIGN.md §4, FORMULAS.md §F): Fairlearn ThresholdOptimizer's
 * randomised per-group thresholds, the relaxed front over a tolerance ε, and per-group curves the
 * UI recomputes manual thresholds from. Written by core/analyze/thresholds.ts.
 */
import type { ReportModel, REPORT_SCHEMA } from './report';
import type { RuntimeInfo } from './runtime';
import type { ShardRun } from './groups';
export type ThresholdValue = number | 'inf' | '-inf';

/** One group's operating point: P(ŷ=1) = pIgnore·c + (1 − pIgnore)·(p0·[s > threshold0] + (1 − p0)·[s > threshold1]). */
export interface ThresholdGroupPoint {
  readonly group: Readonly<Record<string, string>>;
  readonly count: number;
  readonly p0: number;
  readonly threshold0: ThresholdValue;
  readonly threshold1: ThresholdValue;
  readonly pIgnore?: number;
  readonly predictionConstant?: number;
  /** Expected rates of the group under the randomised thresholds. */
  readonly selection_rate: number;
  readonly tpr: number;
  readonly fpr: number;
  readonly objective: number;
  /**
   * Expected confusion counts of the group under the randomised thresholds (Σ over its rows of
   * P(ŷ = 1) and 1 − P(ŷ = 1), by label): the report's objective and disparity are computed from
   * these, so a what-if that applies this point reproduces them exactly. Absent in older reports.
   */
  readonly expected?: { readonly tp: number; readonly fp: number; readonly tn: number; readonly fn: number };
}

export interface ThresholdFrontPoint {
  readonly tolerance: number;
  readonly objective: number;
  readonly disparity: number;
  readonly groups: readonly ThresholdGroupPoint[];
}

/** Rows with score > j/steps, per group, j = 0..steps (exact confusion matrices on that grid). */
export interface ThresholdCurve {
  readonly group: Readonly<Record<string, string>>;
  readonly positives: number;
  readonly negatives: number;
  readonly tp: readonly number[];
  readonly fp: readonly number[];
}

/** Every §B rate of a deterministic per-group threshold choice. */
export interface ManualRates {
  readonly count: number;
  readonly positives: number;
  readonly negatives: number;
  readonly selection_rate: number;
  readonly accuracy: number;
  readonly error_rate: number;
  readonly tpr: number;
  readonly fpr: number;
  readonly tnr: number;
  readonly fnr: number;
  readonly precision: number;
}

export interface ManualDisparity {
  readonly demographic_parity_difference: number;
  readonly demographic_parity_ratio: number;
  readonly equalized_odds_difference: number;
  readonly equalized_odds_ratio: number;
  readonly equal_opportunity_difference: number;
  readonly accuracy_difference: number;
}

export interface ThresholdsSection {
  readonly constraint: string;
  readonly objective: string;
  readonly sensitive: readonly string[];
  readonly groups: readonly ThresholdGroupPoint[];
  readonly overall: { readonly objective: number; readonly disparity: number };
  /** Empty for equalized odds (Fairlearn does not relax it). */
  readonly front: readonly ThresholdFrontPoint[];
  /** Steps of the manual threshold grid (thresholds j/steps). */
  readonly steps: number;
  readonly curves: readonly ThresholdCurve[];
  /** The same threshold for every group (`baselineThreshold`, default 0.5) evaluated exactly. */
  readonly baseline: {
    readonly threshold: number;
    readonly groups: readonly ManualRates[];
    readonly overall: ManualRates;
    readonly disparity: ManualDisparity;
  };
  /** Rows left out: a missing sensitive value. */
  readonly skippedRows: number;
}

/** A threshold what-if report (`bias-inspector thresholds`, *Threshold What-If…*). */
export interface ThresholdsReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'thresholds';
  readonly createdAt: string;
  readonly spec: string;
  readonly model: ReportModel | null;
  readonly runtime: RuntimeInfo | null;
  readonly data: { readonly path: string; readonly rows: number; readonly skippedRows: number; readonly skipReasons: Readonly<Record<string, number>> };
  readonly thresholds: ThresholdsSection;
  /** A merged sharded run: each shard's rows, time, host and provider (docs/SHARDING.md). */
  readonly shards?: readonly ShardRun[];
}
