/**
 * The report's `groups` section (DESIGN.md §4): the one definition, written by core/metrics and
 * core/analyze, printed by the CLI and rendered by the webview. Metric names and definitions
 * follow FORMULAS.md §B (Fairlearn's conventions).
 */
import type { ReportModel, REPORT_SCHEMA, ReportData } from './report';
import type { RuntimeInfo } from './runtime';

export type Interval = readonly [number, number];
/** A group as the report shows it: sensitive column -> value. */
export type GroupKey = Readonly<Record<string, string>>;
export type MetricsTask = 'binary' | 'multiclass' | 'regression';

/** One reliability-diagram point: a non-empty confidence bin. */
export interface CalibrationBin {
  readonly bin: number;
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
  readonly meanConfidence: number;
  readonly meanCorrect: number;
}

/** Metrics shared by every task. */
export type CommonMetrics = {
  readonly count: number;
  /** Weighted mean loss over samples whose loss is not NaN (dice: the set-level dice loss). */
  readonly loss: number;
  /** Samples whose loss was NaN: reported, not averaged. */
  readonly nan_losses: number;
};

export type BinaryMetrics = CommonMetrics & {
  readonly accuracy: number;
  readonly error_rate: number;
  readonly selection_rate: number;
  readonly tpr: number;
  readonly fpr: number;
  readonly fnr: number;
  readonly tnr: number;
  readonly precision: number;
  readonly brier: number;
  readonly ece: number;
  readonly positives: number;
  readonly negatives: number;
};

export type MulticlassMetrics = CommonMetrics & {
  readonly accuracy: number;
  readonly error_rate: number;
  readonly brier: number;
  readonly ece: number;
  readonly macro_f1: number;
  readonly per_class_recall: readonly number[];
  readonly per_class_support: readonly number[];
};

export type RegressionMetrics = CommonMetrics & {
  readonly mse: number;
  readonly mae: number;
};

/** The metrics of one group as the engine computes them: one shape per task. */
export type MetricRecord = BinaryMetrics | MulticlassMetrics | RegressionMetrics;

/** The same metrics read without knowing the task: which ones are present depends on it. */
export type MetricValues = CommonMetrics & Partial<Omit<BinaryMetrics & MulticlassMetrics & RegressionMetrics, keyof CommonMetrics>>;

export type GroupEntry = MetricValues & {
  readonly group: GroupKey;
  readonly calibration?: readonly CalibrationBin[];
  readonly ci?: Readonly<Record<string, Interval>>;
  readonly small?: true;
};

export type OverallEntry = MetricValues & {
  readonly calibration?: readonly CalibrationBin[];
  readonly ci?: Readonly<Record<string, Interval>>;
};

export interface MetricDisparity {
  readonly difference: number;
  readonly ratio: number;
  readonly toOverallDifference: number;
  readonly toOverallRatio: number;
  readonly worstGroup: GroupKey | null;
  readonly worstValue: number;
  readonly ci?: {
    readonly difference: Interval; readonly ratio: Interval; readonly toOverallDifference: Interval;
    readonly toOverallRatio: Interval; readonly worstValue: Interval;
  };
}

/** Fairlearn's named summaries (binary tasks), between_groups. */
export const FAIRNESS_NAMES = [
  'demographic_parity_difference',
  'demographic_parity_ratio',
  'equalized_odds_difference',
  'equalized_odds_ratio',
  'equal_opportunity_difference',
  'equal_opportunity_ratio',
  'equalized_odds_difference_mean',
  'equalized_odds_ratio_mean',
] as const;
export type FairnessName = (typeof FAIRNESS_NAMES)[number];

/** `disparity`: one entry per scalar metric, plus Fairlearn's named summaries for binary tasks. */
export type DisparitySection = { readonly [metric: string]: MetricDisparity | number | undefined } & Partial<Readonly<Record<FairnessName, number>>>;
/** Intervals of the named summaries (FAIRNESS_NAMES), by name. */
export type DisparityIntervals = Readonly<Record<string, Interval | undefined>>;

