/**
 * The quantization section of a report (issue 6): header with the formats, the tensors analysed
 * and skipped, and a plain-words summary per format; the tensor × format heatmap with a tensor's
 * histogram and outliers; the model-level impact per group (when the report has it) and the layer
 * sensitivity with the mixed-precision suggestion (when it has that). Every chart exports as SVG
 * and PNG. Model-derived strings only through textContent.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import type { QuantizationReport, QuantizationSection } from '../../extension/protocol/quant';
import { layoutBars } from '../charts/barLayout';
import { renderBarChart } from '../charts/barChart';
import { errorMatrix, exactCounts, formatSummaryText, formatWords, rankFormats, reviveQuantNumbers, skippedByCode } from '../charts/quantData';
import { chartFrame } from '../shared/chartFrame';
import { formatCount, h } from '../shared/dom';
import { lazyTabs, type LazyTab } from '../shared/lazyTabs';
import type { SectionContext } from './context';
import { checkpointView } from './quantCheckpoint';
import { impactView } from './quantImpact';
import { sensitivityView } from './quantSensitivity';
import { tensorsView, type TensorViewState } from './quantTensors';

/** What the renderer needs of a report: its section, and the header fields when present. */
export type QuantReportLike = Pick<QuantizationReport, 'quantization'> & Partial<Omit<QuantizationReport, 'quantization'>>;

/** View choices survive a re-render of the same report (e.g. on a theme change). */
const remembered = new Map<string, TensorViewState & { tab: number }>();

const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

const SKIP_WORDS: Readonly<Record<string, string>> = {
  'too-small': 'below the size threshold',
  'not-float': 'not float',
  'non-finite': 'NaN/Inf values',
  unreadable: 'unreadable',
};

/** Renders a quantization report. */
export function renderQuant(raw: QuantReportLike, ctx: SectionContext): HTMLElement {
  const report = reviveQuantNumbers(raw);
  const q = report.quantization;
  const key = `${report.model?.sha256 ?? ''}|${report.createdAt ?? ''}`;
  const worstFormat = rankFormats(q.summaryByFormat).at(-1)?.format;
  const state = remembered.get(key) ?? { metric: 'sqnr_db', order: 'graph', format: Math.max(0, worstFormat ? q.formats.indexOf(worstFormat) : 0), tensor: -1, tab: 0 };
  remembered.set(key, state);
  const tabs: LazyTab[] = [];
  if (q.checkpoint) {
    const checkpoint = q.checkpoint;
    tabs.push(['checkpoint', `Checkpoint weights (${checkpoint.tensors.length})`, () => checkpointView(checkpoint)]);
  }
  if (!q.checkpoint || q.formats.length > 0) tabs.push(['tensors', `Tensors (${q.tensorInfo.length})`, () => tensorsView(q, state, ctx)]);
  if (q.impact && q.impact.length > 0) {
    const impact = q.impact;
    tabs.push(['impact', `Impact by group (${impact.length})`, () => impactView(impact, ctx)]);
  }
  if (q.sensitivity) {
    const sensitivity = q.sensitivity;
    tabs.push(['sensitivity', `Layer sensitivity (${sensitivity.layers.length})`, () => sensitivityView(sensitivity, ctx)]);
  }
  const tabsElement = lazyTabs('quant', tabs, {
    selected: state.tab < tabs.length ? state.tab : 0,
    onSelect: (index) => { state.tab = index; },
  });
  return h('section', { className: 'quant-report', 'data-testid': 'quant-report' }, header(report), summaryView(q, ctx), tabsElement);
}

