/**
 * Per-layer sensitivity (issue 6 item 4): each weight tensor quantized alone, its damage per
 * group as a group × layer matrix (loss change, diverging at 0, small groups marked), the
 * ranking, and the greedy mixed-precision suggestion with its re-measured worst-group loss change
 * against the budget and a "Copy nodes_to_exclude JSON" button (with a selectable text fallback:
 * webviews may block the clipboard).
 */
import type { QuantSensitivity } from '../../extension/protocol/quant';
import { groupLabel } from '../charts/heatmapData';
import { formatQuantNumber } from '../charts/quantData';
import { formatChange, layoutChangeMatrix } from '../charts/quantMatrix';
import { renderChangeMatrix } from '../charts/quantRender';
import { chartFrame } from '../shared/chartFrame';
import { formatCount, h } from '../shared/dom';
import { quantTable } from './quantTable';
import type { SectionContext } from './context';

const signed = (x: number): string => (Number.isNaN(x) ? 'n/a' : formatChange(x, 3));
const percent = (x: number): string => (Number.isNaN(x) ? 'n/a' : `${(x * 100).toFixed(1)}%`);

/** The sensitivity view. */
export function sensitivityView(s: QuantSensitivity, ctx: SectionContext): HTMLElement {
  return h('div', { className: 'quant-sensitivity', 'data-testid': 'quant-sensitivity' },
    h('p', { className: 'muted', text: `Each weight tensor quantized alone in ${s.format}, the rest kept in FP32, over the first ${formatCount(s.rows)} rows. Damage = loss(q) − loss(fp32) per group (nats for the cross-entropies). With every layer in ${s.format}: worst-group loss Δ ${signed(s.all.worstGroupLossDelta)}, KL ${formatQuantNumber(s.all.kl)}, agreement ${percent(s.all.agreement)}.` }),
    suggestionView(s),
    h('h3', { text: 'Damage by group and layer' }),
    damageMatrix(s, ctx),
    h('h3', { text: 'Layers, most damaging first' }),
    quantTable('quant-sensitivity-layers', 'Layers ranked by worst-group loss change',
      ['#', 'tensor', 'nodes', 'op', 'elements', 'worst group (loss Δ)', 'loss Δ', 'KL', 'agreement'],
      s.layers.map((l, i) => [
        String(i + 1), l.tensor, l.nodes.filter((n) => n !== '').join(', ') || '(unnamed)', l.op ?? '—', formatCount(l.elements),
        l.worstGroup ? `${groupLabel(l.worstGroup)} (${signed(l.worstGroupLossDelta)})` : signed(l.worstGroupLossDelta),
        signed(l.lossDelta), formatQuantNumber(l.kl), percent(l.agreement),
      ]), { columns: ['4%', '16%', '20%', '7%', '7%', '20%', '9%', '9%', '8%'] }));
}

function damageMatrix(s: QuantSensitivity, ctx: SectionContext): HTMLElement {
  if (s.groups.length === 0 || s.layers.length === 0) return h('p', { className: 'muted', text: 'No groups or layers to show.' });
  const kept = new Set(s.suggestion.keepTensors);
  const cols = s.layers.map((l) => `${kept.has(l.tensor) ? '■ ' : ''}${l.tensor}`);
  const values = new Float64Array(s.groups.length * s.layers.length);
  s.groups.forEach((_, g) => s.layers.forEach((l, c) => { values[g * s.layers.length + c] = l.byGroup[g] ?? Number.NaN; }));
  const rows = s.groups.map((g) => ({ label: groupLabel(g.group), count: g.count, small: g.small === true }));
  const layout = layoutChangeMatrix({ rows, cols, values, worseWhen: 'positive' });
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  renderChangeMatrix(svg, layout, {
    title: `Loss change per group when one layer is quantized in ${s.format}`,
    quantity: 'loss change (nats)',
    worseWhen: 'positive',
    describe: (r, c, value) => {
      const layer = s.layers[c];
      const row = rows[r];
      return `${row?.label ?? ''} · ${layer?.tensor ?? ''} (${layer?.op ?? 'no op'}${layer && layer.nodes.length > 0 ? `, ${layer.nodes.join(', ')}` : ''}) in ${s.format}: loss Δ ${signed(value)}, n=${formatCount(row?.count ?? 0)}${row?.small ? ' (small group: noisy)' : ''}`;
    },
  });
  svg.setAttribute('data-testid', 'quant-damage-matrix');
  const small = rows.some((r) => r.small);
  return h('div', { className: 'quant-matrix-scroll' }, chartFrame(svg, `quant-sensitivity-${s.format}`, ctx.exportChart,
    `Columns in damage order (worst first)${kept.size > 0 ? '; ■ = kept in full precision by the suggestion' : ''}. Centred at 0 on ±${formatQuantNumber(layout.maxAbs)}; orange = loss rises.${small ? ' Hatched rows marked “small”: few samples, noisy.' : ''}`));
}