export interface ColumnTable {
  readonly column: string;
  readonly byGroup: readonly GroupEntry[];
  readonly disparity: DisparitySection;
  readonly disparityCi?: DisparityIntervals;
  /** Rows whose value of this column is missing. */
  readonly missing: number;
}

/** Feature-diversity statistics of one set of samples (a group, or all), FORMULAS.md A.4. */
export interface DiversityStats {
  /** Samples with a variance. */
  readonly count: number;
  readonly meanVHat: number;
  /** v̂ at the diversity quantiles, numpy's linear quantile. */
  readonly quantiles: readonly number[];
  readonly lowCount: number;
  readonly lowShare: number;
  /** Accuracy of the low-diversity samples and of the rest (NaN when a side is empty). */
  readonly lowAccuracy: number;
  readonly restAccuracy: number;
  /** mean(z·CE) over the set. */
  readonly biasLoss: number;
}

export type DiversityGroupStats = DiversityStats & { readonly group: GroupKey };

export interface DiversitySection {
  readonly tau: number;
  readonly alpha: number;
  readonly beta: number;
  readonly min: number;
  readonly max: number;
  readonly degenerate: boolean;
  readonly overall: DiversityStats;
  readonly byGroup: readonly DiversityGroupStats[];
  readonly byColumn: readonly { readonly column: string; readonly byGroup: readonly DiversityGroupStats[] }[];
}

export interface GroupsSection {
  readonly sensitive: readonly string[];
  readonly overall: OverallEntry;
  /** Intersections of all sensitive columns that occur. */
  readonly byGroup: readonly GroupEntry[];
  readonly disparity: DisparitySection;
  readonly disparityCi?: DisparityIntervals;
  readonly task: MetricsTask;
  /** Each sensitive column alone. */
  readonly byColumn: readonly ColumnTable[];
  readonly missingGroup: number;
  readonly minGroupSize: number;
  readonly bootstrap?: {
    readonly replicates: number; readonly seed: number; readonly confidence: number; readonly method: 'percentile';
    /**
     * multinomial: n rows drawn with replacement (FORMULAS.md §B); poisson: counter-based Poisson(1)
     * row weights (docs/SHARDING.md §2). Absent in reports written before sharding: multinomial.
     */
    readonly scheme?: 'multinomial' | 'poisson';
    /**
     * How replicates were drawn (docs/BOOTSTRAP.md), each exact in distribution for its scheme:
     * cells: multinomial counts over cells (group combination × label × prediction × …), nothing
     * per row; cells+rows: the same over blocks of ≤ 256 rows of a cell, then rows drawn inside
     * the blocks, where row values (losses, Brier terms, confidences, weights) are summed; rows:
     * n row indices (the dice loss). Absent for the Poisson scheme (row weights) and in older
     * reports (rows).
     */
    readonly sampler?: 'cells' | 'cells+rows' | 'rows';
  };
  readonly diversity?: DiversitySection;
}

/** A report of the groups analysis (`kind: 'groups'`). */
export interface GroupsReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'groups';
  readonly createdAt: string;
  /** The spec file ('' when the spec came from flags). */
  readonly spec: string;
  /** null for a report computed from precomputed predictions (no model). */
  readonly model: ReportModel | null;
  readonly runtime: RuntimeInfo | null;
  readonly data: ReportData & { readonly skipReasons: Readonly<Record<string, number>> };
  readonly groups: GroupsSection;
  /** A merged sharded run (docs/SHARDING.md): each shard's rows, time and provider. */
  readonly shards?: readonly ShardRun[];
}

/** One shard of a merged report. */
export interface ShardRun {
  readonly shard: number;
  /** Data rows of the shard (used + skipped). */
  readonly rows: number;
  readonly seconds: number;
  /** The execution provider the shard's worker used (null: predictions, no model). */
  readonly provider: string | null;
  /** The machine the shard ran on, when the distributed runner says. */
  readonly host?: string;
  /** Peak RSS of the worker's CLI processes up to this shard, MB (distributed runner). */
  readonly peakRssMb?: number;
}
