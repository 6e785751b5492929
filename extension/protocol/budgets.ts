/**
 * The report's `budgets` section (DESIGN.md §3/§4, FORMULAS.md §G): the spec's bias budgets
 * evaluated against the report's figures. `check` exits 3 when one fails.
 */

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
