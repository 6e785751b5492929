/**
 * The model editor webview: summary of an ONNX model (IO, opsets, op histogram, parameters,
 * attention and quantization found) and the launchers of the three analyses.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import type { LauncherKind, ModelHostMethods, ModelViewState, ModelWebviewNotes } from '../../extension/protocol/messages';
import type { RuntimeStatus } from '../../extension/protocol/runtime';
import { connectToHost } from '../shared/hostChannel';
import { vscodeApi } from '../shared/vscodeApi';
import { onThemeChange } from '../shared/theme';
import { renderSummary } from './summaryView';

interface SavedState {
  readonly fileName?: string;
}

const app = document.getElementById('app') as HTMLElement;
let state: ModelViewState | undefined;

const host = connectToHost<ModelHostMethods, ModelWebviewNotes>((method, params) => {
  switch (method) {
    case 'reload': void load(); break;
    case 'runtime': if (state?.kind === 'summary') { state = { ...state, runtime: params as RuntimeStatus }; render(); } break;
  }
});

function render(): void {
  if (!state) return;
  app.replaceChildren(renderSummary(state, {
    launch: (analysis: LauncherKind) => { void host.request('launch', { analysis }, 0); },
    openReport: (file: string) => { void host.request('openReport', { file }); },
    // The save dialog waits for the user: no timeout (a slow pick is not a failed export).
    exportChart: (request) => host.request('saveExport', request, 0),
  }));
}

async function load(): Promise<void> {
  try {
    state = await host.request('ready', {});
    vscodeApi<SavedState>().setState({ fileName: state.fileName });
    render();
  } catch (error) {
    state = { kind: 'error', fileName: vscodeApi<SavedState>().getState()?.fileName ?? '', message: error instanceof Error ? error.message : String(error) };
    render();
  }
}

// Charts read theme colours from CSS variables; re-render when VS Code switches theme.
onThemeChange(render);
void load();
