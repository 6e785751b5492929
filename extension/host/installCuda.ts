/**
 * *Bias Inspector: Install CUDA Provider…*: downloads onnxruntime's CUDA provider libraries for
 * the bundled onnxruntime-node into the extension's global storage (see core/runtime/cuda.ts).
 * The runtime loader looks there first: BIAS_INSPECTOR_RUNTIME_DIR is set for this process and
 * the analysis workers it starts.
 */
import * as vscode from 'vscode';
import { CancelledError } from '../core/errors';
import { engine } from './loadEngine';
import { log, reportError } from './log';

export function register(context: vscode.ExtensionContext): void {
  process.env.BIAS_INSPECTOR_RUNTIME_DIR = context.globalStorageUri.fsPath;
  context.subscriptions.push(vscode.commands.registerCommand('biasInspector.installCudaProvider', () => install(context)));
}

async function install(context: vscode.ExtensionContext): Promise<void> {
  const { CUDA_PACKAGE, bundledRuntime, installCudaProvider, ortLoaded } = engine();
  const bundled = bundledRuntime();
  if (!bundled) {
    void vscode.window.showErrorMessage('Install CUDA Provider: onnxruntime-node is not part of this installation.');
    return;
  }
  const go = await vscode.window.showInformationMessage(
    `Download onnxruntime's CUDA provider (NuGet ${CUDA_PACKAGE} ${bundled.version}, about 300 MB) into the extension's storage?`,
    { modal: true, detail: 'It needs an NVIDIA driver with CUDA 12 and cuDNN 9 on the library path. The download is checked against NuGet\'s SHA-512.' },
    'Download',
  );
  if (go !== 'Download') return;
  const root = context.globalStorageUri.fsPath;
  try {
    const dir = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Installing the CUDA provider', cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let reported = 0;
        return installCudaProvider({
          root, bundledPackageDir: bundled.dir, ortVersion: bundled.version, signal: abort.signal,
          onProgress: (fraction, message) => {
            progress.report({ increment: Math.max(0, fraction - reported) * 100, message });
            reported = Math.max(reported, fraction);
          },
        });
      },
    );
    log().info(`CUDA provider installed in ${dir}`);
    // onnxruntime finds provider libraries beside the libonnxruntime it loaded first.
    const inUse = ortLoaded() ? ' The runtime already loaded stays in use until the window reloads.' : '';
    const choice = await vscode.window.showInformationMessage(`CUDA provider installed.${inUse} Models then run on "cuda" when it is in the execution-provider order (the default "auto" tries it first).`, 'Reload Window');
    if (choice) await vscode.commands.executeCommand('workbench.action.reloadWindow');
  } catch (error) {
    if (error instanceof CancelledError || (error instanceof Error && error.name === 'AbortError')) return;
    reportError('Install CUDA Provider', error);
  }
}
