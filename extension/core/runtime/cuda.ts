/**
 * Opt-in CUDA provider (issue 10). onnxruntime-node 1.30 ships its CUDA provider libraries
 * separately: its postinstall script (script/install.js, not in the VSIX) downloads the NuGet
 * package Microsoft.ML.OnnxRuntime.Gpu.Linux of the same version and copies
 * runtimes/linux-x64/native/libonnxruntime_providers_{cuda,shared}.so next to libonnxruntime.so.1.
 * onnxruntime loads provider libraries from the folder of libonnxruntime.so itself, so they only
 * work beside it.
 *
 * This module does the same into a user-writable folder instead of the (read-only, replaced on
 * update) extension folder: it copies the bundled onnxruntime-node (JS, binding and
 * libonnxruntime.so.1) and onnxruntime-common there, adds the two CUDA libraries from the NuGet
 * package (its SHA-512 checked against NuGet's catalog), and writes `install.json` last. The
 * loader (loader.ts) then prefers that copy. Nothing here runs unless the user asks for it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BadInputError, InspectorError, throwIfAborted, type ProgressFn } from '../errors';

/** The NuGet package and the files of it install.js copies for linux/x64 (TensorRT left out). */
export const CUDA_PACKAGE = 'Microsoft.ML.OnnxRuntime.Gpu.Linux';
export const CUDA_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;
const PATH_IN_PACKAGE = 'runtimes/linux-x64/native/';
/** NuGet's v3 API; BIAS_INSPECTOR_NUGET_URL points it at a mirror (or a test server). */
export const DEFAULT_NUGET_URL = 'https://api.nuget.org/v3';
/** File written last by an install: the loader trusts only folders that have it. */
export const INSTALL_MARKER = 'install.json';

export interface InstallRecord {
  readonly ortVersion: string;
  readonly platform: string;
  readonly package: string;
  readonly packageSha512: string;
  readonly files: Readonly<Record<string, string>>;
  readonly installedAt: string;
}

/**
 * The CLI's documented user folder for runtime downloads: $BIAS_INSPECTOR_HOME, else
 * $XDG_DATA_HOME/bias-inspector (default ~/.local/share/bias-inspector) on Linux,
 * %LOCALAPPDATA%\bias-inspector on Windows, ~/Library/Application Support/bias-inspector on macOS.
 */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (env.BIAS_INSPECTOR_HOME) return env.BIAS_INSPECTOR_HOME;
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'bias-inspector');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'bias-inspector');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'bias-inspector');
}

/** Folder of one install: `<root>/runtime/onnxruntime-node-<version>-<platform>-<arch>-cuda`. */
export function installDir(root: string, ortVersion: string, platform: string = process.platform, arch: string = process.arch): string {
  return join(root, 'runtime', `onnxruntime-node-${ortVersion}-${platform}-${arch}-cuda`);
}

/** The onnxruntime-node package folder inside an install. */
export function installedPackageDir(dir: string): string {
  return join(dir, 'node_modules', 'onnxruntime-node');
}

/** The binary folder (binding, libonnxruntime, providers) of an onnxruntime-node package folder. */
export function packageBinaryDir(packageDir: string, platform: string = process.platform, arch: string = process.arch): string {
  return join(packageDir, 'bin', 'napi-v6', platform, arch);
}

/** The install record of `dir`, or null when the folder holds no complete install for this version. */
export function readInstall(dir: string, ortVersion: string): InstallRecord | null {
  try {
    const record = JSON.parse(readFileSync(join(dir, INSTALL_MARKER), 'utf8')) as InstallRecord;
    if (record.ortVersion !== ortVersion || record.platform !== `${process.platform}-${process.arch}`) return null;
    const bin = packageBinaryDir(installedPackageDir(dir));
    const needed = ['onnxruntime_binding.node', ...Object.keys(record.files)];
    return needed.every((f) => existsSync(join(bin, f))) ? record : null;
  } catch {
    return null;
  }
}

/** Hosts a download can fail to reach: these error codes mean "offline", not a bug. */
const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED']);

/** Why a download could not start or finish, as the error the user sees. */
export class DownloadError extends InspectorError {
  constructor(message: string, cause?: unknown) {
    super('runtime.download', 'failure', message, cause === undefined ? undefined : { cause });
    this.name = 'DownloadError';
  }
}

/**
 * node:http, node:https and node:zlib are required on first use: static imports would load them
 * at every CLI start (~9 ms), for the one command that downloads. (`require`, not `import()`:
 * dist/cli.js runs the bundle through vm.Script, which has no dynamic import on Node 20.)
 */
const lazyRequire = createRequire(__filename);

