/**
 * Layout of the per-group bar chart with interval whiskers: one row per group, WORST FIRST for
 * the metric, bars from 0, an overall reference line. Pure (no DOM), positions in SVG units.
 */
import type { Interval } from '../../extension/protocol/groups';
import { metricInfo, worstFirst } from './groupMetrics';
import { niceStep } from './barLayout';

export interface WhiskerDatum {
  /** Stable identity of the row (e.g. the group label). */
  readonly key: string;
  readonly label: string;
  readonly value: number;
  readonly interval?: Interval;
  readonly count: number;
  /** count < minGroupSize: drawn hatched with a "small" mark, never dropped. */
  readonly small: boolean;
  /** Text after the value (sample size, positives…). */
  readonly note: string;
}

export interface WhiskerOptions {
  readonly metric: string;
  readonly width: number;
  /** Overall value of the metric (reference line); NaN draws none. */
  readonly overall: number;
  readonly rowHeight?: number;
  readonly gap?: number;
  readonly labelWidth?: number;
  readonly noteWidth?: number;
}

export interface WhiskerRow extends WhiskerDatum {
  readonly rank: number;
  readonly y: number;
  readonly height: number;
  /** Bar from x0 to x1 (x0 is the zero line; x1 < x0 for negative values). */
  readonly x0: number;
  readonly x1: number;
  /** Whisker end points, when the datum has a finite interval. */
  readonly whisker?: { readonly lo: number; readonly hi: number };
  /** The value is NaN: no bar, the note says n/a. */
  readonly missing: boolean;
  /**
   * 'worse' / 'better' when the group's whole interval lies on that side of overall (a gap the
   * bootstrap supports); 'unclear' otherwise, and always without an interval.
   */
  readonly versusOverall: 'worse' | 'better' | 'unclear';
}

export interface WhiskerLayout {
  readonly width: number;
  readonly height: number;
  readonly plotX: number;
  readonly plotWidth: number;
  readonly domain: readonly [number, number];
  readonly rows: readonly WhiskerRow[];
  readonly overallX: number | null;
  readonly ticks: readonly { readonly value: number; readonly x: number }[];
  /** y of the axis line under the rows. */
  readonly axisY: number;
}

const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

/** Domain [lo, hi] covering 0, every value, interval end and the overall, nicely rounded; rates stay within [0, 1]. */
export function whiskerDomain(data: readonly WhiskerDatum[], overall: number, rate: boolean): [number, number] {
  const values = [0, ...data.flatMap((d) => [d.value, ...(d.interval ?? [])]), overall].filter(finite);
  const max = Math.max(...values);
  const min = Math.min(...values);
  const step = niceStep(Math.max(max - min, Number.MIN_VALUE), 5);
  let hi = max > 0 ? Math.ceil(max / step) * step : min < 0 ? 0 : 1;
  let lo = min < 0 ? Math.floor(min / step) * step : 0;
  if (rate) {
    hi = Math.min(1, hi);
    lo = Math.max(-1, lo);
    if (hi <= lo) hi = 1;
  }
  return [lo, hi];
}

/** Lays the rows out worst first (see `worstFirst`). */
export function layoutWhiskers(data: readonly WhiskerDatum[], options: WhiskerOptions): WhiskerLayout {
  const rowHeight = options.rowHeight ?? 18;
  const gap = options.gap ?? 6;
  const labelWidth = options.labelWidth ?? 180;
  const noteWidth = options.noteWidth ?? 230;
  const plotX = labelWidth;
  const plotWidth = Math.max(40, options.width - labelWidth - noteWidth);
  const domain = whiskerDomain(data, options.overall, metricInfo(options.metric).rate);
  const [lo, hi] = domain;
  const scale = (v: number): number => plotX + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * plotWidth;
  const zero = scale(0);
  const higherBetter = metricInfo(options.metric).direction === 'higher-better';
  const versus = (interval: Interval | undefined): WhiskerRow['versusOverall'] => {
    if (!interval || !Number.isFinite(options.overall)) return 'unclear';
    const below = Math.max(interval[0], interval[1]) < options.overall;
    const above = Math.min(interval[0], interval[1]) > options.overall;
    if (!below && !above) return 'unclear';
    return below === higherBetter ? 'worse' : 'better';
  };
  const ordered = worstFirst(data, options.metric, (d) => d.value, (d) => [d.count, d.label]);
  const rows = ordered.map((d, i): WhiskerRow => {
    const missing = !Number.isFinite(d.value);
    const interval = d.interval && finite(d.interval[0]) && finite(d.interval[1]) ? d.interval : undefined;
    return {
      ...d,
      rank: i,
      y: i * (rowHeight + gap),
      height: rowHeight,
      x0: zero,
      x1: missing ? zero : scale(d.value),
      ...(interval ? { whisker: { lo: scale(Math.min(interval[0], interval[1])), hi: scale(Math.max(interval[0], interval[1])) } } : {}),
      missing,
      versusOverall: missing ? 'unclear' : versus(interval),
    };
  });
  const step = niceStep(hi - lo, 5);
  const ticks: { value: number; x: number }[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) {
    const value = Number((k * step).toPrecision(12));
    ticks.push({ value, x: scale(value) });
  }
  const axisY = rows.length * (rowHeight + gap);
  return {
    width: options.width,
    height: axisY + 22,
    plotX,
    plotWidth,
    domain,
    rows,
    overallX: Number.isFinite(options.overall) ? scale(options.overall) : null,
    ticks,
    axisY,
  };
}
