/**
 * The attention section of a report (issue 5): layer × head grids of dataset-mean and per-sample
 * attention with a zoomed, token-labelled head; per-head entropy, sink and span mass; per-group
 * mean and difference maps with the ranking of heads by group difference; additive biases with
 * their effective rank and energy curve. Every heatmap exports as PNG and SVG.
 */
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import type { AttentionHostMethods, AttentionReport, AttentionSection } from '../../extension/protocol/attention';
import { formatValue } from '../charts/heatmapColor';
import { decodeFloat32Base64, groupLabel, parseSampleResult, reportNumber, type SampleMaps } from '../charts/heatmapData';
import { formatCount, h } from '../shared/dom';
import { lazyTabs, type LazyTab } from '../shared/lazyTabs';
import { biasView } from './attentionBias';
import { headMapsView, type HeadMapSet } from './attentionHeads';
import { entropyChart, groupHeadTable, groupTable, perHeadTable, rankingTable } from './attentionStats';
import type { SectionContext } from './context';

/** What the renderer needs of a report: its attention section, and the rest when present. */
export type AttentionReportLike = Pick<AttentionReport, 'attention'> & Partial<Omit<AttentionReport, 'attention'>>;

const SAMPLE_METHOD: keyof AttentionHostMethods = 'attentionSample';

/** Renders the attention section; per-sample maps are fetched through `ctx.host` when present. */
export function renderAttention(report: AttentionReportLike, ctx: SectionContext): HTMLElement {
  const a = report.attention;
  const tabs: LazyTab[] = [
    ['heads', 'Heads', () => headsTab(report, ctx)],
    ['statistics', 'Entropy & mass', () => statisticsTab(a, ctx)],
    ['groups', `Groups${a.byGroup.length > 0 ? ` (${a.byGroup.length})` : ''}`, () => groupsTab(a, ctx)],
    ['bias', `Bias${a.bias && a.bias.length > 0 ? ` (${a.bias.length})` : ''}`, () => biasView(a, ctx)],
  ];
  // Each tab is built on first view: the grids decode and draw maps, no need before they are seen.
  return h('section', { className: 'attention-section', 'data-testid': 'attention-section' }, header(report), lazyTabs('attention', tabs));
}

function header(report: AttentionReportLike): HTMLElement {
  const a = report.attention;
  const rowSum = a.rowSums.rows > 0 ? `rows sum to 1 within ${formatValue(reportNumber(a.rowSums.maxDeviation))} (${formatCount(a.rowSums.rows)} rows checked${a.rowSums.where ? `, worst: ${a.rowSums.where}` : ''})` : 'row sums not checked';
  const sources = a.sources.map((s) => `L${s.layer}: ${s.kind === 'softmax' ? 'Softmax' : 'MultiHeadAttention qk'} ${s.node}${s.biasNode ? `, bias ${s.biasNode}` : ''}${s.maskNode ? `, mask ${s.maskNode}` : ''}`);
  return h('header', { className: 'attention-header' },
    h('h2', { text: 'Attention' }),
    h('p', { 'data-testid': 'attention-summary', ...(report.data ? { title: report.data.path } : {}) },
      `${formatCount(a.samples)} samples${report.data ? ` of ${report.data.path.split(/[\\/]/).pop() ?? report.data.path}` : ''} · ${a.layers} layer${a.layers === 1 ? '' : 's'} × ${a.heads} head${a.heads === 1 ? '' : 's'} · layout ${a.layout}${a.causal ? ' · causal' : ''} · mean maps over the first ${a.maps.window} positions`),
    h('p', { className: 'muted', text: rowSum }),
    sources.length > 0 ? h('details', {}, h('summary', { text: 'Where the probabilities come from' }), h('ul', { className: 'mono' }, ...sources.map((s) => h('li', { text: s })))) : null);
}

