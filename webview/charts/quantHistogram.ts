/**
 * Layout of a tensor's value histogram with a format's representable grid overlaid, pure (no
 * DOM): SVG user units, testable in plain Node; quantCharts.ts draws it with d3.
 *
 * The histogram's bins cover [min, max] = [−amax, amax] in equal steps (QuantHistogram). Grid
 * values inside that range are drawn as full-height lines when they are at least `minGridGap`
 * pixels apart, else as a rug of short ticks under the axis (an int8 grid has 255 levels: as
 * lines they would paint the plot solid).
 */
import type { QuantHistogram } from '../../extension/protocol/quant';
import { niceStep } from './barLayout';

export interface HistogramLayoutOptions {
  readonly width: number;
  readonly height: number;
  /** Counts on a log scale (log10(1 + count)): shows the thin tails where outliers live. */
  readonly logCounts?: boolean;
  /** Outlier threshold k·RMS: dashed lines at ±threshold when inside the range. */
  readonly threshold?: number;
  /** Smallest pixel gap between grid lines drawn full height (default 4). */
  readonly minGridGap?: number;
}

export interface HistogramBar {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly count: number;
  readonly lo: number;
  readonly hi: number;
}

export interface HistogramLayout {
  readonly width: number;
  readonly height: number;
  readonly plot: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly bars: readonly HistogramBar[];
  /** x positions of the grid values inside [min, max]. */
  readonly grid: readonly { readonly x: number; readonly value: number }[];
  /** Grid drawn as full-height lines (true) or as a rug under the axis (false). */
  readonly gridAsLines: boolean;
  readonly xTicks: readonly { readonly x: number; readonly value: number }[];
  readonly yTicks: readonly { readonly y: number; readonly value: number }[];
  readonly thresholds: readonly { readonly x: number; readonly value: number }[];
  readonly maxCount: number;
  readonly total: number;
}

/** Room on top for the chart's title line. */
const MARGIN = { left: 48, right: 12, top: 28, bottom: 40 };

/** Lays out the histogram; a zero-width range (all values 0) gives one bar at 0. */
export function layoutHistogram(histogram: QuantHistogram, grid: readonly number[] | null, options: HistogramLayoutOptions): HistogramLayout {
  const plot = { x: MARGIN.left, y: MARGIN.top, width: Math.max(40, options.width - MARGIN.left - MARGIN.right), height: Math.max(30, options.height - MARGIN.top - MARGIN.bottom) };
  const counts = histogram.counts;
  const bins = Math.max(1, counts.length);
  const span = histogram.max - histogram.min;
  const lo = span > 0 ? histogram.min : histogram.min - 1;
  const hi = span > 0 ? histogram.max : histogram.max + 1;
  const xOf = (v: number): number => plot.x + ((v - lo) / (hi - lo)) * plot.width;
  const maxCount = counts.reduce((m, c) => Math.max(m, c), 0);
  const total = counts.reduce((s, c) => s + c, 0);
  const transform = options.logCounts ? (c: number): number => Math.log10(1 + c) : (c: number): number => c;
  const top = transform(maxCount) || 1;
  const yOf = (c: number): number => plot.y + plot.height - (transform(c) / top) * plot.height;
  const step = span > 0 ? span / bins : 0;
  const bars: HistogramBar[] = counts.map((count, i) => {
    const binLo = span > 0 ? histogram.min + i * step : histogram.min;
    const binHi = span > 0 ? (i === bins - 1 ? histogram.max : histogram.min + (i + 1) * step) : histogram.max;
    const x0 = span > 0 ? xOf(binLo) : xOf(binLo) - plot.width / (2 * bins);
    const x1 = span > 0 ? xOf(binHi) : xOf(binLo) + plot.width / (2 * bins);
    const y = yOf(count);
    return { x: x0, y, width: Math.max(0, x1 - x0), height: plot.y + plot.height - y, count, lo: binLo, hi: binHi };
  });
  const inside = (grid ?? []).filter((v) => v >= lo && v <= hi && Number.isFinite(v));
  const gridPoints = inside.map((value) => ({ x: xOf(value), value }));
  let minGap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < gridPoints.length; i++) minGap = Math.min(minGap, (gridPoints[i]?.x ?? 0) - (gridPoints[i - 1]?.x ?? 0));
  const xStep = niceStep(Math.max(Math.abs(lo), Math.abs(hi)), 3);
  const xTicks: { x: number; value: number }[] = [];
  for (let v = Math.ceil(lo / xStep) * xStep; v <= hi + xStep * 1e-9; v += xStep) xTicks.push({ x: xOf(v), value: Math.abs(v) < xStep * 1e-9 ? 0 : v });
  const yTicks = options.logCounts
    ? [0, 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000].filter((c) => c <= maxCount).map((value) => ({ y: yOf(value), value }))
    : (() => {
      const s = niceStep(maxCount, 3);
      const out: { y: number; value: number }[] = [];
      for (let v = 0; v <= maxCount; v += s) out.push({ y: yOf(v), value: v });
      return out;
    })();
  const t = options.threshold;
  const thresholds = t !== undefined && Number.isFinite(t) && t > 0 ? [-t, t].filter((v) => v >= lo && v <= hi).map((value) => ({ x: xOf(value), value })) : [];
  return {
    width: options.width,
    height: options.height,
    plot,
    bars,
    grid: gridPoints,
    gridAsLines: gridPoints.length <= 1 || minGap >= (options.minGridGap ?? 4),
    xTicks,
    yTicks,
    thresholds,
    maxCount,
    total,
  };
}
