/**
 * A vscode-tabs set whose panels are built on first view: grids and charts decode and draw
 * nothing before they are seen. A panel whose build throws shows why instead of breaking the view.
 */
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import { h } from './dom';

/** One tab: id (test ids `<prefix>-tab-<id>`, `<prefix>-tab-header-<id>`), header title, panel builder. */
export type LazyTab = readonly [id: string, title: string, build: () => HTMLElement];

export interface LazyTabsOptions {
  /** Tab shown first (default 0; the `selected-index` attribute is set only when given). */
  readonly selected?: number;
  /** Called with the index of the tab the user selects, before its panel is built. */
  readonly onSelect?: (index: number) => void;
}

/** The tabs element (test id `<prefix>-tabs`), with the selected tab's panel built. */
export function lazyTabs(prefix: string, tabs: readonly LazyTab[], options: LazyTabsOptions = {}): HTMLElement {
  const panels = tabs.map(([id, , build]) => {
    const panel = h('vscode-tab-panel', { 'data-testid': `${prefix}-tab-${id}` });
    let built = false;
    const ensure = (): void => {
      if (built) return;
      built = true;
      panel.append(guarded(build));
    };
    return { panel, ensure };
  });
  const tabsElement = h('vscode-tabs', { 'data-testid': `${prefix}-tabs`, 'selected-index': options.selected },
    ...tabs.flatMap(([id, title], i) => [h('vscode-tab-header', { slot: 'header', 'data-testid': `${prefix}-tab-header-${id}`, text: title }), panels[i]?.panel ?? null]));
  tabsElement.addEventListener('vsc-tabs-select', (event) => {
    options.onSelect?.(event.detail.selectedIndex);
    panels[event.detail.selectedIndex]?.ensure();
  });
  panels[options.selected ?? 0]?.ensure();
  return tabsElement;
}

/** What `build` returns, or an alert saying why the view could not be drawn. */
function guarded(build: () => HTMLElement): HTMLElement {
  try {
    return build();
  } catch (error) {
    return h('p', { className: 'error-message', role: 'alert', text: `This view could not be drawn: ${error instanceof Error ? error.message : String(error)}` });
  }
}
