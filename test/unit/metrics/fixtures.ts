/** Shared test data: the worked example of FORMULAS.md §B and small helpers. */
import { GroupMetricsBuilder, type MetricsBatch } from '../../../extension/core/metrics/groups';

export const EXAMPLE = {
  y: [1, 1, 0, 0, 1, 0, 1, 0, 1, 0],
  yhat: [1, 0, 1, 0, 1, 1, 1, 0, 0, 0],
  groups: ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'b', 'b'],
  /** Top-label confidences of the ECE example. */
  conf: [0.95, 0.62, 0.55, 0.81, 0.99, 0.7, 0.66, 0.51, 0.9, 0.73],
};

/**
 * P(pos) whose top-label confidence is `conf` and whose prediction is `yhat` (> 0.5 means 1).
 * 1 − (1 − c) can differ from c in the last bit, so confidences are checked by the caller.
 */
export function scoreFor(conf: number, yhat: number): number {
  return yhat === 1 ? conf : 1 - conf;
}

export function close(actual: number, expected: number, tol = 1e-12): void {
  if (!(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)))) {
    throw new Error(`${actual} != ${expected} (tolerance ${tol})`);
  }
}

/** Encodes string group values as codes + dictionary (first-seen order; '' = missing). */
export function encode(values: readonly string[]): { codes: Int32Array; dict: string[] } {
  const dict: string[] = [];
  const codes = new Int32Array(values.length);
  values.forEach((v, i) => {
    if (v === '') {
      codes[i] = -1;
      return;
    }
    let c = dict.indexOf(v);
    if (c < 0) c = dict.push(v) - 1;
    codes[i] = c;
  });
  return { codes, dict };
}

/** A binary batch from plain arrays; several sensitive columns. */
export function binaryBatch(
  y: readonly number[],
  score: readonly number[],
  columns: readonly (readonly string[])[],
  extra: Partial<MetricsBatch> = {},
): MetricsBatch {
  const enc = columns.map(encode);
  return {
    label: Float64Array.from(y),
    pred: Float64Array.from(score, (p) => (p > 0.5 ? 1 : 0)),
    score: Float64Array.from(score),
    loss: Float64Array.from(score, (p, i) => -Math.log((y[i] as number) === 1 ? p : 1 - p)),
    groups: enc.map((e) => e.codes),
    groupValues: enc.map((e) => e.dict),
    ...extra,
  };
}

/** The §B example as one builder. */
export function exampleBuilder(): GroupMetricsBuilder {
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  b.add(binaryBatch(EXAMPLE.y, EXAMPLE.conf.map((c, i) => scoreFor(c, EXAMPLE.yhat[i] as number)), [EXAMPLE.groups]));
  return b;
}
