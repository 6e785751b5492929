/**
 * Colour scales of the heatmaps, pure (no DOM): colour-blind-safe d3 interpolators turned into a
 * lookup table so that a 1024×1024 map is painted into RGBA in one pass, plus legend ticks.
 *
 * Sequential (probabilities, mean maps): viridis (default) or cividis — perceptually uniform and
 * readable with every common colour-vision deficiency. Diverging (group differences, additive
 * biases): ColorBrewer PuOr, purple below 0, orange above, centred exactly at 0 on a symmetric
 * domain [−m, m] so that equal magnitudes get equal saturation.
 */
import { interpolateCividis, interpolatePuOr, interpolateViridis, rgb, scaleLinear } from 'd3';

export type SequentialScheme = 'viridis' | 'cividis';

export interface HeatmapScale {
  readonly kind: 'sequential' | 'diverging';
  /** [low, high]; diverging domains are symmetric around 0. */
  readonly domain: readonly [number, number];
  /** Colour at t ∈ [0, 1] (CSS colour string). */
  readonly interpolate: (t: number) => string;
  /** Position of a value on the scale in [0, 1] (clamped; NaN stays NaN). */
  unit(value: number): number;
  /** CSS colour of a value (NaN: transparent). */
  color(value: number): string;
}

const SEQUENTIAL: Readonly<Record<SequentialScheme, (t: number) => string>> = { viridis: interpolateViridis, cividis: interpolateCividis };

function makeScale(kind: HeatmapScale['kind'], low: number, high: number, interpolate: (t: number) => string): HeatmapScale {
  const span = high - low;
  const unit = (value: number): number => {
    if (Number.isNaN(value)) return Number.NaN;
    if (!(span > 0)) return kind === 'diverging' ? 0.5 : 0;
    return Math.max(0, Math.min(1, (value - low) / span));
  };
  return {
    kind,
    domain: [low, high],
    interpolate,
    unit,
    color: (value: number): string => {
      const t = unit(value);
      return Number.isNaN(t) ? 'transparent' : interpolate(t);
    },
  };
}

/** Sequential scale over [min, max] (a degenerate domain maps everything to the low end). */
export function sequentialScale(min: number, max: number, scheme: SequentialScheme = 'viridis'): HeatmapScale {
  return makeScale('sequential', min, Math.max(min, max), SEQUENTIAL[scheme]);
}

/** Diverging scale over [−maxAbs, maxAbs]: 0 sits at t = 0.5, the scheme's neutral centre. */
export function divergingScale(maxAbs: number): HeatmapScale {
  const m = Number.isFinite(maxAbs) ? Math.abs(maxAbs) : 0;
  return makeScale('diverging', -m, m, interpolatePuOr);
}

/** RGBA lookup table of `size` colours sampled evenly over t ∈ [0, 1] (size·4 bytes). */
export function colorLut(interpolate: (t: number) => string, size = 256): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(size * 4);
  for (let i = 0; i < size; i++) {
    const c = rgb(interpolate(size === 1 ? 0 : i / (size - 1)));
    lut[i * 4] = c.r;
    lut[i * 4 + 1] = c.g;
    lut[i * 4 + 2] = c.b;
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

/**
 * RGBA pixels (row-major, 4 bytes each) of `values` on `scale` through `lut`; NaN cells are fully
 * transparent so the theme background shows through (no sample had that cell).
 */
export function paintRgba(values: ArrayLike<number>, scale: HeatmapScale, lut: Uint8ClampedArray, out?: Uint8ClampedArray<ArrayBuffer>): Uint8ClampedArray<ArrayBuffer> {
  const pixels = out ?? new Uint8ClampedArray(values.length * 4);
  const last = lut.length / 4 - 1;
  for (let i = 0; i < values.length; i++) {
    const t = scale.unit(values[i] ?? Number.NaN);
    const o = i * 4;
    if (Number.isNaN(t)) {
      pixels[o] = 0; pixels[o + 1] = 0; pixels[o + 2] = 0; pixels[o + 3] = 0;
      continue;
    }
    const l = Math.round(t * last) * 4;
    pixels[o] = lut[l] ?? 0;
    pixels[o + 1] = lut[l + 1] ?? 0;
    pixels[o + 2] = lut[l + 2] ?? 0;
    pixels[o + 3] = 255;
  }
  return pixels;
}

export interface LegendTick {
  readonly value: number;
  /** Position along the legend bar in [0, 1]. */
  readonly offset: number;
  readonly label: string;
}

/**
 * Nice tick values inside the scale's domain (about `count` of them; a diverging scale always has
 * its 0), with labels precise enough to tell neighbours apart.
 */
export function legendTicks(scale: HeatmapScale, count = 5): LegendTick[] {
  const [low, high] = scale.domain;
  if (!(high > low)) return [{ value: low, offset: scale.kind === 'diverging' ? 0.5 : 0, label: formatTick(low, 1) }];
  const linear = scaleLinear().domain([low, high]);
  const values = linear.ticks(count);
  if (scale.kind === 'diverging' && !values.includes(0)) values.push(0);
  values.sort((a, b) => a - b);
  const step = values.length > 1 ? Math.abs((values[1] ?? 0) - (values[0] ?? 0)) : high - low;
  return values.map((value) => ({ value, offset: scale.unit(value), label: formatTick(value, step) }));
}

/** A tick label with as many decimals as the tick step needs (no trailing float noise). */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const decimals = step > 0 ? Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9))) : 3;
  return String(Number(value.toFixed(decimals)));
}

/** Gradient stops for an SVG legend: `count` colours evenly over the scale. */
export function gradientStops(scale: HeatmapScale, count = 11): { offset: number; color: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const t = count === 1 ? 0 : i / (count - 1);
    return { offset: t, color: rgb(scale.interpolate(t)).formatHex() };
  });
}

/** Formats a probability-like value for tooltips and tables (NaN: "—"). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return '—';
  const a = Math.abs(value);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return value.toExponential(2);
  return value.toFixed(a < 0.1 ? 4 : 3);
}
