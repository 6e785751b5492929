/**
 * Typed errors of the engine. Every error a user can cause names the file (or spec field,
 * tensor, row, column) and the cause, so the host and the CLI can show it as it is.
 * `kind` distinguishes bad input (CLI exit 2) from failures of ours or the runtime (exit 1).
 */
export type ErrorKind = 'bad-input' | 'failure' | 'cancelled';

/** Base class of every error the engine throws on purpose. */
export class InspectorError extends Error {
  /** Stable machine-readable code, pinned by the fixture tables of the tests. */
  readonly code: string;
  readonly kind: ErrorKind;
  /** The file the error is about, when there is one. */
  readonly file: string | undefined;

  constructor(code: string, kind: ErrorKind, message: string, options?: { file?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InspectorError';
    this.code = code;
    this.kind = kind;
    this.file = options?.file;
  }
}

/** Bad input: a file, spec field, row or column the user can fix. CLI exit code 2. */
export class BadInputError extends InspectorError {
  constructor(code: string, message: string, options?: { file?: string; cause?: unknown }) {
    super(code, 'bad-input', message, options);
    this.name = 'BadInputError';
  }
}

/** The work was cancelled through its AbortSignal. */
export class CancelledError extends InspectorError {
  constructor(message = 'cancelled') {
    super('cancelled', 'cancelled', message);
    this.name = 'CancelledError';
  }
}

/** Throws CancelledError when the signal has fired; call it between units of work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Progress callback every long core function takes: fraction in [0, 1] and a short message. */
export type ProgressFn = (fraction: number, message: string) => void;

/** Returns a progress function that forwards at most about once per `intervalMs`, plus the final 1.0. */
export function throttleProgress(onProgress: ProgressFn | undefined, intervalMs = 1000): ProgressFn {
  let last = -Infinity;
  return (fraction, message) => {
    if (!onProgress) return;
    const now = Date.now();
    if (fraction >= 1 || now - last >= intervalMs) {
      last = now;
      onProgress(Math.min(1, Math.max(0, fraction)), message);
    }
  };
}

/** A file-system error as a short cause: "not found", "is a folder, not a file", "permission denied". */
export function fsCause(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT': return 'not found';
    case 'EISDIR': return 'is a folder, not a file';
    case 'ENOTDIR': return 'a part of the path is not a folder';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    default: return error instanceof Error ? error.message : String(error);
  }
}
