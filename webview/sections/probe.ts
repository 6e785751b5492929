/**
 * The language-model probe view (issue 13): per-group score chart with bootstrap whiskers
 * (lowest first), the selection rate of s > 0, counterfactual pairs and the template table
 * (flipping templates first), and, with labels, the full groups view of the prediction s > 0.
 * Used by the report panel and the standalone HTML export. Text only through textContent.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { ProbeGroupEntry, ProbeReportView, ProbeSection } from '../../extension/protocol/probe';
import type { SectionContext } from './context';
import { h } from '../shared/dom';
import { chartFrame } from '../shared/chartFrame';
import { layoutWhiskers } from '../charts/whiskerLayout';
import { renderWhiskers } from '../charts/groupCharts';
import { formatInterval, formatMetric, formatNumber, groupLabel, reviveNumbers } from '../charts/groupMetrics';
import { renderGroups } from './groups';

const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

const SCORE_TEXT: Readonly<Record<ProbeSection['score'], string>> = {
  skew: 's = logP(yes set) − logP(no set)',
  logp_yes: 'logP(yes set)',
  logp_no: 'logP(no set)',
  logp_text: 'logP of the filled template\'s tokens',
};

function svgElement(testId: string): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('data-testid', testId);
  return svg;
}

function chartWidth(): number {
  const available = typeof document !== 'undefined' ? document.body.clientWidth - 48 : 860;
  return Math.max(640, Math.min(1000, available));
}

/** The sentence the view opens with: which group scores lowest, by how much, and whether the intervals part. */
export function probeHeadline(p: ProbeSection): string {
  const groups = p.byGroup.filter((g) => Number.isFinite(g.meanScore));
  if (groups.length < 2) return `${groups.length} group scored: nothing to compare.`;
  const sorted = [...groups].sort((a, b) => a.meanScore - b.meanScore);
  const low = sorted[0]!;
  const high = sorted.at(-1)!;
  const apart = low.ci && high.ci ? (low.ci[1] < high.ci[0] ? ' Their intervals do not overlap.' : ' Their intervals overlap.') : '';
  const rate = low.selection_rate !== null && high.selection_rate !== null
    ? ` It answers yes to ${formatMetric('selection_rate', low.selection_rate)} of ${groupLabel(low.group)}'s prompts against ${formatMetric('selection_rate', high.selection_rate)} of ${groupLabel(high.group)}'s.` : '';
  const pair = p.pairs?.filter((x) => x.flipShare !== null).sort((a, b) => (b.flipShare ?? 0) - (a.flipShare ?? 0))[0];
  const flips = pair && (pair.flips ?? 0) > 0
    ? ` Swapping ${groupLabel(pair.groups[0])} for ${groupLabel(pair.groups[1])} flips the preferred answer on ${pair.flips} of ${p.templates?.length ?? 0} templates.` : '';
  return `Lowest mean score: ${groupLabel(low.group)} ${formatNumber(low.meanScore)} vs ${groupLabel(high.group)} ${formatNumber(high.meanScore)} (${formatNumber(high.meanScore - low.meanScore)} lower).${apart}${rate}${flips}`;
}

