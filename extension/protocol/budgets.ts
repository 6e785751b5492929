/**
 * The report's `budgets` section (DESIGN.md §3/§4, FORMULAS.md §G): the spec's bias budgets
 * evaluated against the report's figures. `check` exits 3 when one fails.
 */
import type { REPORT_SCHEMA, ReportModel } from './report';
import type { RuntimeInfo } from './runtime';

/** A budget as written in the spec. */
export interface BudgetSpec {
  /** A figure of a report, e.g. `groups.disparity.equalized_odds_difference`. */
  readonly figure: string;
  readonly max?: number;
  readonly min?: number;
  /** `estimate` (default): the value must hold; `interval`: the interval's bound on the failing side must. */
  readonly use?: 'estimate' | 'interval';
}

/** One evaluated budget. */
export interface BudgetResult {
  readonly figure: string;
  readonly bound: { readonly max: number } | { readonly min: number };
  readonly use: 'estimate' | 'interval';
  /** null when the report has no such figure (the budget then fails). */
  readonly value: number | null;
  readonly interval?: readonly [number, number];
  /** The number that was compared with the bound (the value, or the interval's bound on the failing side). */
  readonly checked: number | null;
  readonly ok: boolean;
  /** Why it failed (or holds), one line. */
  readonly message: string;
  /** 0-based index in the spec's `budgets`. */
  readonly index: number;
  /** Where the budget is written: the spec file, 1-based line and column. */
  readonly location: { readonly file: string; readonly line: number; readonly column: number; readonly endLine: number; readonly endColumn: number };
}

/** Scalar §B metrics a figure may name (every task's; a report has those of its task). */
export const BUDGET_METRICS = [
  'loss', 'accuracy', 'error_rate', 'selection_rate', 'tpr', 'fpr', 'fnr', 'tnr', 'precision', 'brier', 'ece', 'macro_f1', 'mse', 'mae',
] as const;
/** Fairlearn's named summaries (binary tasks). */
export const BUDGET_FAIRNESS = [
  'demographic_parity_difference', 'demographic_parity_ratio', 'equalized_odds_difference', 'equalized_odds_ratio',
  'equal_opportunity_difference', 'equal_opportunity_ratio', 'equalized_odds_difference_mean', 'equalized_odds_ratio_mean',
] as const;
const DISPARITY_PARTS = ['difference', 'ratio', 'toOverallDifference', 'toOverallRatio'] as const;

/**
 * Every figure a budget may name, with what it reads (one owner: the spec validator, the
 * evaluator and the error message use this list):
 * - `groups.overall.<metric>`, `groups.worst.<metric>` (the worst group's value),
 *   `groups.disparity.<metric>.<difference|ratio|toOverallDifference|toOverallRatio>`,
 *   `groups.disparity.<fairness summary>` — the candidate's groups section;
 * - `compare.worstDelta.<metric>`, `compare.overall.<metric>` (Δ overall),
 *   `compare.disparity.<fairness summary>` (Δ), `compare.worseGroups` (groups with verdict worse);
 * - `quantization.worstGroup.lossDelta`, `quantization.lossDelta`, `quantization.kl` (largest over
 *   the formats evaluated), `quantization.agreement` (smallest).
 */
export function budgetFigures(): string[] {
  const out: string[] = [];
  for (const m of BUDGET_METRICS) out.push(`groups.overall.${m}`, `groups.worst.${m}`);
  for (const m of BUDGET_METRICS) for (const p of DISPARITY_PARTS) out.push(`groups.disparity.${m}.${p}`);
  for (const f of BUDGET_FAIRNESS) out.push(`groups.disparity.${f}`);
  for (const m of BUDGET_METRICS) out.push(`compare.worstDelta.${m}`, `compare.overall.${m}`);
  for (const f of BUDGET_FAIRNESS) out.push(`compare.disparity.${f}`);
  out.push('compare.worseGroups', 'quantization.worstGroup.lossDelta', 'quantization.lossDelta', 'quantization.kl', 'quantization.agreement');
  return out;
}

/** The section a figure is read from (`groups`, `compare`, `quantization`). */
export function figureSection(figure: string): string {
  return figure.split('.')[0] ?? '';
}

/** The figures as the error message lists them: patterns, not 200 names. */
export const BUDGET_FIGURE_HELP = [
  `groups.overall.<metric>`, `groups.worst.<metric>`, `groups.disparity.<metric>.{${DISPARITY_PARTS.join(',')}}`,
  `groups.disparity.{${BUDGET_FAIRNESS.join(',')}}`, `compare.worstDelta.<metric>`, `compare.overall.<metric>`,
  `compare.disparity.<fairness summary>`, 'compare.worseGroups', 'quantization.worstGroup.lossDelta', 'quantization.lossDelta',
  'quantization.kl', 'quantization.agreement', `(<metric>: ${BUDGET_METRICS.join(', ')})`,
].join('; ');

/** The report of `bias-inspector check`: the analyses the budgets read, and every budget's result. */
export interface CheckReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'check';
  readonly createdAt: string;
  readonly spec: string;
  readonly model: ReportModel | null;
  readonly runtime: RuntimeInfo | null;
  readonly groups?: unknown;
  readonly compare?: unknown;
  readonly quantization?: unknown;
  readonly budgets: readonly BudgetResult[];
  /** True when every budget holds. */
  readonly ok: boolean;
}
