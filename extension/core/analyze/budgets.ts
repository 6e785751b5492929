/**
 * Budgets after an analysis (DESIGN.md §3, FORMULAS.md §G): the spec's budgets whose figures
 * the report has a section for are evaluated and added as the report's `budgets`. `runCheck`
 * runs every analysis the budgets need and evaluates all of them.
 */
import { readFile } from 'node:fs/promises';
import { BadInputError, type ProgressFn } from '../errors';
import type { ResolvedSpec } from '../data';
import { evaluateBudgets } from '../report/budgets';
import { figureSection, type BudgetResult } from '../../protocol/budgets';
import { REPORT_SCHEMA } from '../../protocol/report';
import type { RuntimeInfo } from '../../protocol/runtime';
import type { ReportModel } from '../../protocol/report';
import { runCompare } from './compare';
import { runGroups, type GroupsRunOptions } from './groups';
import { runQuant } from './quant';

async function specText(spec: ResolvedSpec): Promise<string | undefined> {
  if (!spec.specPath) return undefined;
  try {
    return await readFile(spec.specPath, 'utf8');
  } catch {
    return undefined;
  }
}

/** The report with `budgets` (the spec's budgets on this report's sections) when the spec has any. */
export async function withBudgets<R extends object>(report: R, spec: ResolvedSpec): Promise<R & { budgets?: BudgetResult[] }> {
  if (!spec.budgets?.length) return report;
  const results = evaluateBudgets(report, spec.budgets, { file: spec.specPath, ...(await textOf(spec)) });
  return results.length ? { ...report, budgets: results } : report;
}

async function textOf(spec: ResolvedSpec): Promise<{ text?: string }> {
  const text = await specText(spec);
  return text === undefined ? {} : { text };
}

import type { CheckReport } from '../../protocol/budgets';
export type { CheckReport } from '../../protocol/budgets';

export interface CheckOptions extends GroupsRunOptions {
  /** Quantization worker script (the per-tensor analysis), when a budget reads `quantization`. */
  readonly workerPath?: string | URL;
}

/** Whether any budget checks its interval (the analyses then need bootstrap replicates). */
export function needsIntervals(spec: ResolvedSpec): boolean {
  return (spec.budgets ?? []).some((b) => b.use === 'interval');
}

/** Default replicates when an interval budget runs under a spec without `bootstrap`. */
export const CHECK_DEFAULT_BOOTSTRAP = 200;

/**
 * Runs the analyses the spec's budgets read (groups; compare with the spec's `referenceModel`;
 * quantization with the spec's data) and evaluates every budget; a figure the reports lack fails.
 * @throws BadInputError when the spec has no budgets, or a `compare` figure without `referenceModel`.
 */
export async function runCheck(spec: ResolvedSpec, options: CheckOptions): Promise<CheckReport> {
  const budgets = spec.budgets ?? [];
  if (budgets.length === 0) throw new BadInputError('check.no-budgets', `${spec.specPath || 'the spec'}: field "budgets": the spec has no budgets to check (e.g. "budgets": [{"figure": "groups.disparity.equalized_odds_difference", "max": 0.1}])`, { file: spec.specPath });
  const sections = new Set(budgets.map((b) => figureSection(b.figure)));
  if (sections.has('compare') && !spec.referenceModel) {
    const i = budgets.findIndex((b) => figureSection(b.figure) === 'compare');
    throw new BadInputError('check.compare-needs-reference', `${spec.specPath || 'the spec'}: field "budgets[${i}].figure": ${budgets[i]?.figure} is a comparison figure; set "referenceModel" (the baseline) so check can run the comparison`, { file: spec.specPath });
  }
  const bootstrap = options.bootstrap ?? spec.bootstrap ?? (needsIntervals(spec) ? CHECK_DEFAULT_BOOTSTRAP : 0);
  const run: GroupsRunOptions = { ...options, bootstrap };
  const parts: { groups?: unknown; compare?: unknown; quantization?: unknown; model: ReportModel | null; runtime: RuntimeInfo | null } = { model: null, runtime: null };
  const quant = sections.has('quantization');
  const progress = (from: number, to: number): ProgressFn => (f, m) => options.onProgress?.(from + (to - from) * f, m);
  if (sections.has('groups') || sections.has('compare')) {
    const split = quant ? 0.5 : 1;
    if (spec.referenceModel) {
      const r = await runCompare(spec, { ...run, target: { kind: 'referenceModel' }, onProgress: progress(0, split) });
      Object.assign(parts, { groups: r.groups, compare: r.compare, model: r.model, runtime: r.runtime });
    } else {
      const r = await runGroups(spec, { ...run, onProgress: progress(0, split) });
      Object.assign(parts, { groups: r.groups, model: r.model, runtime: r.runtime });
    }
  }
  if (quant) {
    if (!spec.model) throw new BadInputError('spec.model', `${spec.specPath}: quantization budgets need the spec's "model"`, { file: spec.specPath });
    const r = await runQuant(spec, {
      ...options, model: spec.model,
      onProgress: progress(sections.size > 1 ? 0.5 : 0, 1),
    });
    parts.quantization = r.quantization;
    parts.model ??= r.model;
    parts.runtime ??= r.runtime ?? null;
  }
  const report = { ...(parts.groups ? { groups: parts.groups } : {}), ...(parts.compare ? { compare: parts.compare } : {}), ...(parts.quantization ? { quantization: parts.quantization } : {}) };
  const results = evaluateBudgets(report, budgets, { file: spec.specPath, ...(await textOf(spec)) }, { all: true });
  options.onProgress?.(1, 'done');
  return {
    schema: REPORT_SCHEMA, kind: 'check', createdAt: new Date().toISOString(), spec: spec.specPath,
    model: parts.model, runtime: parts.runtime, ...report, budgets: results, ok: results.every((r) => r.ok),
  };
}