function header(report: ProbeReportView): HTMLElement {
  const p = report.probe;
  const badge = (text: string, title?: string): HTMLElement => h('vscode-badge', { variant: 'counter', text, ...(title ? { title } : {}) });
  return h('header', { className: 'groups-header' },
    h('h1', { text: `Probe (${p.kind === 'yesno' ? 'yes/no' : 'counterfactual'}): ${report.model ? baseName(report.model.path) : ''}` }),
    h('p', { className: 'muted groups-meta' },
      h('span', { title: report.data.path, text: baseName(report.data.path) }),
      ` · ${p.prompts.toLocaleString('en-US')} prompts · ${p.sequences.toLocaleString('en-US')} sequences`,
      report.runtime ? ` · EP ${report.runtime.used}` : '',
      p.context ? ` · context ${p.context.tokens} tokens` : ''),
    h('div', { className: 'badges' },
      badge(`score: ${SCORE_TEXT[p.score]}`),
      p.answers.yes ? badge(`yes: ${p.answers.yes.map((a) => JSON.stringify(a)).join(' ')}`) : null,
      p.answers.no ? badge(`no: ${p.answers.no.map((a) => JSON.stringify(a)).join(' ')}`) : null,
      p.pastInputs.length > 0 ? badge(`${p.pastInputs.length} past_key_values inputs fed with length 0`, p.pastInputs.join(', ')) : null,
      p.bootstrap ? badge(`${p.bootstrap.replicates} bootstrap replicates · seed ${p.bootstrap.seed} · ${Math.round(p.bootstrap.confidence * 100)}% intervals`) : badge('no intervals', 'Run with --bootstrap N for intervals')),
    h('p', { className: 'groups-headline', 'data-testid': 'probe-headline', role: 'status', text: probeHeadline(p) }));
}

function scoreChart(p: ProbeSection, metric: 'meanScore' | 'selection_rate', ctx: SectionContext): HTMLElement {
  const value = (e: Omit<ProbeGroupEntry, 'group'>): number => (metric === 'meanScore' ? e.meanScore : e.selection_rate ?? Number.NaN);
  const data = p.byGroup.map((e) => {
    const label = groupLabel(e.group, p.sensitive);
    const interval = metric === 'meanScore' ? e.ci : e.selectionCi;
    return { key: label, label, value: value(e), count: e.count, small: e.small === true, note: `n=${e.count.toLocaleString('en-US')}`, ...(interval ? { interval } : {}) };
  });
  const overall = value(p.overall);
  const layout = layoutWhiskers(data, { metric, width: chartWidth(), overall, labelWidth: 170, noteWidth: 200 });
  const title = `${metric === 'meanScore' ? `Mean ${SCORE_TEXT[p.score]}` : 'Share of prompts answered yes (s > 0)'} by group, lowest first; overall ${formatMetric(metric, overall)}`;
  const svg = svgElement(metric === 'meanScore' ? 'probe-skew-chart' : 'probe-selection-chart');
  renderWhiskers(svg, layout, { metric, title, ...(p.bootstrap ? { confidence: p.bootstrap.confidence } : {}) });
  const whiskers = data.some((d) => d.interval !== undefined);
  const caption = `${whiskers ? 'Whiskers: 95% bootstrap percentile intervals. ' : p.bootstrap ? '' : 'No intervals: run with --bootstrap N. '}Line: overall. Hatched: small group (n < ${p.minGroupSize}).`;
  return chartFrame(svg, `probe-${metric}`, ctx.exportChart, caption);
}

function table(testId: string, label: string, head: readonly string[], rows: readonly HTMLElement[]): HTMLElement {
  return h('table', { className: 'probe-table', 'data-testid': testId, 'aria-label': label },
    h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, ...rows));
}

function groupTable(p: ProbeSection): HTMLElement {
  const interval = (ci: readonly [number, number] | null, metric: string): string => (ci ? formatInterval(metric, ci) : '');
  const row = (label: string, e: Omit<ProbeGroupEntry, 'group'>): HTMLElement => h('tr', {},
    h('th', { scope: 'row', text: `${label}${e.small ? ' (small)' : ''}` }),
    h('td', { text: e.count.toLocaleString('en-US') }),
    h('td', { text: e.selection_rate === null ? '' : formatMetric('selection_rate', e.selection_rate) }),
    h('td', { text: formatNumber(e.meanScore) }),
    h('td', { text: interval(e.ci, 'meanScore') }));
  return table('probe-group-table', 'Scores by group', [p.kind === 'yesno' ? 'group' : 'group (terms)', p.kind === 'yesno' ? 'rows' : 'prompts', 'selection rate', 'mean score', 'interval'], [
    row('overall', p.overall),
    ...p.byGroup.map((e) => row(`${groupLabel(e.group, p.sensitive)}${p.terms ? ` (${(p.terms[e.group['group'] ?? ''] ?? []).join(', ')})` : ''}`, e)),
  ]);
}

