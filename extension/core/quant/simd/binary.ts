/**
 * The kernels' WebAssembly binary. `npm run build` assembles it from the committed text
 * (source.ts, with the assembler wat.ts), writes it to dist/quant-kernels.wasm and puts those
 * bytes in place of this module in every bundle (esbuild.mjs, plugin `quant-kernels-wasm`), so
 * the shipped code carries the binary and not the assembler. Run from source (tsx: tests,
 * benchmarks), this module assembles the same bytes on first use;
 * test/unit/quant/wasm-build.test.ts checks that the build's bytes are these.
 */
import { KERNELS_WAT } from './source';
import { assembleWat } from './wat';

export function kernelsWasm(): Uint8Array {
  return assembleWat(KERNELS_WAT);
}