function suggestionView(s: QuantSensitivity): HTMLElement {
  const { suggestion } = s;
  const json = JSON.stringify(suggestion.nodesToExclude, null, 2);
  const verdict = suggestion.metBudget
    ? `Keeping ${suggestion.keepTensors.length} of ${s.layers.length} layer${s.layers.length === 1 ? '' : 's'} in full precision meets the budget: measured worst-group loss Δ ${signed(suggestion.measured.worstGroupLossDelta)} ≤ ${formatQuantNumber(s.budget)}.`
    : `No mix found within the budget: keeping ${suggestion.keepTensors.length} of ${s.layers.length} layer${s.layers.length === 1 ? '' : 's'} in full precision still measures a worst-group loss Δ of ${signed(suggestion.measured.worstGroupLossDelta)} > ${formatQuantNumber(s.budget)}.`;
  const status = h('span', { className: 'muted', 'aria-live': 'polite', 'data-testid': 'quant-copy-status' });
  const fallback = h('textarea', { className: 'mono quant-json', readonly: true, rows: Math.min(12, suggestion.nodesToExclude.length + 2), 'aria-label': 'nodes_to_exclude JSON', 'data-testid': 'quant-nodes-json' });
  fallback.value = json;
  const copy = h('vscode-button', { text: 'Copy nodes_to_exclude JSON', 'data-testid': 'quant-copy-nodes' });
  copy.addEventListener('click', () => {
    const selectText = (): void => { fallback.focus(); fallback.select(); };
    const clipboard = typeof navigator !== 'undefined' ? navigator.clipboard : undefined;
    if (!clipboard) {
      selectText();
      status.textContent = 'The clipboard is not available here: the JSON is selected, press Ctrl+C (⌘C).';
      return;
    }
    clipboard.writeText(json).then(() => { status.textContent = `Copied ${suggestion.nodesToExclude.length} node name${suggestion.nodesToExclude.length === 1 ? '' : 's'}.`; }, () => {
      selectText();
      status.textContent = 'The clipboard was blocked: the JSON is selected, press Ctrl+C (⌘C).';
    });
  });
  const unnamed = suggestion.keepTensors.length > 0 && suggestion.nodesToExclude.length === 0 ? h('p', { className: 'small-note', text: 'The kept layers’ nodes have no names, so there is nothing onnxruntime could exclude by name.' }) : null;
  const steps = suggestion.steps.length > 0 ? h('details', {}, h('summary', { text: `Every mix measured (${suggestion.steps.length})` }),
    quantTable('quant-mix-steps', 'Mixes measured by the greedy search', ['layers kept in FP32', 'worst-group loss Δ', 'KL', 'agreement', 'within budget'],
      suggestion.steps.map((m) => [String(m.kept), signed(m.worstGroupLossDelta), formatQuantNumber(m.kl), percent(m.agreement), m.worstGroupLossDelta <= s.budget ? 'yes' : 'no']))) : null;
  return h('section', { className: `quant-suggestion${suggestion.metBudget ? '' : ' over-budget'}`, 'data-testid': 'quant-suggestion' },
    h('h3', { text: `Mixed-precision suggestion (budget: worst-group loss Δ ≤ ${formatQuantNumber(s.budget)})` }),
    h('p', { className: 'quant-headline', role: 'status', text: verdict }),
    h('p', { className: 'muted', text: `Measured on the same rows, not extrapolated: KL ${formatQuantNumber(suggestion.measured.kl)}, agreement ${percent(suggestion.measured.agreement)}. Layers kept: ${suggestion.keepTensors.join(', ') || 'none'}.` }),
    unnamed,
    h('div', { className: 'quant-copy' }, copy, status),
    h('p', { className: 'muted', text: 'Usable as onnxruntime’s quantize_static/quantize_dynamic nodes_to_exclude:' }),
    fallback,
    steps);
}