function header(report: QuantReportLike): HTMLElement {
  const q = report.quantization;
  const model = report.model ? baseName(report.model.path) : 'model';
  const skipped = skippedByCode(q.skipped);
  const data = report.data;
  const runtime = report.runtime;
  return h('header', { className: 'quant-header' },
    h('h1', { text: `Quantization: ${model}` }),
    h('p', { className: 'muted quant-meta' },
      report.model ? h('span', { title: report.model.path, text: `${formatCount(report.model.parameters)} parameters` }) : '',
      report.model ? ' · ' : '',
      h('span', { 'data-testid': 'quant-analysed', text: q.checkpoint && q.formats.length === 0
        ? `quantized checkpoint: ${formatCount(q.checkpoint.tensors.length)} weight${q.checkpoint.tensors.length === 1 ? '' : 's'} matched with ${baseName(q.checkpoint.float)}`
        : `${formatCount(q.tensorInfo.length)} weight tensor${q.tensorInfo.length === 1 ? '' : 's'} analysed` }),
      q.formats.length > 0 || q.skipped.length > 0 ? ' · ' : '',
      q.formats.length > 0 || q.skipped.length > 0 ? h('span', { 'data-testid': 'quant-skipped', text: `${formatCount(q.skipped.length)} skipped${skipped.length > 0 ? ` (${skipped.map((s) => `${s.count} ${SKIP_WORDS[s.code] ?? s.code}`).join(', ')})` : ''}` }) : '',
      data ? ` · data ${baseName(data.path)}, ${formatCount(data.rows)} rows` : '',
      runtime ? ` · EP ${runtime.used}` : ''),
    h('div', { className: 'badges' },
      ...q.formats.map((f) => h('vscode-badge', { variant: 'counter', title: formatWords(f), text: f })),
      h('vscode-badge', { variant: 'counter', title: 'Weights with fewer elements are listed as skipped (--min-elements)', text: `min ${formatCount(q.settings.minElements)} elements` }),
      h('vscode-badge', { variant: 'counter', title: 'Rounding of the MX element formats (--mx-rounding)', text: `MX rounding ${q.settings.mxRounding}` })),
    q.skipped.length > 0 ? h('details', { className: 'quant-skipped', 'data-testid': 'quant-skipped-list' },
      h('summary', { text: `Skipped tensors (${q.skipped.length})` }),
      h('ul', {}, ...q.skipped.map((s) => h('li', {}, h('span', { className: 'mono', text: s.name }), `: ${s.reason}`)))) : null);
}

function summaryView(q: QuantizationSection, ctx: SectionContext): HTMLElement | null {
  if (q.summaryByFormat.length === 0) return null;
  const matrix = errorMatrix(q);
  const exact = exactCounts(matrix);
  const ranked = rankFormats(q.summaryByFormat);
  const lines = ranked.map((s) => h('li', { text: formatSummaryText(s, matrix.tensors.length, exact[q.formats.indexOf(s.format)] ?? 0) }));
  const finite = ranked.filter((s) => Number.isFinite(s.meanSqnrDb));
  const best = finite[0];
  const worst = finite.at(-1);
  const headline = best && worst && best !== worst
    ? `Least error: ${best.format} (mean SQNR ${best.meanSqnrDb.toFixed(1)} dB). Most: ${worst.format} (${worst.meanSqnrDb.toFixed(1)} dB; worst tensor ${worst.worstTensor}).`
    : best ? `${best.format}: mean SQNR ${best.meanSqnrDb.toFixed(1)} dB.` : 'Every format is exact on every analysed tensor.';
  const bars = layoutBars(finite.map((s) => ({ label: s.format, value: s.meanSqnrDb, note: `${s.meanSqnrDb.toFixed(1)} dB` })), { width: 560, labelWidth: 150, noteWidth: 70, barHeight: 14, gap: 3 });
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  renderBarChart(svg, bars, { title: 'Mean SQNR by format (dB, higher = less error)', format: (v) => `${v} dB` });
  svg.setAttribute('data-testid', 'quant-sqnr-bars');
  return h('section', { className: 'quant-summary', 'data-testid': 'quant-summary' },
    h('p', { className: 'quant-headline', role: 'status', 'data-testid': 'quant-headline', text: headline }),
    h('details', {},
      h('summary', { text: 'Each format in plain words, least error first' }),
      h('ul', { className: 'quant-format-lines' }, ...lines),
      finite.length > 0 ? chartFrame(svg, 'quant-mean-sqnr', ctx.exportChart, 'Mean over the tensors of SQNR = 10·log10(Σx²/Σe²); tensors a format represents exactly (+∞) are left out of its mean.') : null));
}
