/**
 * Model-level impact of quantization (issue 6 item 3): per format, agreement with FP32, KL, loss
 * and accuracy change with n; a group × format matrix of loss (or accuracy) change on a diverging
 * scale centred at 0 with small groups marked; and the samples whose prediction flips, with
 * their groups. Definitions: FORMULAS.md §C "Model-level".
 */
import type { QuantImpact, QuantImpactGroup, QuantImpactStats } from '../../extension/protocol/quant';
import { groupLabel } from '../charts/heatmapData';
import { formatQuantNumber } from '../charts/quantData';
import { formatChange, layoutChangeMatrix } from '../charts/quantMatrix';
import { renderChangeMatrix } from '../charts/quantRender';
import { chartFrame } from '../shared/chartFrame';
import { formatCount, h } from '../shared/dom';
import { quantTable } from './quantTable';
import type { SectionContext } from './context';

/** Flipped samples listed in the page (the report holds up to 500 per format). */
const FLIPS_SHOWN = 200;

type ChangeQuantity = 'lossDelta' | 'accuracyDelta';

/** A compared variant's short name: the format id, or the checkpoint file's name. */
function nameOf(impact: QuantImpact): string {
  return impact.format === 'checkpoint' ? (impact.label.split(/[\\/]/).pop() ?? impact.label) : impact.label;
}

const percent = (x: number): string => (Number.isNaN(x) ? 'n/a' : `${(x * 100).toFixed(x >= 0.9995 && x < 1 ? 2 : 1)}%`);
const signed = (x: number): string => (Number.isNaN(x) ? 'n/a' : formatChange(x, 3));
const signedPoints = (x: number): string => (Number.isNaN(x) ? 'n/a' : `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(2)} pt`);

function statsCells(s: QuantImpactStats): string[] {
  return [formatCount(s.count), percent(s.agreement), formatCount(s.flipCount), formatQuantNumber(s.kl), signed(s.lossDelta), signedPoints(s.accuracyDelta)];
}

/** The FP32 → quantized values behind a change, for the cells' tooltips. */
function statsTitle(s: QuantImpactStats, col: number): string | undefined {
  if (col === 5) return `loss ${formatQuantNumber(s.lossFp32)} (fp32) → ${formatQuantNumber(s.lossQ)} (quantized)`;
  if (col === 6) return `accuracy ${percent(s.accuracyFp32)} (fp32) → ${percent(s.accuracyQ)} (quantized)`;
  return undefined;
}

function select(label: string, testId: string, options: readonly { value: string; label: string }[], value: string, onChange: (v: string) => void): HTMLElement {
  const control = h('vscode-single-select', { 'aria-label': label, 'data-testid': testId },
    ...options.map((o) => h('vscode-option', { value: o.value, ...(o.value === value ? { selected: true } : {}), text: o.label })));
  control.addEventListener('change', () => onChange((control as HTMLElement & { value: string }).value));
  return h('label', { className: 'quant-control' }, h('span', { text: label }), control);
}

