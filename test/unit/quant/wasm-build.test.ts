/**
 * The kernels' binary is built from the repository's source by `npm run build` (issue 14):
 * esbuild.mjs assembles extension/core/quant/simd/source.ts with wat.ts, writes
 * dist/quant-kernels.wasm and bundles those bytes in place of simd/binary.ts. Checked here with
 * esbuild.mjs's own functions: the build's bytes are the assembler's, byte for byte, and a
 * bundle of the kernels carries the binary, not the assembler or the text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { KERNELS_WAT } from '../../../extension/core/quant/simd/source';
import { assembleWat } from '../../../extension/core/quant/simd/wat';

const root = resolve(__dirname, '../../..');

interface BuildScript {
  kernelsBytes(): Promise<Uint8Array>;
  wasmKernelsPlugin: Plugin;
}
const script = (): Promise<BuildScript> => import(pathToFileURL(join(root, 'esbuild.mjs')).href) as Promise<BuildScript>;

test('npm run build assembles the same bytes as the committed source does', async () => {
  const built = await (await script()).kernelsBytes();
  const expected = assembleWat(KERNELS_WAT);
  assert.deepEqual([...built.subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  assert.equal(Buffer.compare(Buffer.from(built), Buffer.from(expected)), 0);
});

test('a bundle of the kernels carries the built binary and not the assembler', async () => {
  const esbuild = await import('esbuild');
  const { wasmKernelsPlugin } = await script();
  const out = await esbuild.build({
    entryPoints: [join(root, 'extension/core/quant/simd/kernels.ts')], bundle: true, write: false,
    format: 'cjs', platform: 'node', plugins: [wasmKernelsPlugin], logLevel: 'silent',
  });
  const text = out.outputFiles[0]!.text;
  assert.ok(!text.includes('function assembleWat') && !text.includes('f32x4.nearest'), 'the assembler or the kernel text is in the bundle');
  const bundled = { exports: {} as { simdKernels?: () => unknown } };
  new Function('module', 'exports', 'require', text)(bundled, bundled.exports, require);
  const kernels = bundled.exports.simdKernels?.();
  assert.ok(kernels, 'the bundled binary does not instantiate');
});
