/**
 * WebAssembly SIMD fake quantization: the kernels of source.ts, assembled by `npm run build`
 * (binary.ts), one instance per thread (each quantization worker has its own), behind functions
 * with the same results as the scalar int.ts / minifloat.ts / mx.ts / nvfp4.ts, bit for bit.
 *
 * Each call copies the tensor into the module's memory, works there in place and copies the
 * result out; per-channel INT runs its passes tile by tile in cache (intTiled, intColsTiled).
 * Layouts the kernels do not cover return null and the caller uses the scalar code:
 * per-channel INT with 1 < inner < 4 or an odd channel count on the last axis, strided blocks
 * with an inner size that is not a multiple of 4, MX with RHAZ rounding, NVFP4 when the tensor
 * scale underflows. The memory grows to the largest tensor seen and is kept for the next call.
 */
import { axisView } from '../axis';
import type { AxisView } from '../axis';
import { computeScaleZeroPoint, finiteRange, intRange } from '../int';
import type { IntQuantResult, IntSpec } from '../int';
import { castToGrid, E2M1, E4M3, finiteAbsMax, pow2 } from '../minifloat';
import type { ElementGrid, Fp8QuantResult } from '../minifloat';
import { mxSharedExponent } from '../mx';
import type { MxQuantResult } from '../mx';
import type { Nvfp4QuantResult } from '../nvfp4';
import { kernelsWasm } from './binary';

/** The part of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  minmax(p: number, n: number): void;
  minmaxCols(p: number, rows: number, cols: number, mins: number, maxs: number): void;
  quantSpan(p: number, n: number, s: number, lo: number, hi: number): void;
  quantSpanFinite(p: number, n: number, s: number, lo: number, hi: number): void;
  minmaxSpans(p: number, outer: number, channels: number, inner: number, mins: number, maxs: number): void;
  quantSpans(p: number, outer: number, channels: number, inner: number, scales: number, los: number, his: number, special: number): void;
  quantCols(p: number, rows: number, cols: number, scales: number, los: number, his: number): void;
  amax(p: number, n: number): number;
  fp8(p: number, n: number, s: number, max: number, eminField: number, shift: number): void;
  mxContig(p: number, nblocks: number, exps: number, max: number, eminField: number, shift: number, emax: number): void;
  mxStrided(p: number, outer: number, length: number, inner: number, exps: number, max: number, eminField: number, shift: number, emax: number): void;
  nvContig(p: number, nblocks: number, scales: number, s2: number, sixS2: number): void;
  nvStrided(p: number, outer: number, length: number, inner: number, scales: number, s2: number, sixS2: number): void;
}

/**
 * Elements per kernel call on big tensors. WebAssembly code starts in V8's baseline tier and is
 * optimized after it has run for a while, between calls (a running call is never swapped), so a
 * whole tensor in one call would run unoptimized on the first tensors; a multiple of 32.
 */
const CHUNK = 1 << 16;

/** Elements of a tile that stays in a core's L2 cache (128 KB): every pass of a tile runs before the next tile. */
const TILE = 1 << 15;

/** The first 64 bytes are the kernels' scratch (minmax writes its result at 0 and 4). */
const SCRATCH = 64;
const PAGE = 65536;

/** Grid parameters as the kernels take them: max, biased emin field, 23 − manBits. */
function gridArgs(g: ElementGrid): [number, number, number] {
  return [g.max, g.emin + 127, 23 - g.manBits];
}

/** The fake-quantization kernels of one thread. */
export class SimdKernels {
  private readonly k: Exports;

  constructor(exports: Exports) {
    this.k = exports;
  }

  /** Byte offsets of consecutive regions of the given byte sizes (16-aligned), after growing the memory to hold them. */
  private layout(...sizes: number[]): number[] {
    const offsets: number[] = [];
    let at = SCRATCH;
    for (const size of sizes) {
      offsets.push(at);
      at += Math.ceil(size / 16) * 16;
    }
    const have = this.k.memory.buffer.byteLength;
    if (at > have) this.k.memory.grow(Math.ceil((at - have) / PAGE));
    return offsets;
  }

  /**
   * Set by a caller that reduces each result at once (`fakeQuantizeDetailed` with `transient`):
   * results are then views of this module's memory, valid until the next call on this thread,
   * instead of copies (a copy of a big tensor costs a fresh allocation: page faults, zeroing).
   */
  transient = false;

  /** The result x̂ at p: a copy, or the view itself when `transient`. */
  private out(p: number, n: number): Float32Array {
    const view = this.f32(p, n);
    return this.transient ? view : view.slice();
  }

