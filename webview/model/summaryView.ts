/** DOM of the model summary. Every model-derived string goes through textContent. */
import type { ExportRequest, LauncherKind, ModelViewState, SavedReportRef } from '../../extension/protocol/messages';
import type { ModelSummary, ValueInfo } from '../../extension/protocol/model';
import type { RuntimeStatus } from '../../extension/protocol/runtime';
import { layoutBars } from '../charts/barLayout';
import { renderBarChart } from '../charts/barChart';
import { rasterizeSvg, serializeSvg } from '../charts/export';
import { formatBytes, formatCount, h } from '../shared/dom';
import { launchersFor } from './launchers';

export interface SummaryActions {
  launch(analysis: LauncherKind): void;
  openReport(file: string): void;
  exportChart(request: ExportRequest): Promise<{ savedTo: string | null }>;
}

export function renderSummary(state: ModelViewState, actions: SummaryActions): HTMLElement {
  if (state.kind === 'error') {
    return h('section', { 'data-testid': 'model-error', className: 'error-panel', role: 'alert' },
      h('h1', { text: `Cannot open ${state.fileName}` }),
      h('p', { className: 'error-message', text: state.message }),
      h('p', { className: 'muted', text: 'The file was not modified. Fix or replace it; this view reloads when it changes on disk.' }),
    );
  }
  const s = state.summary;
  return h('div', { 'data-testid': 'model-summary', className: 'summary' },
    header(state.fileName, s, state.runtime),
    launchers(state, actions),
    state.reports.length > 0 ? section(`Saved reports (${state.reports.length})`, savedReports(state.reports, actions)) : null,
    section('Inputs and outputs', ioTables(s)),
    section('Operators', opChart(s, actions)),
    section('Parameters', parameters(s)),
    s.attention.blocks.length > 0 ? section('Attention blocks', attentionList(s)) : null,
    s.quantization.quantized ? section('Quantization found', quantizationList(s)) : null,
    Object.keys(s.metadata).length > 0 || s.docString ? section('Metadata', metadata(s)) : null,
  );
}

function header(fileName: string, s: ModelSummary, runtime: RuntimeStatus): HTMLElement {
  const badges = h('div', { className: 'badges' },
    badge(`IR ${s.irVersion}`),
    ...s.opsets.map((o) => badge(`${o.domain || 'ai.onnx'} ${o.version}`)),
    s.attention.blocks.length > 0 ? badge(`${s.attention.blocks.length} attention block${s.attention.blocks.length === 1 ? '' : 's'}`, 'attention-badge') : null,
    s.quantization.quantized ? badge('quantized', 'quant-badge') : null,
    s.externalData.files.length > 0 ? badge('external data') : null,
  );
  const producer = [s.producer.name, s.producer.version].filter(Boolean).join(' ');
  return h('header', { className: 'model-header' },
    h('h1', { text: fileName }),
    h('p', { className: 'muted' },
      h('span', { 'data-testid': 'param-count', text: `${formatCount(s.parameters.total)} parameters` }),
      ` · ${formatCount(s.nodeCount)} nodes · ${formatBytes(s.fileBytes)}${producer ? ` · ${producer}` : ''} · EP: ${runtimeLabel(runtime)}`),
    badges,
  );
}

function runtimeLabel(runtime: RuntimeStatus): string {
  return runtime.state === 'ready' ? runtime.info.used : runtime.state === 'unavailable' ? 'unavailable' : `${runtime.setting} (not started)`;
}

function badge(text: string, testId?: string): HTMLElement {
  return h('vscode-badge', { variant: 'counter', ...(testId ? { 'data-testid': testId } : {}), text });
}

function launchers(state: Extract<ModelViewState, { kind: 'summary' }>, actions: SummaryActions): HTMLElement {
  return h('div', { className: 'launchers', role: 'group', 'aria-label': 'Analyses' },
    ...launchersFor(state).map((a) => {
      const button = h('vscode-button', { 'data-testid': `launch-${a.kind}`, ...(state.trusted ? {} : { disabled: true }), text: a.title });
      button.addEventListener('click', () => actions.launch(a.kind));
      const note = state.trusted ? a.what : 'workspace not trusted: inspection only';
      return h('div', { className: 'launcher' }, button, h('span', { className: 'muted', text: note }));
    }),
  );
}

function section(title: string, body: HTMLElement): HTMLElement {
  return h('vscode-collapsible', { heading: title, open: true }, h('div', { className: 'section-body' }, body));
}

