/**
 * The report's `slices` section (DESIGN.md §4, FORMULAS.md §E): the top-k SliceLine slices over
 * the metadata columns, with holdout statistics. Written by core/analyze/slices.ts.
 */
import type { ReportModel, REPORT_SCHEMA } from './report';
import type { RuntimeInfo } from './runtime';
import type { ShardRun } from './groups';

/** `column = value` (value null = missing, shown as ∅) or a numeric bin `low < x ≤ high` (`[low, high]` for the first bin). */
export type SlicePredicate =
  | { readonly column: string; readonly value: string | null }
  | { readonly column: string; readonly low: number; readonly high: number; readonly lowOpen: boolean };

/** Statistics of a reported slice on the evaluation rows (the odd rows under holdout). */
export interface SliceTestStats {
  readonly size: number;
  readonly errorMean: number;
  /** 95% interval of the mean error: Wilson (0/1 errors) or Student t. */
  readonly ci: readonly [number, number];
  /** Mean error of the slice minus the mean error of the other rows. */
  readonly diff: number;
  /** Two-sided Welch t-test p-value against the other rows. */
  readonly p: number;
  /** Benjamini–Hochberg q-value over the reported slices. */
  readonly q: number;
  /** True below 2000 rows: searched and tested on the same rows. */
  readonly selectedOnSameData: boolean;
}

/** Threshold-dependent metrics of a slice on all rows (as a group's, FORMULAS.md §B). */
export interface SliceMetrics {
  readonly count: number;
  readonly loss: number;
  readonly accuracy?: number;
  readonly error_rate?: number;
  readonly selection_rate?: number;
  readonly tpr?: number;
  readonly fpr?: number;
  readonly tnr?: number;
  readonly fnr?: number;
  readonly precision?: number;
  readonly positives?: number;
  readonly negatives?: number;
  readonly mse?: number;
}

export interface SliceEntry {
  readonly text: string;
  readonly predicates: readonly SlicePredicate[];
  /** Size, error sum, mean error and score on the searched rows. */
  readonly size: number;
  readonly errorSum: number;
  readonly errorMean: number;
  readonly score: number;
  readonly test: SliceTestStats;
  /** The slice's metrics over every row, to read it like a group. */
  readonly metrics: SliceMetrics;
  /** Below the minimum group size on the evaluation rows. */
  readonly small?: true;
}

export type SliceErrorKind = 'misclassification' | 'loss' | 'squared_error';

export interface SliceColumnInfo {
  readonly name: string;
  readonly kind: 'categorical' | 'numeric';
  /** Distinct values (categorical, missing excluded) or bins (numeric). */
  readonly values: number;
  /** Bin edges (numeric columns with more than 8 distinct values). */
  readonly edges?: readonly number[];
  readonly missing: number;
}

export interface SlicesSection {
  /** Rows searched (the even rows under holdout). */
  readonly n: number;
  readonly errorKind: SliceErrorKind;
  readonly errorMean: number;
  readonly alpha: number;
  readonly maxLevel: number;
  readonly minSupport: number;
  readonly k: number;
  readonly holdout: boolean;
  /**
   * Non-empty slices whose size and error were computed, and live slices whose expansion the
   * score bound cut (one definition for every search: docs/SHARDING.md §5 "Counters").
   */
  readonly evaluated: number;
  readonly pruned: number;
  /** Rows whose error is undefined (e.g. NaN loss), left out of the search and the tests. */
  readonly undefinedErrors: number;
  readonly columns: readonly SliceColumnInfo[];
  /** Columns the default selection left out, and why. */
  readonly skippedColumns: readonly { readonly column: string; readonly reason: string }[];
  readonly overall: SliceMetrics;
  readonly top: readonly SliceEntry[];
}

/** A slices report (`bias-inspector slices`, *Find Slices…*). */
export interface SlicesReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'slices';
  readonly createdAt: string;
  readonly spec: string;
  readonly model: ReportModel | null;
  readonly runtime: RuntimeInfo | null;
  readonly data: { readonly path: string; readonly rows: number; readonly skippedRows: number; readonly skipReasons: Readonly<Record<string, number>> };
  readonly slices: SlicesSection;
  /** A merged sharded run: each shard's rows, time, host and provider (docs/SHARDING.md). */
  readonly shards?: readonly ShardRun[];
}
