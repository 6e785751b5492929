/**
 * Layout of the feature-diversity chart (Bias Loss): per group a box of the normalised variance
 * v̂ (whiskers at the 10th and 90th percentile, box at the quartiles, median line) with the
 * low-diversity threshold τ as a vertical line. Pure (no DOM).
 */
import type { DiversityStats } from '../../extension/protocol/groups';
import { niceStep } from './barLayout';

export interface DiversityRowInput {
  readonly key: string;
  readonly label: string;
  readonly stats: DiversityStats;
}

export interface DiversityRow extends DiversityRowInput {
  readonly y: number;
  readonly height: number;
  /** x of the 10th, 25th, 50th, 75th and 90th percentile. */
  readonly q: readonly [number, number, number, number, number];
  /** x of the mean. */
  readonly mean: number;
}

export interface DiversityLayout {
  readonly width: number;
  readonly height: number;
  readonly plotX: number;
  readonly plotWidth: number;
  readonly domain: readonly [number, number];
  readonly tauX: number;
  readonly rows: readonly DiversityRow[];
  readonly ticks: readonly { readonly value: number; readonly x: number }[];
  readonly axisY: number;
}

export interface DiversityOptions {
  readonly width: number;
  readonly tau: number;
  readonly rowHeight?: number;
  readonly gap?: number;
  readonly labelWidth?: number;
  readonly noteWidth?: number;
}

/** Rows in the given order (the caller sorts: e.g. highest low-diversity share first). */
export function layoutDiversity(rows: readonly DiversityRowInput[], options: DiversityOptions): DiversityLayout {
  const rowHeight = options.rowHeight ?? 18;
  const gap = options.gap ?? 8;
  const labelWidth = options.labelWidth ?? 180;
  const noteWidth = options.noteWidth ?? 280;
  const plotX = labelWidth;
  const plotWidth = Math.max(40, options.width - labelWidth - noteWidth);
  const top = Math.max(options.tau, ...rows.flatMap((r) => [...r.stats.quantiles, r.stats.meanVHat]).filter(Number.isFinite));
  const step = niceStep(Math.max(top, 1e-9), 5);
  const hi = Math.min(1, Math.ceil(top / step) * step) || 1;
  const domain: [number, number] = [0, hi];
  const scale = (v: number): number => plotX + (Math.min(hi, Math.max(0, Number.isFinite(v) ? v : 0)) / hi) * plotWidth;
  const laid = rows.map((r, i): DiversityRow => {
    const [q10 = 0, q25 = 0, q50 = 0, q75 = 0, q90 = 0] = r.stats.quantiles;
    return { ...r, y: i * (rowHeight + gap), height: rowHeight, q: [scale(q10), scale(q25), scale(q50), scale(q75), scale(q90)], mean: scale(r.stats.meanVHat) };
  });
  const tickStep = niceStep(hi, 5);
  const ticks: { value: number; x: number }[] = [];
  for (let k = 0; k * tickStep <= hi + tickStep * 1e-9; k++) {
    const value = Number((k * tickStep).toPrecision(12));
    ticks.push({ value, x: scale(value) });
  }
  const axisY = rows.length * (rowHeight + gap);
  return { width: options.width, height: axisY + 22, plotX, plotWidth, domain, tauX: scale(options.tau), rows: laid, ticks, axisY };
}
