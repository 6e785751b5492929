/**
 * The comparison view (FORMULAS.md §G): per-group Δ chart with paired intervals (worse groups
 * first, significant ones marked), the rows that broke with their inputs and group, and both
 * models' summaries side by side. Registered for `compare` reports; model-derived strings only
 * go through textContent.
 */
import { absText, parametersChangedText, relChangeText, type CompareGroup, type CompareParameters, type CompareSection, type CompareSide } from '../../extension/protocol/compare';
import type { SectionContext } from './context';
import { h, formatCount } from '../shared/dom';
import { chartFrame } from '../shared/chartFrame';

interface CompareReportView { readonly kind: string; readonly compare: CompareSection }

const SVG = 'http://www.w3.org/2000/svg';
const RATES = new Set(['accuracy', 'error_rate', 'selection_rate', 'tpr', 'fpr', 'fnr', 'tnr', 'precision', 'ece', 'macro_f1']);
const label = (g: CompareGroup): string => (g.group === 'overall' ? 'overall' : Object.entries(g.group).map(([k, v]) => `${k}=${v}`).join(', '));
const fmt = (m: string, v: number): string => (!Number.isFinite(v) ? '—' : RATES.has(m) ? `${(v * 100).toFixed(1)}` : v.toPrecision(4));
const signed = (m: string, v: number): string => (Number.isFinite(v) && v > 0 ? '+' : '') + fmt(m, v);
const pv = (p: number): string => (!Number.isFinite(p) ? '—' : p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));
const base = (p: string): string => p.split(/[\\/]/).pop() ?? p;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Worse first, then same, then better; within each, by Δ of the metric (worst first). */
export function orderGroups(groups: readonly CompareGroup[], metric: string, higherIsBetter: boolean): CompareGroup[] {
  const rank = (g: CompareGroup): number => (g.verdict === 'worse' ? 0 : g.verdict === 'same' ? 1 : 2);
  const d = (g: CompareGroup): number => g.metrics[metric]?.delta ?? 0;
  return [...groups].sort((a, b) => rank(a) - rank(b) || (higherIsBetter ? d(a) - d(b) : d(b) - d(a)));
}

