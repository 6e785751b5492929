/**
 * The slices report (issue 11): ranked slices in plain words with their held-out statistics,
 * small and not-significant ones marked; a slice opens its metrics like a group's; a chart of
 * each slice's held-out error with its interval against the rest (SVG/PNG export).
 * Keyboard: the slice list is a listbox of buttons (Tab, Enter/Space, arrows).
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { SliceEntry, SliceMetrics, SlicesSection } from '../../extension/protocol/slices';
import type { SectionContext } from './context';
import { h } from '../shared/dom';
import { chartFrame } from '../shared/chartFrame';
import { formatQ, sliceFlags, sliceSentenceText, sliceValue, sliceWords } from '../charts/sliceText';

interface SlicesReportView {
  readonly kind: 'slices';
  readonly spec: string;
  readonly createdAt: string;
  readonly model: { readonly path: string } | null;
  readonly data: { readonly path: string; readonly rows: number; readonly skippedRows: number };
  readonly slices: SlicesSection;
}

const SVG = 'http://www.w3.org/2000/svg';
const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;
const pct = (v: number | undefined): string => (v === undefined ? '—' : Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : String(v));

function svgEl(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Held-out error of each slice with its 95% interval, and the rest's error as a tick. */
function errorChart(s: SlicesSection): SVGSVGElement {
  const rowH = 22; const left = 280; const width = 640; const plot = width - left - 60;
  const height = s.top.length * rowH + 36;
  const max = Math.max(1e-9, ...s.top.map((t) => (Number.isFinite(t.test.ci[1]) ? t.test.ci[1] : t.test.errorMean)), s.errorMean);
  const x = (v: number): number => left + (Math.max(0, v) / max) * plot;
  const svg = svgEl('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Held-out error of each slice with its 95% interval; the tick is the error of the other rows' }) as SVGSVGElement;
  svg.append(svgEl('title', {}, 'Held-out error by slice (95% interval); tick: the other rows'));
  s.top.forEach((t, i) => {
    const y = 8 + i * rowH;
    const label = t.text.length > 44 ? `${t.text.slice(0, 43)}…` : t.text;
    svg.append(svgEl('text', { x: left - 6, y: y + 11, 'text-anchor': 'end', class: 'bar-label' }, label));
    const bar = svgEl('rect', { x: left, y, width: Math.max(1, x(t.test.errorMean) - left), height: 14, class: t.small || t.test.q >= 0.05 ? 'bar bar-small' : 'bar' });
    bar.append(svgEl('title', {}, sliceSentenceText(t, s.errorKind)));
    svg.append(bar);
    if (Number.isFinite(t.test.ci[0])) svg.append(svgEl('line', { x1: x(t.test.ci[0]), x2: x(t.test.ci[1]), y1: y + 7, y2: y + 7, class: 'whisker' }));
    svg.append(svgEl('line', { x1: x(t.test.errorMean - t.test.diff), x2: x(t.test.errorMean - t.test.diff), y1: y, y2: y + 14, class: 'reference-tick' }));
    svg.append(svgEl('text', { x: x(Number.isFinite(t.test.ci[1]) ? t.test.ci[1] : t.test.errorMean) + 4, y: y + 11, class: 'bar-note' }, sliceValue(s.errorKind, t.test.errorMean)));
  });
  const axisY = 8 + s.top.length * rowH + 4;
  svg.append(svgEl('line', { x1: left, x2: left + plot, y1: axisY, y2: axisY, class: 'axis-line' }));
  svg.append(svgEl('text', { x: left, y: axisY + 14, 'text-anchor': 'middle' }, sliceValue(s.errorKind, 0)));
  svg.append(svgEl('text', { x: left + plot, y: axisY + 14, 'text-anchor': 'middle' }, sliceValue(s.errorKind, max)));
  return svg;
}

const METRIC_ROWS: readonly [keyof SliceMetrics, string, boolean][] = [
  ['count', 'rows', false], ['accuracy', 'accuracy', true], ['error_rate', 'error rate', true], ['selection_rate', 'selection rate', true],
  ['tpr', 'true positive rate', true], ['fpr', 'false positive rate', true], ['tnr', 'true negative rate', true], ['fnr', 'false negative rate', true],
  ['precision', 'precision', true], ['loss', 'mean loss', false], ['mse', 'MSE', false], ['positives', 'positives', false], ['negatives', 'negatives', false],
];

