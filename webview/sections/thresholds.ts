/**
 * The threshold what-if report (issue 11): per-group threshold sliders that recompute every rate
 * and disparity from the report's per-group curves (exact on the 1/steps grid), presets, the
 * relaxed accuracy-vs-disparity front with the current point, presets that apply Fairlearn's
 * randomised per-group operating points exactly (expected counts), and the chosen thresholds
 * exported as JSON. Sliders are native range inputs (arrow keys, Page
 * Up/Down, Home/End).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { ThresholdsSection } from '../../extension/protocol/thresholds';
import type { SectionContext } from './context';
import { h } from '../shared/dom';
import { chartFrame } from '../shared/chartFrame';
import { constraintDisparity, objectiveOf, pointRule, presetChoices, thresholdsJson, whatIf, type GroupChoice, type Preset, type WhatIf } from '../charts/thresholdWhatIf';

interface ThresholdsReportView {
  readonly kind: 'thresholds';
  readonly model: { readonly path: string } | null;
  readonly data: { readonly path: string; readonly rows: number };
  readonly thresholds: ThresholdsSection;
}

const SVG = 'http://www.w3.org/2000/svg';
const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;
const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : String(v));
const fix = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : String(v));
const label = (g: Readonly<Record<string, string>>): string => Object.entries(g).map(([k, v]) => `${k}=${v}`).join(', ');

function svgEl(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Objective against the constraint's disparity: the front (line and dots) and the current point. */
function frontChart(t: ThresholdsSection, current: { disparity: number; objective: number }, onPick: (index: number) => void): SVGSVGElement {
  const w = 560; const hgt = 300; const m = 52;
  const points = [...t.front.map((f) => ({ x: f.disparity, y: f.objective })), { x: current.disparity, y: current.objective }];
  const x1 = Math.max(1e-6, ...points.map((p) => p.x)); const y0 = Math.min(...points.map((p) => p.y)); const y1 = Math.max(y0 + 1e-6, ...points.map((p) => p.y));
  const X = (x: number): number => m + (x / x1) * (w - 2 * m);
  const Y = (y: number): number => hgt - m - ((y - y0) / (y1 - y0)) * (hgt - 2 * m);
  const svg = svgEl('svg', { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': `${t.objective} against ${t.constraint} disparity: the relaxed front and the current thresholds` }) as SVGSVGElement;
  svg.append(svgEl('title', {}, `${t.objective} against disparity`));
  svg.append(svgEl('line', { x1: m, y1: hgt - m, x2: w - m, y2: hgt - m, class: 'axis-line' }), svgEl('line', { x1: m, y1: m, x2: m, y2: hgt - m, class: 'axis-line' }));
  svg.append(svgEl('text', { x: w / 2, y: hgt - 14, 'text-anchor': 'middle' }, `disparity (${t.constraint})`));
  svg.append(svgEl('text', { x: 14, y: hgt / 2, transform: `rotate(-90 14 ${hgt / 2})`, 'text-anchor': 'middle' }, t.objective));
  svg.append(svgEl('text', { x: m, y: hgt - m + 14, 'text-anchor': 'middle' }, '0'), svgEl('text', { x: w - m, y: hgt - m + 14, 'text-anchor': 'middle' }, x1.toFixed(3)));
  svg.append(svgEl('text', { x: m - 4, y: hgt - m, 'text-anchor': 'end' }, y0.toFixed(4)), svgEl('text', { x: m - 4, y: m + 4, 'text-anchor': 'end' }, y1.toFixed(4)));
  if (t.front.length > 0) {
    svg.append(svgEl('path', { d: t.front.map((f, i) => `${i ? 'L' : 'M'}${X(f.disparity).toFixed(1)},${Y(f.objective).toFixed(1)}`).join(''), class: 'front-line', fill: 'none' }));
    t.front.forEach((f, i) => {
      // A dot applies its thresholds (click, or Enter / Space when focused).
      const text = `ε ${f.tolerance.toFixed(2)}: ${t.objective} ${fix(f.objective)}, disparity ${fix(f.disparity)} (randomised thresholds): apply`;
      const dot = svgEl('circle', { cx: X(f.disparity), cy: Y(f.objective), r: 4, class: 'front-dot', tabindex: 0, role: 'button', 'aria-label': text, 'data-testid': 'front-dot' });
      dot.append(svgEl('title', {}, text));
      dot.addEventListener('click', () => onPick(i));
      dot.addEventListener('keydown', (event) => {
        const key = (event as KeyboardEvent).key;
        if (key === 'Enter' || key === ' ') { event.preventDefault(); onPick(i); }
      });
      svg.append(dot);
    });
  }
  const cur = svgEl('circle', { cx: X(current.disparity), cy: Y(current.objective), r: 6, class: 'current-dot', 'data-testid': 'current-point' });
  cur.append(svgEl('title', {}, `current thresholds: ${t.objective} ${fix(current.objective)}, disparity ${fix(current.disparity)}`));
  svg.append(cur);
  return svg;
}

/** The thresholds section's view (no page title): the Thresholds tab of a groups report, and the body of a thresholds report. */
export function thresholdsView(t: ThresholdsSection, ctx: SectionContext, dataLine: string, controls: HTMLElement | null = null): HTMLElement {
  let preset: Preset = 'single';
  let choices: GroupChoice[] = presetChoices(t, preset);
  const summary = h('p', { className: 'groups-headline', role: 'status', 'aria-live': 'polite', 'data-testid': 'thresholds-summary' });
  const presetNote = h('p', { className: 'muted', 'data-testid': 'preset-note' });
  const tableBody = h('tbody', {});
  const chartSlot = h('div', {});
  const status = h('span', { className: 'muted export-status', 'aria-live': 'polite' });
  const valueLabels: HTMLElement[] = [];
  const ruleLines: HTMLElement[] = [];
  const sliders: HTMLInputElement[] = [];
  let current: WhatIf = whatIf(t, choices);
  let pickFront: (index: number) => void = () => undefined;
  const thresholdText = (c: GroupChoice): string => (typeof c === 'number' ? (c / t.steps).toFixed(3) : 'randomised');

  const update = (redrawChart: boolean): void => {
    current = whatIf(t, choices);
    const d = current.disparity;
    const randomised = choices.some((c) => typeof c !== 'number');
    const figures = `${t.objective === 'accuracy_score' ? '' : `${t.objective} ${fix(objectiveOf(t.objective, current))} · `}accuracy ${pct(current.overall.accuracy)} · demographic parity difference ${fix(d.demographic_parity_difference)} · equalized odds difference ${fix(d.equalized_odds_difference)} · equal opportunity difference ${fix(d.equal_opportunity_difference)}`;
    summary.textContent = randomised ? `Expected ${figures}` : `${figures.charAt(0).toUpperCase()}${figures.slice(1)}`;
    presetNote.textContent = preset === 'single' || !randomised
      ? 'Deterministic thresholds: predict positive when P > threshold. Every figure is exact for these thresholds.'
      : `Fairlearn's randomised thresholds: some groups mix two thresholds (the rule under their slider). The figures are the expected values — exactly ThresholdOptimizer's: ${t.objective} ${fix(objectiveOf(t.objective, current))}, ${t.constraint} disparity ${fix(constraintDisparity(t.constraint, current))}. Moving a slider makes that group deterministic.`;
    tableBody.replaceChildren(...current.groups.map((r, g) => {
      const c = choices[g] ?? 0;
      return h('tr', {},
        h('td', { text: label(t.curves[g]!.group) }), h('td', { text: thresholdText(c), ...(typeof c === 'number' ? {} : { title: `P(ŷ = 1) = ${pointRule(c)}` }) }),
        h('td', { text: pct(r.selection_rate) }), h('td', { text: pct(r.tpr) }), h('td', { text: pct(r.fpr) }), h('td', { text: pct(r.accuracy) }), h('td', { text: pct(r.precision) }));
    }));
    choices.forEach((c, g) => {
      valueLabels[g]!.textContent = thresholdText(c);
      ruleLines[g]!.textContent = typeof c === 'number' ? '' : `P(ŷ = 1) = ${pointRule(c)}`;
      // A randomised group's slider sits at its more likely threshold (moving it makes the group deterministic).
      const main = typeof c === 'number' ? null : c.p0 >= 0.5 ? c.threshold0 : c.threshold1;
      const j = typeof c === 'number' ? c : Math.round(Math.min(1, Math.max(0, typeof main === 'number' ? main : main === 'inf' ? 1 : 0)) * t.steps);
      if (sliders[g] && Number(sliders[g]!.value) !== j) sliders[g]!.value = String(j);
    });
    if (redrawChart) chartSlot.replaceChildren(chartFrame(frontChart(t, { disparity: constraintDisparity(t.constraint, current), objective: objectiveOf(t.objective, current) }, pickFront), 'thresholds-front', ctx.exportChart,
      `Line: the relaxed front (Fairlearn's randomised thresholds, disparity ≤ ε; select a dot to apply it); large dot: the thresholds set above.`));
  };

  const sliderRows = t.curves.map((c, g) => {
    const input = h('input', { type: 'range', min: 0, max: t.steps, step: 1, value: Math.round(t.steps / 2), 'aria-label': `threshold for ${label(c.group)}`, 'data-testid': 'threshold-slider' }) as HTMLInputElement;
    const value = h('output', { text: '' });
    const rule = h('span', { className: 'muted threshold-rule', 'data-testid': 'threshold-rule' });
    valueLabels.push(value);
    ruleLines.push(rule);
    sliders.push(input);
    input.addEventListener('input', () => { choices = choices.map((j, k) => (k === g ? Number(input.value) : j)); update(false); });
    input.addEventListener('change', () => update(true));
    return h('div', { className: 'threshold-row-wrap' },
      h('label', { className: 'threshold-row' }, h('span', { className: 'threshold-group', text: label(c.group) }), input, value), rule);
  });

  const presets: { value: Preset; label: string }[] = [
    { value: 'single', label: 'One threshold 0.5 for every group' },
    { value: 'optimum', label: 'Fairlearn optimum at exact parity (randomised)' },
    ...t.front.flatMap((f, i) => (f.tolerance > 0 ? [{ value: `front:${i}` as Preset, label: `Fairlearn optimum with disparity ≤ ${f.tolerance.toFixed(2)} (randomised)` }] : [])),
  ];
  const presetSelect = h('vscode-single-select', { 'aria-label': 'Preset', 'data-testid': 'threshold-preset' },
    ...presets.map((p, i) => h('vscode-option', { value: p.value, ...(i === 0 ? { selected: true } : {}), text: p.label })));
  const applyPreset = (value: Preset): void => { preset = value; choices = presetChoices(t, preset); update(true); };
  presetSelect.addEventListener('change', () => applyPreset((presetSelect as unknown as { value: Preset }).value));
  pickFront = (i: number): void => {
    const value: Preset = (t.front[i]?.tolerance ?? 0) > 0 ? `front:${i}` : 'optimum';
    (presetSelect as unknown as { value: string }).value = value;
    applyPreset(value);
  };
  const exportButton = h('vscode-button', { text: 'Export thresholds JSON', 'data-testid': 'export-thresholds' });
  exportButton.addEventListener('click', () => {
    void ctx.exportChart({ suggestedName: 'thresholds.json', format: 'json', data: thresholdsJson(t, choices, current) })
      .then(({ savedTo }) => { status.textContent = savedTo ? `saved ${savedTo}` : ''; }, (e: unknown) => { status.textContent = `export failed: ${e instanceof Error ? e.message : String(e)}`; });
  });

  const eo = t.constraint === 'equalized_odds';
  const optimumHead = ['group', 'n', 'p0', 'threshold0', 'threshold1', ...(eo ? ['pIgnore', 'constant'] : []), 'selection', 'TPR', 'FPR', t.objective];
  const th = (x: number | string): string => (typeof x === 'number' ? x.toFixed(4) : x);
  const optimumRows = t.groups.map((g) => [label(g.group), String(g.count), fix(g.p0), th(g.threshold0), th(g.threshold1),
    ...(eo ? [fix(g.pIgnore ?? Number.NaN), fix(g.predictionConstant ?? Number.NaN)] : []), pct(g.selection_rate), pct(g.tpr), pct(g.fpr), fix(g.objective)]);
  const optimum = h('table', { className: 'metrics-table' },
    h('thead', {}, h('tr', {}, ...optimumHead.map((x) => h('th', { text: x })))),
    h('tbody', {}, ...optimumRows.map((r) => h('tr', {}, ...r.map((x) => h('td', { text: x }))))));

  update(true);
  return h('div', { className: 'thresholds-view' },
    h('p', { className: 'muted', text: `${dataLine} · Fairlearn ThresholdOptimizer: ${t.constraint}, maximising ${t.objective}: ${fix(t.overall.objective)} at disparity ${fix(t.overall.disparity)}` }),
    controls,
    summary,
    h('section', { className: 'groups-part' }, h('h2', { text: 'Per-group thresholds (predict positive when P > threshold)' }),
      h('label', { className: 'groups-control' }, h('span', { text: 'Preset' }), presetSelect),
      presetNote,
      h('div', { className: 'threshold-sliders', role: 'group', 'aria-label': 'Thresholds per group' }, ...sliderRows),
      h('table', { className: 'metrics-table', 'data-testid': 'threshold-table' },
        h('thead', {}, h('tr', {}, ...['group', 'threshold', 'selection', 'TPR', 'FPR', 'accuracy', 'precision'].map((x) => h('th', { text: x })))), tableBody),
      h('p', {}, exportButton, status)),
    h('section', { className: 'groups-part' }, h('h2', { text: `${t.objective === 'accuracy_score' ? 'Accuracy' : t.objective} against disparity` }), chartSlot),
    h('details', { className: 'groups-part' }, h('summary', { text: 'Fairlearn\'s operating points at exact parity (the optimum preset)' }), optimum,
      h('p', { className: 'muted', text: `P(ŷ = 1) = ${eo ? 'pIgnore·constant + (1 − pIgnore)·(' : ''}p0·[score > threshold0] + (1 − p0)·[score > threshold1]${eo ? ')' : ''}` })));
}

export function renderThresholds(report: ThresholdsReportView, ctx: SectionContext): HTMLElement {
  const model = report.model ? baseName(report.model.path) : 'precomputed predictions';
  return h('section', { className: 'thresholds-report', 'data-testid': 'thresholds-report' },
    h('header', { className: 'groups-header' }, h('h1', { text: `Threshold what-if: ${model}` })),
    thresholdsView(report.thresholds, ctx, `${baseName(report.data.path)} · ${report.data.rows.toLocaleString('en-US')} rows`));
}
