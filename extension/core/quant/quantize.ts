/**
 * One entry point for fake quantization x̂ = dequant(quant(x)) in any format of FORMULAS.md §C,
 * and the representable grid the UI overlays on weight histograms.
 */
import { BadInputError } from '../errors';
import { axisView, elementCount, normalizeAxis } from './axis';
import { FORMATS } from './formats';
import type { FormatId } from './formats';
import { intFakeQuantize, intRange } from './int';
import type { IntSpec } from './int';
import { E4M3, E5M2, fp8FakeQuantize, gridValues } from './minifloat';
import type { ElementGrid, Rounding } from './minifloat';
import { MX_BLOCK_SIZE, MX_ELEMENT_GRIDS, mxFakeQuantize } from './mx';
import type { MxFormatId } from './mx';
import { NVFP4_BLOCK_SIZE, nvfp4FakeQuantize } from './nvfp4';
import { simdKernels, type SimdKernels } from './simd/kernels';

/** Axes and options; take `channelAxis`/`blockAxis`/`blockFlattenTrailing` from `quantAxesFor`. */
export interface QuantizeOptions {
  /**
   * Per-channel axis of the int formats (negative counts from the end). Absent: 0 for rank ≥ 2;
   * null or rank ≤ 1: one channel (per-tensor). Ignored by the `_per_tensor` formats.
   */
  channelAxis?: number | null;
  /** Block axis of the MX/NVFP4 formats (negative counts from the end). Absent: the last axis. */
  blockAxis?: number;
  /** Flatten the axes after `blockAxis` into it before blocking (Conv W → [Co, Ci·kh·kw]). */
  blockFlattenTrailing?: boolean;
  /** Element rounding of the MX formats: 'rne' (default, FORMULAS.md) or 'rhaz' (microxcaling). */
  mxRounding?: Rounding;
  /** Tensor name, for error messages. */
  tensor?: string;
  /**
   * 'simd' (default): the WebAssembly SIMD kernels (simd/kernels.ts) where they cover the layout,
   * else the scalar code; 'scalar': the scalar code only. Both give the same values bit for bit.
   */
  kernels?: 'simd' | 'scalar';
  /**
   * The values may be a view of the SIMD kernels' memory, valid only until the next fake
   * quantization on this thread: for a caller that reduces them at once (the tensor error),
   * which then pays no copy and no fresh allocation per format.
   */
  transient?: boolean;
}

/** Scale information of one fake quantization, for reports and the histogram overlay. */
export type ScaleInfo =
  | { kind: 'int'; scales: Float32Array; zeroPoints: Int32Array; channelAxis: number | null }
  | { kind: 'fp8'; scale: number }
  | { kind: 'mx'; exponents: Int16Array; blockAxis: number }
  | { kind: 'nvfp4'; tensorScale: number; blockScales: Float32Array; blockAxis: number };

export interface QuantizeResult {
  values: Float32Array;
  scaleInfo: ScaleInfo;
}

const INT_SPECS: Partial<Record<FormatId, { spec: IntSpec; perTensor: boolean }>> = {
  int8: { spec: { bits: 8, symmetric: true }, perTensor: false },
  int4: { spec: { bits: 4, symmetric: true }, perTensor: false },
  int8_asym: { spec: { bits: 8, symmetric: false }, perTensor: false },
  int4_asym: { spec: { bits: 4, symmetric: false }, perTensor: false },
  int8_per_tensor: { spec: { bits: 8, symmetric: true }, perTensor: true },
  int4_per_tensor: { spec: { bits: 4, symmetric: true }, perTensor: true },
  int8_asym_per_tensor: { spec: { bits: 8, symmetric: false }, perTensor: true },
  int4_asym_per_tensor: { spec: { bits: 4, symmetric: false }, perTensor: true },
};

function checkShape(data: Float32Array, shape: readonly number[], tensor: string | undefined): void {
  const n = elementCount(shape);
  if (shape.some((d) => !Number.isInteger(d) || d < 0) || n !== data.length) {
    const name = tensor === undefined ? 'tensor' : `tensor "${tensor}"`;
    throw new BadInputError('quant.shape-mismatch', `${name}: shape [${shape.join(', ')}] (${n} elements) does not match its ${data.length} values`);
  }
}

/** Fake quantization with the scales used. Pure; does not modify `data`. */
export function fakeQuantizeDetailed(data: Float32Array, shape: readonly number[], format: FormatId, opts: QuantizeOptions = {}): QuantizeResult {
  checkShape(data, shape, opts.tensor);
  const simd = opts.kernels === 'scalar' ? null : simdKernels();
  if (simd === null) return quantizeWith(null, data, shape, format, opts);
  simd.transient = opts.transient === true;
  try {
    return quantizeWith(simd, data, shape, format, opts);
  } finally {
    simd.transient = false;
  }
}

