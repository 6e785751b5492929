/**
 * Issue 10: the CUDA opt-in, offline. A local HTTP server plays NuGet (registration leaf,
 * catalog entry with the SHA-512, the .nupkg zip with fake provider libraries).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import {
  CUDA_FILES, DownloadError, installCudaProvider, installDir, installedPackageDir, packageBinaryDir, readInstall, userDataDir, verifyInstall,
} from '../../../extension/core/runtime/cuda';
import { bundledRuntime, runtimePackageDir, runtimeSearchRoots } from '../../../extension/core/runtime/loader';
import { providerPrecheck } from '../../../extension/core/runtime/providers';
import { tempDir } from '../onnx/helpers';

const root = resolve(__dirname, '../../..');
const bundled = bundledRuntime()!;

/** A zip with deflated entries (enough of the format for a .nupkg). */
function zip(entries: Record<string, Buffer>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(entries)) {
    const packed = deflateRawSync(data);
    const nameBytes = Buffer.from(name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(packed.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(8, 10);
    central.writeUInt32LE(packed.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(Object.keys(entries).length, 8); end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const LIBS: Record<string, Buffer> = {
  'runtimes/linux-x64/native/libonnxruntime_providers_cuda.so': Buffer.from('not really a CUDA provider '.repeat(1000)),
  'runtimes/linux-x64/native/libonnxruntime_providers_shared.so': Buffer.from('not really the shared provider library'),
  'runtimes/linux-x64/native/libonnxruntime_providers_tensorrt.so': Buffer.from('left out'),
  '[Content_Types].xml': Buffer.from('<Types/>'),
};
const NUPKG = zip(LIBS);

/** A NuGet stand-in; `hash` overrides the catalog's SHA-512. */
async function nuget(hash?: string): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const id = 'microsoft.ml.onnxruntime.gpu.linux';
    if (req.url === `/v3/registration5-semver1/${id}/${bundled.version}.json`) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ catalogEntry: `${base}/catalog/${id}.${bundled.version}.json`, packageContent: `${base}/v3-flatcontainer/${id}/${bundled.version}/${id}.${bundled.version}.nupkg` }));
    } else if (req.url === `/catalog/${id}.${bundled.version}.json`) {
      res.end(JSON.stringify({ packageHashAlgorithm: 'SHA512', packageHash: hash ?? createHash('sha512').update(NUPKG).digest('base64') }));
    } else if (req.url === `/v3-flatcontainer/${id}/${bundled.version}/${id}.${bundled.version}.nupkg`) {
      res.setHeader('content-length', String(NUPKG.length));
      res.end(NUPKG);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`, server, requests };
}

test('the CLI user folder follows the platform conventions and $BIAS_INSPECTOR_HOME', () => {
  assert.equal(userDataDir({}, 'linux', '/home/u'), '/home/u/.local/share/bias-inspector');
  assert.equal(userDataDir({ XDG_DATA_HOME: '/x' }, 'linux', '/home/u'), '/x/bias-inspector');
  assert.equal(userDataDir({ BIAS_INSPECTOR_HOME: '/b' }, 'linux', '/home/u'), '/b');
  assert.equal(userDataDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/bias-inspector');
  assert.equal(userDataDir({ LOCALAPPDATA: 'C:/L' }, 'win32', 'C:/U'), join('C:/L', 'bias-inspector'));
  assert.equal(installDir('/r', '1.30.0', 'linux', 'x64'), '/r/runtime/onnxruntime-node-1.30.0-linux-x64-cuda');
  assert.deepEqual(runtimeSearchRoots({ BIAS_INSPECTOR_RUNTIME_DIR: '/ext', BIAS_INSPECTOR_HOME: '/cli' }), ['/ext', '/cli']);
});

test('install-cuda offline: a clear error naming the host and the package, nothing installed', async () => {
  const { dir, cleanup } = tempDir('bi-cuda-');
  try {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = spawnSync(process.execPath, [join(root, 'dist/cli.js'), 'install-cuda', '--dir', dir], { encoding: 'utf8', env: { ...process.env, BIAS_INSPECTOR_NUGET_URL: `http://127.0.0.1:${port}/v3` } });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, `bias-inspector: cannot reach 127.0.0.1:${port} (ECONNREFUSED): installing the CUDA provider downloads Microsoft.ML.OnnxRuntime.Gpu.Linux from NuGet; connect to the internet (or set BIAS_INSPECTOR_NUGET_URL to a reachable NuGet mirror) and try again\n`);
    assert.equal(existsSync(join(dir, 'runtime')), false);
  } finally {
    cleanup();
  }
});

