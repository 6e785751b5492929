/**
 * An attention aggregator's sums as JSON (a shard's partial state, docs/SHARDING.md §7): every
 * cohort (the samples with one set of groups) with its counts and its float64 sums, base64 of
 * little-endian float64 so that every value (NaN included) crosses the file bit for bit. The
 * merge adds the cohorts of every shard into one aggregator, whose `finish` is a single run's.
 */
import { BadInputError } from '../errors';
import { AttentionAggregator, SUM_ARRAYS, type GroupKey, type Sums } from './aggregate';

const ARRAYS = SUM_ARRAYS;

export interface AttentionSumsState {
  readonly samples: number;
  readonly rows: number;
  readonly normalizedRows: number;
  readonly specialRows: number;
  /** Per array of ARRAYS: base64 of its little-endian float64 values. */
  readonly arrays: Readonly<Record<(typeof ARRAYS)[number], string>>;
}

/** The aggregator's options (as its fields) and its cohorts. */
export interface AttentionAggregatorState extends Pick<AttentionAggregator, 'layers' | 'heads' | 'maxLen' | 'spans' | 'causal' | 'bins' | 'minGroupSize'> {
  /** In order of first appearance in the shard. */
  readonly cohorts: readonly { readonly groups: readonly GroupKey[]; readonly sums: AttentionSumsState }[];
}

function encode(values: Float64Array): string {
  const bytes = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i]!, i * 8);
  return bytes.toString('base64');
}

function decodeInto(text: string, out: Float64Array, what: string): void {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== out.length * 8) throw new BadInputError('state.schema', `${what}: ${bytes.length / 8} values, expected ${out.length}`);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
}

/** The aggregator's options and every cohort's sums. */
export function exportAggregator(aggregator: AttentionAggregator): AttentionAggregatorState {
  return {
    layers: aggregator.layers, heads: aggregator.heads, maxLen: aggregator.maxLen, spans: [...aggregator.spans],
    causal: aggregator.causal, bins: aggregator.bins, minGroupSize: aggregator.minGroupSize,
    cohorts: aggregator.cohortList().map((c) => ({
      groups: c.groups.map((g) => ({ ...g })),
      sums: {
        samples: c.sums.samples, rows: c.sums.rows, normalizedRows: c.sums.normalizedRows, specialRows: c.sums.specialRows,
        arrays: Object.fromEntries(ARRAYS.map((k) => [k, encode(c.sums[k])])) as AttentionSumsState['arrays'],
      },
    })),
  };
}

/**
 * One aggregator holding the sums of every state (same options required; `where` names each
 * state in errors). Cohorts are added state by state, in the given order.
 */
export function aggregatorFromStates(states: readonly AttentionAggregatorState[], where: (i: number) => string): AttentionAggregator {
  const first = states[0];
  if (!first) throw new BadInputError('state.none', 'merge: no attention sums to merge');
  const options = (s: AttentionAggregatorState): string => JSON.stringify([s.layers, s.heads, s.maxLen, s.spans, s.causal, s.bins, s.minGroupSize]);
  const aggregator = new AttentionAggregator({
    layers: first.layers, heads: first.heads, maxLen: first.maxLen, spans: first.spans, causal: first.causal,
    histogramBins: first.bins, minGroupSize: first.minGroupSize,
  });
  states.forEach((s, i) => {
    if (options(s) !== options(first)) {
      throw new BadInputError('state.mismatch', `merge: ${where(i)} aggregated attention with other settings (layers, heads, window, spans, causal, bins, min group size: ${options(s)}) than ${where(0)} (${options(first)})`);
    }
    for (const cohort of s.cohorts) {
      const sums: Sums = aggregator.emptySums();
      sums.samples = cohort.sums.samples;
      sums.rows = cohort.sums.rows;
      sums.normalizedRows = cohort.sums.normalizedRows;
      sums.specialRows = cohort.sums.specialRows;
      for (const key of ARRAYS) decodeInto(cohort.sums.arrays[key], sums[key], `${where(i)}: attention sums "${key}"`);
      aggregator.addCohort(cohort.groups, sums);
    }
  });
  return aggregator;
}