function deltaChart(s: CompareSection, metric: string): SVGSVGElement {
  const groups = orderGroups(s.byGroup, metric, metric !== 'loss' && !['error_rate', 'fpr', 'fnr', 'brier', 'ece', 'mse', 'mae'].includes(metric));
  const rowH = 22;
  const left = 190;
  const width = 780;
  const plotW = width - left - 150;
  const height = groups.length * rowH + 40;
  const values = groups.flatMap((g) => { const m = g.metrics[metric]; return m ? [m.delta, ...(m.ci ?? [])] : []; }).filter(Number.isFinite);
  const extent = Math.max(1e-9, ...values.map(Math.abs));
  const x = (v: number): number => left + plotW / 2 + (v / extent) * (plotW / 2);
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Δ ${metric} per group (B − A) with 95% paired intervals` });
  root.append(svg('line', { x1: x(0), x2: x(0), y1: 10, y2: height - 24, stroke: 'currentColor', 'stroke-opacity': 0.5 }));
  groups.forEach((g, i) => {
    const y = 18 + i * rowH;
    const m = g.metrics[metric];
    const worse = g.verdict === 'worse';
    const color = worse ? 'var(--vscode-errorForeground)' : g.verdict === 'better' ? 'var(--vscode-charts-green, var(--vscode-foreground))' : 'var(--vscode-descriptionForeground)';
    root.append(svg('text', { x: left - 8, y: y + 4, 'text-anchor': 'end', fill: 'currentColor', 'font-weight': worse ? 'bold' : 'normal' }, `${worse ? '▲ ' : ''}${label(g)}${g.small ? ' *' : ''}`));
    if (!m || !Number.isFinite(m.delta)) return;
    root.append(svg('rect', { x: Math.min(x(0), x(m.delta)), y: y - 6, width: Math.max(1, Math.abs(x(m.delta) - x(0))), height: 12, fill: color, 'fill-opacity': 0.7 }));
    if (m.ci) root.append(svg('line', { x1: x(m.ci[0]), x2: x(m.ci[1]), y1: y, y2: y, stroke: 'currentColor', 'stroke-width': 1.5 }));
    root.append(svg('text', { x: width - 140, y: y + 4, fill: 'currentColor' }, `${signed(metric, m.delta)}${worse ? ` q=${pv(g.mcnemar.q)}` : ''}`));
  });
  root.append(svg('text', { x: 8, y: height - 6, fill: 'currentColor', 'font-size': 11 }, `Δ ${metric}${RATES.has(metric) ? ' (points)' : ''} = B − A; ${s.task === 'regression' ? 'no verdict for regression' : '▲ = significantly worse (McNemar, BH q < 0.05)'}; line = 95% paired interval`));
  return root;
}

/** Whether a flipped row's group is (or lies inside) a group judged significantly worse. */
function inWorse(row: Readonly<Record<string, string>>, worse: readonly CompareGroup[]): boolean {
  return worse.some((g) => g.group !== 'overall' && Object.entries(g.group).every(([k, v]) => row[k] === v));
}

function flipsTable(s: CompareSection): HTMLElement {
  const worse = s.byGroup.filter((g) => g.verdict === 'worse' && g.group !== 'overall');
  // rows of the significantly worse groups first (the ones a reader is looking for), then row order
  const rows = s.flipRows.filter((r) => r.kind === 'broken')
    .map((r, i) => ({ r, i, w: inWorse(r.group, worse) ? 0 : 1 }))
    .sort((x, y) => x.w - y.w || x.i - y.i)
    .map((x) => x.r);
  if (rows.length === 0) return h('p', { className: 'muted', text: 'No row broke (A right, B wrong).' });
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.inputs ?? {})))];
  const head = h('tr', {}, ...['row', 'group', 'label', 'A predicts', 'B predicts', ...columns].map((c) => h('th', { scope: 'col', text: c })));
  const body = rows.map((r) => h('tr', {},
    h('td', { text: String(r.row) }), h('td', { text: Object.entries(r.group).map(([k, v]) => `${k}=${v}`).join(', ') }),
    h('td', { text: String(r.label) }), h('td', { text: String(r.predA) }), h('td', { text: String(r.predB) }),
    ...columns.map((c) => h('td', { text: r.inputs?.[c] ?? '' }))));
  const total = s.byGroup[0]?.flips.broken ?? rows.length;
  const listed = rows.length < total ? `the first ${formatCount(rows.length)} (in data order) are listed` : 'all are listed';
  const first = worse.length && rows.some((r) => inWorse(r.group, worse)) ? `, rows of ${worse.map(label).join('; ')} first` : '';
  return h('div', { className: 'table-scroll' },
    h('p', { className: 'muted', text: `${formatCount(total)} rows broke; ${listed}${first}. The JSON report keeps up to ${formatCount(s.flipRowsShown)} flipped rows (--flip-rows).` }),
    h('table', { className: 'data-table', tabindex: 0, 'aria-label': 'Rows that broke: A right, B wrong' }, h('thead', {}, head), h('tbody', {}, ...body)));
}

function sideSummary(name: string, side: CompareSide, other: CompareSide): HTMLElement {
  const s = side.summary;
  const o = other.summary;
  const opsOf = (x: typeof s): Map<string, number> => new Map((x?.ops ?? []).map((op) => [op.op, op.count]));
  const mine = opsOf(s);
  const theirs = opsOf(o);
  const changed = [...new Set([...mine.keys(), ...theirs.keys()])].filter((op) => mine.get(op) !== theirs.get(op));
  return h('section', { className: 'side-summary' },
    h('h3', { text: `${name}: ${base(side.model)}` }),
    h('p', { className: 'muted mono', text: `sha256 ${side.sha256.slice(0, 16)}…` }),
    ...(s ? [
      h('p', { text: `Inputs: ${s.inputs.map((i) => `${i.name} ${i.dtype}`).join(', ')}; outputs: ${s.outputs.map((i) => `${i.name} ${i.dtype}`).join(', ')}` }),
      h('p', { text: `${formatCount(s.parameters)} parameters${o && o.parameters !== s.parameters ? ` (other: ${formatCount(o.parameters)})` : ''}, ${formatCount(s.nodes)} nodes` }),
      h('p', { text: changed.length ? `Ops that differ: ${changed.map((op) => `${op} ×${mine.get(op) ?? 0}`).join(', ')}` : 'Same op histogram as the other model.' }),
    ] : [h('p', { className: 'muted', text: 'A predictions file (no model).' })]));
}

/** Which weights changed from A to B: the count, then every changed tensor, largest relative change first. */
export function parametersView(p: CompareParameters): HTMLElement {
  const shape = (d: readonly number[]): string => `[${d.join(', ')}]`;
  const pct = (v: number): string => (v === 1 ? '100%' : `${(v * 100).toPrecision(2)}%`);
  const head = `${parametersChangedText(p)}.`;
  const parts: HTMLElement[] = [h('p', { 'data-testid': 'compare-parameters-headline', text: head })];
  if (p.changed.length) {
    parts.push(h('div', { className: 'table-scroll' }, h('table', { className: 'data-table', tabindex: 0, 'aria-label': 'Weight tensors whose values changed, largest relative change first' },
      h('thead', {}, h('tr', {}, ...['tensor', 'shape', 'rel. L2 ‖B−A‖/‖A‖', 'max |Δ|', 'values changed'].map((c) => h('th', { scope: 'col', text: c })))),
      h('tbody', {}, ...p.changed.map((c) => h('tr', {},
        h('td', { className: 'mono', text: c.name }), h('td', { text: `${c.dtype} ${shape(c.shape)}` }), h('td', { text: relChangeText(c.relL2) }),
        h('td', { text: absText(c.maxAbs) }), h('td', { text: `${formatCount(c.changed)} of ${formatCount(c.elements)} (${pct(c.share)})` })))))));
  }
  const list = (title: string, items: readonly { name: string }[], total: number): HTMLElement | null => (total === 0 ? null
    : h('p', { className: 'muted', text: `${title}: ${items.map((t) => t.name).join(', ')}${total > items.length ? ` … (${formatCount(total - items.length)} more)` : ''}` }));
  parts.push(...[
    list('Only in A', p.onlyInA, p.onlyA),
    list('Only in B', p.onlyInB, p.onlyB),
    p.reshaped ? h('p', { className: 'muted', text: `Another shape or dtype: ${p.reshapedTensors.map((t) => `${t.name} ${t.a.dtype} ${shape(t.a.shape)} → ${t.b.dtype} ${shape(t.b.shape)}`).join('; ')}${p.reshaped > p.reshapedTensors.length ? ' …' : ''}` }) : null,
  ].filter((x): x is HTMLElement => x !== null));
  return h('div', { 'data-testid': 'compare-parameters' }, ...parts);
}

/** The sentence under the title: which groups are significantly worse, or why there is no verdict. */
export function verdictText(s: Pick<CompareSection, 'task' | 'byGroup'>): string {
  if (s.task === 'regression') {
    return 'Regression: flips and the McNemar test are defined on predicted classes, so they do not apply and no group gets a verdict. Read Δ mse per group below: where its 95% paired interval lies entirely above 0, B is worse there.';
  }
  const worse = s.byGroup.filter((g) => g.verdict === 'worse');
  return worse.length
    ? `B is significantly worse for ${worse.map(label).join('; ')} (McNemar exact, Benjamini–Hochberg q < 0.05).`
    : 'No group is significantly worse for B (McNemar exact, BH q < 0.05).';
}

export function renderCompare(report: CompareReportView, ctx: SectionContext): HTMLElement {
  const s = report.compare;
  const regression = s.task === 'regression';
  const metric = regression ? 'mse' : 'accuracy';
  const worse = s.byGroup.filter((g) => g.verdict === 'worse');
  const overall = s.byGroup[0]?.metrics[metric];
  return h('main', { className: 'compare-report' },
    h('h2', { text: `Compare: A ${base(s.a.model)} (baseline) → B ${base(s.b.model)} (candidate)` }),
    h('p', { className: 'muted', text: `${formatCount(s.rows)} rows${s.bootstrap ? `, ${s.bootstrap.replicates} paired bootstrap replicates (seed ${s.bootstrap.seed})` : ', no intervals'}; groups below ${s.minGroupSize} rows are marked *.` }),
    h('p', { className: worse.length ? 'headline error-message' : 'headline', 'data-testid': 'compare-headline', role: 'status', text: verdictText(s) }),
    overall ? h('p', { 'data-testid': 'compare-overall', text: `Overall ${metric}: ${fmt(metric, overall.a)} → ${fmt(metric, overall.b)} (Δ ${signed(metric, overall.delta)}${overall.ci ? `, 95% CI [${signed(metric, overall.ci[0])}, ${signed(metric, overall.ci[1])}]` : ''})` }) : null,
    h('h3', { text: `Δ ${metric} per group (B − A)${regression ? ', largest increase first' : ', worse groups first'}` }),
    h('div', { 'data-testid': 'compare-delta-chart' }, chartFrame(deltaChart(s, metric), `compare-delta-${metric}`, ctx.exportChart)),
    h('h3', { text: 'Rows that broke (A right, B wrong)' }),
    h('div', { 'data-testid': 'compare-flips' }, regression
      ? h('p', { className: 'muted', text: 'Flips do not apply to regression: a prediction is a number, not a class that is right or wrong.' })
      : flipsTable(s)),
    h('h3', { text: 'The two models' }),
    h('div', { className: 'side-by-side', 'data-testid': 'compare-sides' }, sideSummary('A (baseline)', s.a, s.b), sideSummary('B (candidate)', s.b, s.a)),
    s.parameters ? h('h3', { text: 'Weights, B − A (tensors matched by name)' }) : null,
    s.parameters ? parametersView(s.parameters) : null);
}