function quantizeWith(simd: SimdKernels | null, data: Float32Array, shape: readonly number[], format: FormatId, opts: QuantizeOptions): QuantizeResult {
  const family = FORMATS[format].family;
  if (family === 'int') {
    const entry = INT_SPECS[format];
    if (entry === undefined) throw new Error(`no int spec for ${format}`);
    let channelAxis: number | null = null;
    if (!entry.perTensor && shape.length >= 2 && opts.channelAxis !== null) {
      channelAxis = normalizeAxis(opts.channelAxis ?? 0, shape, 'channel axis', opts.tensor);
    }
    const r = simd?.int(data, shape, entry.spec, channelAxis) ?? intFakeQuantize(data, shape, entry.spec, channelAxis);
    return { values: r.values, scaleInfo: { kind: 'int', scales: r.scales, zeroPoints: r.zeroPoints, channelAxis } };
  }
  if (family === 'fp8') {
    const grid = format === 'fp8_e4m3' ? E4M3 : E5M2;
    const r = simd?.fp8(data, grid) ?? fp8FakeQuantize(data, grid);
    return { values: r.values, scaleInfo: { kind: 'fp8', scale: r.scale } };
  }
  const blockAxis = shape.length === 0 ? 0 : normalizeAxis(opts.blockAxis ?? -1, shape, 'block axis', opts.tensor);
  const view = axisView(shape, blockAxis, opts.blockFlattenTrailing ?? false);
  if (family === 'mx') {
    const grid = MX_ELEMENT_GRIDS[format as MxFormatId];
    const rounding = opts.mxRounding ?? 'rne';
    const r = simd?.mx(data, view, grid, rounding, MX_BLOCK_SIZE) ?? mxFakeQuantize(data, view, grid, rounding, MX_BLOCK_SIZE);
    return { values: r.values, scaleInfo: { kind: 'mx', exponents: r.exponents, blockAxis } };
  }
  const r = simd?.nvfp4(data, view, NVFP4_BLOCK_SIZE) ?? nvfp4FakeQuantize(data, view, NVFP4_BLOCK_SIZE);
  return { values: r.values, scaleInfo: { kind: 'nvfp4', tensorScale: r.tensorScale, blockScales: r.blockScales, blockAxis } };
}

/** x̂ = dequant(quant(x)) of `data` (row-major `shape`) in `format`. Pure; does not modify `data`. */
export function fakeQuantize(data: Float32Array, shape: readonly number[], format: FormatId, opts: QuantizeOptions = {}): Float32Array {
  return fakeQuantizeDetailed(data, shape, format, opts).values;
}

/** The element grid of an MX, NVFP4 or FP8 format (unscaled). */
export function elementGridOf(format: FormatId): ElementGrid | null {
  if (format === 'fp8_e4m3') return E4M3;
  if (format === 'fp8_e5m2') return E5M2;
  if (format === 'nvfp4') return MX_ELEMENT_GRIDS.mxfp4;
  if (FORMATS[format].family === 'mx') return MX_ELEMENT_GRIDS[format as MxFormatId];
  return null;
}

/**
 * The values a format can represent, ascending, for the histogram overlay.
 * Int formats: (q − zp)·scale for q in [qmin, qmax] (scale 1, zp 0 when no `scaleInfo`: the integer
 * levels; pass a channel's scale for per-channel formats). FP8: the element grid times `scale`.
 * Block formats (MX, NVFP4): the unscaled element grid (each block has its own scale).
 */
export function representableGrid(format: FormatId, scaleInfo?: { scale: number; zeroPoint?: number }): Float32Array {
  const entry = INT_SPECS[format];
  if (entry !== undefined) {
    const { qmin, qmax } = intRange(entry.spec);
    const scale = scaleInfo?.scale ?? 1;
    const zp = scaleInfo?.zeroPoint ?? 0;
    const out = new Float32Array(qmax - qmin + 1);
    for (let q = qmin; q <= qmax; q++) out[q - qmin] = (q - zp) * scale;
    return out;
  }
  const grid = elementGridOf(format);
  if (grid === null) throw new Error(`no grid for ${format}`);
  const values = gridValues(grid);
  const scale = FORMATS[format].family === 'fp8' ? (scaleInfo?.scale ?? 1) : 1;
  return Float32Array.from(values, (v) => v * scale);
}