function request(url: string, signal: AbortSignal | undefined, redirects = 5): Promise<IncomingMessage> {
  const { get } = lazyRequire(url.startsWith('https:') ? 'node:https' : 'node:http') as typeof import('node:http');
  return new Promise((resolvePromise, reject) => {
    const req = get(url, { headers: { 'user-agent': 'bias-inspector' }, ...(signal ? { signal } : {}), timeout: 30_000 }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects > 0) {
        res.resume();
        request(new URL(res.headers.location, url).toString(), signal, redirects - 1).then(resolvePromise, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new DownloadError(`${url}: HTTP ${status}`));
        return;
      }
      resolvePromise(res);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (signal?.aborted) reject(new InspectorError('cancelled', 'cancelled', 'cancelled'));
      else if (error.code && OFFLINE_CODES.has(error.code)) {
        reject(new DownloadError(`cannot reach ${new URL(url).host} (${error.code}): installing the CUDA provider downloads ${CUDA_PACKAGE} from NuGet; connect to the internet (or set BIAS_INSPECTOR_NUGET_URL to a reachable NuGet mirror) and try again`, error));
      } else reject(new DownloadError(`${url}: ${error.message}`, error));
    });
  });
}

async function getJson(url: string, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
  const res = await request(url, signal);
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk as string;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new DownloadError(`${url}: not JSON`, error);
  }
}

/** The package's SHA-512 (base64) as NuGet's catalog publishes it, and the .nupkg address. */
export async function packageInfo(baseUrl: string, version: string, signal?: AbortSignal): Promise<{ sha512: string; url: string }> {
  const id = CUDA_PACKAGE.toLowerCase();
  const leaf = await getJson(`${baseUrl}/registration5-semver1/${id}/${version}.json`, signal);
  const catalogUrl = typeof leaf.catalogEntry === 'string' ? leaf.catalogEntry : (leaf.catalogEntry as { '@id'?: string } | undefined)?.['@id'];
  const content = typeof leaf.packageContent === 'string' ? leaf.packageContent : `${baseUrl}-flatcontainer/${id}/${version}/${id}.${version}.nupkg`;
  if (!catalogUrl) throw new DownloadError(`${CUDA_PACKAGE} ${version}: NuGet's registration has no catalog entry`);
  const catalog = await getJson(catalogUrl, signal);
  if (catalog.packageHashAlgorithm !== 'SHA512' || typeof catalog.packageHash !== 'string') {
    throw new DownloadError(`${CUDA_PACKAGE} ${version}: NuGet's catalog gives no SHA-512 for the package`);
  }
  return { sha512: catalog.packageHash, url: content };
}

/** Downloads `url` to `file`, reporting progress by bytes; returns the SHA-512 (base64). */
async function download(url: string, file: string, signal: AbortSignal | undefined, progress: ProgressFn): Promise<string> {
  const res = await request(url, signal);
  const total = Number(res.headers['content-length'] ?? 0);
  const hash = createHash('sha512');
  let received = 0;
  res.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    received += chunk.length;
    if (total > 0) progress(Math.min(0.95, (received / total) * 0.95), `downloading ${(received / 2 ** 20).toFixed(0)} / ${(total / 2 ** 20).toFixed(0)} MiB`);
  });
  await pipeline(res, createWriteStream(file), ...(signal ? [{ signal }] as const : []));
  return hash.digest('base64');
}

interface ZipEntry { name: string; method: number; compressedSize: number; localOffset: number }

/** The central directory of a zip (a .nupkg is one). Zip64 archives are not needed here. */
async function zipEntries(file: string): Promise<ZipEntry[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new DownloadError(`${file}: the downloaded package is not a zip archive`);
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const cd = Buffer.alloc(cdSize);
    await handle.read(cd, 0, cdSize, cdOffset);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count && p + 46 <= cd.length; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) throw new DownloadError(`${file}: corrupt zip central directory`);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      entries.push({
        name: cd.toString('utf8', p + 46, p + 46 + nameLength),
        method: cd.readUInt16LE(p + 10),
        compressedSize: cd.readUInt32LE(p + 20),
        localOffset: cd.readUInt32LE(p + 42),
      });
      p += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/** Extracts one entry to `target` (stored or deflated); returns the SHA-256 (hex) of the bytes written. */
async function extractEntry(file: string, entry: ZipEntry, target: string): Promise<string> {
  const handle = await open(file, 'r');
  let dataStart: number;
  try {
    const header = Buffer.alloc(30);
    await handle.read(header, 0, 30, entry.localOffset);
    if (header.readUInt32LE(0) !== 0x04034b50) throw new DownloadError(`${file}: corrupt zip entry ${entry.name}`);
    dataStart = entry.localOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  } finally {
    await handle.close();
  }
  if (entry.method !== 0 && entry.method !== 8) throw new DownloadError(`${file}: ${entry.name} uses zip method ${entry.method}`);
  const hash = createHash('sha256');
  const source = createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
  const out = createWriteStream(target, { mode: 0o755 });
  const hashing = async function* (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      hash.update(chunk);
      yield chunk;
    }
  };
  if (entry.method === 8) await pipeline(source, (lazyRequire('node:zlib') as typeof import('node:zlib')).createInflateRaw(), hashing, out);
  else await pipeline(source, hashing, out);
  return hash.digest('hex');
}

