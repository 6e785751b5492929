/**
 * The quantization view's data, pure (no DOM): report numbers revived, the tensor × format matrix
 * of one error metric, its sort orders, colour values and plain-words summaries. Definitions
 * follow FORMULAS.md §C (error metrics, float64, over a tensor's finite values).
 */
import type { QuantFormatId, QuantFormatSummary, QuantizationSection, QuantTensorError, QuantTensorInfo } from '../../extension/protocol/quant';

/** The five per-tensor error metrics of FORMULAS.md §C. */
export type QuantMetric = 'sqnr_db' | 'rel_fro' | 'max_abs' | 'cosine' | 'mse';

export const QUANT_METRICS: readonly QuantMetric[] = ['sqnr_db', 'rel_fro', 'max_abs', 'cosine', 'mse'];

export interface QuantMetricInfo {
  readonly id: QuantMetric;
  readonly label: string;
  readonly definition: string;
  /** Larger values mean less error (SQNR, cosine). */
  readonly higherBetter: boolean;
  /** What the heatmap colours: the value itself, log₁₀ of it, or log₁₀(1 − value). */
  readonly colour: 'linear' | 'log10' | 'log10-complement';
  /** Name of the coloured quantity, for the legend. */
  readonly colourLabel: string;
}

const METRICS: Readonly<Record<QuantMetric, QuantMetricInfo>> = {
  sqnr_db: { id: 'sqnr_db', label: 'SQNR (dB)', definition: 'SQNR = 10·log10(Σx² / Σe²), e = x̂ − x; +∞ when the format is exact on the tensor. Higher is better; every 6.02 dB halves the error.', higherBetter: true, colour: 'linear', colourLabel: 'SQNR dB' },
  rel_fro: { id: 'rel_fro', label: 'relative Frobenius error', definition: 'rel_fro = ‖e‖ / ‖x‖ (= 10^(−SQNR/20)). Lower is better.', higherBetter: false, colour: 'log10', colourLabel: 'rel_fro (log scale)' },
  max_abs: { id: 'max_abs', label: 'max |error|', definition: 'max_abs = max |x̂ − x| over the tensor, in the weights’ units. Lower is better.', higherBetter: false, colour: 'log10', colourLabel: 'max |error| (log scale)' },
  cosine: { id: 'cosine', label: 'cosine similarity', definition: 'cosine = ⟨x, x̂⟩ / (‖x‖·‖x̂‖); NaN when a norm is 0. Higher is better; coloured by 1 − cosine on a log scale.', higherBetter: true, colour: 'log10-complement', colourLabel: '1 − cosine (log scale)' },
  mse: { id: 'mse', label: 'MSE', definition: 'MSE = mean((x̂ − x)²) over the tensor’s finite values. Lower is better.', higherBetter: false, colour: 'log10', colourLabel: 'MSE (log scale)' },
};

export function quantMetricInfo(metric: QuantMetric): QuantMetricInfo {
  return METRICS[metric];
}

export function isQuantMetric(value: string): value is QuantMetric {
  return (QUANT_METRICS as readonly string[]).includes(value);
}

/** A value of an error record by metric name. */
export function metricValue(error: QuantTensorError, metric: QuantMetric): number {
  return error[metric];
}

const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };
/** Keys whose values are names or user data, never numbers written as strings. */
const TEXT_KEYS = new Set(['name', 'format', 'formats', 'worstTensor', 'group', 'groups', 'sensitive', 'worstGroup', 'node', 'nodes', 'nodesToExclude', 'op', 'dtype', 'source', 'graphPath', 'via', 'code', 'reason', 'path', 'schema', 'kind', 'createdAt', 'sha256', 'spec', 'label', 'tensor', 'keepTensors', 'column', 'float', 'quantized', 'style', 'used', 'requested', 'fallbackReason', 'ortVersion']);

/**
 * Report JSON writes NaN and ±Infinity as "NaN", "Infinity", "-Infinity". Returns a copy with
 * those strings turned back into numbers; names and group values are left alone (a tensor or a
 * group value may really be called "NaN").
 */
