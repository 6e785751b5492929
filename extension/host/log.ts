import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/** The "Bias Inspector" output channel (created on first use, disposed with the extension). */
export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('Bias Inspector', { log: true });
  return channel;
}

export function register(context: vscode.ExtensionContext): void {
  context.subscriptions.push(log());
}

/** Shows an error to the user and logs it with its stack; never throws. */
export function reportError(prefix: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  log().error(`${prefix}: ${message}`, ...(error instanceof Error && error.stack ? [error.stack] : []));
  void vscode.window.showErrorMessage(`${prefix}: ${message}`);
}
