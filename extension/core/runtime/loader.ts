/**
 * Lazy loader of onnxruntime-node. Activation and static inspection never load the native
 * binding; the first model run does. A binding that cannot load becomes a typed error naming the
 * platform and architecture, never a crash.
 */
import { InspectorError } from '../errors';

/** The slice of onnxruntime-node's API the engine uses (kept narrow on purpose). */
export type OrtModule = typeof import('onnxruntime-node');

let cached: OrtModule | undefined;
let loadFailure: RuntimeUnavailableError | undefined;

/** The native runtime could not be loaded on this machine. */
export class RuntimeUnavailableError extends InspectorError {
  constructor(message: string, cause?: unknown) {
    super('runtime.unavailable', 'failure', message, cause === undefined ? undefined : { cause });
    this.name = 'RuntimeUnavailableError';
  }
}

/** Loads onnxruntime-node once; later calls return the same module or the same error. */
export function loadOrt(): OrtModule {
  if (cached) return cached;
  if (loadFailure) throw loadFailure;
  try {
    // A plain require keeps the module out of the bundle (esbuild marks it external).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = require('onnxruntime-node') as OrtModule;
    cached.env.logLevel = 'fatal'; // failures reach us as exceptions; the log would repeat them on stderr
    return cached;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    loadFailure = new RuntimeUnavailableError(
      `onnxruntime-node could not be loaded on ${process.platform}-${process.arch} (Node ${process.versions.node}): ${reason}. ` +
      'Model inspection still works; running models needs a platform onnxruntime-node ships binaries for ' +
      '(linux x64/arm64, win32 x64/arm64, darwin arm64).',
      error,
    );
    throw loadFailure;
  }
}

/** The onnxruntime-node version, or null when it cannot load. */
export function ortVersion(): string | null {
  try {
    return loadOrt().env.versions.node ?? null;
  } catch {
    return null;
  }
}

/** Directory holding the native binding and the provider libraries for this platform. */
export function nativeBinaryDir(): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require('node:path') as typeof import('node:path');
    const root = path.dirname(require.resolve('onnxruntime-node/package.json'));
    return path.join(root, 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}