/** The impact view over every compared format (or the one checkpoint). */
export function impactView(impact: readonly QuantImpact[], ctx: SectionContext): HTMLElement {
  if (impact.length === 0) return h('p', { className: 'muted', text: 'The report has no model-level comparison.' });
  const first = impact[0] as QuantImpact;
  const summary = quantTable('quant-impact-table', 'Impact per format',
    ['format', 'n', 'agreement', 'flips', 'KL (nats)', 'loss Δ', 'accuracy Δ', 'fp32 → q loss', 'fp32 → q accuracy', 'worst group', 'its loss Δ'],
    impact.map((i) => [nameOf(i), ...statsCells(i), `${formatQuantNumber(i.lossFp32)} → ${formatQuantNumber(i.lossQ)}`, `${percent(i.accuracyFp32)} → ${percent(i.accuracyQ)}`, i.worstGroup ? groupLabel(i.worstGroup) : '—', signed(i.worstGroupLossDelta)]),
    { columns: ['11%', '6%', '8%', '5%', '8%', '8%', '8%', '11%', '13%', '14%', '8%'], title: (r, c) => { const i = impact[r]; return i ? statsTitle(i, c) : undefined; } });
  const worst = [...impact].sort((a, b) => b.worstGroupLossDelta - a.worstGroupLossDelta)[0];
  const headline = worst && worst.worstGroup
    ? `Largest group loss increase: ${groupLabel(worst.worstGroup)} under ${nameOf(worst)}, ${signed(worst.worstGroupLossDelta)} nats (overall ${signed(worst.lossDelta)}).`
    : 'No group has a loss change to compare.';

  const scopes = [{ value: 'intersections', label: 'intersections' }, ...first.byColumn.map((c) => ({ value: `column:${c.column}`, label: c.column }))];
  let quantity: ChangeQuantity = 'lossDelta';
  let scope = 'intersections';
  const matrixHost = h('div', { className: 'quant-matrix-host' });
  const drawMatrix = (): void => { matrixHost.replaceChildren(groupFormatMatrix(impact, quantity, scope, ctx)); };
  drawMatrix();

  let flipFormat = 0;
  const flipsHost = h('div', { className: 'quant-flips-host' });
  const drawFlips = (): void => { flipsHost.replaceChildren(flipsTable(impact[flipFormat] ?? first)); };
  drawFlips();

  return h('div', { className: 'quant-impact', 'data-testid': 'quant-impact' },
    h('p', { className: 'quant-headline', role: 'status', 'data-testid': 'quant-impact-headline', text: headline }),
    h('p', { className: 'muted', text: 'FP32 and quantized models run on the same rows. Agreement = share of samples whose predicted class is unchanged; KL = mean KL(p_fp32 ‖ p_q) in nats; loss Δ = mean loss(q) − mean loss(fp32); accuracy Δ in percentage points. n = samples.' }),
    summary,
    h('h3', { text: 'Change by group and format' }),
    h('div', { className: 'quant-controls' },
      select('Change in', 'quant-impact-quantity', [{ value: 'lossDelta', label: 'loss (nats)' }, { value: 'accuracyDelta', label: 'accuracy' }], quantity, (v) => { quantity = v === 'accuracyDelta' ? 'accuracyDelta' : 'lossDelta'; drawMatrix(); }),
      scopes.length > 1 ? select('Groups', 'quant-impact-scope', scopes, scope, (v) => { scope = v; drawMatrix(); }) : null),
    matrixHost,
    h('h3', { text: 'Samples whose prediction flips' }),
    impact.length > 1 ? h('div', { className: 'quant-controls' }, select('Format', 'quant-flips-format', impact.map((i, k) => ({ value: String(k), label: `${nameOf(i)} (${formatCount(i.flips.total)})` })), '0', (v) => { flipFormat = Number(v); drawFlips(); })) : null,
    flipsHost);
}

function groupsOf(impact: QuantImpact, scope: string): readonly QuantImpactGroup[] {
  if (!scope.startsWith('column:')) return impact.byGroup;
  const column = scope.slice('column:'.length);
  return impact.byColumn.find((c) => c.column === column)?.byGroup ?? [];
}

