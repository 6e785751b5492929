/**
 * The webview end of the typed RPC channel to the extension host. ArrayBuffers in params are
 * transferred, not copied.
 */
import { RpcEndpoint, type MethodMap, type NotificationMap } from '../../extension/protocol/rpc';
import type { NoMethods, NoNotes } from '../../extension/protocol/messages';
import { vscodeApi } from './vscodeApi';

export function connectToHost<HostMethods extends MethodMap, Notes extends NotificationMap>(
  onNotify: <M extends keyof Notes & string>(method: M, params: Notes[M]) => void,
): RpcEndpoint<HostMethods, NoMethods, NoNotes, Notes> {
  const api = vscodeApi();
  const rpc = new RpcEndpoint<HostMethods, NoMethods, NoNotes, Notes>({
    post: (message) => {
      const params = (message as { params?: { data?: unknown } }).params;
      const transfer = params?.data instanceof ArrayBuffer ? [params.data] : [];
      api.postMessage(message, transfer);
    },
    onNotify,
    timeoutMs: 60_000,
  });
  window.addEventListener('message', (event: MessageEvent<unknown>) => { rpc.handle(event.data); });
  window.addEventListener('unload', () => rpc.dispose());
  return rpc;
}
