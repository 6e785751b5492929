/** Issue 10: one-line onnxruntime reasons, control characters escaped, quiet WebGPU probe. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { escapeControl, terminalSafe } from '../../../extension/core/text';
import { asResourceError, ortFailureReason } from '../../../extension/core/runtime/session';
import { hasSharedLibrary, providerPrecheck } from '../../../extension/core/runtime/providers';
import { formatRuntime, table } from '../../../extension/cli/format';
import { cloneModel, decodeModel, encodeModel } from '../../../extension/core/onnx';
import { fixtureBytes, tempDir } from '../onnx/helpers';

const root = resolve(__dirname, '../../..');

test('ortFailureReason drops the load prefix, source location and C++ signature', () => {
  const opset = new Error('Load model from /m/a.onnx failed:/onnxruntime_src/onnxruntime/core/graph/model_load_utils.h:46 void onnxruntime::model_load_utils::ValidateOpsetForDomain(const std::unordered_map<std::__cxx11::basic_string<char>, int>&, const onnxruntime::logging::Logger&, bool, const std::string&, int) ONNX Runtime only *guarantees* support for models stamped with official released onnx opset versions. Opset 99 is under development and support for this is limited. Current official support for domain ai.onnx is till opset 26.\n');
  assert.equal(ortFailureReason(opset), 'opset 99 of ai.onnx is newer than this onnxruntime supports (up to opset 26)');
  const ir = new Error('Load model from x failed:/onnxruntime_src/onnxruntime/core/graph/model.cc:202 onnxruntime::Model::Model(onnx::ModelProto&&, const onnxruntime::PathString&, const onnxruntime::IOnnxRuntimeOpSchemaRegistryList*, const onnxruntime::logging::Logger&, const onnxruntime::ModelOptions&) Unsupported model IR version: 99, max supported IR version: 13\n');
  assert.equal(ortFailureReason(ir), 'Unsupported model IR version: 99, max supported IR version: 13');
  assert.equal(ortFailureReason(new Error('This is an invalid model. Error: the graph is not acyclic.')), 'the graph is not acyclic.');
  assert.equal(ortFailureReason(new Error('Fatal error: com.evil:Relu(-1) is not a registered function/op')), 'com.evil:Relu(-1) is not a registered function/op');
  assert.equal(ortFailureReason(new Error('Error: Duplicate definition-site for (x\u001b[2J).')), 'Duplicate definition-site for (x\\x1b[2J).');
  assert.equal(ortFailureReason(new Error('')), 'no reason given');
  assert.equal(ortFailureReason('a\nb'), 'a b');
});

test('asResourceError turns allocation failures into bad input and leaves other errors alone', () => {
  const arena = asResourceError(new Error("Non-zero status code returned while running Gather node. Status Message: /onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:360 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*) Failed to allocate memory for requested buffer of size 32000000000"));
  assert.equal(arena?.kind, 'bad-input');
  assert.equal(arena?.code, 'run.too-large');
  assert.equal(arena?.message, 'the run needs more memory than onnxruntime could allocate (a buffer of 29.8 GiB); lower the batch size, sequence length or number of rows');
  let range: unknown;
  try { new Float64Array(2 ** 40); } catch (e) { range = e; }
  assert.equal(asResourceError(range)?.code, 'run.too-large');
  assert.equal(asResourceError(new TypeError('x is undefined')), null);
});

test('escapeControl writes control and bidi characters as visible escapes', () => {
  assert.equal(escapeControl('a\u001b[31mred\u0007\r\n\t\u007f\u009b\u202eb'), 'a\\x1b[31mred\\x07\\x0d\\x0a\\x09\\x7f\\x9b\\u202eb');
  assert.equal(escapeControl('plain – ünïcode 名前'), 'plain – ünïcode 名前');
  assert.equal(terminalSafe('line\u001b]0;x\u0007\nnext'), 'line\\x1b]0;x\\x07\nnext');
  assert.equal(table([['a\nb', 'c']]), 'a\\x0ab  c');
});

test('inspect escapes terminal escape sequences carried by producer, tensor and op names', () => {
  const { dir, cleanup } = tempDir('bi-esc-');
  try {
    const model = cloneModel(decodeModel(fixtureBytes('mlp.onnx'), 'mlp.onnx').proto);
    model.producerName = 'evil\u001b]0;owned\u0007';
    model.graph!.input[0]!.name = 'x\u001b[2J';
    for (const node of model.graph!.node) node.input = node.input.map((n) => (n === 'x' ? 'x\u001b[2J' : n));
    const path = join(dir, 'esc.onnx');
    writeFileSync(path, encodeModel(model));
    const r = spawnSync(process.execPath, [join(root, 'dist/cli.js'), 'inspect', path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes('\u001b'), 'raw ESC on stdout');
    assert.match(r.stdout, /producer evil\\x1b\]0;owned\\x07/);
    assert.match(r.stdout, /x\\x1b\[2J\s+float32/);
  } finally {
    cleanup();
  }
});

test('WebGPU is skipped with a reason when the Vulkan loader is absent (no "Couldn\'t load Vulkan" from onnxruntime)', () => {
  const { dir, cleanup } = tempDir('bi-lib-');
  try {
    mkdirSync(join(dir, 'lib'));
    assert.equal(hasSharedLibrary('libvulkan.so.1', {}, join(dir, 'no-cache'), [join(dir, 'lib')]), false);
    writeFileSync(join(dir, 'cache'), Buffer.from('glibc-ld.so.cache1.1\0libvulkan.so.1\0/usr/lib/libvulkan.so.1\0'));
    assert.equal(hasSharedLibrary('libvulkan.so.1', {}, join(dir, 'cache'), [join(dir, 'lib')]), true);
    assert.equal(hasSharedLibrary('libvulkan.so', {}, join(dir, 'cache'), [join(dir, 'lib')]), false);
    writeFileSync(join(dir, 'lib', 'libvulkan.so.1'), '');
    assert.equal(hasSharedLibrary('libvulkan.so.1', { LD_LIBRARY_PATH: join(dir, 'lib') }, join(dir, 'no-cache'), []), true);
  } finally {
    cleanup();
  }
  if (process.platform === 'linux') {
    const reason = providerPrecheck('webgpu', null);
    assert.equal(reason, hasSharedLibrary('libvulkan.so.1') ? null : 'webgpu: the Vulkan loader (libvulkan.so.1) is not installed');
  }
});

test('the text report names the provider used and why the others were skipped', () => {
  assert.equal(formatRuntime({ requested: ['cpu'], used: 'cpu', ortVersion: '1.30.0' }), 'EP cpu');
  assert.equal(formatRuntime({ requested: ['cuda', 'webgpu', 'cpu'], used: 'cpu', fallbackReason: 'cuda: provider libraries not installed; webgpu: the Vulkan loader (libvulkan.so.1) is not installed', ortVersion: '1.30.0' }),
    'EP cpu (skipped: cuda: provider libraries not installed; webgpu: the Vulkan loader (libvulkan.so.1) is not installed)');
  const r = spawnSync(process.execPath, [join(root, 'dist/cli.js'), 'groups', '--spec', join(root, 'examples/income-mlp.bias.json'), '--max-rows', '50'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {2}50 rows, 0 skipped, EP \w+( \(skipped: .+\))?$/m);
  assert.doesNotMatch(r.stderr, /Vulkan/);
});
