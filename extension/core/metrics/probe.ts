/**
 * Statistics of the language-model probes (FORMULAS.md §H): per group the share of prompts with
 * a positive yes/no skew and the mean score, with bootstrap percentile intervals (§B's
 * bootstrap: non-stratified resamples of all rows, same size, numpy's linear quantile; a group
 * absent from a replicate is skipped there), and for counterfactual templates the mean Δ of
 * each pair of groups with an interval over templates and the templates whose preferred
 * answer flips.
 */
import { percentileInterval, Xoshiro128 } from './stats';

export interface BootstrapOptions {
  /** Replicates B (0 = no intervals). */
  readonly replicates: number;
  readonly seed: number;
  /** Interval coverage (default 0.95). */
  readonly confidence?: number;
}

export interface ScoreStat {
  readonly count: number;
  /** Share of scores > 0, or null when the scores are not skews. */
  readonly selection_rate: number | null;
  readonly meanScore: number;
  readonly ci: [number, number] | null;
  readonly selectionCi: [number, number] | null;
}

/**
 * Per-group statistics of per-prompt scores. `group[i]` is the group index of row i (−1 = no
 * group: counted in overall only). `skew` says whether the scores are yes/no skews (then the
 * selection rate, s > 0, is reported).
 */
export function groupScoreStats(
  scores: Float64Array, group: Int32Array, groupCount: number, skew: boolean, boot: BootstrapOptions,
): { overall: ScoreStat; byGroup: ScoreStat[] } {
  const n = scores.length;
  const count = new Float64Array(groupCount + 1);
  const sum = new Float64Array(groupCount + 1);
  const positive = new Float64Array(groupCount + 1);
  const add = (i: number, c: Float64Array, s: Float64Array, p: Float64Array): void => {
    const g = group[i]!;
    const v = scores[i]!;
    const hit = v > 0 ? 1 : 0;
    c[groupCount]! += 1;
    s[groupCount]! += v;
    p[groupCount]! += hit;
    if (g >= 0) {
      c[g]! += 1;
      s[g]! += v;
      p[g]! += hit;
    }
  };
  for (let i = 0; i < n; i++) add(i, count, sum, positive);

  const confidence = boot.confidence ?? 0.95;
  let meanReps: Float64Array[] | undefined;
  let rateReps: Float64Array[] | undefined;
  if (boot.replicates > 0 && n > 0) {
    meanReps = Array.from({ length: groupCount + 1 }, () => new Float64Array(boot.replicates));
    rateReps = Array.from({ length: groupCount + 1 }, () => new Float64Array(boot.replicates));
    const rng = new Xoshiro128(boot.seed);
    const c = new Float64Array(groupCount + 1);
    const s = new Float64Array(groupCount + 1);
    const p = new Float64Array(groupCount + 1);
    for (let r = 0; r < boot.replicates; r++) {
      c.fill(0);
      s.fill(0);
      p.fill(0);
      for (let k = 0; k < n; k++) add(rng.nextInt(n), c, s, p);
      for (let g = 0; g <= groupCount; g++) {
        meanReps[g]![r] = c[g]! > 0 ? s[g]! / c[g]! : Number.NaN;
        rateReps[g]![r] = c[g]! > 0 ? p[g]! / c[g]! : Number.NaN;
      }
    }
  }
  const stat = (g: number): ScoreStat => ({
    count: count[g]!,
    selection_rate: skew ? (count[g]! > 0 ? positive[g]! / count[g]! : Number.NaN) : null,
    meanScore: count[g]! > 0 ? sum[g]! / count[g]! : Number.NaN,
    ci: meanReps ? percentileInterval(meanReps[g]!, confidence) : null,
    selectionCi: rateReps && skew ? percentileInterval(rateReps[g]!, confidence) : null,
  });
  return { overall: stat(groupCount), byGroup: Array.from({ length: groupCount }, (_, g) => stat(g)) };
}

export interface TemplateGroupStat {
  /** Templates × terms scored. */
  readonly prompts: number;
  readonly selection_rate: number | null;
  /** Mean over templates of the group's score (the mean over its terms). */
  readonly meanScore: number;
  readonly ci: [number, number] | null;
}

