/**
 * Small SVG charts next to the heatmaps, pure layout (no DOM): the per-head distribution of
 * normalised entropy as box plots, and a bias matrix's energy curve (FORMULAS.md §D).
 */

export interface EntropyBoxInput {
  readonly label: string;
  readonly p10: number;
  readonly p25: number;
  readonly p50: number;
  readonly p75: number;
  readonly p90: number;
  readonly mean: number;
}

export interface EntropyBox extends EntropyBoxInput {
  /** Centre line of the row. */
  readonly y: number;
  readonly x10: number;
  readonly x25: number;
  readonly x50: number;
  readonly x75: number;
  readonly x90: number;
  readonly xMean: number;
}

export interface EntropyBoxLayout {
  readonly width: number;
  readonly height: number;
  readonly plotX: number;
  readonly plotWidth: number;
  readonly rowHeight: number;
  readonly boxes: readonly EntropyBox[];
  readonly ticks: readonly { readonly value: number; readonly x: number }[];
}

/**
 * One row per head on a [0, 1] axis (normalised entropy: 0 = all mass on one key, 1 = uniform):
 * whiskers p10–p90, box p25–p75, median line, mean dot. Non-finite quantiles sit at the axis start.
 */
export function layoutEntropyBoxes(rows: readonly EntropyBoxInput[], options: { width: number; labelWidth?: number; rowHeight?: number }): EntropyBoxLayout {
  const labelWidth = options.labelWidth ?? 70;
  const rowHeight = options.rowHeight ?? 14;
  const plotX = labelWidth;
  const plotWidth = Math.max(40, options.width - labelWidth - 12);
  const x = (v: number): number => plotX + (Number.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0) * plotWidth;
  const boxes = rows.map((r, i): EntropyBox => ({
    ...r,
    y: i * rowHeight + rowHeight / 2,
    x10: x(r.p10),
    x25: x(r.p25),
    x50: x(r.p50),
    x75: x(r.p75),
    x90: x(r.p90),
    xMean: x(r.mean),
  }));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((value) => ({ value, x: x(value) }));
  return { width: options.width, height: rows.length * rowHeight + 20, plotX, plotWidth, rowHeight, boxes, ticks };
}

export interface EnergyCurveLayout {
  readonly width: number;
  readonly height: number;
  /** Points (R, energy) for R = 1…, in pixels. */
  readonly points: readonly { readonly x: number; readonly y: number; readonly rank: number; readonly energy: number }[];
  /** y of the 0.995 threshold line. */
  readonly thresholdY: number;
  /** The point of the effective rank (undefined when the rank is outside the curve). */
  readonly rankPoint?: { readonly x: number; readonly y: number };
  readonly plot: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
}

/** Energy curve: x = R (1 … energy.length), y = energy(R) on [0, 1]. */
export function layoutEnergyCurve(energy: readonly number[], rank: number, options: { width: number; height: number; threshold?: number }): EnergyCurveLayout {
  const left = 26;
  const bottom = 14;
  const top = 4;
  const right = 6;
  const plot = { x: left, y: top, width: Math.max(10, options.width - left - right), height: Math.max(10, options.height - top - bottom) };
  const n = energy.length;
  const xAt = (r: number): number => plot.x + (n <= 1 ? plot.width / 2 : ((r - 1) / (n - 1)) * plot.width);
  const yAt = (e: number): number => plot.y + (1 - (Number.isFinite(e) ? Math.max(0, Math.min(1, e)) : 0)) * plot.height;
  const points = energy.map((e, i) => ({ x: xAt(i + 1), y: yAt(e), rank: i + 1, energy: e }));
  const rankEnergy = energy[rank - 1];
  return {
    width: options.width,
    height: options.height,
    points,
    thresholdY: yAt(options.threshold ?? 0.995),
    ...(rank >= 1 && rankEnergy !== undefined ? { rankPoint: { x: xAt(rank), y: yAt(rankEnergy) } } : {}),
    plot,
  };
}
