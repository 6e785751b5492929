/**
 * Execution-provider selection (DESIGN.md §6). The setting is "auto" or an ordered list; "auto"
 * expands per platform. Providers whose libraries are absent are skipped with a reason before
 * any session is tried; the rest are tried in order and the first that creates a session wins.
 */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BadInputError } from '../errors';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../../protocol/runtime';

/** The `biasInspector.executionProviders` setting / `--ep` flag, parsed. */
export type ProviderSetting = 'auto' | readonly ExecutionProvider[];

/** The "auto" order for a platform. */
export function autoProviders(platform: NodeJS.Platform = process.platform, arch: string = process.arch): ExecutionProvider[] {
  switch (platform) {
    case 'linux': return arch === 'x64' ? ['cuda', 'webgpu', 'cpu'] : ['webgpu', 'cpu'];
    case 'win32': return ['dml', 'webgpu', 'cpu'];
    case 'darwin': return ['coreml', 'webgpu', 'cpu'];
    default: return ['cpu'];
  }
}

/** Parses a setting value (string "auto", a comma list, or an array); unknown names are bad input. */
export function parseProviderSetting(value: unknown, source = 'biasInspector.executionProviders'): ProviderSetting {
  if (value === undefined || value === null || value === 'auto') return 'auto';
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
  if (!Array.isArray(items) || items.length === 0) {
    throw new BadInputError('runtime.bad-ep', `${source}: expected "auto" or a list of providers (${EXECUTION_PROVIDERS.join(', ')})`);
  }
  if (items.length === 1 && items[0] === 'auto') return 'auto';
  return items.map((item) => {
    if (typeof item !== 'string' || !(EXECUTION_PROVIDERS as readonly string[]).includes(item)) {
      throw new BadInputError('runtime.bad-ep', `${source}: unknown execution provider ${JSON.stringify(item)}; valid: auto, ${EXECUTION_PROVIDERS.join(', ')}`);
    }
    return item as ExecutionProvider;
  });
}

/** The ordered providers to try; cpu is always the last resort of "auto". */
export function requestedProviders(setting: ProviderSetting): ExecutionProvider[] {
  return setting === 'auto' ? autoProviders() : [...setting];
}

/**
 * Why a provider cannot be tried here at all (null when it may work). Only checks that cost
 * nothing: the platform, and for CUDA whether its provider libraries were installed (opt-in).
 */
export function providerPrecheck(provider: ExecutionProvider, binaryDir: string | null): string | null {
  const platform = process.platform;
  switch (provider) {
    case 'cpu':
      return null;
    case 'webgpu':
      // On Linux, onnxruntime's WebGPU (Dawn) prints "Couldn't load Vulkan" to stderr on every
      // session when the Vulkan loader is missing: check for the loader before asking it.
      if (platform === 'linux' && !hasSharedLibrary('libvulkan.so.1')) return 'webgpu: the Vulkan loader (libvulkan.so.1) is not installed';
      return null;
    case 'cuda':
      if (platform !== 'linux' && platform !== 'win32') return `cuda: not available on ${platform}`;
      if (binaryDir && !existsSync(join(binaryDir, platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'))) {
        return 'cuda: provider libraries not installed (opt-in: "Bias Inspector: Install CUDA Provider…" or bias-inspector install-cuda)';
      }
      return null;
    case 'dml':
      return platform === 'win32' ? null : `dml: Windows only (this is ${platform})`;
    case 'coreml':
      return platform === 'darwin' ? null : `coreml: macOS only (this is ${platform})`;
  }
}

/** Folders the dynamic linker searches by default on Linux, after LD_LIBRARY_PATH. */
const LINUX_LIBRARY_DIRS = [
  '/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib',
  '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu',
];

/**
 * Whether the dynamic linker can find `name` (Linux): in LD_LIBRARY_PATH, the default folders,
 * or the linker cache (/etc/ld.so.cache lists every library by name). Reads files only.
 */
export function hasSharedLibrary(name: string, env: NodeJS.ProcessEnv = process.env, cacheFile = '/etc/ld.so.cache', defaultDirs: readonly string[] = LINUX_LIBRARY_DIRS): boolean {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean), ...defaultDirs];
  if (dirs.some((dir) => existsSync(join(dir, name)))) return true;
  try {
    return readFileSync(cacheFile).includes(`${name}\0`);
  } catch {
    return false;
  }
}