  private f32(p: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, p, n);
  }

  private i32(p: number, n: number): Int32Array {
    return new Int32Array(this.k.memory.buffer, p, n);
  }

  /** Largest finite |x| of f32[p .. p + 4n), in chunks. */
  private amax(p: number, n: number): number {
    let m = 0;
    for (let j = 0; j < n; j += CHUNK) m = Math.max(m, this.k.amax(p + 4 * j, Math.min(CHUNK, n - j)));
    return m;
  }

  /** INT per channel (channelAxis) or per tensor (null); null when the layout is not covered. */
  int(data: Float32Array, shape: readonly number[], spec: IntSpec, channelAxis: number | null): IntQuantResult | null {
    const view = channelAxis === null ? { outer: 1, length: 1, inner: data.length } : axisView(shape, channelAxis);
    const { outer, length: channels, inner } = view;
    const { qmin, qmax } = intRange(spec);
    const scales = new Float32Array(channels);
    const zeroPoints = new Int32Array(channels);
    const n = data.length;
    const params = (lo: number, hi: number, c: number): { scale: number; zp: number } => {
      // ±Inf are excluded like NaN: the range is over finite weights only.
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) ({ lo, hi } = finiteRange(data, view, c));
      const p = computeScaleZeroPoint(lo, hi, spec);
      scales[c] = p.scale;
      zeroPoints[c] = p.zeroPoint;
      return { scale: p.scale, zp: p.zeroPoint };
    };
    if (inner === 1 && channels % 4 === 0 && channels > 1) return this.intColsTiled(data, outer, channels, scales, zeroPoints, params, qmin, qmax);
    if (inner < 4) return null;
    if (outer === 1 && channels > 1 && inner <= TILE) return this.intTiled(data, channels, inner, scales, zeroPoints, params, qmin, qmax);
    const [p, mins, maxs, sc, los, his] = this.layout(4 * n, 4 * channels, 4 * channels, 4 * channels, 4 * channels, 4 * channels) as [number, number, number, number, number, number];
    this.f32(p, n).set(data);
    this.f32(mins, channels).fill(Infinity);
    this.f32(maxs, channels).fill(-Infinity);
    // Spans of a big tensor in chunks: WebAssembly is optimized between calls (see CHUNK).
    if (outer === 1 && channels === 1 && inner > CHUNK) {
      for (let j = 0; j < inner; j += CHUNK) this.k.minmaxSpans(p + 4 * j, 1, 1, Math.min(CHUNK, inner - j), mins, maxs);
    } else this.k.minmaxSpans(p, outer, channels, inner, mins, maxs);
    const minV = this.f32(mins, channels);
    const maxV = this.f32(maxs, channels);
    const scV = this.f32(sc, channels);
    const loV = this.f32(los, channels);
    const hiV = this.f32(his, channels);
    let infinite = false; // some bound is ±Inf: the data holds ±Inf, which the select must keep
    for (let c = 0; c < channels; c++) {
      const lo = minV[c] ?? 0;
      const hi = maxV[c] ?? 0;
      infinite ||= !Number.isFinite(lo) || !Number.isFinite(hi);
      const { scale, zp } = params(lo, hi, c);
      scV[c] = scale;
      loV[c] = qmin - zp;
      hiV[c] = qmax - zp;
    }
    if (outer === 1 && channels === 1 && inner > CHUNK) {
      for (let j = 0; j < inner; j += CHUNK) this.k.quantSpans(p + 4 * j, 1, 1, Math.min(CHUNK, inner - j), sc, los, his, infinite ? 1 : 0);
    } else this.k.quantSpans(p, outer, channels, inner, sc, los, his, infinite ? 1 : 0);
    return { values: this.out(p, n), scales, zeroPoints };
  }

  /**
   * Per channel on axis 0 ([channels, inner], each channel one contiguous span): the tensor is
   * copied in once, then each tile of whole channels is ranged and quantized while it is in
   * cache, and the result is copied out once (`slice`: V8 copies out of WebAssembly memory
   * several times faster that way than with `set` into another array). ±Inf is decided per
   * tile: a tile without an infinite bound holds no ±Inf, where both kernels give the same bits.
   */
  private intTiled(
    data: Float32Array, channels: number, inner: number, scales: Float32Array, zeroPoints: Int32Array,
    params: (lo: number, hi: number, c: number) => { scale: number; zp: number }, qmin: number, qmax: number,
  ): IntQuantResult {
    const per = Math.max(1, Math.min(channels, Math.floor(TILE / inner)));
    const n = data.length;
    const [p, mins, maxs, sc, los, his] = this.layout(4 * n, 4 * per, 4 * per, 4 * per, 4 * per, 4 * per) as [number, number, number, number, number, number];
    this.f32(p, n).set(data);
    const minV = this.f32(mins, per);
    const maxV = this.f32(maxs, per);
    const scV = this.f32(sc, per);
    const loV = this.f32(los, per);
    const hiV = this.f32(his, per);
    for (let c0 = 0; c0 < channels; c0 += per) {
      const k = Math.min(per, channels - c0);
      const at = p + 4 * c0 * inner;
      minV.fill(Infinity);
      maxV.fill(-Infinity);
      this.k.minmaxSpans(at, 1, k, inner, mins, maxs);
      let infinite = false;
      for (let j = 0; j < k; j++) {
        const lo = minV[j] ?? 0;
        const hi = maxV[j] ?? 0;
        infinite ||= !Number.isFinite(lo) || !Number.isFinite(hi);
        const { scale, zp } = params(lo, hi, c0 + j);
        scV[j] = scale;
        loV[j] = qmin - zp;
        hiV[j] = qmax - zp;
      }
      this.k.quantSpans(at, 1, k, inner, sc, los, his, infinite ? 1 : 0);
    }
    return { values: this.out(p, n), scales, zeroPoints };
  }

  /**
   * Per channel on the last axis ([rows, channels], channels a multiple of 4): copied in once,
   * ranged per column over all rows, quantized in tiles of whole rows, copied out once.
   */
  private intColsTiled(
    data: Float32Array, rows: number, channels: number, scales: Float32Array, zeroPoints: Int32Array,
    params: (lo: number, hi: number, c: number) => { scale: number; zp: number }, qmin: number, qmax: number,
  ): IntQuantResult {
    const per = Math.max(1, Math.min(rows, Math.floor(TILE / channels)));
    const n = data.length;
    const [p, mins, maxs, sc, los, his] = this.layout(4 * n, 4 * channels, 4 * channels, 4 * channels, 4 * channels, 4 * channels) as [number, number, number, number, number, number];
    this.f32(p, n).set(data);
    const minV = this.f32(mins, channels).fill(Infinity);
    const maxV = this.f32(maxs, channels).fill(-Infinity);
    // Row tiles here too: WebAssembly is optimized between calls (see CHUNK).
    for (let r0 = 0; r0 < rows; r0 += per) this.k.minmaxCols(p + 4 * r0 * channels, Math.min(per, rows - r0), channels, mins, maxs);
    const scV = this.f32(sc, channels);
    const loV = this.f32(los, channels);
    const hiV = this.f32(his, channels);
    for (let c = 0; c < channels; c++) {
      const { scale, zp } = params(minV[c] ?? 0, maxV[c] ?? 0, c);
      scV[c] = scale;
      loV[c] = qmin - zp;
      hiV[c] = qmax - zp;
    }
    for (let r0 = 0; r0 < rows; r0 += per) this.k.quantCols(p + 4 * r0 * channels, Math.min(per, rows - r0), channels, sc, los, his);
    return { values: this.out(p, n), scales, zeroPoints };
  }

  /** Per-tensor scaled FP8; null when the scale underflows float32 (the scalar code's special case). */
  fp8(data: Float32Array, g: ElementGrid): Fp8QuantResult | null {
    const n = data.length;
    const [p] = this.layout(4 * n) as [number];
    this.f32(p, n).set(data);
    const amax = this.amax(p, n);
    if (amax === 0) return { values: data.slice(), scale: 0 };
    const scale = Math.fround(amax / g.max);
    if (scale === 0) return null;
    const args = gridArgs(g);
    for (let j = 0; j < n; j += CHUNK) this.k.fp8(p + 4 * j, Math.min(CHUNK, n - j), scale, ...args);
    return { values: this.out(p, n), scale };
  }

  /** MX with RNE elements, blocks of 32 along `view.length`; null for RHAZ or an uncovered layout. */
  mx(data: Float32Array, view: AxisView, grid: ElementGrid, rounding: 'rne' | 'rhaz', blockSize: number): MxQuantResult | null {
    if (rounding !== 'rne' || blockSize !== 32) return null;
    const { outer, length, inner } = view;
    if (inner !== 1 && inner % 4 !== 0) return null;
    const blocks = Math.ceil(length / blockSize);
    const nExp = outer * blocks * inner;
    const n = data.length;
    const [p, exps] = this.layout(4 * n, 4 * nExp) as [number, number];
    this.f32(p, n).set(data);
    const args = [...gridArgs(grid), grid.emax] as const;
    if (inner !== 1) {
      // Rows in groups of whole blocks: each call's blocks are the tensor's blocks.
      const rows = Math.max(blockSize, Math.floor(CHUNK / inner / blockSize) * blockSize);
      for (let o = 0; o < outer; o++) {
        for (let k0 = 0; k0 < length; k0 += rows) {
          const at = (o * length + k0) * inner;
          this.k.mxStrided(p + 4 * at, 1, Math.min(rows, length - k0), inner, exps + 4 * (o * blocks + k0 / blockSize) * inner, ...args);
        }
      }
    } else if (length % blockSize === 0) {
      const per = CHUNK / blockSize;
      for (let b = 0; b < nExp; b += per) this.k.mxContig(p + 4 * b * blockSize, Math.min(per, nExp - b), exps + 4 * b, ...args);
    }
    else {
      const full = Math.floor(length / blockSize);
      const values = this.f32(p, n);
      const e = this.i32(exps, nExp);
      for (let o = 0; o < outer; o++) {
        const row = o * length;
        if (full > 0) this.k.mxContig(p + 4 * row, full, exps + 4 * o * blocks, ...args);
        e[o * blocks + full] = mxTail(values, row + full * blockSize, row + length, grid);
      }
    }
    return { values: this.out(p, n), exponents: Int16Array.from(this.i32(exps, nExp)) };
  }

  /** NVFP4, blocks of 16 along `view.length`; null when the tensor scale underflows or the layout is not covered. */
  nvfp4(data: Float32Array, view: AxisView, blockSize: number): Nvfp4QuantResult | null {
    const { outer, length, inner } = view;
    if (blockSize !== 16 || (inner !== 1 && inner % 4 !== 0)) return null;
    const blocks = Math.ceil(length / blockSize);
    const nScales = outer * blocks * inner;
    const n = data.length;
    const [p, sc] = this.layout(4 * n, 4 * nScales) as [number, number];
    this.f32(p, n).set(data);
    const s2 = Math.fround(this.amax(p, n) / 2688);
    if (s2 === 0) return null;
    const sixS2 = Math.fround(6 * s2);
    if (inner !== 1) {
      const rows = Math.max(blockSize, Math.floor(CHUNK / inner / blockSize) * blockSize);
      for (let o = 0; o < outer; o++) {
        for (let k0 = 0; k0 < length; k0 += rows) {
          const at = (o * length + k0) * inner;
          this.k.nvStrided(p + 4 * at, 1, Math.min(rows, length - k0), inner, sc + 4 * (o * blocks + k0 / blockSize) * inner, s2, sixS2);
        }
      }
    } else if (length % blockSize === 0) {
      const per = CHUNK / blockSize;
      for (let b = 0; b < nScales; b += per) this.k.nvContig(p + 4 * b * blockSize, Math.min(per, nScales - b), sc + 4 * b, s2, sixS2);
    }
    else {
      const full = Math.floor(length / blockSize);
      const values = this.f32(p, n);
      const s = this.f32(sc, nScales);
      for (let o = 0; o < outer; o++) {
        const row = o * length;
        if (full > 0) this.k.nvContig(p + 4 * row, full, sc + 4 * o * blocks, s2, sixS2);
        s[o * blocks + full] = nvTail(values, row + full * blockSize, row + length, s2, sixS2);
      }
    }
    return { values: this.out(p, n), tensorScale: s2, blockScales: this.f32(sc, nScales).slice() };
  }
}

