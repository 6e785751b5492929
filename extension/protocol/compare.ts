/**
 * The report's `compare` section (DESIGN.md §4, FORMULAS.md §G): two models (or two specs, or
 * two prediction files) on the same rows. A is the baseline, B the candidate; Δ = B − A.
 */
import type { GroupKey, GroupsSection, Interval, MetricsTask } from './groups';
import type { REPORT_SCHEMA, ReportModel } from './report';
import type { RuntimeInfo } from './runtime';
import type { OpCount, ValueInfo } from './model';

/** One metric of one group for both models. `ci` is the paired-bootstrap percentile interval of Δ. */
export interface CompareMetric {
  readonly a: number;
  readonly b: number;
  readonly delta: number;
  readonly ci?: Interval;
}

/** Rows whose predicted class differs (counts are unweighted rows). */
export interface CompareFlips {
  readonly count: number;
  /** count / the group's rows. */
  readonly share: number;
  /** A wrong, B right. */
  readonly fixed: number;
  /** A right, B wrong. */
  readonly broken: number;
}

/**
 * From the McNemar test (FORMULAS.md §G). `none`: a regression task, whose predictions are numbers,
 * not classes that are right or wrong: flips and McNemar do not apply and no group gets a verdict.
 */
export type CompareVerdict = 'worse' | 'better' | 'same' | 'none';

/** What the verdicts rest on: the McNemar test on flips, or nothing (regression: see `note`). */
export type CompareVerdictBasis = 'mcnemar' | 'none';

/** The `note` of a regression comparison (reports, CLI and views say the same). */
export const REGRESSION_COMPARE_NOTE = 'regression: flips and the McNemar test are defined on predicted classes, so they do not apply (flip counts, McNemar p and q are NaN) and no group gets a verdict; judge B by Δ of mse/mae/loss and its paired bootstrap interval (an interval entirely above 0 means B is worse there)';

/** One group of the comparison: "overall", a value of one sensitive column, or an intersection. */
export interface CompareGroup {
  readonly group: GroupKey | 'overall';
  /** `column`: one sensitive column alone; `intersection`: every sensitive column (only with ≥ 2 columns). */
  readonly level: 'overall' | 'column' | 'intersection';
  readonly count: number;
  readonly metrics: Readonly<Record<string, CompareMetric>>;
  readonly flips: CompareFlips;
  /** McNemar exact test on accuracy (b = broken, c = fixed) and its Benjamini–Hochberg q-value. */
  readonly mcnemar: { readonly p: number; readonly q: number };
  readonly verdict: CompareVerdict;
  /** count < minGroupSize: reported, left out of worstDelta. */
  readonly small?: true;
}

/** The worst Δ of one metric over groups and intersections with count ≥ minGroupSize. */
export interface CompareWorstDelta {
  readonly group: GroupKey;
  readonly delta: number;
  readonly ci?: Interval;
}

/** One model (or predictions file) of the comparison. */
export interface CompareSide {
  readonly model: string;
  /** sha256 of the model file (of the predictions file when there is no model). */
  readonly sha256: string;
  /** The spec it ran under. */
  readonly spec?: string;
  /** The model's summary (absent for a predictions file), for the side-by-side view. */
  readonly summary?: {
    readonly inputs: readonly ValueInfo[];
    readonly outputs: readonly ValueInfo[];
    readonly parameters: number;
    readonly nodes: number;
    readonly ops: readonly OpCount[];
    readonly opsets: readonly { readonly domain: string; readonly version: number }[];
    readonly producer: { readonly name: string; readonly version: string };
  };
}

/** A weight tensor present in both models with the same dtype and shape whose values differ. */
export interface CompareParameterChange {
  /** The initializer's (or Constant node's output) name; `graphPath/name` inside a subgraph. */
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly elements: number;
  /** Elements whose value differs (NaN equals NaN). */
  readonly changed: number;
  /** changed / elements. */
  readonly share: number;
  /** max |B − A| over the elements (float tensors; NaN for other dtypes). */
  readonly maxAbs: number;
  /** ‖B − A‖₂ / ‖A‖₂ (float tensors; NaN for other dtypes or when ‖A‖₂ = 0). */
  readonly relL2: number;
}

/** A weight tensor of one model only, or of both with another dtype or shape. */
export interface CompareParameterTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

/**
 * Which parameters changed from A to B (weights: initializers and Constant-node tensors, matched
 * by name). `changed` lists every changed tensor, largest relative change first; the other lists
 * keep at most `listed` entries each (their counts are exact).
 */
export interface CompareParameters {
  /** Weight tensors of A and of B. */
  readonly tensorsA: number;
  readonly tensorsB: number;
  /** Tensors in both with the same dtype and shape (compared value by value). */
  readonly compared: number;
  readonly unchanged: number;
  readonly changed: readonly CompareParameterChange[];
  /** Elements of the compared tensors, and how many of them differ. */
  readonly elements: number;
  readonly elementsChanged: number;
  readonly onlyA: number;
  readonly onlyB: number;
  readonly reshaped: number;
  readonly onlyInA: readonly CompareParameterTensor[];
  readonly onlyInB: readonly CompareParameterTensor[];
  readonly reshapedTensors: readonly { readonly name: string; readonly a: CompareParameterTensor; readonly b: CompareParameterTensor }[];
  /** The cap of onlyInA, onlyInB and reshapedTensors. */
  readonly listed: number;
}