export function reviveQuantNumbers<T>(value: T): T {
  const walk = (v: unknown, text: boolean): unknown => {
    if (typeof v === 'string') return !text && v in NON_FINITE ? NON_FINITE[v] : v;
    if (Array.isArray(v)) return v.map((x) => walk(x, text));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, text || TEXT_KEYS.has(k))]));
    return v;
  };
  return walk(value, false) as T;
}

/** The tensor × format matrix of a section: every error record by (tensor, format). */
export interface ErrorMatrix {
  readonly tensors: readonly QuantTensorInfo[];
  readonly formats: readonly QuantFormatId[];
  /** The record of tensor `t` (tensorInfo index) in format `f` (formats index), if the report has it. */
  cell(t: number, f: number): QuantTensorError | undefined;
}

export function errorMatrix(section: Pick<QuantizationSection, 'tensors' | 'tensorInfo' | 'formats'>): ErrorMatrix {
  const byKey = new Map<string, QuantTensorError>();
  for (const e of section.tensors) byKey.set(`${e.format}\u0000${e.name}`, e);
  const { tensorInfo: tensors, formats } = section;
  return {
    tensors,
    formats,
    cell: (t, f) => {
      const info = tensors[t];
      const format = formats[f];
      return info && format ? byKey.get(`${format}\u0000${info.name}`) : undefined;
    },
  };
}

export type TensorOrder = 'graph' | 'size' | 'error';

/**
 * Row order of the heatmap, as indices into `tensors`: graph order (graphIndex, then name), size
 * (most elements first) or error in `format` on `metric` (worst first; NaN last). Ties fall back
 * to graph order, so every order is total and stable.
 */
export function sortTensors(matrix: ErrorMatrix, order: TensorOrder, metric: QuantMetric, format: number): number[] {
  const graph = (a: number, b: number): number => {
    const ta = matrix.tensors[a];
    const tb = matrix.tensors[b];
    if (!ta || !tb) return a - b;
    return ta.graphIndex - tb.graphIndex || (ta.name < tb.name ? -1 : ta.name > tb.name ? 1 : a - b);
  };
  const indices = matrix.tensors.map((_, i) => i);
  if (order === 'graph') return indices.sort(graph);
  if (order === 'size') return indices.sort((a, b) => (matrix.tensors[b]?.elements ?? 0) - (matrix.tensors[a]?.elements ?? 0) || graph(a, b));
  const badness = (t: number): number => {
    const e = matrix.cell(t, format);
    if (!e) return Number.NaN;
    const v = metricValue(e, metric);
    return METRICS[metric].higherBetter ? -v : v;
  };
  return indices.sort((a, b) => {
    const va = badness(a);
    const vb = badness(b);
    const na = Number.isNaN(va);
    const nb = Number.isNaN(vb);
    if (na !== nb) return na ? 1 : -1;
    if (!na && va !== vb) return vb - va;
    return graph(a, b);
  });
}

/** Whether a record says the format is exact on the tensor (zero error: SQNR +∞). */
export function isExact(error: QuantTensorError): boolean {
  return error.sqnr_db === Number.POSITIVE_INFINITY || (error.mse === 0 && error.max_abs === 0);
}

/**
 * The number the heatmap colours for a metric value: the value (SQNR), log₁₀ of it (mse, rel_fro,
 * max_abs) or log₁₀(1 − cosine). An exact cell gives ±Infinity on its best side; NaN stays NaN.
 */
export function colourValue(value: number, metric: QuantMetric): number {
  if (Number.isNaN(value)) return Number.NaN;
  switch (METRICS[metric].colour) {
    case 'linear': return value;
    case 'log10': return value <= 0 ? Number.NEGATIVE_INFINITY : Math.log10(value);
    case 'log10-complement': return 1 - value <= 0 ? Number.NEGATIVE_INFINITY : Math.log10(1 - value);
  }
}

/** Whether a larger colour value means MORE error (so that the bright end is always the worse end). */
export function colourRisesWithError(metric: QuantMetric): boolean {
  return METRICS[metric].colour !== 'linear';
}

