/**
 * The report page: in VS Code (a report panel, data pulled from the host with `ready`) or in a
 * standalone HTML export (data embedded as JSON in #report-data, no host).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { ReportHostMethods, ReportWebviewNotes } from '../../extension/protocol/messages';
import { connectToHost } from '../shared/hostChannel';
import { h } from '../shared/dom';
import { vscodeApi } from '../shared/vscodeApi';
import { downloadExport, type SectionContext } from '../sections/context';
import { renderReport } from '../sections/registry';
import { onThemeChange } from '../shared/theme';
import './sections';

const app = document.getElementById('app') as HTMLElement;
const embedded = document.getElementById('report-data');

function show(report: unknown, ctx: SectionContext): void {
  try {
    app.replaceChildren(renderReport(report, ctx));
  } catch (error) {
    app.replaceChildren(h('section', { className: 'error-panel', role: 'alert' },
      h('p', { className: 'error-message', text: `This report could not be shown: ${error instanceof Error ? error.message : String(error)}` })));
  }
}

if (embedded) {
  show(JSON.parse(embedded.textContent ?? 'null'), { exportChart: downloadExport });
} else {
  const host = connectToHost<ReportHostMethods, ReportWebviewNotes>(() => undefined);
  const ctx: SectionContext = {
    // The save dialog waits for the user: no timeout (a slow pick is not a failed export).
    exportChart: (request) => host.request('saveExport', request, 0),
    // A groups tab's section may run the model over every row: no timeout (the host shows progress and can cancel).
    host: { request: (method, params) => host.request(method as 'attentionSample', params, method === 'groupsSection' ? 0 : 120_000) },
  };
  host.request('ready', {}).then(({ report, file, view }) => {
    // VS Code hands this state back to the host when it restores the panel after a reload.
    vscodeApi<{ file: string | null }>().setState({ file });
    const shown: SectionContext = view ? { ...ctx, view } : ctx;
    show(report, shown);
    // Charts read theme colours from CSS variables; re-render when VS Code switches theme.
    onThemeChange(() => show(report, shown));
  }, (error: unknown) => {
    app.replaceChildren(h('p', { className: 'error-message', text: error instanceof Error ? error.message : String(error) }));
  });
}
