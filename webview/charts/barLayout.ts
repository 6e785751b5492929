/**
 * Layout of a horizontal bar chart, pure (no DOM): positions in SVG user units, testable in plain
 * Node. Rendering is a thin d3 layer over this (barChart.ts).
 */
export interface BarDatum {
  readonly label: string;
  readonly value: number;
  /** Optional secondary text at the bar's end (defaults to the value). */
  readonly note?: string;
}

export interface BarLayoutOptions {
  readonly width: number;
  readonly barHeight?: number;
  readonly gap?: number;
  /** Width reserved for labels on the left. */
  readonly labelWidth?: number;
  /** Width reserved for value notes on the right. */
  readonly noteWidth?: number;
}

export interface LaidOutBar extends BarDatum {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface BarLayout {
  readonly width: number;
  readonly height: number;
  readonly plotX: number;
  readonly plotWidth: number;
  readonly bars: readonly LaidOutBar[];
  readonly ticks: readonly { readonly value: number; readonly x: number }[];
}

/** "Nice" tick step for a maximum (1, 2 or 5 times a power of ten). */
export function niceStep(max: number, count = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const base = raw / power;
  return (base <= 1 ? 1 : base <= 2 ? 2 : base <= 5 ? 5 : 10) * power;
}

/** Lays bars out top to bottom in the given order, scaled linearly from 0 to the maximum value. */
export function layoutBars(data: readonly BarDatum[], options: BarLayoutOptions): BarLayout {
  const barHeight = options.barHeight ?? 16;
  const gap = options.gap ?? 4;
  const labelWidth = options.labelWidth ?? 140;
  const noteWidth = options.noteWidth ?? 56;
  const axisHeight = 18;
  const plotX = labelWidth;
  const plotWidth = Math.max(20, options.width - labelWidth - noteWidth);
  const max = Math.max(0, ...data.map((d) => (Number.isFinite(d.value) ? d.value : 0)));
  const step = niceStep(max);
  const domainMax = max > 0 ? Math.ceil(max / step) * step : 1;
  const scale = (v: number): number => (Math.max(0, v) / domainMax) * plotWidth;
  const bars = data.map((d, i): LaidOutBar => ({
    ...d,
    x: plotX,
    y: i * (barHeight + gap),
    width: Number.isFinite(d.value) ? scale(d.value) : 0,
    height: barHeight,
  }));
  const ticks: { value: number; x: number }[] = [];
  for (let v = 0; v <= domainMax + step / 2; v += step) ticks.push({ value: v, x: plotX + scale(v) });
  return { width: options.width, height: data.length * (barHeight + gap) + axisHeight, plotX, plotWidth, bars, ticks };
}