function formatShape(shape: ValueInfo['shape']): string {
  return shape === null ? 'unknown' : `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

function valueTable(values: readonly ValueInfo[], testId: string, caption: string): HTMLElement {
  return h('vscode-table', { 'data-testid': testId, 'aria-label': caption, zebra: true, bordered: true, columns: JSON.stringify(['40%', '20%', '40%']) },
    h('vscode-table-header', { slot: 'header' },
      h('vscode-table-header-cell', { text: 'name' }), h('vscode-table-header-cell', { text: 'dtype' }), h('vscode-table-header-cell', { text: 'shape' })),
    h('vscode-table-body', { slot: 'body' },
      ...values.map((v) => h('vscode-table-row', {},
        h('vscode-table-cell', { className: 'mono', text: v.name }),
        h('vscode-table-cell', { text: v.dtype }),
        h('vscode-table-cell', { className: 'mono', text: formatShape(v.shape) })))),
  );
}

function ioTables(s: ModelSummary): HTMLElement {
  return h('div', { className: 'io' },
    h('h3', { text: `Inputs (${s.inputs.length})` }), valueTable(s.inputs, 'model-inputs', 'Model inputs'),
    h('h3', { text: `Outputs (${s.outputs.length})` }), valueTable(s.outputs, 'model-outputs', 'Model outputs'));
}

function chartWithExport(svg: SVGSVGElement, name: string, actions: SummaryActions): HTMLElement {
  const status = h('span', { className: 'muted export-status', 'aria-live': 'polite' });
  const exportAs = (format: 'svg' | 'png') => async (): Promise<void> => {
    try {
      const data = format === 'svg' ? serializeSvg(svg) : await rasterizeSvg(svg);
      const { savedTo } = await actions.exportChart({ suggestedName: `${name}.${format}`, format, data });
      status.textContent = savedTo ? `saved ${savedTo}` : '';
    } catch (error) {
      status.textContent = `export failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  };
  const svgButton = h('vscode-button', { secondary: true, text: 'Export SVG' });
  svgButton.addEventListener('click', () => void exportAs('svg')());
  const pngButton = h('vscode-button', { secondary: true, text: 'Export PNG' });
  pngButton.addEventListener('click', () => void exportAs('png')());
  return h('figure', { className: 'chart' }, svg, h('figcaption', {}, svgButton, pngButton, status));
}

function svgElement(testId: string): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('data-testid', testId);
  return svg;
}

function opChart(s: ModelSummary, actions: SummaryActions): HTMLElement {
  const svg = svgElement('op-histogram');
  const data = s.opHistogram.map((o) => ({ label: o.domain && o.domain !== 'ai.onnx' ? `${o.domain}.${o.op}` : o.op, value: o.count }));
  renderBarChart(svg, layoutBars(data, { width: 560, labelWidth: 190 }), { title: `Operator histogram: ${s.nodeCount} nodes` });
  return h('div', {}, h('p', { className: 'muted', text: `${formatCount(s.nodeCount)} nodes, ${s.opHistogram.length} operator types (subgraphs included).` }), chartWithExport(svg, 'op-histogram', actions));
}

function parameters(s: ModelSummary): HTMLElement {
  const p = s.parameters;
  const svg = svgElement('param-chart');
  renderBarChart(svg, layoutBars(p.byDtype.map((d) => ({ label: d.dtype, value: d.parameters, note: `${formatCount(d.parameters)} (${formatBytes(d.bytes)})` })), { width: 560, labelWidth: 110, noteWidth: 150 }), { title: 'Parameters by dtype' });
  const largest = h('vscode-table', { 'data-testid': 'largest-tensors', zebra: true, bordered: true, 'aria-label': 'Largest weight tensors' },
    h('vscode-table-header', { slot: 'header' },
      ...['tensor', 'dtype', 'shape', 'parameters', 'size'].map((t) => h('vscode-table-header-cell', { text: t }))),
    h('vscode-table-body', { slot: 'body' },
      ...p.largest.map((t) => h('vscode-table-row', {},
        h('vscode-table-cell', { className: 'mono', text: `${t.name}${t.external ? ' (external)' : ''}` }),
        h('vscode-table-cell', { text: t.dtype }),
        h('vscode-table-cell', { className: 'mono', text: `[${t.shape.join(', ')}]` }),
        h('vscode-table-cell', { text: formatCount(t.parameters) }),
        h('vscode-table-cell', { text: formatBytes(t.bytes) })))));
  return h('div', {},
    h('p', { text: `${formatCount(p.total)} parameters in ${p.tensors} weight tensors (${formatBytes(p.bytes)})${p.fromConstantNodes > 0 ? `, ${p.fromConstantNodes} of them in Constant nodes` : ''}.` }),
    svg,
    h('h3', { text: 'Largest tensors' }),
    largest,
  );
}

function attentionList(s: ModelSummary): HTMLElement {
  return h('ul', { 'data-testid': 'attention-blocks' }, ...s.attention.blocks.map((b) => h('li', {},
    h('span', { className: 'mono', text: b.node || '(unnamed node)' }),
    ` — ${b.kind === 'fused' ? `fused ${b.domain ? `${b.domain}.` : ''}${b.op}` : 'Softmax of Q·Kᵀ'}`)));
}

function quantizationList(s: ModelSummary): HTMLElement {
  return h('ul', { 'data-testid': 'quantization-found' },
    ...s.quantization.ops.map((o) => h('li', { text: `${o.op} × ${o.count}` })),
    ...s.quantization.lowBitWeights.map((w) => h('li', { text: `${w.dtype} weights: ${w.tensors} tensors, ${formatCount(w.parameters)} parameters` })));
}

function metadata(s: ModelSummary): HTMLElement {
  return h('dl', { className: 'metadata' },
    ...(s.docString ? [h('dt', { text: 'doc string' }), h('dd', { text: s.docString })] : []),
    ...Object.entries(s.metadata).flatMap(([k, v]) => [h('dt', { className: 'mono', text: k }), h('dd', { text: v })]));
}

function savedReports(reports: readonly SavedReportRef[], actions: SummaryActions): HTMLElement {
  return h('ul', { 'data-testid': 'saved-reports', className: 'saved-reports' }, ...reports.map((r) => {
    const when = `${r.createdAt.replace('T', ' ').slice(0, 19)} UTC`;
    // Every button reads "Open groups report": the accessible name carries the date that tells them apart.
    const button = h('vscode-button', { secondary: true, text: `Open ${r.kind} report`, 'aria-label': `Open ${r.kind} report of ${when}` });
    button.addEventListener('click', () => actions.openReport(r.file));
    return h('li', {}, button, h('span', { className: 'muted', text: ` ${when}` }));
  }));
}
