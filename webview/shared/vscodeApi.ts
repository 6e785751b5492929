/** The VS Code webview API, acquired once. Only small JSON goes into setState. */
interface VsCodeApi<State> {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

let api: VsCodeApi<unknown> | undefined;

export function vscodeApi<State>(): VsCodeApi<State> {
  api ??= acquireVsCodeApi<unknown>();
  return api as VsCodeApi<State>;
}
