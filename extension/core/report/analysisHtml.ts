/**
 * Self-contained HTML pages of the slices and thresholds reports for the CLI's --html: static
 * tables and an inline SVG of the relaxed front, no script, no network, the report's JSON
 * embedded for tools. Every text is escaped.
 */
import { reportToJson } from './report';
import type { SlicesSection } from '../../protocol/slices';
import type { ThresholdsSection } from '../../protocol/thresholds';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : String(v));
const fix = (v: number, d = 4): string => (Number.isFinite(v) ? v.toFixed(d) : String(v));
const pv = (p: number): string => (Number.isNaN(p) ? 'n/a' : p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));

function page(title: string, body: string, report: unknown): string {
  const json = reportToJson(report).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:13px;color:#1f1f1f;margin:24px;max-width:1200px}
table{border-collapse:collapse;margin:12px 0}th,td{border-bottom:1px solid #e5e5e5;padding:4px 8px;text-align:right}th{background:#f8f8f8}
td.l,th.l{text-align:left}.muted{color:#616161}.flag{color:#a1260d}svg text{font-size:11px;fill:#1f1f1f}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
<script type="application/json" id="report-data">${json}</script>
</body></html>
`;
}

function tableHtml(head: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): string {
  const cell = (tag: string, text: string, i: number): string => `<${tag}${i < leftColumns ? ' class="l"' : ''}>${escapeHtml(text)}</${tag}>`;
  return `<table><thead><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('\n')}</tbody></table>`;
}

interface Envelope { readonly model: { readonly path: string } | null; readonly data: { readonly path: string; readonly rows: number } }

export function slicesHtml(report: Envelope & { readonly slices: SlicesSection }): string {
  const s = report.slices;
  const v = (x: number): string => (s.errorKind === 'misclassification' ? pct(x) : fix(x));
  const intro = `<p>${escapeHtml(`${report.model?.path ?? 'predictions'} on ${report.data.path}: ${report.data.rows} rows; error = ${s.errorKind}, mean ${v(s.errorMean)}.`)}</p>
<p class="muted">${escapeHtml(s.holdout ? `Searched on ${s.n} even rows; the test figures are on the odd rows (Benjamini–Hochberg q over the reported slices).` : `Searched and tested on the same ${s.n} rows (below 2000 rows): p and q are optimistic.`)}
${escapeHtml(` Levels ≤ ${s.maxLevel}, minimum support ${s.minSupport}, α = ${s.alpha}; columns: ${s.columns.map((c) => c.name).join(', ')}.`)}</p>`;
  const rows = s.top.map((t, i) => [
    String(i + 1), t.text, String(t.size), v(t.errorMean), fix(t.score, 3), String(t.test.size), v(t.test.errorMean),
    `${v(t.test.ci[0])} – ${v(t.test.ci[1])}`, v(t.test.errorMean - t.test.diff), pv(t.test.p), pv(t.test.q),
    [t.small ? 'small' : '', t.test.q >= 0.05 || Number.isNaN(t.test.q) ? 'not significant' : ''].filter(Boolean).join(', '),
  ]);
  const body = s.top.length === 0
    ? `${intro}<p>${escapeHtml(s.errorMean === 0 ? 'No errors at all: no slice to report.' : 'No slice scores above 0.')}</p>`
    : `${intro}${tableHtml(['#', 'slice', 'n (search)', 'error', 'score', 'n (test)', 'error (test)', '95% CI', 'rest', 'p', 'q', 'note'], rows, 2)}`;
  return page('Slices — Model Bias Inspector', body, report);
}

/** Inline SVG: objective against achieved disparity over the front, ε labelled. */
function frontSvg(t: ThresholdsSection): string {
  if (t.front.length === 0) return '';
  const w = 520; const h = 280; const m = 48;
  const xs = t.front.map((f) => f.disparity); const ys = t.front.map((f) => f.objective);
  const x0 = 0; const x1 = Math.max(...xs, 1e-9); const y0 = Math.min(...ys); const y1 = Math.max(...ys, y0 + 1e-9);
  const X = (x: number): number => m + ((x - x0) / (x1 - x0)) * (w - 2 * m);
  const Y = (y: number): number => h - m - ((y - y0) / (y1 - y0)) * (h - 2 * m);
  const path = t.front.map((f, i) => `${i ? 'L' : 'M'}${X(f.disparity).toFixed(1)},${Y(f.objective).toFixed(1)}`).join('');
  const dots = t.front.map((f) => `<circle cx="${X(f.disparity).toFixed(1)}" cy="${Y(f.objective).toFixed(1)}" r="3" fill="#1a85ff"><title>${escapeHtml(`ε ${f.tolerance.toFixed(2)}: ${t.objective} ${fix(f.objective)}, disparity ${fix(f.disparity)}`)}</title></circle>`).join('');
  return `<svg role="img" aria-label="${escapeHtml(`${t.objective} against disparity over the relaxed front`)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">
<line x1="${m}" y1="${h - m}" x2="${w - m}" y2="${h - m}" stroke="#616161"/><line x1="${m}" y1="${m}" x2="${m}" y2="${h - m}" stroke="#616161"/>
<text x="${w / 2}" y="${h - 12}" text-anchor="middle">disparity (${escapeHtml(t.constraint)})</text>
<text x="12" y="${h / 2}" transform="rotate(-90 12 ${h / 2})" text-anchor="middle">${escapeHtml(t.objective)}</text>
<text x="${m}" y="${h - m + 14}" text-anchor="middle">${fix(x0, 2)}</text><text x="${w - m}" y="${h - m + 14}" text-anchor="middle">${fix(x1, 3)}</text>
<text x="${m - 4}" y="${h - m}" text-anchor="end">${fix(y0)}</text><text x="${m - 4}" y="${m + 4}" text-anchor="end">${fix(y1)}</text>
<path d="${path}" fill="none" stroke="#1a85ff"/>${dots}</svg>`;
}

export function thresholdsHtml(report: Envelope & { readonly thresholds: ThresholdsSection }): string {
  const t = report.thresholds;
  const label = (g: Readonly<Record<string, string>>): string => Object.entries(g).map(([k, x]) => `${k}=${x}`).join(', ');
  const eo = t.constraint === 'equalized_odds';
  const th = (x: number | string): string => (typeof x === 'number' ? fix(x) : x);
  const groups = tableHtml(['group', 'n', 'p0', 'threshold0', 'threshold1', ...(eo ? ['pIgnore', 'constant'] : []), 'selection', 'TPR', 'FPR', t.objective],
    t.groups.map((g) => [label(g.group), String(g.count), fix(g.p0), th(g.threshold0), th(g.threshold1), ...(eo ? [fix(g.pIgnore ?? NaN), fix(g.predictionConstant ?? NaN)] : []), pct(g.selection_rate), pct(g.tpr), pct(g.fpr), fix(g.objective)]));
  const baseline = tableHtml(['group', 'n', 'selection', 'TPR', 'FPR', 'accuracy'],
    t.baseline.groups.map((g, i) => [label(t.curves[i]?.group ?? {}), String(g.count), pct(g.selection_rate), pct(g.tpr), pct(g.fpr), pct(g.accuracy)]));
  const front = t.front.length ? `<h2>Relaxed front</h2>${frontSvg(t)}${tableHtml(['ε', t.objective, 'disparity'], t.front.map((f) => [f.tolerance.toFixed(2), fix(f.objective), fix(f.disparity)]))}` : '';
  const body = `<p>${escapeHtml(`${report.model?.path ?? 'predictions'} on ${report.data.path}: ${t.constraint} maximising ${t.objective} (Fairlearn ThresholdOptimizer semantics). Expected ${t.objective} ${fix(t.overall.objective)}, disparity ${fix(t.overall.disparity)}.`)}</p>
<h2>Randomised per-group thresholds</h2>${groups}
<p class="muted">P(ŷ = 1) = ${eo ? "pIgnore·constant + (1 − pIgnore)·(" : ""}p0·[score &gt; threshold0] + (1 − p0)·[score &gt; threshold1]${eo ? ")" : ""}.</p>
<h2>One threshold (${escapeHtml(String(t.baseline.threshold))}) for every group</h2>${baseline}
<p>${escapeHtml(`Accuracy ${pct(t.baseline.overall.accuracy)}; demographic parity difference ${fix(t.baseline.disparity.demographic_parity_difference)}; equalized odds difference ${fix(t.baseline.disparity.equalized_odds_difference)}.`)}</p>
${front}`;
  return page('Threshold what-if — Model Bias Inspector', body, report);
}

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV of the reported slices, one row each. */
export function slicesCsv(report: { readonly slices: SlicesSection }): string {
  const header = ['rank', 'slice', 'level', 'size', 'error_sum', 'error_mean', 'score', 'test_size', 'test_error_mean', 'test_ci_lo', 'test_ci_hi', 'test_diff', 'p', 'q', 'selected_on_same_data', 'small'];
  const rows = report.slices.top.map((t, i) => [i + 1, t.text, t.predicates.length, t.size, t.errorSum, t.errorMean, t.score, t.test.size, t.test.errorMean, t.test.ci[0], t.test.ci[1], t.test.diff, t.test.p, t.test.q, t.test.selectedOnSameData, t.small === true]);
  return `${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}