/** A slice's metrics next to overall, like a group's. */
function detail(s: SlicesSection, t: SliceEntry): HTMLElement {
  const value = (m: SliceMetrics, k: keyof SliceMetrics, rate: boolean): string => {
    const v = m[k];
    if (v === undefined) return '—';
    return rate ? pct(v) : Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(4);
  };
  const rows = METRIC_ROWS.filter(([k]) => t.metrics[k] !== undefined);
  return h('section', { className: 'slice-detail', 'data-testid': 'slice-detail', 'aria-live': 'polite' },
    h('h2', { text: sliceWords(t) }),
    h('p', { className: 'muted', text: `${s.holdout ? 'Held-out rows' : 'Same rows as the search'}: error ${sliceValue(s.errorKind, t.test.errorMean)} (95% CI ${sliceValue(s.errorKind, t.test.ci[0])}–${sliceValue(s.errorKind, t.test.ci[1])}), ${t.test.diff >= 0 ? '+' : ''}${s.errorKind === 'misclassification' ? `${(t.test.diff * 100).toFixed(1)} points` : t.test.diff.toFixed(4)} against the other rows, Welch p = ${formatQ(t.test.p)}, q = ${formatQ(t.test.q)}. Metrics below: every row of the slice.` }),
    h('table', { className: 'metrics-table' },
      h('thead', {}, h('tr', {}, h('th', { text: 'metric' }), h('th', { text: 'slice' }), h('th', { text: 'overall' }))),
      h('tbody', {}, ...rows.map(([k, label, rate]) => h('tr', {}, h('td', { text: label }), h('td', { text: value(t.metrics, k, rate) }), h('td', { text: value(s.overall, k, rate) }))))));
}

/** The slices section's view (no page title): the Slices tab of a groups report, and the body of a slices report. */
export function slicesView(s: SlicesSection, ctx: SectionContext, dataLine: string): HTMLElement {
  const intro = h('div', {},
    h('p', { className: 'muted', text: `${dataLine} · error = ${s.errorKind}, mean ${sliceValue(s.errorKind, s.errorMean)} · columns: ${s.columns.map((c) => c.name).join(', ')}` }),
    h('p', { className: 'muted', text: s.holdout
      ? `Searched on ${s.n.toLocaleString('en-US')} even rows; each slice is tested on the odd rows (Benjamini–Hochberg q over the ${s.top.length} slices).`
      : `Searched and tested on the same ${s.n.toLocaleString('en-US')} rows (fewer than 2000): p and q are optimistic.` }),
    h('div', { className: 'badges' },
      h('vscode-badge', { variant: 'counter', text: `levels ≤ ${s.maxLevel}` }), h('vscode-badge', { variant: 'counter', text: `min support ${s.minSupport}` }),
      h('vscode-badge', { variant: 'counter', text: `${s.evaluated.toLocaleString('en-US')} slices evaluated` }),
      ...s.skippedColumns.map((c) => h('vscode-badge', { variant: 'counter', title: c.reason, text: `left out: ${c.column}` }))));
  if (s.top.length === 0) {
    return h('div', { className: 'slices-view' }, intro,
      h('p', { 'data-testid': 'slices-headline', role: 'status', text: s.errorMean === 0 ? 'No errors at all: no slice to report.' : 'No slice errs enough more than average for its size (every score ≤ 0).' }));
  }
  const detailSlot = h('div', { className: 'slice-detail-slot' });
  const items = s.top.map((t, i) => {
    const flags = sliceFlags(t);
    const item = h('li', { role: 'option', tabindex: i === 0 ? 0 : -1, 'aria-selected': i === 0 ? 'true' : 'false', className: 'slice-item', 'data-testid': 'slice-item' },
      h('span', { className: 'slice-rank', text: `${i + 1}.` }),
      h('span', { className: 'slice-text', text: sliceSentenceText(t, s.errorKind) }),
      ...flags.map((f) => h('vscode-badge', { className: 'slice-flag', text: f })));
    return item;
  });
  const select = (i: number, focus: boolean): void => {
    items.forEach((el, k) => { el.setAttribute('aria-selected', k === i ? 'true' : 'false'); el.tabIndex = k === i ? 0 : -1; });
    if (focus) items[i]?.focus();
    detailSlot.replaceChildren(detail(s, s.top[i]!));
  };
  items.forEach((el, i) => {
    el.addEventListener('click', () => select(i, false));
    el.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); select(i, false); }
      if (event.key === 'ArrowDown') { event.preventDefault(); select(Math.min(items.length - 1, i + 1), true); }
      if (event.key === 'ArrowUp') { event.preventDefault(); select(Math.max(0, i - 1), true); }
    });
  });
  select(0, false);
  return h('div', { className: 'slices-view' }, intro,
    h('p', { className: 'groups-headline', 'data-testid': 'slices-headline', role: 'status', text: `Top slice: ${sliceSentenceText(s.top[0]!, s.errorKind)}` }),
    h('section', { className: 'groups-part' }, h('h2', { text: 'Slices, best score first (select one for its metrics)' }),
      h('ul', { className: 'slice-list', role: 'listbox', 'aria-label': 'Slices' }, ...items)),
    detailSlot,
    h('section', { className: 'groups-part' }, h('h2', { text: 'Held-out error by slice' }), chartFrame(errorChart(s), 'slices-error', ctx.exportChart, 'Bars: error on the held-out rows, line: 95% interval, tick: the other rows. Hatched: small or not significant.')));
}

export function renderSlices(report: SlicesReportView, ctx: SectionContext): HTMLElement {
  const model = report.model ? baseName(report.model.path) : 'precomputed predictions';
  return h('section', { className: 'slices-report', 'data-testid': 'slices-report' },
    h('header', { className: 'groups-header' }, h('h1', { text: `Slices: ${model}` })),
    slicesView(report.slices, ctx, `${baseName(report.data.path)} · ${report.data.rows.toLocaleString('en-US')} rows`));
}