test('a package whose SHA-512 differs from the catalog is refused and nothing is installed', { skip: process.platform !== 'linux' || process.arch !== 'x64' }, async () => {
  const { dir, cleanup } = tempDir('bi-cuda-');
  const fake = await nuget('AAAA');
  try {
    await assert.rejects(installCudaProvider({ root: dir, bundledPackageDir: bundled.dir, ortVersion: bundled.version, nugetUrl: fake.url }), (e: unknown) => {
      assert.ok(e instanceof DownloadError);
      assert.match(e.message, /: checksum mismatch \(SHA-512 .+, NuGet's catalog says AAAA\); nothing was installed$/);
      return true;
    });
    assert.equal(existsSync(installDir(dir, bundled.version)), false);
  } finally {
    fake.server.close();
    cleanup();
  }
});

test('install, then the loader search order: extension storage, then the CLI user folder, then the bundled runtime', { skip: process.platform !== 'linux' || process.arch !== 'x64' }, async () => {
  const ext = tempDir('bi-cuda-ext-');
  const cliHome = tempDir('bi-cuda-cli-');
  const fake = await nuget();
  try {
    const fractions: number[] = [];
    const messages: string[] = [];
    const installed = await installCudaProvider({ root: ext.dir, bundledPackageDir: bundled.dir, ortVersion: bundled.version, nugetUrl: fake.url, onProgress: (f, m) => { fractions.push(f); messages.push(m); } });
    assert.equal(installed, installDir(ext.dir, bundled.version));
    assert.equal(fractions.at(-1), 1);
    assert.ok(messages.some((m) => /^downloading \d+ \/ \d+ MiB$/.test(m)), `download progress reported: ${messages.join(' | ')}`);
    assert.deepEqual([...fractions].sort((a, b) => a - b), fractions, 'progress never goes back');
    const bin = packageBinaryDir(installedPackageDir(installed));
    for (const name of CUDA_FILES) {
      assert.deepEqual(readFileSync(join(bin, name)), LIBS[`runtimes/linux-x64/native/${name}`]);
    }
    assert.equal(existsSync(join(bin, 'libonnxruntime_providers_tensorrt.so')), false);
    assert.ok(existsSync(join(bin, 'onnxruntime_binding.node')));
    assert.ok(existsSync(join(bin, 'libonnxruntime.so.1')));
    const record = readInstall(installed, bundled.version);
    assert.ok(record);
    assert.equal(record.packageSha512, createHash('sha512').update(NUPKG).digest('base64'));
    assert.deepEqual(await verifyInstall(installed, record), []);
    assert.equal(readInstall(installed, '0.0.1'), null, 'another onnxruntime version is not used');

    // Search order.
    assert.deepEqual(runtimePackageDir({ BIAS_INSPECTOR_HOME: cliHome.dir }), { dir: bundled.dir, cuda: false });
    assert.deepEqual(runtimePackageDir({ BIAS_INSPECTOR_RUNTIME_DIR: ext.dir, BIAS_INSPECTOR_HOME: cliHome.dir }), { dir: installedPackageDir(installed), cuda: true });
    assert.deepEqual(runtimePackageDir({ BIAS_INSPECTOR_HOME: ext.dir }), { dir: installedPackageDir(installed), cuda: true });
    assert.equal(providerPrecheck('cuda', bin), null);
    assert.match(providerPrecheck('cuda', packageBinaryDir(bundled.dir)) ?? '', /^cuda: provider libraries not installed/);

    // The CLI loads the copy: cuda is tried (the fake library fails to load) and cpu runs the model.
    const r = spawnSync(process.execPath, [join(root, 'dist/cli.js'), 'forward', join(root, 'test/fixtures/onnx/mlp.onnx'), '--json', '-'],
      { encoding: 'utf8', env: { ...process.env, BIAS_INSPECTOR_HOME: ext.dir } });
    assert.equal(r.status, 0, r.stderr);
    const runtime = (JSON.parse(r.stdout) as { results: { runtime: { used: string; fallbackReason?: string } }[] }).results[0]!.runtime;
    assert.equal(runtime.used, 'cpu');
    assert.match(runtime.fallbackReason ?? '', /^cuda: (?!provider libraries not installed)/);
  } finally {
    fake.server.close();
    ext.cleanup();
    cliHome.cleanup();
  }
});
