/**
 * The representable values a format offers a tensor, for the histogram overlay, pure (no DOM).
 *
 * Per-tensor formats (int *_per_tensor, fp8) carry their exact grid in the report. The others
 * have one grid per channel or per block; the view shows the grid of the channel or block that
 * holds the tensor's largest |value| (amax), computed here by FORMULAS.md §C, and says so:
 * channels and blocks with a smaller range get finer grids.
 */
import type { QuantFormatId, QuantGrid } from '../../extension/protocol/quant';

/** A sign-magnitude minifloat element format (FORMULAS.md §C). */
export interface MinifloatSpec {
  readonly expBits: number;
  readonly manBits: number;
  readonly bias: number;
  /** Largest finite magnitude. */
  readonly max: number;
}

export const E4M3: MinifloatSpec = { expBits: 4, manBits: 3, bias: 7, max: 448 };
export const E5M2: MinifloatSpec = { expBits: 5, manBits: 2, bias: 15, max: 57344 };
export const E2M3: MinifloatSpec = { expBits: 2, manBits: 3, bias: 1, max: 7.5 };
export const E3M2: MinifloatSpec = { expBits: 3, manBits: 2, bias: 3, max: 28 };
export const E2M1: MinifloatSpec = { expBits: 2, manBits: 1, bias: 1, max: 6 };

/** Non-negative values of a minifloat (subnormals included, 0 first, ascending, up to max). */
export function minifloatMagnitudes(spec: MinifloatSpec): number[] {
  const values = new Set<number>([0]);
  const mantissas = 2 ** spec.manBits;
  for (let e = 0; e < 2 ** spec.expBits; e++) {
    for (let m = 0; m < mantissas; m++) {
      const v = e === 0 ? (m / mantissas) * 2 ** (1 - spec.bias) : (1 + m / mantissas) * 2 ** (e - spec.bias);
      if (v <= spec.max) values.add(v);
    }
  }
  return [...values].sort((a, b) => a - b);
}

/** floor(log2(a)) for finite a > 0, exact at powers of two (a float log2 can be off by one there). */
export function floorLog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  return e;
}

interface MxElement {
  readonly magnitudes: readonly number[];
  /** The MX emax_elem: exponent of the element format's largest binade. */
  readonly emax: number;
}

const MXINT8_MAGNITUDES = Array.from({ length: 128 }, (_, k) => k / 64);

const MX_ELEMENTS: Readonly<Partial<Record<QuantFormatId, MxElement>>> = {
  mxint8: { magnitudes: MXINT8_MAGNITUDES, emax: 0 },
  mxfp8_e4m3: { magnitudes: minifloatMagnitudes(E4M3), emax: 8 },
  mxfp8_e5m2: { magnitudes: minifloatMagnitudes(E5M2), emax: 15 },
  mxfp6_e2m3: { magnitudes: minifloatMagnitudes(E2M3), emax: 2 },
  mxfp6_e3m2: { magnitudes: minifloatMagnitudes(E3M2), emax: 4 },
  mxfp4: { magnitudes: minifloatMagnitudes(E2M1), emax: 2 },
};

/** Integer ranges [qmin, qmax] of the int formats (FORMULAS.md §C: int4 symmetric keeps [−8, 7]). */
const INT_RANGES: Readonly<Partial<Record<QuantFormatId, readonly [number, number]>>> = {
  int8: [-127, 127], int8_per_tensor: [-127, 127],
  int4: [-8, 7], int4_per_tensor: [-8, 7],
  int8_asym: [-128, 127], int8_asym_per_tensor: [-128, 127],
  int4_asym: [-8, 7], int4_asym_per_tensor: [-8, 7],
};

function symmetric(values: readonly number[]): number[] {
  const out = new Set<number>();
  for (const v of values) { out.add(v); out.add(v === 0 ? 0 : -v); }
  return [...out].sort((a, b) => a - b);
}

export interface OverlayGrid {
  /** Representable values in the tensor's units, ascending. */
  readonly values: readonly number[];
  /** Where the grid comes from, in words (shown under the histogram). */
  readonly note: string;
  /** The grid is one of many (per channel or per block), not the tensor's only grid. */
  readonly partial: boolean;
}

