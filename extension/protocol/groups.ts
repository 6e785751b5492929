/**
 * The report's `groups` section (DESIGN.md §4) as the UI reads it. core/metrics produces it; the
 * host checks at compile time that the engine's type is assignable to this one. Metric names
 * and definitions follow FORMULAS.md §B (Fairlearn's conventions).
 */
export type Interval = readonly [number, number];
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

/** Scalar metrics of a group; which ones are present depends on the task. */
export interface MetricValues {
  readonly count: number;
  readonly loss: number;
  readonly nan_losses: number;
  readonly accuracy?: number;
  readonly error_rate?: number;
  readonly selection_rate?: number;
  readonly tpr?: number;
  readonly fpr?: number;
  readonly fnr?: number;
  readonly tnr?: number;
  readonly precision?: number;
  readonly brier?: number;
  readonly ece?: number;
  readonly positives?: number;
  readonly negatives?: number;
  readonly macro_f1?: number;
  readonly per_class_recall?: readonly number[];
  readonly per_class_support?: readonly number[];
  readonly mse?: number;
  readonly mae?: number;
}

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

export type DisparitySection = { readonly [metric: string]: MetricDisparity | number | undefined };

export interface ColumnTable {
  readonly column: string;
  readonly byGroup: readonly GroupEntry[];
  readonly disparity: DisparitySection;
  readonly disparityCi?: Readonly<Record<string, Interval | undefined>>;
  readonly missing: number;
}

export interface DiversityStats {
  readonly count: number;
  readonly meanVHat: number;
  readonly quantiles: readonly number[];
  readonly lowCount: number;
  readonly lowShare: number;
  readonly lowAccuracy: number;
  readonly restAccuracy: number;
  readonly biasLoss: number;
}

export interface DiversitySection {
  readonly tau: number;
  readonly alpha: number;
  readonly beta: number;
  readonly min: number;
  readonly max: number;
  readonly degenerate: boolean;
  readonly overall: DiversityStats;
  readonly byGroup: readonly (DiversityStats & { readonly group: GroupKey })[];
  readonly byColumn: readonly { readonly column: string; readonly byGroup: readonly (DiversityStats & { readonly group: GroupKey })[] }[];
}

export interface GroupsSection {
  readonly sensitive: readonly string[];
  readonly overall: OverallEntry;
  /** Intersections of all sensitive columns that occur. */
  readonly byGroup: readonly GroupEntry[];
  readonly disparity: DisparitySection;
  readonly disparityCi?: Readonly<Record<string, Interval | undefined>>;
  readonly task: MetricsTask;
  /** Each sensitive column alone. */
  readonly byColumn: readonly ColumnTable[];
  readonly missingGroup: number;
  readonly minGroupSize: number;
  readonly bootstrap?: { readonly replicates: number; readonly seed: number; readonly confidence: number; readonly method: 'percentile' };
  readonly diversity?: DiversitySection;
}

/** A groups report as the UI receives it. */
export interface GroupsReportView {
  readonly schema: string;
  readonly kind: 'groups';
  readonly createdAt: string;
  readonly spec: string;
  readonly model: { readonly path: string; readonly parameters: number } | null;
  readonly runtime: { readonly used: string; readonly requested: readonly string[]; readonly fallbackReason?: string; readonly ortVersion: string } | null;
  readonly data: { readonly path: string; readonly rows: number; readonly skippedRows: number; readonly skipReasons: Readonly<Record<string, number>> };
  readonly groups: GroupsSection;
}
