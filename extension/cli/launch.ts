/**
 * dist/cli.js, the `bias-inspector` executable: runs the CLI bundle (dist/cli-main.js) from V8's
 * code cache, so that a run does not parse and compile the 1.7 MB bundle again (about 40 ms of
 * every start on the 2-core machine; BENCHMARKS.md, issue 14 round 3).
 *
 * - Node ≥ 22.1 has its own cache: `module.enableCompileCache()` (<tmpdir>/node-compile-cache).
 * - Node 20: the bundle is compiled with `vm.Script`; the code V8 compiled during the first run of
 *   each command is written to <tmpdir>/bias-inspector-compile-cache-<uid>/<command>-<bundle>.bin,
 *   with a header naming the node version and the bundle's size and mtime (V8 itself checks only
 *   the source's length); a rejected or stale cache is rewritten after a run that exits 0.
 *   The folder is the user's own (created 0700): a cache is compiled code, so one in a folder
 *   another user owns or can write to is never read or written (the run compiles the bundle).
 * - `NODE_DISABLE_COMPILE_CACHE=1` (Node's own switch) turns both off.
 */
import { lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Script } from 'node:vm';

const bundle = join(__dirname, 'cli-main.js');

/** 32-bit FNV-1a of a string, hex (a short, stable file-name key for the bundle's path). */
function fnv(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** This user's cache folder, or undefined when it exists but is not safely the user's own. */
function cacheDir(): string | undefined {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const dir = join(tmpdir(), `bias-inspector-compile-cache${uid === undefined ? '' : `-${uid}`}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) return undefined; // a link or a file planted under the name
  if (uid !== undefined && (st.uid !== uid || (st.mode & 0o022) !== 0)) return undefined;
  return dir;
}

/** Where this command's cache lives, and the header a valid one starts with. */
function cacheOf(): { file: string; header: string } | undefined {
  const dir = cacheDir();
  if (dir === undefined) return undefined;
  const command = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? '';
  const key = /^[a-z][a-z-]{0,30}$/.test(command) ? command : 'other';
  const { size, mtimeMs } = statSync(bundle);
  return {
    file: join(dir, `${key}-${basename(bundle, '.js')}-${fnv(bundle)}.bin`),
    header: `${JSON.stringify({ node: process.version, arch: process.arch, bundle, size, mtimeMs })}\n`,
  };
}

/** The cached data of `file` when its header is `header`. */
function readCache(file: string, header: string): Buffer | undefined {
  try {
    const bytes = readFileSync(file);
    const head = Buffer.from(header);
    return bytes.length > head.length && bytes.subarray(0, head.length).equals(head) ? bytes.subarray(head.length) : undefined;
  } catch {
    return undefined;
  }
}

function runCached(): void {
  let cache: { file: string; header: string } | undefined;
  try {
    cache = cacheOf();
  } catch {
    cache = undefined; // no bundle (the read below reports it) or no usable cache folder
  }
  const cachedData = cache ? readCache(cache.file, cache.header) : undefined;
  const source = readFileSync(bundle, 'utf8');
  // the CommonJS wrapper on the bundle's first line, so that line numbers stay the bundle's
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: bundle,
    ...(cachedData ? { cachedData } : {}),
  });
  if (cache && (cachedData === undefined || script.cachedDataRejected === true)) {
    const { file, header } = cache;
    process.once('exit', (code) => {
      if (code !== 0) return; // a failed run (a mistyped command, bad input) leaves no cache
      try {
        const partial = `${file}.${process.pid}`;
        writeFileSync(partial, Buffer.concat([Buffer.from(header), script.createCachedData()]));
        renameSync(partial, file);
      } catch {
        // a cache that cannot be written only makes the next start slower
      }
    });
  }
  const module = { exports: {}, filename: bundle, id: bundle };
  const run = script.runInThisContext() as (exports: unknown, require: NodeRequire, module: unknown, filename: string, dirname: string) => void;
  run(module.exports, createRequire(bundle), module, bundle, __dirname);
}

const disabled = process.env['NODE_DISABLE_COMPILE_CACHE'] !== undefined && process.env['NODE_DISABLE_COMPILE_CACHE'] !== '';
const nodeCache = (Module as unknown as { enableCompileCache?: () => unknown }).enableCompileCache;
if (disabled || typeof nodeCache === 'function') {
  if (!disabled) nodeCache?.();
  createRequire(__filename)(bundle);
} else {
  runCached();
}
