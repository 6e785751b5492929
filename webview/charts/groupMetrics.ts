/**
 * What the groups view knows about each scalar metric of a groups report: which tasks have it,
 * which direction is worse, whether it is a rate (shown in percent, gaps in points) and its
 * one-line definition (FORMULAS.md §B). Pure: no DOM, testable in plain Node.
 */
import type { GroupKey, Interval, MetricsTask, MetricValues } from '../../extension/protocol/groups';

export type Direction = 'higher-better' | 'lower-better';

export interface MetricInfo {
  readonly name: string;
  /** Short label for selectors and axes. */
  readonly label: string;
  /** Label inside a sentence ("accuracy for sex=F is …"). */
  readonly noun: string;
  readonly direction: Direction;
  /** Rates are fractions in [0, 1]: shown as percent, gaps in percentage points. */
  readonly rate: boolean;
  /** One-line definition shown on hover. */
  readonly definition: string;
  /** The count a 0/0 rate would hide ('positives' for TPR/FNR, 'negatives' for FPR/TNR). */
  readonly denominator?: 'positives' | 'negatives';
}

const ZERO_NOTE = 'a group with none counts as 0, as Fairlearn does';

const CATALOG: Readonly<Record<string, MetricInfo>> = {
  loss: { name: 'loss', label: 'loss', noun: 'mean loss', direction: 'lower-better', rate: false, definition: "Mean per-sample loss (the spec's loss function) over the group's rows." },
  accuracy: { name: 'accuracy', label: 'accuracy', noun: 'accuracy', direction: 'higher-better', rate: true, definition: 'Share of rows whose predicted class equals the label.' },
  error_rate: { name: 'error_rate', label: 'error rate', noun: 'error rate', direction: 'lower-better', rate: true, definition: 'Share of rows whose predicted class differs from the label (1 − accuracy).' },
  selection_rate: { name: 'selection_rate', label: 'selection rate', noun: 'selection rate', direction: 'higher-better', rate: true, definition: 'Share of rows predicted positive (P(positive) > 0.5).' },
  tpr: { name: 'tpr', label: 'TPR', noun: 'TPR', direction: 'higher-better', rate: true, denominator: 'positives', definition: `True positive rate (recall): share of actual positives predicted positive; ${ZERO_NOTE}.` },
  fpr: { name: 'fpr', label: 'FPR', noun: 'FPR', direction: 'lower-better', rate: true, denominator: 'negatives', definition: `False positive rate: share of actual negatives predicted positive; ${ZERO_NOTE}.` },
  fnr: { name: 'fnr', label: 'FNR', noun: 'FNR', direction: 'lower-better', rate: true, denominator: 'positives', definition: `False negative rate: share of actual positives predicted negative; ${ZERO_NOTE}.` },
  tnr: { name: 'tnr', label: 'TNR', noun: 'TNR', direction: 'higher-better', rate: true, denominator: 'negatives', definition: `True negative rate: share of actual negatives predicted negative; ${ZERO_NOTE}.` },
  precision: { name: 'precision', label: 'precision', noun: 'precision', direction: 'higher-better', rate: true, definition: 'Share of rows predicted positive that are actual positives; 0 when nothing is predicted positive.' },
  brier: { name: 'brier', label: 'Brier score', noun: 'Brier score', direction: 'lower-better', rate: false, definition: 'Mean squared difference between the predicted probabilities and the one-hot label.' },
  ece: { name: 'ece', label: 'ECE', noun: 'ECE', direction: 'lower-better', rate: true, definition: 'Expected calibration error: size-weighted mean |confidence − accuracy| over 15 equal-width confidence bins.' },
  macro_f1: { name: 'macro_f1', label: 'macro-F1', noun: 'macro-F1', direction: 'higher-better', rate: true, definition: 'Unweighted mean over classes of each class F1 score.' },
  mse: { name: 'mse', label: 'MSE', noun: 'MSE', direction: 'lower-better', rate: false, definition: 'Mean squared error between prediction and target.' },
  meanScore: { name: 'meanScore', label: 'mean score', noun: 'mean yes/no skew', direction: 'higher-better', rate: false, definition: 'Mean probe score over the group\'s prompts: the yes/no skew s = logP(yes set) − logP(no set), or the log-probability the probe names (FORMULAS.md §H).' },
  mae: { name: 'mae', label: 'MAE', noun: 'MAE', direction: 'lower-better', rate: false, definition: 'Mean absolute error between prediction and target.' },
};

const BY_TASK: Readonly<Record<MetricsTask, readonly string[]>> = {
  binary: ['loss', 'accuracy', 'error_rate', 'selection_rate', 'tpr', 'fpr', 'fnr', 'precision', 'brier', 'ece'],
  multiclass: ['loss', 'accuracy', 'macro_f1', 'brier', 'ece'],
  regression: ['loss', 'mse', 'mae'],
};

const HEADLINE: Readonly<Record<MetricsTask, readonly string[]>> = {
  binary: ['accuracy', 'selection_rate', 'tpr', 'fpr'],
  multiclass: ['accuracy', 'macro_f1'],
  regression: ['loss', 'mse'],
};