/**
 * Colour values of the matrix in row order `rows` (row-major rows × formats), and the finite
 * range over them ([0, 0] when none is finite).
 */
export function colourGrid(matrix: ErrorMatrix, rows: readonly number[], metric: QuantMetric): { values: Float64Array; min: number; max: number } {
  const cols = matrix.formats.length;
  const values = new Float64Array(rows.length * cols);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  rows.forEach((t, r) => {
    for (let f = 0; f < cols; f++) {
      const e = matrix.cell(t, f);
      const v = e ? colourValue(metricValue(e, metric), metric) : Number.NaN;
      values[r * cols + f] = v;
      if (Number.isFinite(v)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  });
  return Number.isFinite(min) ? { values, min, max } : { values, min: 0, max: 0 };
}

/** A legend tick label of a colour value: log-scale metrics show 10^v in the metric's units. */
export function colourTickLabel(value: number, metric: QuantMetric, linearLabel: string): string {
  if (METRICS[metric].colour === 'linear') return linearLabel;
  return formatQuantNumber(10 ** value);
}

/** A number as shown in tables and tooltips: +∞ and NaN in words, 4 significant digits otherwise. */
export function formatQuantNumber(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (value === Number.POSITIVE_INFINITY) return '+∞';
  if (value === Number.NEGATIVE_INFINITY) return '−∞';
  if (value === 0) return '0';
  const a = Math.abs(value);
  if (a < 1e-3 || a >= 1e5) return value.toExponential(2).replace(/-/g, '−');
  return String(Number(value.toPrecision(4))).replace(/-/g, '−');
}

/** A metric value with its unit where it has one: "45.47 dB", "+∞ dB (exact)", "n/a". */
export function formatMetric(metric: QuantMetric, value: number): string {
  if (metric === 'sqnr_db') {
    if (value === Number.POSITIVE_INFINITY) return '+∞ dB (exact)';
    if (Number.isNaN(value)) return 'n/a';
    return `${value.toFixed(2)} dB`;
  }
  // Cosines of fine formats differ in the 5th+ decimal: show them as 1 − (a small number).
  if (metric === 'cosine' && Number.isFinite(value)) return value >= 0.9999 && value < 1 ? `1 − ${formatQuantNumber(1 - value)}` : String(Number(value.toFixed(6)));
  return formatQuantNumber(value);
}

/** The five numbers of a record, one "label value" pair each, SQNR first. */
export function describeError(error: QuantTensorError): string[] {
  return QUANT_METRICS.map((m) => `${m} ${formatMetric(m, metricValue(error, m))}`);
}

/** A tensor's facts for tooltips: shape, dtype, consumer op and the axes the formats used. */
export function describeTensor(info: QuantTensorInfo): string {
  const shape = `[${info.shape.join(', ')}]`;
  const consumer = info.op ? `${info.op}${info.node ? ` ${info.node}` : ''} (input ${info.inputIndex})${info.via.length > 0 ? ` via ${info.via.join(' → ')}` : ''}` : 'no consumer';
  const channel = info.channelAxis === null ? 'per-tensor' : `axis ${info.channelAxis}`;
  const block = `axis ${info.blockAxis}${info.blockFlattenTrailing ? ' (trailing axes flattened)' : ''}`;
  return `${shape} ${info.dtype}, ${info.elements.toLocaleString('en-US')} values · ${consumer} · channel ${channel} · blocks ${block}`;
}

const FORMAT_WORDS: Readonly<Record<QuantFormatId, string>> = {
  int8: 'INT8 symmetric, per channel',
  int4: 'INT4 symmetric, per channel',
  int8_asym: 'INT8 asymmetric, per channel',
  int4_asym: 'INT4 asymmetric, per channel',
  int8_per_tensor: 'INT8 symmetric, per tensor',
  int4_per_tensor: 'INT4 symmetric, per tensor',
  int8_asym_per_tensor: 'INT8 asymmetric, per tensor',
  int4_asym_per_tensor: 'INT4 asymmetric, per tensor',
  fp8_e4m3: 'FP8 E4M3FN, per-tensor scale',
  fp8_e5m2: 'FP8 E5M2, per-tensor scale',
  mxint8: 'MXINT8, 32-element blocks',
  mxfp8_e4m3: 'MXFP8 E4M3, 32-element blocks',
  mxfp8_e5m2: 'MXFP8 E5M2, 32-element blocks',
  mxfp6_e2m3: 'MXFP6 E2M3, 32-element blocks',
  mxfp6_e3m2: 'MXFP6 E3M2, 32-element blocks',
  mxfp4: 'MXFP4 E2M1, 32-element blocks',
  nvfp4: 'NVFP4 E2M1, 16-element blocks',
};

/** A format id in words ("INT4 symmetric, per channel"); unknown ids are returned as they are. */
export function formatWords(format: string): string {
  return (FORMAT_WORDS as Readonly<Record<string, string>>)[format] ?? format;
}

/** Relative RMS error implied by an SQNR: 10^(−SQNR/20) = ‖e‖/‖x‖. */
export function relativeErrorOfSqnr(sqnrDb: number): number {
  return 10 ** (-sqnrDb / 20);
}

function percent(x: number): string {
  const p = x * 100;
  return `${p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p >= 0.01 ? p.toFixed(2) : p.toExponential(1)}%`;
}

/**
 * One plain-words line per format: its mean SQNR with the error size it means, and the worst
 * tensor. `exactCount` is how many tensors the format represents exactly (left out of the mean).
 */
export function formatSummaryText(summary: QuantFormatSummary, tensors: number, exactCount: number): string {
  const exact = exactCount > 0 ? `; exact on ${exactCount} of ${tensors} tensor${tensors === 1 ? '' : 's'}` : '';
  if (Number.isNaN(summary.meanSqnrDb)) {
    return exactCount > 0 ? `${summary.format} (${formatWords(summary.format)}) is exact on every analysed tensor.` : `${summary.format} (${formatWords(summary.format)}): no tensor has a defined SQNR.`;
  }
  const worst = summary.worstTensor
    ? ` The worst tensor is ${summary.worstTensor} at ${formatMetric('sqnr_db', summary.worstSqnrDb)} (error ≈ ${percent(relativeErrorOfSqnr(summary.worstSqnrDb))}).`
    : '';
  return `${summary.format} (${formatWords(summary.format)}): mean SQNR ${summary.meanSqnrDb.toFixed(1)} dB over the tensors — the quantization error’s RMS is about ${percent(relativeErrorOfSqnr(summary.meanSqnrDb))} of the weights’ RMS${exact}.${worst}`;
}

/** Exact tensors per format (SQNR +∞), in `formats` order. */
export function exactCounts(matrix: ErrorMatrix): number[] {
  return matrix.formats.map((_, f) => matrix.tensors.reduce((n, _t, t) => {
    const e = matrix.cell(t, f);
    return n + (e && isExact(e) ? 1 : 0);
  }, 0));
}

/** The formats ranked by mean SQNR, best first (NaN means — every tensor exact or none defined — first). */
export function rankFormats(summaries: readonly QuantFormatSummary[]): QuantFormatSummary[] {
  return [...summaries].sort((a, b) => {
    const na = Number.isNaN(a.meanSqnrDb);
    const nb = Number.isNaN(b.meanSqnrDb);
    if (na !== nb) return na ? -1 : 1;
    return na ? 0 : b.meanSqnrDb - a.meanSqnrDb;
  });
}

/**
 * Shortens a name for a row label, keeping its start and, mostly, its end (where layer names
 * differ): "model.layers.23.self_attn.q_proj.weight" → "model.la…q_proj.weight".
 */
export function shortName(name: string, max: number): string {
  const chars = Array.from(name);
  if (chars.length <= max) return name;
  const head = Math.max(1, Math.floor((max - 1) / 3));
  const tail = Math.max(1, max - 1 - head);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

/** Skipped tensors counted by reason code, most frequent first. */
export function skippedByCode(skipped: readonly { readonly code: string }[]): { code: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const s of skipped) counts.set(s.code, (counts.get(s.code) ?? 0) + 1);
  return [...counts].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1));
}
