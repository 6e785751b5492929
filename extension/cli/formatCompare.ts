/** Terminal rendering of a comparison (FORMULAS.md §G) and of evaluated budgets. */
import { parameterChangeText, parametersChangedText, type CompareGroup, type CompareSection } from '../protocol/compare';
import type { BudgetResult } from '../protocol/budgets';
import { groupLabel, primaryMetric } from './formatGroups';
import { table } from './format';

const RATES = new Set(['accuracy', 'error_rate', 'selection_rate', 'tpr', 'fpr', 'fnr', 'tnr', 'precision', 'ece', 'macro_f1']);
const show = (m: string, v: number): string => (!Number.isFinite(v) ? String(v) : RATES.has(m) ? (v * 100).toFixed(1) : v.toPrecision(4));
const signed = (m: string, v: number): string => (Number.isFinite(v) && v > 0 ? '+' : '') + show(m, v);
const pval = (p: number): string => (!Number.isFinite(p) ? '—' : p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));
const name = (g: CompareGroup): string => (g.group === 'overall' ? 'overall' : groupLabel(g.group)) + (g.small ? ' *' : '');

/** Groups, worst first: significant worse, then by Δ of the primary metric (ascending where higher is better). */
export function compareOrder(section: CompareSection): CompareGroup[] {
  const m = primaryMetric(section.task);
  const rank = (g: CompareGroup): number => (g.verdict === 'worse' ? 0 : g.verdict === 'same' ? 1 : 2);
  const sign = m === 'accuracy' ? 1 : -1;
  return [...section.byGroup].sort((a, b) => rank(a) - rank(b) || sign * ((a.metrics[m]?.delta ?? 0) - (b.metrics[m]?.delta ?? 0)));
}

export function formatCompare(s: CompareSection): string {
  const m = primaryMetric(s.task);
  const lines: string[] = [];
  lines.push(`Compare: A ${s.a.model} -> B ${s.b.model} (${s.source === 'referenceModel' ? 'A = the spec\'s referenceModel, the baseline' : `B from --${s.source}`})`);
  lines.push(`  ${s.rows} rows${s.bootstrap ? `, ${s.bootstrap.replicates} paired bootstrap replicates (seed ${s.bootstrap.seed})` : ', no intervals (--bootstrap N)'}; Δ = B − A${RATES.has(m) ? ' (rates in %)' : ''}; McNemar exact on accuracy, BH q over ${s.byGroup.length - 1} groups; * = fewer than ${s.minGroupSize} rows`);
  const worse = s.byGroup.filter((g) => g.verdict === 'worse');
  const better = s.byGroup.filter((g) => g.verdict === 'better');
  const regression = s.verdictBasis === 'none';
  const count = (v: number): string => (Number.isFinite(v) ? String(v) : '—');
  if (regression) lines[1] = `  ${s.rows} rows${s.bootstrap ? `, ${s.bootstrap.replicates} paired bootstrap replicates (seed ${s.bootstrap.seed})` : ', no intervals (--bootstrap N)'}; Δ = B − A; * = fewer than ${s.minGroupSize} rows`;
  lines.push('', regression
    ? `NO VERDICT: ${s.note ?? 'regression: flips and McNemar do not apply'}.`
    : worse.length
    ? `SIGNIFICANTLY WORSE (q < 0.05, more rows broke than were fixed): ${worse.map((g) => `${name(g)} (${m} ${show(m, g.metrics[m]?.a ?? NaN)} -> ${show(m, g.metrics[m]?.b ?? NaN)}, broken ${g.flips.broken} vs fixed ${g.flips.fixed}, q ${pval(g.mcnemar.q)})`).join('; ')}`
    : 'No group is significantly worse (q < 0.05).');
  if (better.length) lines.push(`Significantly better: ${better.map(name).join('; ')}`);
  lines.push('', table([
    ['group', 'n', `${m} A`, `${m} B`, 'Δ', '95% CI of Δ', 'flips', 'broken', 'fixed', 'p', 'q', 'verdict'],
    ...compareOrder(s).map((g) => {
      const x = g.metrics[m];
      return [name(g), String(g.count), show(m, x?.a ?? NaN), show(m, x?.b ?? NaN), signed(m, x?.delta ?? NaN),
        x?.ci ? `[${signed(m, x.ci[0])}, ${signed(m, x.ci[1])}]` : '—', count(g.flips.count), count(g.flips.broken), count(g.flips.fixed),
        pval(g.mcnemar.p), pval(g.mcnemar.q), g.verdict];
    }),
  ]));
  const worst = Object.entries(s.worstDelta);
  if (worst.length) {
    lines.push('', `Worst Δ per metric (groups with ≥ ${s.minGroupSize} rows):`);
    lines.push(table(worst.map(([metric, w]) => [`  ${metric}`, signed(metric, w.delta), w.ci ? `[${signed(metric, w.ci[0])}, ${signed(metric, w.ci[1])}]` : '', groupLabel(w.group)])));
  }
  if (s.disparity) {
    const d = s.disparity['equalized_odds_difference'];
    const p = s.disparity['demographic_parity_difference'];
    if (d && p) lines.push('', `Equalized odds difference ${d.a.toPrecision(3)} -> ${d.b.toPrecision(3)}; demographic parity difference ${p.a.toPrecision(3)} -> ${p.b.toPrecision(3)}`);
  }
  if (s.parameters) {
    const p = s.parameters;
    lines.push('', parametersChangedText(p));
    for (const c of p.changed.slice(0, 10)) lines.push(`  ${parameterChangeText(c)}`);
    if (p.changed.length > 10) lines.push(`  … ${p.changed.length - 10} more changed tensors in the JSON report (compare.parameters)`);
    for (const t of p.reshapedTensors.slice(0, 5)) lines.push(`  ${t.name}: ${t.a.dtype} [${t.a.shape.join(', ')}] -> ${t.b.dtype} [${t.b.shape.join(', ')}]`);
  }
  const broken = s.flipRows.filter((r) => r.kind === 'broken').slice(0, 5);
  if (broken.length) {
    lines.push('', 'Rows that broke (first 5; all listed rows are in the JSON report):');
    for (const r of broken) lines.push(`  row ${r.row} (${groupLabel(r.group)}): label ${r.label}, A ${r.predA}, B ${r.predB}${r.inputs ? `; ${Object.entries(r.inputs).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}`);
  }
  return lines.join('\n');
}

export function formatBudgets(budgets: readonly BudgetResult[]): string {
  if (budgets.length === 0) return '';
  const failed = budgets.filter((b) => !b.ok).length;
  const lines = [`Budgets: ${budgets.length - failed} of ${budgets.length} hold${failed ? `, ${failed} FAIL` : ''}`];
  for (const b of budgets) lines.push(`  ${b.ok ? 'ok  ' : 'FAIL'} ${b.location.file}:${b.location.line}:${b.location.column}: ${b.message}`);
  return lines.join('\n');
}
