/**
 * Layout of reliability diagrams (small multiples): per panel, one point per non-empty
 * confidence bin at (mean confidence, mean correctness), area proportional to the bin's count,
 * and the diagonal of perfect calibration. Pure (no DOM).
 */
import type { CalibrationBin, GroupEntry } from '../../extension/protocol/groups';

export interface CalibrationSeries {
  readonly key: string;
  readonly label: string;
  readonly count: number;
  readonly ece: number;
  readonly small: boolean;
  readonly bins: readonly CalibrationBin[];
}

export interface CalibrationOptions {
  /** Side of the square plot area. */
  readonly size?: number;
  /** Largest point radius (the panel's fullest bin). */
  readonly maxRadius?: number;
  readonly margin?: { readonly top: number; readonly right: number; readonly bottom: number; readonly left: number };
}

export interface CalibrationPoint {
  readonly x: number;
  readonly y: number;
  readonly r: number;
  readonly bin: CalibrationBin;
}

export interface CalibrationPanel {
  readonly series: CalibrationSeries;
  readonly points: readonly CalibrationPoint[];
  /** Path of the bins in confidence order. */
  readonly line: readonly (readonly [number, number])[];
}

export interface CalibrationLayout {
  readonly width: number;
  readonly height: number;
  readonly plot: { readonly x: number; readonly y: number; readonly size: number };
  /** Same domain on both axes, so the diagonal is the identity. */
  readonly domain: readonly [number, number];
  readonly diagonal: { readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number };
  readonly ticks: readonly { readonly value: number; readonly position: number }[];
  readonly panels: readonly CalibrationPanel[];
}

/** Lowest tenth below every bin edge and mean correctness, so all panels share one domain. */
export function calibrationDomain(series: readonly CalibrationSeries[]): [number, number] {
  let lo = 1;
  for (const s of series) {
    for (const b of s.bins) lo = Math.min(lo, b.lo, b.meanCorrect, b.meanConfidence);
  }
  const floored = Math.floor(Math.max(0, lo) * 10 + 1e-9) / 10;
  return [Math.min(floored, 0.9), 1];
}

/** Lays every series out in its own panel (all panels the same size and domain). */
export function layoutCalibration(series: readonly CalibrationSeries[], options: CalibrationOptions = {}): CalibrationLayout {
  const size = options.size ?? 180;
  const maxRadius = options.maxRadius ?? 9;
  const margin = options.margin ?? { top: 8, right: 18, bottom: 30, left: 44 };
  const domain = calibrationDomain(series);
  const [lo, hi] = domain;
  const px = (v: number): number => margin.left + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * size;
  const py = (v: number): number => margin.top + size - ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * size;
  const panels = series.map((s): CalibrationPanel => {
    const maxCount = Math.max(1, ...s.bins.map((b) => b.count));
    const sorted = [...s.bins].sort((a, b) => a.meanConfidence - b.meanConfidence);
    const points = sorted.map((bin) => ({
      x: px(bin.meanConfidence),
      y: py(bin.meanCorrect),
      r: Math.max(1.5, maxRadius * Math.sqrt(bin.count / maxCount)),
      bin,
    }));
    return { series: s, points, line: points.map((p) => [p.x, p.y] as const) };
  });
  const step = hi - lo > 0.5 ? 0.2 : 0.1;
  const ticks: { value: number; position: number }[] = [];
  for (let v = lo; v <= hi + 1e-9; v += step) {
    const value = Number(v.toFixed(10));
    ticks.push({ value, position: (value - lo) / (hi - lo) * size });
  }
  return {
    width: margin.left + size + margin.right,
    height: margin.top + size + margin.bottom,
    plot: { x: margin.left, y: margin.top, size },
    domain,
    diagonal: { x1: px(lo), y1: py(lo), x2: px(hi), y2: py(hi) },
    ticks,
    panels,
  };
}

/**
 * Which groups get a reliability panel: the worst group first (when given), then the largest
 * groups by count up to `n` panels in all. Groups without calibration bins are skipped.
 */
export function pickCalibrationGroups(entries: readonly GroupEntry[], worst: GroupEntry | undefined, n: number): GroupEntry[] {
  const withBins = entries.filter((e) => (e.calibration?.length ?? 0) > 0);
  const picked: GroupEntry[] = [];
  if (worst && withBins.includes(worst)) picked.push(worst);
  const bySize = [...withBins].sort((a, b) => b.count - a.count);
  for (const e of bySize) {
    if (picked.length >= n) break;
    if (!picked.includes(e)) picked.push(e);
  }
  return picked;
}