/** The scalar metrics the view offers for a task, in selector order. */
export function scalarMetrics(task: MetricsTask): readonly string[] {
  return BY_TASK[task];
}

/** The metrics that get a disparity card. */
export function headlineMetrics(task: MetricsTask): readonly string[] {
  return HEADLINE[task];
}

/** The metric the view opens on and the headline sentence uses. */
export function primaryMetric(task: MetricsTask): string {
  return task === 'regression' ? 'loss' : 'accuracy';
}

/** Metadata of a metric; unknown names get a neutral lower-better entry (never thrown). */
export function metricInfo(name: string): MetricInfo {
  return CATALOG[name] ?? { name, label: name, noun: name, direction: 'lower-better', rate: false, definition: name };
}

/** A scalar metric of a group or of overall (NaN when absent). */
export function metricOf(values: MetricValues, name: string): number {
  const v = (values as unknown as Readonly<Record<string, unknown>>)[name];
  return typeof v === 'number' ? v : Number.NaN;
}

/** "sex=F, race=B", in the order of the sensitive columns. */
export function groupLabel(group: GroupKey, sensitive: readonly string[] = []): string {
  const keys = [...sensitive.filter((k) => k in group), ...Object.keys(group).filter((k) => !sensitive.includes(k))];
  return keys.map((k) => `${k}=${group[k] ?? ''}`).join(', ');
}

/** Whether two group keys name the same group. */
export function sameGroup(a: GroupKey, b: GroupKey): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Number with about three significant digits, no exponent for everyday magnitudes. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const a = Math.abs(value);
  if (a === 0) return '0';
  if (a >= 1000) return Math.round(value).toLocaleString('en-US');
  if (a >= 100) return value.toFixed(1);
  if (a >= 0.001) return Number(value.toPrecision(3)).toString();
  return value.toExponential(2);
}

/** A metric value for display: rates in percent with one decimal, others with ~3 digits. */
export function formatMetric(name: string, value: number): string {
  if (!Number.isFinite(value)) return formatNumber(value);
  return metricInfo(name).rate ? `${(value * 100).toFixed(1)}%` : formatNumber(value);
}

/**
 * The separator between an interval's bounds: an en dash ("1.04–1.38"), or " to " when a bound is
 * negative, where a dash next to a minus sign misreads ("-1.84 to -1.2", not "-1.84–-1.2").
 */
export function rangeSeparator(lo: number, hi: number): string {
  return lo < 0 || hi < 0 ? ' to ' : '–';
}

/** An interval in the metric's unit: "65.4–72.8%", "1.04–1.38" or "-0.725 to -0.344". */
export function formatInterval(name: string, interval: Interval): string {
  const [lo, hi] = interval;
  if (metricInfo(name).rate && Number.isFinite(lo) && Number.isFinite(hi)) return `${(lo * 100).toFixed(1)}${rangeSeparator(lo, hi)}${(hi * 100).toFixed(1)}%`;
  return `${formatNumber(lo)}${rangeSeparator(lo, hi)}${formatNumber(hi)}`;
}

/**
 * Order of entries worst first for a metric: highest first when lower is better (loss, error
 * rates), lowest first otherwise; NaN last; ties by larger count, then by label.
 */
export function worstFirst<T>(entries: readonly T[], metric: string, value: (e: T) => number, tie: (e: T) => [count: number, label: string]): T[] {
  const sign = metricInfo(metric).direction === 'higher-better' ? 1 : -1;
  return [...entries].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    const na = Number.isNaN(va);
    const nb = Number.isNaN(vb);
    if (na !== nb) return na ? 1 : -1;
    if (!na && va !== vb) return sign * (va < vb ? -1 : 1);
    const [ca, la] = tie(a);
    const [cb, lb] = tie(b);
    return cb - ca || (la < lb ? -1 : la > lb ? 1 : 0);
  });
}

/**
 * The sample size behind a group's value of a metric: "n=589", plus the positives (TPR, FNR) or
 * negatives (FPR, TNR) the rate is taken over, flagged when there are none (0/0 shown as 0).
 */
export function sampleNote(values: MetricValues, metric: string): string {
  const n = `n=${values.count.toLocaleString('en-US')}`;
  const denominator = metricInfo(metric).denominator;
  if (!denominator) return n;
  const d = values[denominator];
  if (d === undefined) return n;
  return d === 0 ? `${n}, ${denominator}=0 (0/0 shown as 0)` : `${n}, ${denominator}=${d.toLocaleString('en-US')}`;
}

const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };
/** Keys whose values are user data or names, never numbers written as strings. */
const TEXT_KEYS = new Set(['group', 'worstGroup', 'sensitive', 'column', 'path', 'spec', 'schema', 'kind', 'createdAt', 'task', 'method', 'requested', 'used', 'fallbackReason', 'ortVersion', 'skipReasons']);

/**
 * Report JSON writes NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity" (JSON has no
 * number for them). Returns a copy with those strings turned back into numbers, leaving group
 * values and names alone (a group may really be called "NaN").
 */
export function reviveNumbers<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v in NON_FINITE ? NON_FINITE[v] : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, TEXT_KEYS.has(k) ? x : walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
