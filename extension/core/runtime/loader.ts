/**
 * Lazy loader of onnxruntime-node. Activation and static inspection never load the native
 * binding; the first model run does. A binding that cannot load becomes a typed error naming the
 * platform and architecture, never a crash.
 */
import { dirname } from 'node:path';
import { InspectorError } from '../errors';
import { installDir, installedPackageDir, packageBinaryDir, readInstall, userDataDir } from './cuda';

/** The slice of onnxruntime-node's API the engine uses (kept narrow on purpose). */
export type OrtModule = typeof import('onnxruntime-node');

let cached: OrtModule | undefined;
/** The package folder the loaded module came from. */
let loadedFrom: string | undefined;
let loadFailure: RuntimeUnavailableError | undefined;

/** The native runtime could not be loaded on this machine. */
export class RuntimeUnavailableError extends InspectorError {
  constructor(message: string, cause?: unknown) {
    super('runtime.unavailable', 'failure', message, cause === undefined ? undefined : { cause });
    this.name = 'RuntimeUnavailableError';
  }
}

/** The bundled onnxruntime-node package folder and its version, or null when it is absent. */
export function bundledRuntime(): { dir: string; version: string } | null {
  try {
    const manifest = require.resolve('onnxruntime-node/package.json');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { dir: dirname(manifest), version: (require(manifest) as { version: string }).version };
  } catch {
    return null;
  }
}

/**
 * Roots searched for a runtime copy with the CUDA provider installed, in order:
 * $BIAS_INSPECTOR_RUNTIME_DIR (the extension sets it to its global storage), then the CLI's
 * user folder (`userDataDir()`). The bundled package comes after them.
 */
export function runtimeSearchRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  const roots = [env.BIAS_INSPECTOR_RUNTIME_DIR, userDataDir(env)].filter((r): r is string => typeof r === 'string' && r !== '');
  return [...new Set(roots)];
}

/**
 * The onnxruntime-node package folder to load: the first root holding a complete CUDA install
 * for the bundled version on this platform, else the bundled package.
 */
export function runtimePackageDir(env: NodeJS.ProcessEnv = process.env, bundled = bundledRuntime()): { dir: string; cuda: boolean } | null {
  if (!bundled) return null;
  for (const root of runtimeSearchRoots(env)) {
    const dir = installDir(root, bundled.version);
    if (readInstall(dir, bundled.version)) return { dir: installedPackageDir(dir), cuda: true };
  }
  return { dir: bundled.dir, cuda: false };
}

/** Loads onnxruntime-node once; later calls return the same module or the same error. */
export function loadOrt(): OrtModule {
  if (cached) return cached;
  if (loadFailure) throw loadFailure;
  try {
    const found = runtimePackageDir();
    // A plain require keeps the module out of the bundle (esbuild marks it external).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = (found?.cuda ? require(found.dir) : require('onnxruntime-node')) as OrtModule;
    loadedFrom = found?.dir;
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

/** Directory holding the native binding and the provider libraries of the runtime that loads (or loaded). */
export function nativeBinaryDir(): string | null {
  const dir = loadedFrom ?? runtimePackageDir()?.dir;
  return dir ? packageBinaryDir(dir) : null;
}

/** Whether onnxruntime-node has been loaded in this process (for tests of lazy loading). */
export function ortLoaded(): boolean {
  return cached !== undefined;
}

