/**
 * NVFP4 (FORMULAS.md §C): blocks of 16 along the block axis; per-tensor float32 scale
 * s2 = fround(amax/(6·448)) (amax = 0 → all zeros); block scale s_b = E4M3_RNE(fround(amax_b/fround(6·s2)))
 * (s_b = 0 → the block is zeros); elements P = E2M1_RNE_saturating(fround(W/fround(s_b·s2)));
 * Ŵ = fround(fround(P·s_b)·s2) (P·s_b is exact, so Ŵ is the correctly rounded P·s_b·s2).
 * NaN and ±Inf take no part in the amaxes and are copied through unchanged.
 */
import type { AxisView } from './axis';
import { castToGrid, E2M1, E4M3, finiteAbsMax, finiteAbsMaxColumns } from './minifloat';

export const NVFP4_BLOCK_SIZE = 16;

/** Dequantized values, the tensor scale s2 and the E4M3 block scales in (outer, block, inner) order. */
export interface Nvfp4QuantResult {
  values: Float32Array;
  tensorScale: number;
  blockScales: Float32Array;
}

/** NVFP4 fake quantization of `data` seen as `view` ([outer, length, inner]); blocks run along `length`. */
export function nvfp4FakeQuantize(data: Float32Array, view: AxisView, blockSize = NVFP4_BLOCK_SIZE): Nvfp4QuantResult {
  const { outer, length, inner } = view;
  const blocks = Math.ceil(length / blockSize);
  const values = new Float32Array(data.length);
  const blockScales = new Float32Array(outer * blocks * inner);
  const amaxTensor = finiteAbsMax(data);
  const s2 = Math.fround(amaxTensor / 2688);
  if (s2 === 0) {
    for (let j = 0; j < data.length; j++) {
      const x = data[j] ?? 0;
      values[j] = x - x !== 0 ? x : x * 0; // signed zeros; NaN/Inf through
    }
    return { values, tensorScale: s2, blockScales };
  }
  const sixS2 = Math.fround(6 * s2);
  if (inner === 1) {
    contiguousBlocks(data, values, blockScales, outer, length, blocks, blockSize, s2, sixS2);
    return { values, tensorScale: s2, blockScales };
  }
  const amax = new Float64Array(inner);
  const sb = new Float64Array(inner);
  const combined = new Float64Array(inner);
  let scaleIdx = 0;
  for (let o = 0; o < outer; o++) {
    for (let b = 0; b < blocks; b++) {
      const k0 = b * blockSize;
      const k1 = Math.min(length, k0 + blockSize);
      finiteAbsMaxColumns(data, amax, o, length, inner, k0, k1);
      for (let i = 0; i < inner; i++, scaleIdx++) {
        const s = castToGrid(Math.fround((amax[i] ?? 0) / sixS2), E4M3, 'rne');
        sb[i] = s;
        blockScales[scaleIdx] = s;
        combined[i] = Math.fround(s * s2);
      }
      for (let k = k0; k < k1; k++) {
        const row = (o * length + k) * inner;
        for (let i = 0; i < inner; i++) {
          const x = data[row + i] ?? 0;
          if (x - x !== 0) {
            values[row + i] = x;
            continue;
          }
          const c = combined[i] ?? 0;
          if (c === 0) {
            values[row + i] = x * 0;
            continue;
          }
          const p = castToGrid(Math.fround(x / c), E2M1, 'rne');
          values[row + i] = Math.fround(p * (sb[i] ?? 0)) * s2;
        }
      }
    }
  }
  return { values, tensorScale: s2, blockScales };
}

/** The same computation when blocks are contiguous runs (inner = 1), without per-column bookkeeping. */
function contiguousBlocks(
  data: Float32Array,
  values: Float32Array,
  blockScales: Float32Array,
  outer: number,
  length: number,
  blocks: number,
  blockSize: number,
  s2: number,
  sixS2: number,
): void {
  let scaleIdx = 0;
  for (let o = 0; o < outer; o++) {
    const row = o * length;
    for (let b = 0; b < blocks; b++, scaleIdx++) {
      const j0 = row + b * blockSize;
      const j1 = row + Math.min(length, (b + 1) * blockSize);
      const amax = finiteAbsMax(data, j0, j1);
      const sb = castToGrid(Math.fround(amax / sixS2), E4M3, 'rne');
      blockScales[scaleIdx] = sb;
      const c = Math.fround(sb * s2);
      for (let j = j0; j < j1; j++) {
        const x = data[j] as number;
        if (x - x !== 0) values[j] = x;
        else if (c === 0) values[j] = x * 0;
        else values[j] = Math.fround(castToGrid(Math.fround(x / c), E2M1, 'rne') * sb) * s2;
      }
    }
  }
}