export interface InstallOptions {
  /** Root of the user's data (the extension's global storage, or `userDataDir()`). */
  readonly root: string;
  /** The bundled onnxruntime-node package folder (copied beside the CUDA libraries). */
  readonly bundledPackageDir: string;
  readonly ortVersion: string;
  readonly nugetUrl?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
}

/**
 * Downloads the CUDA provider libraries of `ortVersion` and sets up the runtime copy that uses
 * them. Returns the install folder. Throws DownloadError (offline, HTTP, checksum) and
 * BadInputError on a platform onnxruntime publishes no CUDA provider for.
 */
export async function installCudaProvider(options: InstallOptions): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new BadInputError('runtime.cuda-platform', `the CUDA provider can be installed on linux-x64 only (this is ${process.platform}-${process.arch}); onnxruntime-node ${options.ortVersion} publishes no CUDA provider for it`);
  }
  const progress: ProgressFn = options.onProgress ?? (() => undefined);
  const { signal } = options;
  const base = (options.nugetUrl ?? process.env.BIAS_INSPECTOR_NUGET_URL ?? DEFAULT_NUGET_URL).replace(/\/+$/, '');
  const dir = installDir(options.root, options.ortVersion);
  progress(0, `looking up ${CUDA_PACKAGE} ${options.ortVersion}`);
  const info = await packageInfo(base, options.ortVersion, signal);
  const work = join(tmpdir(), `bias-inspector-cuda-${process.pid}-${Date.now()}`);
  const staging = `${dir}.partial-${process.pid}`;
  await mkdir(work, { recursive: true });
  try {
    const nupkg = join(work, 'package.nupkg');
    const sha512 = await download(info.url, nupkg, signal, progress);
    if (sha512 !== info.sha512) {
      throw new DownloadError(`${info.url}: checksum mismatch (SHA-512 ${sha512}, NuGet's catalog says ${info.sha512}); nothing was installed`);
    }
    throwIfAborted(signal);
    progress(0.95, 'copying the runtime');
    await rm(staging, { recursive: true, force: true });
    const pkg = installedPackageDir(staging);
    const bin = packageBinaryDir(pkg);
    await mkdir(bin, { recursive: true });
    await cp(join(options.bundledPackageDir, 'package.json'), join(pkg, 'package.json'));
    await cp(join(options.bundledPackageDir, 'dist'), join(pkg, 'dist'), { recursive: true });
    await cp(packageBinaryDir(options.bundledPackageDir), bin, { recursive: true });
    // onnxruntime-common, as Node would resolve it from the bundled package (nested or beside it).
    const common = [join(options.bundledPackageDir, 'node_modules', 'onnxruntime-common'), join(dirname(options.bundledPackageDir), 'onnxruntime-common')]
      .find((d) => existsSync(join(d, 'package.json')));
    if (!common) throw new InspectorError('runtime.unavailable', 'failure', `onnxruntime-common is not installed beside ${options.bundledPackageDir}`);
    await cp(common, join(staging, 'node_modules', 'onnxruntime-common'), { recursive: true });
    progress(0.97, 'extracting the CUDA provider');
    const entries = await zipEntries(nupkg);
    const files: Record<string, string> = {};
    for (const name of CUDA_FILES) {
      const entry = entries.find((e) => e.name === `${PATH_IN_PACKAGE}${name}`);
      if (!entry) throw new DownloadError(`${CUDA_PACKAGE} ${options.ortVersion}: the package has no ${PATH_IN_PACKAGE}${name}`);
      files[name] = await extractEntry(nupkg, entry, join(bin, name));
    }
    const record: InstallRecord = {
      ortVersion: options.ortVersion, platform: `${process.platform}-${process.arch}`, package: `${CUDA_PACKAGE} ${options.ortVersion}`,
      packageSha512: sha512, files, installedAt: new Date().toISOString(),
    };
    await writeFile(join(staging, INSTALL_MARKER), `${JSON.stringify(record, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dirname(dir), { recursive: true });
    await rename(staging, dir);
    progress(1, 'installed');
    return dir;
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

/** Checks the installed CUDA libraries against the SHA-256 recorded at install time. */
export async function verifyInstall(dir: string, record: InstallRecord): Promise<string[]> {
  const bin = packageBinaryDir(installedPackageDir(dir));
  const bad: string[] = [];
  for (const [name, sha256] of Object.entries(record.files)) {
    const bytes = await readFile(join(bin, name)).catch(() => null);
    if (!bytes || createHash('sha256').update(bytes).digest('hex') !== sha256) bad.push(name);
  }
  return bad;
}