/** Symmetric int grid of a range ±amax: scale = fround(2·amax)/(qmax − qmin) stored as float32, zero point 0. */
function symmetricIntGrid(amax: number, qmin: number, qmax: number): number[] {
  const scale64 = Math.fround(Math.fround(amax) * 2) / (qmax - qmin);
  const scale = Math.fround(scale64) < 1.1754943508222875e-38 ? 1 : Math.fround(scale64);
  const values: number[] = [];
  for (let q = qmin; q <= qmax; q++) values.push(Math.fround(q * scale));
  return values;
}

/**
 * The grid to draw over a tensor's histogram in `format`; `amax` is the tensor's largest |value|
 * (the histogram's max), `grids` the report's per-tensor grids. Null when the report does not
 * hold enough to draw it (asymmetric per-channel formats need each channel's minimum).
 */
export function overlayGrid(format: QuantFormatId, tensor: string, amax: number, grids: readonly QuantGrid[]): OverlayGrid | { readonly values: null; readonly note: string } {
  const carried = grids.find((g) => g.name === tensor && g.format === format);
  if (carried) {
    const zp = carried.zeroPoint !== 0 ? `, zero point ${carried.zeroPoint}` : '';
    return { values: [...carried.values].sort((a, b) => a - b), note: `${carried.values.length} representable values (scale ${formatScale(carried.scale)}${zp}), the tensor's only grid.`, partial: false };
  }
  if (!(amax > 0) || !Number.isFinite(amax)) return { values: [0], note: 'every value is 0: the grid is {0}.', partial: false };
  const intRange = INT_RANGES[format];
  if (intRange) {
    const [qmin, qmax] = intRange;
    if (format.includes('asym')) {
      const tensorWide = grids.find((g) => g.name === tensor && g.format === `${format}_per_tensor`);
      if (tensorWide) {
        return { values: [...tensorWide.values].sort((a, b) => a - b), note: `Per channel: the grid shown spans the whole tensor's range (${format}_per_tensor, scale ${formatScale(tensorWide.scale)}); each channel's own grid spans its own range, so it is at least as fine.`, partial: true };
      }
      return { values: null, note: 'Per channel, asymmetric: each channel has its own scale and zero point from its own minimum and maximum, which the report does not hold, so no grid is drawn.' };
    }
    const perTensor = format.endsWith('_per_tensor');
    return {
      values: symmetricIntGrid(amax, qmin, qmax),
      note: perTensor
        ? `${qmax - qmin + 1} levels over ±${formatScale(amax)}.`
        : `Per channel: the grid of the channel that holds the tensor's largest |value| (${qmax - qmin + 1} levels over ±${formatScale(amax)}); channels with a smaller range get finer grids.`,
      partial: !perTensor,
    };
  }
  if (format === 'fp8_e4m3' || format === 'fp8_e5m2') {
    const spec = format === 'fp8_e4m3' ? E4M3 : E5M2;
    const s = Math.fround(amax / spec.max);
    return { values: symmetric(minifloatMagnitudes(spec).map((m) => Math.fround(m * s))), note: `Per-tensor scale amax/${spec.max} = ${formatScale(s)}.`, partial: false };
  }
  const mx = MX_ELEMENTS[format];
  if (mx) {
    const e = Math.max(-127, Math.min(127, floorLog2(amax) - mx.emax));
    const x = 2 ** e;
    return {
      values: symmetric(mx.magnitudes.map((m) => m * x)),
      note: `Per block of 32: the element grid scaled by the shared scale 2^${e} of the block that holds the tensor's largest |value|; every block has its own power-of-two scale, so blocks with smaller values get finer grids.`,
      partial: true,
    };
  }
  if (format === 'nvfp4') {
    const s2 = Math.fround(amax / 2688);
    const blockScale = Math.fround(448 * s2);
    return {
      values: symmetric(minifloatMagnitudes(E2M1).map((m) => Math.fround(m * blockScale))),
      note: `Per block of 16: the E2M1 grid times the block scale 448 × tensor scale ${formatScale(s2)} of the block that holds the tensor's largest |value|; every block has its own E4M3 scale, so blocks with smaller values get finer grids.`,
      partial: true,
    };
  }
  return { values: null, note: `No grid is known for ${format}.` };
}

function formatScale(value: number): string {
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e4 ? String(Number(value.toPrecision(4))) : value.toExponential(3);
}