/** Decodes report matrices lazily, once each. */
function matrixSet(entries: readonly { layer: number; head: number; data: string }[], size: number): (layer: number, head: number) => Float32Array | undefined {
  const raw = new Map(entries.map((e) => [`${e.layer}/${e.head}`, e.data]));
  const cache = new Map<string, Float32Array>();
  return (layer, head) => {
    const key = `${layer}/${head}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const data = raw.get(key);
    if (data === undefined) return undefined;
    const map = decodeFloat32Base64(data, size * size);
    cache.set(key, map);
    return map;
  };
}

function cellCounts(a: AttentionSection): Float32Array | undefined {
  try {
    return decodeFloat32Base64(a.maps.cellCounts, a.maps.window * a.maps.window);
  } catch {
    return undefined; // counts are an aid to the tooltip; the maps stand without them
  }
}

function meanSet(a: AttentionSection): HeadMapSet {
  const counts = cellCounts(a);
  return {
    name: 'attention-mean',
    description: `dataset mean attention, ${formatCount(a.samples)} samples`,
    layers: a.layers,
    heads: a.heads,
    size: a.maps.window,
    kind: 'sequential',
    map: matrixSet(a.maps.overall, a.maps.window),
    ...(counts ? { cellCounts: counts } : {}),
  };
}

function sampleSet(a: AttentionSection, row: number, sample: SampleMaps): HeadMapSet {
  return {
    name: `attention-row${row}`,
    description: `row ${row}${Object.keys(sample.group).length > 0 ? ` (${groupLabel(sample.group)})` : ''}, ${sample.size} tokens${sample.paddedLength > sample.size ? ` (padding to ${sample.paddedLength} hidden)` : ''}`,
    layers: a.layers,
    heads: a.heads,
    size: sample.size,
    kind: 'sequential',
    tokens: sample.tokens,
    map: (layer, head) => sample.maps[layer]?.[head],
    emptyCell: 'not a valid position',
  };
}

function headsTab(report: AttentionReportLike, ctx: SectionContext): HTMLElement {
  const a = report.attention;
  const body = h('div', { className: 'heads-body' });
  const showMean = (): void => { body.replaceChildren(headMapsView(meanSet(a), ctx)); };
  showMean();
  return h('div', {}, samplePicker(report, ctx, body, showMean), body);
}

function samplePicker(report: AttentionReportLike, ctx: SectionContext, body: HTMLElement, showMean: () => void): HTMLElement {
  const host = ctx.host;
  if (!host) {
    return h('p', { className: 'muted', 'data-testid': 'attention-sample-unavailable', text: 'Showing the dataset aggregates stored in this report. The per-sample view (one row’s maps with its tokens) needs VS Code or the CLI with the model and data at hand.' });
  }
  const a = report.attention;
  const rows = report.data?.rows;
  const field = h('vscode-textfield', { type: 'number', min: 0, ...(rows !== undefined ? { max: rows - 1 } : {}), value: '0', 'aria-label': 'Data row (0-based)', className: 'row-field', 'data-testid': 'attention-sample-row' });
  const show = h('vscode-button', { text: 'Show sample', 'data-testid': 'attention-sample-show' });
  const back = h('vscode-button', { secondary: true, text: 'Dataset mean', 'data-testid': 'attention-sample-mean' });
  const status = h('span', { className: 'muted', 'aria-live': 'polite', 'data-testid': 'attention-sample-status' });
  let generation = 0;
  const load = async (): Promise<void> => {
    const row = Number((field as HTMLElement & { value: string }).value);
    if (!Number.isInteger(row) || row < 0 || (rows !== undefined && row >= rows)) {
      status.textContent = `Enter a row from 0 to ${rows !== undefined ? rows - 1 : 'the last row'}.`;
      return;
    }
    const mine = ++generation;
    status.textContent = `Running the model on row ${row}…`;
    try {
      const params: AttentionHostMethods['attentionSample'][0] = { row };
      const reply = await host.request(SAMPLE_METHOD, params);
      if (mine !== generation) return;
      const sample = parseSampleResult(reply, a.layers, a.heads);
      body.replaceChildren(headMapsView(sampleSet(a, row, sample), ctx));
      status.textContent = `Row ${row}: ${sample.size} tokens.`;
    } catch (error) {
      if (mine !== generation) return;
      status.textContent = '';
      body.replaceChildren(h('p', { className: 'error-message', role: 'alert', text: `Row ${row}: ${error instanceof Error ? error.message : String(error)}` }));
    }
  };
  show.addEventListener('click', () => void load());
  field.addEventListener('keydown', (event) => { if (event.key === 'Enter') void load(); });
  back.addEventListener('click', () => { generation++; status.textContent = ''; showMean(); });
  return h('div', { className: 'sample-picker', role: 'group', 'aria-label': 'Per-sample view' },
    h('label', { text: `Sample row${rows !== undefined ? ` (0–${rows - 1})` : ''}` }), field, show, back, status);
}

function statisticsTab(a: AttentionSection, ctx: SectionContext): HTMLElement {
  return h('div', { 'data-testid': 'attention-statistics' },
    h('p', { text: `Means over ${formatCount(a.samples)} samples and every valid query row. Entropy H = −Σ p log p (nats); first-token mass = attention on each sample's first valid key (the sink); span mass = attention on the keys of a span, over the samples that have it.` }),
    perHeadTable(a),
    h('h3', { text: 'Distribution of normalised entropy' }),
    a.entropy.overall.length > 0 ? entropyChart(a.entropy.overall, 'attention-entropy', ctx) : h('p', { className: 'muted', text: 'No entropy distribution in this report.' }));
}

