/**
 * Bias budgets (FORMULAS.md §G, DESIGN.md §3): each names a figure of a report, a bound (`max`
 * or `min`) and `use` (`estimate`, or `interval`: the interval's bound on the failing side must
 * hold). A budget whose figure the report lacks fails. Locations come from the spec's text
 * (jsonc-parser), so the CLI's SARIF and the editor's diagnostics point at the budget.
 */
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import { figureSection, type BudgetResult, type BudgetSpec } from '../../protocol/budgets';

type Interval = readonly [number, number];
/** A figure's value in a report, and its interval when the report has one. */
export interface FigureValue {
  readonly value: number | null;
  readonly interval?: Interval;
  /** Which group or format the figure is about, when it is a worst-of (for messages). */
  readonly about?: string;
  /** Why a figure has no value in this report (for the message), when the report says. */
  readonly why?: string;
}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && !Number.isNaN(v) ? v : null);
const interval = (v: unknown): Interval | undefined =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number' && !Number.isNaN(v[0]) && !Number.isNaN(v[1])
    ? [v[0], v[1]]
    : undefined;
const groupText = (g: unknown): string => (isObj(g) ? Object.entries(g).map(([k, v]) => `${k}=${String(v)}`).join(', ') : String(g));
const missing: FigureValue = { value: null };

function withInterval(value: number | null, ci: unknown, about?: string): FigureValue {
  const i = interval(ci);
  return { value, ...(i ? { interval: i } : {}), ...(about ? { about } : {}) };
}

function groupsFigure(groups: Obj, parts: string[]): FigureValue {
  const [kind, name, part] = parts;
  const disparity = isObj(groups['disparity']) ? groups['disparity'] : {};
  if (kind === 'overall' && name) {
    const overall = isObj(groups['overall']) ? groups['overall'] : {};
    return withInterval(num(overall[name]), isObj(overall['ci']) ? overall['ci'][name] : undefined);
  }
  if (kind === 'worst' && name) {
    const d = disparity[name];
    if (!isObj(d)) return missing;
    return withInterval(num(d['worstValue']), isObj(d['ci']) ? d['ci']['worstValue'] : undefined, d['worstGroup'] == null ? undefined : groupText(d['worstGroup']));
  }
  if (kind === 'disparity' && name) {
    const d = disparity[name];
    if (part !== undefined) {
      if (!isObj(d)) return missing;
      return withInterval(num(d[part]), isObj(d['ci']) ? d['ci'][part] : undefined);
    }
    const ci = isObj(groups['disparityCi']) ? groups['disparityCi'][name] : undefined;
    return withInterval(num(d), ci);
  }
  return missing;
}

function compareFigure(compare: Obj, parts: string[]): FigureValue {
  const [kind, name] = parts;
  if (kind === 'worseGroups') {
    // regression: McNemar does not apply, there are no verdicts to count (the budget fails, saying why)
    if (compare['verdictBasis'] === 'none') return { value: null, why: typeof compare['note'] === 'string' ? compare['note'] : 'the comparison has no verdicts' };
    const groups = Array.isArray(compare['byGroup']) ? compare['byGroup'] : [];
    const worse = groups.filter((g) => isObj(g) && g['verdict'] === 'worse' && g['level'] !== 'overall');
    return { value: worse.length, ...(worse.length ? { about: worse.map((g) => groupText((g as Obj)['group'])).join('; ') } : {}) };
  }
  if (!name) return missing;
  if (kind === 'worstDelta') {
    const w = isObj(compare['worstDelta']) ? compare['worstDelta'][name] : undefined;
    return isObj(w) ? withInterval(num(w['delta']), w['ci'], groupText(w['group'])) : missing;
  }
  if (kind === 'overall') {
    const groups = Array.isArray(compare['byGroup']) ? compare['byGroup'] : [];
    const overall = groups.find((g) => isObj(g) && g['group'] === 'overall') as Obj | undefined;
    const m = overall && isObj(overall['metrics']) ? overall['metrics'][name] : undefined;
    return isObj(m) ? withInterval(num(m['delta']), m['ci']) : missing;
  }
  if (kind === 'disparity') {
    const m = isObj(compare['disparity']) ? compare['disparity'][name] : undefined;
    return isObj(m) ? withInterval(num(m['delta']), m['ci']) : missing;
  }
  return missing;
}

