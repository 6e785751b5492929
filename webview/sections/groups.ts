/**
 * The per-group analysis view of a groups report (issue 4 item 8): header and headline, metric
 * and scope selectors, disparity cards, per-group bars worst first, intersection matrix,
 * reliability diagrams, feature diversity and a table of every metric. Used by the model
 * editor's result tab, the report panel and the standalone HTML export.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import type { GroupsReport } from '../../extension/protocol/groups';
import type { SectionContext } from './context';
import { h } from '../shared/dom';
import { headline } from '../charts/disparityText';
import { metricInfo, primaryMetric, reviveNumbers, scalarMetrics } from '../charts/groupMetrics';
import { barsBlock, calibrationBlock, disparityBlock, diversityBlock, matrixBlock, metricsTable, scopes, type GroupsScope } from './groupsViews';

interface ViewState {
  metric: string;
  scope: string;
  allCalibration: boolean;
}

/** Choices survive a re-render of the same report (e.g. on a theme change). */
const remembered = new Map<string, ViewState>();

const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

function badge(text: string, title?: string): HTMLElement {
  return h('vscode-badge', { variant: 'counter', text, ...(title ? { title } : {}) });
}

function header(report: GroupsReport): HTMLElement {
  const g = report.groups;
  const d = report.data;
  const reasons = Object.entries(d.skipReasons);
  const model = report.model ? baseName(report.model.path) : 'precomputed predictions';
  const boot = g.bootstrap;
  return h('header', { className: 'groups-header' },
    h('h1', { text: `Groups: ${model}` }),
    h('p', { className: 'muted groups-meta' },
      h('span', { title: d.path, text: baseName(d.path) }),
      ` · ${d.rows.toLocaleString('en-US')} rows · `,
      h('span', { 'data-testid': 'skipped-rows', text: `${d.skippedRows.toLocaleString('en-US')} skipped${reasons.length > 0 ? ` (${reasons.map(([r, n]) => `${r}: ${n}`).join(', ')})` : ''}` }),
      report.runtime ? ' · EP ' : '',
      report.runtime ? h('span', { title: report.runtime.fallbackReason ?? `requested ${report.runtime.requested.join(', ')}`, text: report.runtime.used }) : '',
      report.model ? ` · ${report.model.parameters.toLocaleString('en-US')} parameters` : ''),
    h('div', { className: 'badges' },
      badge(`sensitive: ${g.sensitive.join(' × ')}`),
      badge(g.task),
      boot ? badge(`${boot.replicates} bootstrap replicates · seed ${boot.seed} · ${Math.round(boot.confidence * 100)}% ${boot.method} intervals`)
        : badge('no intervals', 'Run with --bootstrap N --seed S for confidence intervals'),
      badge(`small: n < ${g.minGroupSize}`, 'Groups with fewer rows are marked small (hatched), never hidden'),
      g.missingGroup > 0 ? badge(`${g.missingGroup.toLocaleString('en-US')} rows without a group value`, 'Counted in overall only') : null),
    h('p', { className: 'groups-headline', 'data-testid': 'groups-headline', role: 'status', text: headline(g) }),
  );
}

function select(label: string, testId: string, options: readonly { value: string; label: string; title?: string }[], value: string, onChange: (value: string) => void): HTMLElement {
  const control = h('vscode-single-select', { 'data-testid': testId, 'aria-label': label },
    ...options.map((o) => h('vscode-option', { value: o.value, ...(o.value === value ? { selected: true } : {}), ...(o.title ? { description: o.title } : {}), text: o.label })));
  control.addEventListener('change', () => onChange(control.value));
  return h('label', { className: 'groups-control' }, h('span', { text: label }), control);
}

/** Renders a groups report. Model- and data-derived strings only through textContent. */
export function renderGroups(raw: GroupsReport, ctx: SectionContext): HTMLElement {
  const report = reviveNumbers(raw);
  const g = report.groups;
  const metrics = scalarMetrics(g.task);
  const available = scopes(g);
  const key = `${report.spec}|${report.createdAt}`;
  const state: ViewState = remembered.get(key) ?? { metric: primaryMetric(g.task), scope: 'intersections', allCalibration: false };
  if (!metrics.includes(state.metric)) state.metric = primaryMetric(g.task);
  if (!available.some((s) => s.id === state.scope)) state.scope = 'intersections';
  remembered.delete(key);
  remembered.set(key, state);
  // Keep the few most recent reports' choices only.
  for (const old of remembered.keys()) if (remembered.size > 20) remembered.delete(old);

  const body = h('div', { className: 'groups-body' });
  const currentScope = (): GroupsScope => available.find((s) => s.id === state.scope) ?? available[0] as GroupsScope;

  const calibrationSlot = h('div', { className: 'calibration-slot' });
  const renderCalibrationSlot = (): void => {
    const chart = calibrationBlock(g, currentScope(), state.metric, state.allCalibration, ctx);
    calibrationSlot.replaceChildren(...(chart ? [chart] : []));
  };

  const renderBody = (): void => {
    const scope = currentScope();
    const info = metricInfo(state.metric);
    const matrix = matrixBlock(g, state.metric, ctx);
    const calibrationToggle = h('vscode-checkbox', { label: 'Show every group', ...(state.allCalibration ? { checked: true } : {}), 'data-testid': 'calibration-all' });
    calibrationToggle.addEventListener('change', () => { state.allCalibration = calibrationToggle.checked; renderCalibrationSlot(); });
    renderCalibrationSlot();
    const diversity = diversityBlock(report, scope, ctx);
    if (scope.entries.length === 0) {
      body.replaceChildren(h('p', { className: 'muted', text: `No row has a value for ${scope.sensitive.join(' and ')}: there are no groups to compare.` }),
        h('section', { className: 'groups-part' }, h('h2', { text: 'All metrics' }), metricsTable(g, scope, state.metric)));
      return;
    }
    const parts: (HTMLElement | null)[] = [
      h('section', { className: 'groups-part' }, h('h2', { text: 'Where the model does worst' }), disparityBlock(g, scope)),
      h('section', { className: 'groups-part' }, h('h2', { title: info.definition, text: `${info.label} by ${scope.title}, worst first` }), barsBlock(g, scope, state.metric, ctx)),
      matrix ? h('section', { className: 'groups-part' }, h('h2', { text: `${info.label}: ${g.sensitive.join(' × ')}` }), matrix) : null,
      calibrationSlot.childElementCount > 0 ? h('section', { className: 'groups-part' },
        h('h2', { text: 'Calibration by group' }),
        scope.entries.length > 3 ? h('p', { className: 'muted calibration-toggle', text: 'Overall, the worst group and the largest groups. ' }, calibrationToggle) : null,
        calibrationSlot) : null,
      diversity ? h('section', { className: 'groups-part' }, h('h2', { text: 'Feature diversity (Bias Loss)' }), diversity) : null,
      h('section', { className: 'groups-part' }, h('h2', { text: 'All metrics' }), metricsTable(g, scope, state.metric)),
    ];
    body.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
  };

  const controls = h('div', { className: 'groups-controls', role: 'group', 'aria-label': 'View options' },
    select('Metric', 'metric-select', metrics.map((m) => ({ value: m, label: metricInfo(m).label, title: metricInfo(m).definition })), state.metric, (value) => { state.metric = value; renderBody(); }),
    available.length > 1 ? select('Groups', 'scope-select', available.map((s) => ({ value: s.id, label: s.title })), state.scope, (value) => { state.scope = value; renderBody(); }) : null,
  );
  renderBody();
  return h('section', { className: 'groups-report', 'data-testid': 'groups-report' }, header(report), controls, body);
}
