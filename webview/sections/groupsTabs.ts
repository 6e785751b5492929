/**
 * A groups report with its tabs (issue 11 item 4): Groups | Slices | Thresholds (vscode-tabs:
 * arrow keys move between tab headers). The Slices and Thresholds tabs show the report's `slices`
 * / `thresholds` sections; in VS Code a missing section is computed for the report's spec when
 * its tab is first opened (the host runs it in the worker with a progress notification), so the
 * Groups tab never waits for it. The Thresholds tab can recompute for another constraint. A
 * standalone HTML export shows the tabs whose sections the report holds.
 */
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { GroupsReportWithTabs, GroupsSectionRequest, GroupsTab } from '../../extension/protocol/groupsTabs';
import type { SlicesReport } from '../../extension/protocol/slices';
import type { ThresholdsReport, ThresholdsSection } from '../../extension/protocol/thresholds';
import type { SectionContext } from './context';
import { h } from '../shared/dom';
import { lazyTabs, type LazyTab } from '../shared/lazyTabs';
import { renderGroups } from './groups';
import { slicesView } from './slices';
import { thresholdsView } from './thresholds';

const CONSTRAINTS: readonly [string, string][] = [
  ['demographic_parity', 'Demographic parity (equal selection rates)'],
  ['equalized_odds', 'Equalized odds (equal TPR and FPR)'],
  ['true_positive_rate_parity', 'True positive rate parity (equal opportunity)'],
  ['false_positive_rate_parity', 'False positive rate parity'],
  ['true_negative_rate_parity', 'True negative rate parity'],
  ['false_negative_rate_parity', 'False negative rate parity'],
];
const OBJECTIVE = 'accuracy_score';

const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The tab last selected per report, kept across a re-render (theme change). */
const lastTab = new Map<string, GroupsTab>();

/** Sections computed in this page (a re-render on a theme change reuses them instead of asking again). */
const computed = new Map<string, Promise<unknown>>();

function request<T>(ctx: SectionContext, key: string, params: GroupsSectionRequest): Promise<T> {
  let pending = computed.get(key);
  if (!pending) {
    pending = ctx.host!.request('groupsSection', params);
    // A failure is shown, and asked again the next time the tab is drawn.
    pending.catch(() => computed.delete(key));
    computed.set(key, pending);
  }
  return pending as Promise<T>;
}

/** A panel that shows `waiting` until `load` settles, then what `show` draws (or the error). */
function loading(waiting: string, load: () => Promise<HTMLElement>): HTMLElement {
  const slot = h('div', { className: 'tab-loading' },
    h('p', { className: 'muted', role: 'status', 'aria-live': 'polite', 'data-testid': 'tab-loading', text: waiting }));
  load().then((view) => slot.replaceChildren(view), (error: unknown) => {
    slot.replaceChildren(h('p', { className: 'error-message', role: 'alert', 'data-testid': 'tab-error', text: message(error) }));
  });
  return slot;
}

/** Renders a groups report: with tabs in VS Code or when it carries slices/thresholds; plain otherwise. */
export function renderGroupsReport(report: GroupsReportWithTabs, ctx: SectionContext): HTMLElement {
  const canCompute = ctx.host !== undefined && report.spec !== '' && report.groups !== undefined;
  const hasSlices = report.slices !== undefined || canCompute;
  // Per-group thresholds exist for binary classifiers only (ThresholdOptimizer on P(positive)).
  const hasThresholds = report.thresholds !== undefined || (canCompute && report.groups.task === 'binary');
  if (!hasSlices && !hasThresholds) return renderGroups(report, ctx);
  const key = `${report.spec}|${report.createdAt}`;
  const dataLine = `${baseName(report.data.path)} · ${report.data.rows.toLocaleString('en-US')} rows`;

  const model = report.model ? baseName(report.model.path) : 'precomputed predictions';
  const title = (text: string, lead: string): HTMLElement => h('header', { className: 'groups-header' }, h('h1', { text }), h('p', { className: 'muted', text: lead }));
  const slicesTab = (): HTMLElement => h('section', { className: 'slices-report', 'data-testid': 'slices-report' },
    title(`Slices: ${model}`, 'Subgroups nobody named — conjunctions of up to three metadata values — where the model errs most, tested on held-out rows.'),
    slicesContent());
  const slicesContent = (): HTMLElement => {
    if (report.slices) return slicesView(report.slices, ctx, dataLine);
    return loading('Finding slices over the metadata columns of this report\'s rows (SliceLine, levels ≤ 3)… The search runs in the background; the Groups tab stays usable.',
      () => request<SlicesReport>(ctx, `${key}|slices`, { section: 'slices' }).then((r) => slicesView(r.slices, ctx, dataLine)));
  };

  const thresholdsTab = (): HTMLElement => {
    const initial = ctx.view?.constraint ?? report.thresholds?.constraint ?? 'demographic_parity';
    const body = h('div', { className: 'thresholds-slot' });
    const show = (constraint: string): void => {
      const own = report.thresholds && report.thresholds.constraint === constraint && report.thresholds.objective === OBJECTIVE ? report.thresholds : null;
      const draw = (t: ThresholdsSection): HTMLElement => thresholdsView(t, ctx, dataLine);
      if (own) { body.replaceChildren(draw(own)); return; }
      if (!canCompute) { body.replaceChildren(h('p', { className: 'muted', text: `This report holds the thresholds for ${report.thresholds?.constraint ?? 'no constraint'} only.` })); return; }
      body.replaceChildren(loading(`Optimising per-group thresholds for ${constraint} (Fairlearn ThresholdOptimizer) and the relaxed front…`,
        () => request<ThresholdsReport>(ctx, `${key}|thresholds|${constraint}`, { section: 'thresholds', constraint, objective: OBJECTIVE }).then((r) => draw(r.thresholds))));
    };
    const choices = canCompute ? CONSTRAINTS : CONSTRAINTS.filter(([c]) => c === report.thresholds?.constraint);
    const select = h('vscode-single-select', { 'aria-label': 'Constraint', 'data-testid': 'threshold-constraint' },
      ...choices.map(([value, text]) => h('vscode-option', { value, ...(value === initial ? { selected: true } : {}), text })));
    select.addEventListener('change', () => show((select as unknown as { value: string }).value));
    show(initial);
    return h('section', { className: 'thresholds-report', 'data-testid': 'thresholds-report' },
      title(`Threshold what-if: ${model}`, 'What per-group decision thresholds would do to every rate and disparity: Fairlearn ThresholdOptimizer\'s optimum, its relaxed front, and your own thresholds.'),
      h('label', { className: 'groups-control' }, h('span', { text: 'Constraint' }), select), body);
  };

  const tabs: LazyTab[] = [
    ['groups', 'Groups', () => renderGroups(report, ctx)],
    ...(hasSlices ? [['slices', 'Slices', slicesTab] as LazyTab] : []),
    ...(hasThresholds ? [['thresholds', 'Thresholds', thresholdsTab] as LazyTab] : []),
  ];
  const wanted: GroupsTab = lastTab.get(key) ?? ctx.view?.tab ?? 'groups';
  const selected = Math.max(0, tabs.findIndex(([id]) => id === wanted));
  const onSelect = (index: number): void => { const id = tabs[index]?.[0]; if (id) lastTab.set(key, id as GroupsTab); };
  return h('section', { className: 'groups-tabs', 'data-testid': 'groups-tabs-report' }, lazyTabs('report', tabs, { selected, onSelect }));
}