/** A trailing partial MX block [j0, j1) in place (scalar, as mx.ts); returns its exponent. */
function mxTail(values: Float32Array, j0: number, j1: number, grid: ElementGrid): number {
  const e = mxSharedExponent(finiteAbsMax(values, j0, j1), grid.emax);
  const X = pow2(e);
  const inv = pow2(-e);
  for (let j = j0; j < j1; j++) {
    const x = values[j] as number;
    values[j] = x - x !== 0 ? x : castToGrid(x * inv, grid, 'rne') * X;
  }
  return e;
}

/** A trailing partial NVFP4 block [j0, j1) in place (scalar, as nvfp4.ts); returns its scale. */
function nvTail(values: Float32Array, j0: number, j1: number, s2: number, sixS2: number): number {
  const sb = castToGrid(Math.fround(finiteAbsMax(values, j0, j1) / sixS2), E4M3, 'rne');
  const c = Math.fround(sb * s2);
  for (let j = j0; j < j1; j++) {
    const x = values[j] as number;
    if (x - x !== 0) values[j] = x;
    else if (c === 0) values[j] = x * 0;
    else values[j] = Math.fround(castToGrid(Math.fround(x / c), E2M1, 'rne') * sb) * s2;
  }
  return sb;
}

let kernels: SimdKernels | null | undefined;

/**
 * This thread's kernels, assembled and instantiated on the first call; null when WebAssembly
 * SIMD is unavailable (the callers then use the scalar code).
 */
export function simdKernels(): SimdKernels | null {
  if (kernels !== undefined) return kernels;
  kernels = null;
  if (typeof WebAssembly !== 'object') return kernels;
  const bytes = kernelsWasm();
  if (!WebAssembly.validate(bytes)) return kernels;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  kernels = new SimdKernels(instance.exports as unknown as Exports);
  return kernels;
}
