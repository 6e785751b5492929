/** Terminal rendering of slices and thresholds reports. */
import type { SliceEntry, SlicesReport } from '../protocol/slices';
import type { ThresholdsReport } from '../protocol/thresholds';
import { table } from './format';

const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : String(v));
const num = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
const pval = (p: number): string => (Number.isNaN(p) ? 'n/a' : p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));
const thr = (t: number | string): string => (typeof t === 'number' ? t.toFixed(4) : t);

/** "region = W and device = mobile: error 34.6% vs 9.7% elsewhere, n = 185, q = 2e-10" (on the test rows). */
export function sliceSentence(s: SliceEntry, errorKind: string): string {
  const rest = s.test.errorMean - s.test.diff;
  const what = errorKind === 'misclassification' ? 'error' : `mean ${errorKind.replace('_', ' ')}`;
  const value = (v: number): string => (errorKind === 'misclassification' ? pct(v) : num(v, 4));
  const notes = [s.small ? 'small' : '', s.test.q >= 0.05 || Number.isNaN(s.test.q) ? 'not significant' : '', s.test.selectedOnSameData ? 'found and tested on the same rows' : ''].filter(Boolean);
  return `${s.text.replace(/ & /g, ' and ')}: ${what} ${value(s.test.errorMean)} vs ${value(rest)} elsewhere, n = ${s.test.size}, q = ${pval(s.test.q)}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

export function formatSlicesReport(report: SlicesReport): string {
  const s = report.slices;
  const lines: string[] = [];
  const value = (v: number): string => (s.errorKind === 'misclassification' ? pct(v) : num(v, 4));
  lines.push(`Slices: ${report.model?.path ?? '(predictions)'} on ${report.data.path}`);
  lines.push(`  ${report.data.rows} rows, ${report.data.skippedRows} skipped${s.undefinedErrors ? `, ${s.undefinedErrors} without a defined error` : ''}${report.runtime ? `, EP ${report.runtime.used}` : ''}`);
  lines.push(s.holdout
    ? `  searched ${s.n} even rows; every figure after the bar is on the other (odd) rows, with Benjamini–Hochberg q over the ${s.top.length} slices`
    : `  searched and tested on the same ${s.n} rows (below 2000 rows): read p and q as optimistic`);
  lines.push(`  error = ${s.errorKind}, mean ${value(s.errorMean)}; columns: ${s.columns.map((c) => `${c.name}${c.kind === 'numeric' ? ` (${c.values} bins)` : ''}`).join(', ')}`);
  for (const c of s.skippedColumns) lines.push(`  left out: ${c.column} (${c.reason})`);
  lines.push(`  levels ≤ ${s.maxLevel}, min support ${s.minSupport}, α ${s.alpha}; ${s.evaluated} slices evaluated, ${s.pruned} expansions cut by the score bound`);
  if (s.top.length === 0) {
    lines.push('', s.errorMean === 0 ? 'No errors at all: no slice to report.' : 'No slice scores above 0 (no subgroup errs enough more than average for its size).');
    return lines.join('\n');
  }
  lines.push('', `Top slice: ${sliceSentence(s.top[0]!, s.errorKind)}`, '');
  lines.push(table([
    ['#', 'slice', 'n', 'error', 'score', '|', 'n test', 'error test [95% CI]', 'vs rest', 'p', 'q'],
    ...s.top.map((t, i) => [
      String(i + 1), `${t.text}${t.small ? ' *' : ''}`, String(t.size), value(t.errorMean), num(t.score), '|', String(t.test.size),
      `${value(t.test.errorMean)} [${value(t.test.ci[0])}–${value(t.test.ci[1])}]`,
      `${t.test.diff >= 0 ? '+' : ''}${s.errorKind === 'misclassification' ? `${(t.test.diff * 100).toFixed(1)} pt` : num(t.test.diff, 4)}`,
      pval(t.test.p), pval(t.test.q),
    ]),
  ]).split('\n').map((l) => `  ${l}`).join('\n'));
  if (s.top.some((t) => t.small)) lines.push('  * fewer than 30 test rows');
  return lines.join('\n');
}

export function formatThresholdsReport(report: ThresholdsReport, showFront: boolean): string {
  const t = report.thresholds;
  const lines: string[] = [];
  const label = (g: Readonly<Record<string, string>>): string => Object.entries(g).map(([k, v]) => `${k}=${v}`).join(', ');
  lines.push(`Thresholds: ${report.model?.path ?? '(predictions)'} on ${report.data.path}`);
  lines.push(`  ${t.constraint} maximising ${t.objective} (Fairlearn ThresholdOptimizer, grid 1000, randomised per-group thresholds)${t.skippedRows ? `; ${t.skippedRows} rows with a missing group left out` : ''}`);
  lines.push(`  expected ${t.objective} ${num(t.overall.objective, 4)}, disparity ${num(t.overall.disparity, 4)}; one threshold ${t.baseline.threshold} for all: accuracy ${num(t.baseline.overall.accuracy, 4)}, DP difference ${num(t.baseline.disparity.demographic_parity_difference, 4)}, EO difference ${num(t.baseline.disparity.equalized_odds_difference, 4)}`);
  const eo = t.constraint === 'equalized_odds';
  lines.push('', table([
    ['group', 'n', 'p0', 'threshold0', 'threshold1', ...(eo ? ['pIgnore', 'constant'] : []), 'selection', 'TPR', 'FPR', t.objective],
    ...t.groups.map((g) => [label(g.group), String(g.count), num(g.p0, 4), thr(g.threshold0), thr(g.threshold1),
      ...(eo ? [num(g.pIgnore ?? Number.NaN, 4), num(g.predictionConstant ?? Number.NaN, 4)] : []),
      pct(g.selection_rate), pct(g.tpr), pct(g.fpr), num(g.objective, 4)]),
  ]).split('\n').map((l) => `  ${l}`).join('\n'));
  lines.push(`  P(ŷ = 1) = ${eo ? 'pIgnore·constant + (1 − pIgnore)·(' : ''}p0·[score > threshold0] + (1 − p0)·[score > threshold1]${eo ? ')' : ''}`);
  if (showFront) {
    if (t.front.length === 0) lines.push('', 'Relaxed front: not defined for equalized_odds (Fairlearn relaxes one-rate constraints only).');
    else {
      lines.push('', `Relaxed front (disparity at most ε; ε = 0 is exact parity):`);
      lines.push(table([['ε', t.objective, 'disparity'], ...t.front.map((f) => [f.tolerance.toFixed(2), num(f.objective, 4), num(f.disparity, 4)])]).split('\n').map((l) => `  ${l}`).join('\n'));
    }
  }
  return lines.join('\n');
}