function quantFigure(quant: Obj, parts: string[]): FigureValue {
  const impact = Array.isArray(quant['impact']) ? quant['impact'].filter(isObj) : [];
  const field = parts.join('.') === 'worstGroup.lossDelta' ? 'worstGroupLossDelta' : parts[0];
  if (!field || impact.length === 0) return missing;
  const smallest = field === 'agreement';
  let best: FigureValue = missing;
  for (const entry of impact) {
    const v = num(entry[field]);
    if (v === null) continue;
    if (best.value === null || (smallest ? v < best.value : v > best.value)) {
      const group = field === 'worstGroupLossDelta' && entry['worstGroup'] != null ? `, group ${groupText(entry['worstGroup'])}` : '';
      best = { value: v, about: `${String(entry['label'] ?? entry['format'])}${group}` };
    }
  }
  return best;
}

/** Reads a figure (a name of `budgetFigures()`) from a report; `value: null` when the report lacks it. */
export function figureValue(report: unknown, figure: string): FigureValue {
  if (!isObj(report)) return missing;
  const [section, ...parts] = figure.split('.');
  const body = section === undefined ? undefined : report[section];
  if (!isObj(body)) return missing;
  if (section === 'groups') return groupsFigure(body, parts);
  if (section === 'compare') return compareFigure(body, parts);
  if (section === 'quantization') return quantFigure(body, parts);
  return missing;
}

/** 1-based start and end of each `budgets[i]` object in the spec's text (JSON with comments allowed). */
export function budgetRanges(text: string): { line: number; column: number; endLine: number; endColumn: number }[] {
  const root = parseTree(text);
  const list = root ? findNodeAtLocation(root, ['budgets']) : undefined;
  if (!list || list.type !== 'array') return [];
  return (list.children ?? []).map((node: Node) => {
    const start = lineColumn(text, node.offset);
    const end = lineColumn(text, node.offset + node.length);
    return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  });
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString());

/** Evaluates one budget against a report. */
export function evaluateBudget(
  report: unknown, budget: BudgetSpec, index: number, location: BudgetResult['location'],
): BudgetResult {
  const use = budget.use ?? 'estimate';
  const isMax = budget.max !== undefined;
  const limit = (isMax ? budget.max : budget.min) as number;
  const bound = isMax ? { max: limit } : { min: limit };
  const f = figureValue(report, budget.figure);
  const sign = isMax ? '≤' : '≥';
  const about = f.about ? ` (${f.about})` : '';
  const ci = f.interval ? `, 95% interval [${fmt(f.interval[0])}, ${fmt(f.interval[1])}]` : '';
  const base = { figure: budget.figure, bound, use, value: f.value, ...(f.interval ? { interval: f.interval } : {}), index, location };
  if (f.value === null) {
    return { ...base, checked: null, ok: false, message: `${budget.figure}: the report has no value for this figure${f.why ? ` (${f.why})` : ''}, so the budget ${sign} ${fmt(limit)} fails` };
  }
  if (use === 'interval' && !f.interval) {
    return { ...base, checked: null, ok: false, message: `${budget.figure} = ${fmt(f.value)}${about}: the budget uses the interval and the report has none (run with --bootstrap N), so it fails` };
  }
  const checked = use === 'interval' && f.interval ? (isMax ? f.interval[1] : f.interval[0]) : f.value;
  const ok = isMax ? checked <= limit : checked >= limit;
  const what = use === 'interval' ? `${isMax ? 'upper' : 'lower'} interval bound ${fmt(checked)}` : `value ${fmt(checked)}`;
  const message = `${budget.figure} = ${fmt(f.value)}${about}${ci}: ${what} ${ok ? 'holds' : 'breaks'} the budget ${isMax ? 'max' : 'min'} ${fmt(limit)} (must be ${sign} ${fmt(limit)})`;
  return { ...base, checked, ok, message };
}

/**
 * Evaluates the spec's budgets against a report. Budgets whose section (`groups`, `compare`,
 * `quantization`) the report does not have are left out unless `all` (check: every budget
 * must be met, so a missing section fails).
 */
export function evaluateBudgets(
  report: unknown, budgets: readonly BudgetSpec[], spec: { file: string; text?: string }, options: { all?: boolean } = {},
): BudgetResult[] {
  const ranges = spec.text === undefined ? [] : budgetRanges(spec.text);
  const out: BudgetResult[] = [];
  budgets.forEach((budget, index) => {
    if (!options.all && !(isObj(report) && report[figureSection(budget.figure)] !== undefined)) return;
    const r = ranges[index];
    const location = { file: spec.file, line: r?.line ?? 1, column: r?.column ?? 1, endLine: r?.endLine ?? 1, endColumn: r?.endColumn ?? 1 };
    out.push(evaluateBudget(report, budget, index, location));
  });
  return out;
}