export interface PairStat {
  /** Indices of the two groups (g < h in the given order). */
  readonly g: number;
  readonly h: number;
  readonly meanDelta: number;
  readonly ci: [number, number] | null;
  readonly flips: number | null;
  readonly flipShare: number | null;
  /** Templates whose preferred answer (sign of s) differs between g and h. */
  readonly templates: number[];
}

/**
 * Counterfactual statistics. `scores[g][t]` is group g's score on template t (the mean over its
 * terms of each filled prompt's score); `termScores[g][t]` the individual terms' scores (for the
 * selection rate). Intervals resample templates with replacement (one set of draws for every
 * group and pair).
 */
export function counterfactualStats(
  scores: readonly Float64Array[], termScores: readonly (readonly Float64Array[])[], skew: boolean, boot: BootstrapOptions,
): { byGroup: TemplateGroupStat[]; pairs: PairStat[] } {
  const groups = scores.length;
  const templates = scores[0]?.length ?? 0;
  const mean = (a: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]!;
    return a.length > 0 ? s / a.length : Number.NaN;
  };
  const confidence = boot.confidence ?? 0.95;
  let reps: Float64Array[] | undefined; // replicate mean score per group
  if (boot.replicates > 0 && templates > 0) {
    reps = Array.from({ length: groups }, () => new Float64Array(boot.replicates));
    const rng = new Xoshiro128(boot.seed);
    const sums = new Float64Array(groups);
    for (let r = 0; r < boot.replicates; r++) {
      sums.fill(0);
      for (let k = 0; k < templates; k++) {
        const t = rng.nextInt(templates);
        for (let g = 0; g < groups; g++) sums[g]! += scores[g]![t]!;
      }
      for (let g = 0; g < groups; g++) reps[g]![r] = sums[g]! / templates;
    }
  }
  const byGroup = scores.map((column, g): TemplateGroupStat => {
    const terms = termScores[g] ?? [];
    let prompts = 0;
    let positive = 0;
    for (const perTerm of terms) {
      prompts += perTerm.length;
      for (let t = 0; t < perTerm.length; t++) if (perTerm[t]! > 0) positive++;
    }
    return {
      prompts,
      selection_rate: skew ? (prompts > 0 ? positive / prompts : Number.NaN) : null,
      meanScore: mean(column),
      ci: reps ? percentileInterval(reps[g]!, confidence) : null,
    };
  });
  const pairs: PairStat[] = [];
  for (let g = 0; g < groups; g++) {
    for (let h = g + 1; h < groups; h++) {
      const a = scores[g]!;
      const b = scores[h]!;
      let delta = 0;
      const flipped: number[] = [];
      for (let t = 0; t < templates; t++) {
        delta += a[t]! - b[t]!;
        if (skew && (a[t]! > 0) !== (b[t]! > 0)) flipped.push(t);
      }
      let ci: [number, number] | null = null;
      if (reps) {
        const d = new Float64Array(boot.replicates);
        for (let r = 0; r < d.length; r++) d[r] = reps[g]![r]! - reps[h]![r]!;
        ci = percentileInterval(d, confidence);
      }
      pairs.push({
        g, h, meanDelta: templates > 0 ? delta / templates : Number.NaN, ci,
        flips: skew ? flipped.length : null,
        flipShare: skew ? (templates > 0 ? flipped.length / templates : Number.NaN) : null,
        templates: flipped,
      });
    }
  }
  return { byGroup, pairs };
}

/** log Σ exp(x) in float64, stable (−∞ for an empty list). */
export function logSumExp(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (const v of values) s += Math.exp(v - max);
  return max + Math.log(s);
}

/**
 * log-softmax of one row of logits (float32 from the runtime) at the given token ids, in float64:
 * x[id] − LSE(x). `offset` is where the row of V logits starts in `logits`.
 */
export function logSoftmaxAt(logits: ArrayLike<number>, offset: number, vocab: number, ids: readonly number[]): number[] {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) {
    const x = logits[offset + v]!;
    if (x > max) max = x;
  }
  let s = 0;
  for (let v = 0; v < vocab; v++) s += Math.exp(logits[offset + v]! - max);
  const lse = max + Math.log(s);
  return ids.map((id) => logits[offset + id]! - lse);
}
