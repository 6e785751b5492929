/**
 * OCP Microscaling (MX v1.0) block formats (FORMULAS.md §C, MX): blocks of 32 consecutive
 * elements along the block (reduction) axis, a trailing partial block allowed; shared scale
 * X = 2^e with e = floor(log2(amax_block)) − emax_elem read from the float bits, clamped to
 * [−127, 127] (an all-zero block has e = −127 and stays zero); elements P = cast(V/X) with RNE
 * (or RHAZ, microsoft/microxcaling's default) saturating at ±max; x̂ = P·X.
 * NaN and ±Inf take no part in amax and are copied through unchanged.
 */
import type { AxisView } from './axis';
import { castToGrid, E2M1, E2M3, E3M2, E4M3, E5M2, finiteAbsMax, finiteAbsMaxColumns, floorLog2, INT8_FIXED, pow2 } from './minifloat';
import type { ElementGrid, Rounding } from './minifloat';

/** The MX format ids and their element grids. */
export type MxFormatId = 'mxint8' | 'mxfp8_e4m3' | 'mxfp8_e5m2' | 'mxfp6_e2m3' | 'mxfp6_e3m2' | 'mxfp4';

export const MX_ELEMENT_GRIDS: Readonly<Record<MxFormatId, ElementGrid>> = {
  mxint8: INT8_FIXED,
  mxfp8_e4m3: E4M3,
  mxfp8_e5m2: E5M2,
  mxfp6_e2m3: E2M3,
  mxfp6_e3m2: E3M2,
  mxfp4: E2M1,
};

export const MX_BLOCK_SIZE = 32;
/** E8M0 exponent range used for the shared scale. */
export const MX_SCALE_EMIN = -127;
export const MX_SCALE_EMAX = 127;

/** The shared exponent e of a block with largest magnitude `amax` (0 → −127). */
export function mxSharedExponent(amax: number, emaxElem: number): number {
  if (!(amax > 0)) return MX_SCALE_EMIN;
  const e = floorLog2(amax) - emaxElem;
  return e < MX_SCALE_EMIN ? MX_SCALE_EMIN : e > MX_SCALE_EMAX ? MX_SCALE_EMAX : e;
}

/** Dequantized values and the shared exponents, one per block, in (outer, block, inner) order. */
export interface MxQuantResult {
  values: Float32Array;
  exponents: Int16Array;
}

/**
 * MX fake quantization of `data` seen as `view` ([outer, length, inner]); blocks run along
 * `length`. Per (outer, block) the rows are walked contiguously with one running amax per inner
 * column, so a strided axis costs no gather.
 */
export function mxFakeQuantize(
  data: Float32Array,
  view: AxisView,
  grid: ElementGrid,
  rounding: Rounding = 'rne',
  blockSize = MX_BLOCK_SIZE,
): MxQuantResult {
  const { outer, length, inner } = view;
  const blocks = Math.ceil(length / blockSize);
  const values = new Float32Array(data.length);
  const exponents = new Int16Array(outer * blocks * inner);
  if (inner === 1) {
    contiguousBlocks(data, values, exponents, outer, length, blocks, grid, rounding, blockSize);
    return { values, exponents };
  }
  const amax = new Float64Array(inner);
  const scale = new Float64Array(inner);
  let expIdx = 0;
  for (let o = 0; o < outer; o++) {
    for (let b = 0; b < blocks; b++) {
      const k0 = b * blockSize;
      const k1 = Math.min(length, k0 + blockSize);
      finiteAbsMaxColumns(data, amax, o, length, inner, k0, k1);
      for (let i = 0; i < inner; i++, expIdx++) {
        const e = mxSharedExponent(amax[i] ?? 0, grid.emax);
        exponents[expIdx] = e;
        scale[i] = pow2(e);
      }
      for (let k = k0; k < k1; k++) {
        const row = (o * length + k) * inner;
        for (let i = 0; i < inner; i++) {
          const x = data[row + i] ?? 0;
          if (x - x !== 0) {
            values[row + i] = x;
            continue;
          }
          const X = scale[i] ?? 1;
          values[row + i] = castToGrid(x / X, grid, rounding) * X; // both steps exact (X = 2^e)
        }
      }
    }
  }
  return { values, exponents };
}

/**
 * The same computation when blocks are contiguous runs (inner = 1: blocks along the last axis,
 * Conv weights flattened), without the per-column bookkeeping of the strided loop.
 */
function contiguousBlocks(
  data: Float32Array,
  values: Float32Array,
  exponents: Int16Array,
  outer: number,
  length: number,
  blocks: number,
  grid: ElementGrid,
  rounding: Rounding,
  blockSize: number,
): void {
  let expIdx = 0;
  for (let o = 0; o < outer; o++) {
    const row = o * length;
    for (let b = 0; b < blocks; b++, expIdx++) {
      const j0 = row + b * blockSize;
      const j1 = row + Math.min(length, (b + 1) * blockSize);
      const amax = finiteAbsMax(data, j0, j1);
      const e = mxSharedExponent(amax, grid.emax);
      exponents[expIdx] = e;
      const X = pow2(e);
      const inv = pow2(-e); // x·2^−e = x/2^e exactly
      for (let j = j0; j < j1; j++) {
        const x = data[j] as number;
        values[j] = x - x !== 0 ? x : castToGrid(x * inv, grid, rounding) * X;
      }
    }
  }
}