function groupFormatMatrix(impact: readonly QuantImpact[], quantity: ChangeQuantity, scope: string, ctx: SectionContext): HTMLElement {
  // Rows: overall, then every group present in any format (first-seen order), keyed by label.
  const labels: string[] = [];
  const meta = new Map<string, { count: number; small: boolean }>();
  for (const i of impact) {
    for (const g of groupsOf(i, scope)) {
      const label = groupLabel(g.group);
      if (!meta.has(label)) { labels.push(label); meta.set(label, { count: g.count, small: g.small === true }); }
    }
  }
  const rows = [{ label: 'overall', count: impact[0]?.count ?? 0, small: false }, ...labels.map((label) => ({ label, count: meta.get(label)?.count ?? 0, small: meta.get(label)?.small ?? false }))];
  const values = new Float64Array(rows.length * impact.length).fill(Number.NaN);
  const entries: (QuantImpactStats | undefined)[] = new Array<QuantImpactStats | undefined>(rows.length * impact.length);
  impact.forEach((i, c) => {
    values[c] = i[quantity];
    entries[c] = i;
    const byLabel = new Map(groupsOf(i, scope).map((g) => [groupLabel(g.group), g]));
    labels.forEach((label, r) => {
      const g = byLabel.get(label);
      if (g) { values[(r + 1) * impact.length + c] = g[quantity]; entries[(r + 1) * impact.length + c] = g; }
    });
  });
  const worseWhen = quantity === 'lossDelta' ? 'positive' : 'negative';
  const layout = layoutChangeMatrix({ rows, cols: impact.map((i) => nameOf(i)), values, worseWhen });
  const name = quantity === 'lossDelta' ? 'loss change (nats)' : 'accuracy change';
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  renderChangeMatrix(svg, layout, {
    title: `${name}: group × format`,
    quantity: name,
    worseWhen,
    describe: (r, c, value) => {
      const e = entries[r * impact.length + c];
      const row = rows[r];
      const variant = impact[c];
      const column = variant ? nameOf(variant) : '';
      if (!e || !row) return `${row?.label ?? ''} · ${column}: no samples`;
      return `${row.label} · ${column}: ${quantity === 'lossDelta' ? `loss Δ ${signed(value)}` : `accuracy Δ ${signedPoints(value)}`}, n=${formatCount(e.count)}${row.small ? ' (small group: noisy)' : ''}; agreement ${percent(e.agreement)}, KL ${formatQuantNumber(e.kl)}`;
    },
  });
  svg.setAttribute('data-testid', 'quant-group-format-matrix');
  const smallCount = rows.filter((r) => r.small).length;
  const caption = `Centred at 0 on ±${formatQuantNumber(layout.maxAbs)}; orange = worse (${quantity === 'lossDelta' ? 'loss rises' : 'accuracy drops'}), purple = better.${smallCount > 0 ? ` Hatched rows marked “small”: fewer samples than the report’s minimum group size; their changes are noisy.` : ''}`;
  return chartFrame(svg, `quant-${quantity === 'lossDelta' ? 'loss' : 'accuracy'}-change-by-group`, ctx.exportChart, caption);
}

function flipsTable(impact: QuantImpact): HTMLElement {
  const { total, shown } = impact.flips;
  if (total === 0) return h('p', { className: 'muted', 'data-testid': 'quant-flips', text: `No prediction changes under ${nameOf(impact)}.` });
  const columns = [...new Set(shown.flatMap((f) => Object.keys(f.groups)))];
  const listed = shown.slice(0, FLIPS_SHOWN);
  const rows = listed.map((f) => [String(f.row), ...columns.map((c) => f.groups[c] ?? '(missing)'), String(f.label), String(f.fp32), String(f.q)]);
  const note = `${formatCount(total)} sample${total === 1 ? '' : 's'} flip under ${nameOf(impact)}; ${listed.length < total ? `the first ${formatCount(listed.length)} in data order are listed${shown.length > listed.length ? ` (the report holds ${formatCount(shown.length)})` : ''}` : 'all are listed'}.`;
  const byGroup = [...impact.byGroup].filter((g) => g.flipCount > 0).sort((a, b) => b.flipCount / b.count - a.flipCount / a.count);
  const rates = byGroup.length > 0 ? h('p', { className: 'muted', text: `Flip rate by group: ${byGroup.slice(0, 8).map((g) => `${groupLabel(g.group)} ${percent(g.flipCount / g.count)} (${g.flipCount}/${g.count}${g.small ? ', small' : ''})`).join(' · ')}${byGroup.length > 8 ? ' · …' : ''}` }) : null;
  return h('div', { 'data-testid': 'quant-flips' },
    h('p', { text: note }),
    rates,
    quantTable('quant-flips-table', `Samples whose prediction flips under ${nameOf(impact)}`, ['row', ...columns, 'label', 'fp32 prediction', 'quantized prediction'], rows,
      { title: (_r, c) => (c === 0 ? 'Row number in the data file, as the groups analysis counts rows' : undefined) }));
}