function groupsTab(a: AttentionSection, ctx: SectionContext): HTMLElement {
  if (a.byGroup.length === 0) {
    return h('p', { className: 'muted', 'data-testid': 'attention-groups-none', text: 'No groups: the analysis ran without sensitive columns (the spec’s "groups").' });
  }
  const groupSelect = h('vscode-single-select', { 'aria-label': 'Group', 'data-testid': 'attention-group-select' },
    ...a.byGroup.map((g, i) => h('vscode-option', { value: String(i), selected: i === 0, text: `${groupLabel(g.group)} — ${formatCount(g.samples)} samples${g.small ? ' (small)' : ''}` })));
  const modeSelect = h('vscode-single-select', { 'aria-label': 'Maps to show', 'data-testid': 'attention-group-mode' },
    h('vscode-option', { value: 'difference', selected: true, text: 'group − all samples (difference)' }),
    h('vscode-option', { value: 'mean', text: 'group mean' }));
  const body = h('div', { className: 'group-body' });
  const update = (): void => {
    const index = Number((groupSelect as HTMLElement & { value: string }).value);
    const mode = (modeSelect as HTMLElement & { value: string }).value === 'mean' ? 'mean' : 'difference';
    const stats = a.byGroup[index];
    const maps = a.maps.byGroup[index];
    if (!stats) return;
    const label = groupLabel(stats.group);
    const parts: HTMLElement[] = [];
    if (stats.small) parts.push(h('p', { className: 'small-note', text: `Small group: ${stats.samples} samples, fewer than ${a.minGroupSize}; its maps and numbers are noisy.` }));
    if (maps) {
      const set: HeadMapSet = {
        name: `attention-${mode}-${label.replace(/[^A-Za-z0-9=_-]+/g, '_')}`,
        description: mode === 'mean' ? `mean attention of ${label}, ${formatCount(stats.samples)} samples` : `${label} mean − all-sample mean (${formatCount(stats.samples)} vs ${formatCount(a.samples)} samples)`,
        layers: a.layers,
        heads: a.heads,
        size: a.maps.window,
        kind: mode === 'mean' ? 'sequential' : 'diverging',
        map: matrixSet(mode === 'mean' ? maps.mean : maps.difference, a.maps.window),
      };
      parts.push(headMapsView(set, ctx));
    } else parts.push(h('p', { className: 'muted', text: `The report has no maps for ${label}.` }));
    parts.push(h('h3', { text: `Per-head statistics of ${label}` }), groupHeadTable(a, stats));
    const distributions = a.entropy.byGroup.find((d) => groupLabel(d.group) === label)?.distributions;
    if (distributions && distributions.length > 0) parts.push(h('h3', { text: `Normalised entropy of ${label}` }), entropyChart(distributions, `attention-entropy-${label.replace(/[^A-Za-z0-9=_-]+/g, '_')}`, ctx));
    body.replaceChildren(...parts);
  };
  groupSelect.addEventListener('change', update);
  modeSelect.addEventListener('change', update);
  update();
  return h('div', { 'data-testid': 'attention-groups' },
    h('p', { className: 'muted', text: 'Group rows: means over heads. Entropy in nats; first-token mass = attention on the first valid key (the sink).' }),
    groupTable(a),
    h('h3', { text: 'Heads ranked by group difference' }),
    h('p', { className: 'muted', text: 'map Δ = largest cell-count-weighted mean |M_a − M_b| between two groups over the same columns (the pair shown); span-mass Δ and entropy Δ = largest gaps over those pairs. Largest first.' }),
    a.ranking.length > 0 ? rankingTable(a.ranking) : h('p', { className: 'muted', text: 'No ranking: it needs at least two groups over the same sensitive columns.' }),
    h('h3', { text: 'Group maps' }),
    h('div', { className: 'group-controls' }, groupSelect, modeSelect),
    body);
}