/** Relative change as text: "0.31", "1.2e-7", "— (‖A‖ = 0)". */
export function relChangeText(value: number): string {
  // a saved report holds NaN as the string "NaN" (reportToJson)
  const v = Number(value);
  return Number.isNaN(v) ? '—' : v === 0 ? '0' : v >= 1e-3 ? v.toPrecision(2) : v.toExponential(1);
}

/** The headline of the parameter comparison: "Parameters that changed: 2 of 4 tensors (3 of 12 values); 1 only in B". */
export function parametersChangedText(p: CompareParameters): string {
  const extra = [
    p.onlyA ? `${p.onlyA} only in A` : '',
    p.onlyB ? `${p.onlyB} only in B` : '',
    p.reshaped ? `${p.reshaped} with another shape or dtype` : '',
  ].filter(Boolean).join(', ');
  return `Parameters that changed: ${p.changed.length} of ${p.compared} tensors${p.compared ? ` (${p.elementsChanged} of ${p.elements} values)` : ''}${extra ? `; ${extra}` : ''}`;
}

/** max |Δ| as text ("—" for NaN, also when saved as the string "NaN"). */
export function absText(value: number): string {
  const v = Number(value);
  return Number.isNaN(v) ? '—' : v.toPrecision(2);
}

/** One changed tensor: "fc1.weight [16, 8] rel. L2 0.31, max |Δ| 0.12, 100% of values". */
export function parameterChangeText(c: CompareParameterChange): string {
  const share = c.share === 1 ? '100' : (c.share * 100).toPrecision(2);
  return `${c.name} [${c.shape.join(', ')}] rel. L2 ${relChangeText(c.relL2)}, max |Δ| ${absText(c.maxAbs)}, ${share}% of values`;
}

/** A row that flipped, with its group, label, both predictions and its input cells. */
export interface CompareFlipRow {
  /** 1-based data row number. */
  readonly row: number;
  readonly kind: 'fixed' | 'broken' | 'changed';
  readonly group: GroupKey;
  readonly label: number;
  readonly predA: number;
  readonly predB: number;
  /** Binary: P(positive) of each model, when the outputs have it. */
  readonly scoreA?: number;
  readonly scoreB?: number;
  /** Input columns of the spec (and the label) as they are in the data file. */
  readonly inputs?: Readonly<Record<string, string>>;
}

export interface CompareSection {
  readonly a: CompareSide;
  readonly b: CompareSide;
  /** How A and B were chosen (FORMULAS.md §G "Which is A"). */
  readonly source: 'model-b' | 'spec-b' | 'predictions-b' | 'referenceModel' | 'quantized';
  readonly task: MetricsTask;
  /** `mcnemar` (classification) or `none` (regression). */
  readonly verdictBasis: CompareVerdictBasis;
  /** Why there are no flips or verdicts (regression). */
  readonly note?: string;
  readonly sensitive: readonly string[];
  readonly rows: number;
  readonly minGroupSize: number;
  readonly bootstrap?: {
    readonly replicates: number; readonly seed: number; readonly confidence: number; readonly method: 'paired-percentile';
    /** Set when the replicates are keyed Poisson(1) row weights (sharded runs; default multinomial). */
    readonly scheme?: 'poisson';
  };
  /** Overall first, then each sensitive column's groups, then intersections. */
  readonly byGroup: readonly CompareGroup[];
  readonly worstDelta: Readonly<Record<string, CompareWorstDelta>>;
  /** Fairlearn summaries over the intersections (binary): A, B and Δ with its paired interval. */
  readonly disparity?: Readonly<Record<string, CompareMetric>>;
  /** Which weights changed from A to B (two models; absent for prediction files and probes). */
  readonly parameters?: CompareParameters;
  /** Rows that broke first, then fixed, then changed, up to `flipRowsShown`. */
  readonly flipRows: readonly CompareFlipRow[];
  readonly flipRowsShown: number;
}

/** The report of a comparison (`bias-inspector compare`, a spec with `referenceModel`). */
export interface CompareReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'compare';
  readonly createdAt: string;
  readonly spec: string;
  /** The candidate (B). */
  readonly model: ReportModel | null;
  readonly runtime: RuntimeInfo | null;
  readonly data: { readonly path: string; readonly rows: number; readonly skippedRows: number; readonly skipReasons: Readonly<Record<string, number>> };
  /** The candidate's (B's) own group metrics. */
  readonly groups: GroupsSection;
  readonly compare: CompareSection;
}

/** A spec with `referenceModel` run as `groups`: the comparison, under the groups kind (DESIGN.md §3). */
export type GroupsComparisonReport = Omit<CompareReport, 'kind'> & { readonly kind: 'groups' };