function pairsTable(p: ProbeSection): HTMLElement | null {
  if (!p.pairs || p.pairs.length === 0) return null;
  return table('probe-pairs-table', 'Pairs of groups over the templates', ['g', 'h', 'mean Δ = score(g) − score(h)', 'interval', 'templates that flip', 'flip share'],
    p.pairs.map((pair) => h('tr', {},
      h('td', { text: groupLabel(pair.groups[0]) }),
      h('td', { text: groupLabel(pair.groups[1]) }),
      h('td', { text: formatNumber(pair.meanDelta) }),
      h('td', { text: pair.ci ? formatInterval('meanScore', pair.ci) : '' }),
      h('td', { text: pair.flips === null ? 'n/a' : String(pair.flips) }),
      h('td', { text: pair.flipShare === null ? 'n/a' : formatMetric('selection_rate', pair.flipShare) }))));
}

/** Every template with each group's score; templates that flip for some pair first and marked. */
function templateTable(p: ProbeSection): HTMLElement | null {
  if (!p.templates || p.templates.length === 0) return null;
  const names = Object.keys(p.terms ?? {});
  const flipping = new Set((p.pairs ?? []).flatMap((x) => x.templates));
  const ordered = [...p.templates].sort((a, b) => Number(flipping.has(b.index)) - Number(flipping.has(a.index)) || a.index - b.index);
  const shown = ordered.slice(0, 500);
  const rows = shown.map((t) => h('tr', { className: flipping.has(t.index) ? 'probe-flip' : '', 'data-testid': 'probe-template-row' },
    h('td', { text: String(t.row) }),
    h('td', { className: 'mono', text: t.template }),
    ...names.map((n) => {
      const v = t.scores[n] ?? Number.NaN;
      return h('td', { text: `${formatNumber(v)}${p.score === 'skew' ? (v > 0 ? ' (yes)' : ' (no)') : ''}` });
    }),
    h('td', { text: flipping.has(t.index) ? 'flips' : '' })));
  return h('div', {},
    table('probe-template-table', 'Templates and each group\'s score', ['row', 'template', ...names, ''], rows),
    ordered.length > shown.length ? h('p', { className: 'muted', text: `${ordered.length - shown.length} more templates in the report's JSON.` }) : null);
}

/** Renders a probe report. */
export function renderProbe(raw: ProbeReportView, ctx: SectionContext): HTMLElement {
  const report = reviveNumbers(raw);
  const p = report.probe;
  const parts: (HTMLElement | null)[] = [
    h('section', { className: 'groups-part' }, h('h2', { text: 'Mean score by group, lowest first' }), scoreChart(p, 'meanScore', ctx)),
    p.score === 'skew' ? h('section', { className: 'groups-part' }, h('h2', { text: 'Answered yes (s > 0) by group' }), scoreChart(p, 'selection_rate', ctx)) : null,
    h('section', { className: 'groups-part' }, h('h2', { text: 'By group' }), groupTable(p)),
  ];
  const pairs = pairsTable(p);
  if (pairs) parts.push(h('section', { className: 'groups-part' }, h('h2', { text: 'Counterfactual pairs' }), pairs));
  const templates = templateTable(p);
  if (templates) parts.push(h('section', { className: 'groups-part' }, h('h2', { text: 'Templates (flipping first)' }), templates));
  if (report.groups) {
    parts.push(h('section', { className: 'groups-part', 'data-testid': 'probe-groups' },
      h('h2', { text: 'With labels: every group metric of the prediction s > 0' }),
      renderGroups({ ...report, kind: 'groups', groups: report.groups }, ctx)));
  }
  return h('section', { className: 'groups-report probe-report', 'data-testid': 'probe-report' }, header(report), ...parts.filter((x): x is HTMLElement => x !== null));
}
