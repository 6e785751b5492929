/**
 * Per-sample comparison of a quantized model's outputs with the FP32 model's on the same
 * samples (FORMULAS.md §C "Model-level"), and mergeable sums of it per group and per
 * intersection. Pure: the data pass lives in pass.ts.
 */
import type { OutputKind, SampleColumns, TaskKind } from '../metrics/batch';
import type { GroupKey } from '../metrics/groups';
import type { QuantFlip, QuantImpactGroup, QuantImpactStats } from '../../protocol/quant';

/** Default cap of the listed prediction flips. */
export const DEFAULT_FLIPS_SHOWN = 500;

function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** log-softmax of `z[off..off+width)` into `out`. */
function logSoftmax(z: ArrayLike<number>, off: number, width: number, out: Float64Array): void {
  let m = -Infinity;
  for (let k = 0; k < width; k++) m = Math.max(m, z[off + k] as number);
  let s = 0;
  for (let k = 0; k < width; k++) s += Math.exp((z[off + k] as number) - m);
  const lse = m + Math.log(s);
  for (let k = 0; k < width; k++) out[k] = (z[off + k] as number) - lse;
}

/** Σ p·(log p − log q), with 0·log 0 = 0 (p > 0 with q = 0 gives +Infinity). */
function klFromLogs(lp: ArrayLike<number>, lq: ArrayLike<number>, width: number): number {
  let kl = 0;
  for (let k = 0; k < width; k++) {
    const a = lp[k] as number;
    if (a === -Infinity) continue;
    kl += Math.exp(a) * (a - (lq[k] as number));
  }
  return kl;
}

/**
 * KL(p_fp32 ‖ p_q) per sample, in nats. Logits: softmax of the last axis; one binary logit:
 * Bernoulli(σ(x)) (log σ(x) = −softplus(−x), exact for large |x|); probabilities: the model's
 * own (one binary probability: Bernoulli(p)). Regression and ensembles: NaN (no distribution).
 * Identical rows give exactly 0.
 */
export function sampleKl(
  fp32: ArrayLike<number>,
  q: ArrayLike<number>,
  n: number,
  width: number,
  kind: { outputKind: OutputKind; task: TaskKind },
): Float64Array {
  const out = new Float64Array(n);
  if (kind.task === 'regression') return out.fill(NaN);
  const logits = kind.outputKind === 'logits';
  if (width === 1) {
    const lp = new Float64Array(2);
    const lq = new Float64Array(2);
    for (let i = 0; i < n; i++) {
      const a = fp32[i] as number;
      const b = q[i] as number;
      if (logits) {
        lp[0] = -softplus(a); lp[1] = -softplus(-a);
        lq[0] = -softplus(b); lq[1] = -softplus(-b);
      } else {
        lp[0] = Math.log1p(-a); lp[1] = Math.log(a);
        lq[0] = Math.log1p(-b); lq[1] = Math.log(b);
      }
      out[i] = a === b ? 0 : klFromLogs(lp, lq, 2);
    }
    return out;
  }
  const lp = new Float64Array(width);
  const lq = new Float64Array(width);
  for (let i = 0; i < n; i++) {
    const off = i * width;
    let same = true;
    for (let k = 0; k < width && same; k++) same = fp32[off + k] === q[off + k];
    if (same) continue; // exactly 0
    if (logits) {
      logSoftmax(fp32, off, width, lp);
      logSoftmax(q, off, width, lq);
    } else {
      for (let k = 0; k < width; k++) {
        lp[k] = Math.log(fp32[off + k] as number);
        lq[k] = Math.log(q[off + k] as number);
      }
    }
    out[i] = klFromLogs(lp, lq, width);
  }
  return out;
}

/** Mergeable sums of the per-sample comparison over a set of samples. */
export class ImpactSums {
  count = 0;
  agree = 0;
  kl = 0;
  lossFp32 = 0;
  lossQ = 0;
  correctFp32 = 0;
  correctQ = 0;

  add(agree: number, kl: number, lossFp32: number, lossQ: number, correctFp32: number, correctQ: number): void {
    this.count++;
    this.agree += agree;
    this.kl += kl;
    this.lossFp32 += lossFp32;
    this.lossQ += lossQ;
    this.correctFp32 += correctFp32;
    this.correctQ += correctQ;
  }

  merge(other: ImpactSums): void {
    this.count += other.count;
    this.agree += other.agree;
    this.kl += other.kl;
    this.lossFp32 += other.lossFp32;
    this.lossQ += other.lossQ;
    this.correctFp32 += other.correctFp32;
    this.correctQ += other.correctQ;
  }

  /**
   * The set's means. The loss delta is the difference of the two sums over the count, so a
   * model identical to the FP32 one gives exactly 0.
   */
  stats(classification: boolean): QuantImpactStats {
    const n = this.count;
    const mean = (s: number): number => (n === 0 ? NaN : s / n);
    const accF = classification ? mean(this.correctFp32) : NaN;
    const accQ = classification ? mean(this.correctQ) : NaN;
    return {
      count: n,
      agreement: classification ? mean(this.agree) : NaN,
      kl: classification ? mean(this.kl) : NaN,
      lossDelta: n === 0 ? NaN : (this.lossQ - this.lossFp32) / n,
      accuracyDelta: classification ? (this.correctQ - this.correctFp32) / n : NaN,
      lossFp32: mean(this.lossFp32),
      lossQ: mean(this.lossQ),
      accuracyFp32: accF,
      accuracyQ: accQ,
      flipCount: classification ? n - this.agree : 0,
    };
  }
}

/** One batch of both models' evaluated outputs on the same samples. */
export interface ComparisonBatch {
  fp32: SampleColumns;
  q: SampleColumns;
  /** Raw outputs (flat, row-major) with `width` values per sample. */
  fp32Raw: ArrayLike<number>;
  qRaw: ArrayLike<number>;
  width: number;
  labels: ArrayLike<number>;
  rowNumbers: ArrayLike<number>;
  /** Group value per sensitive column, per sample (null = missing). */
  groups: Readonly<Record<string, readonly (string | null)[]>>;
}

/** The accumulated comparison, ready for the report. */
export interface ComparisonSummary extends QuantImpactStats {
  byGroup: QuantImpactGroup[];
  byColumn: { column: string; byGroup: QuantImpactGroup[] }[];
  worstGroup: GroupKey | null;
  worstGroupLossDelta: number;
  flips: { total: number; shown: QuantFlip[] };
}

/**
 * Accumulates the comparison of one quantized model with the FP32 model: overall, per
 * intersection of all sensitive columns (rows with a missing value are in no intersection) and
 * per value of each column; plus the samples whose prediction flips.
 */
export class ImpactAccumulator {
  private readonly overall = new ImpactSums();
  private readonly intersections = new Map<string, ImpactSums>();
  private readonly columns: Map<string, ImpactSums>[];
  private readonly flipsShown: QuantFlip[] = [];
  private flipsTotal = 0;
  private readonly classification: boolean;

  constructor(
    private readonly sensitive: readonly string[],
    private readonly kind: { outputKind: OutputKind; task: TaskKind },
    private readonly flipsCap = DEFAULT_FLIPS_SHOWN,
  ) {
    this.columns = sensitive.map(() => new Map());
    this.classification = kind.task !== 'regression';
  }

  add(batch: ComparisonBatch): void {
    const n = batch.fp32.n;
    const kl = sampleKl(batch.fp32Raw, batch.qRaw, n, batch.width, this.kind);
    const values = this.sensitive.map((c) => batch.groups[c] ?? []);
    for (let i = 0; i < n; i++) {
      const pf = batch.fp32.pred[i] as number;
      const pq = batch.q.pred[i] as number;
      const y = batch.labels[i] as number;
      const agree = pf === pq ? 1 : 0;
      const args = [agree, kl[i] as number, batch.fp32.loss[i] as number, batch.q.loss[i] as number, pf === y ? 1 : 0, pq === y ? 1 : 0] as const;
      this.overall.add(...args);
      const row = values.map((v) => v[i] ?? null);
      row.forEach((value, c) => {
        if (value === null) return;
        sumsFor(this.columns[c] as Map<string, ImpactSums>, value).add(...args);
      });
      if (row.every((v) => v !== null)) sumsFor(this.intersections, JSON.stringify(row)).add(...args);
      if (this.classification && !agree) {
        this.flipsTotal++;
        if (this.flipsShown.length < this.flipsCap) {
          const groups: Record<string, string | null> = {};
          this.sensitive.forEach((c, k) => { groups[c] = row[k] ?? null; });
          this.flipsShown.push({ row: batch.rowNumbers[i] as number, groups, label: y, fp32: pf, q: pq });
        }
      }
    }
  }

  /** Report numbers; groups with count < minGroupSize are marked small; lists sorted by group values. */
  finish(minGroupSize: number): ComparisonSummary {
    const entry = (group: GroupKey, sums: ImpactSums): QuantImpactGroup => ({
      group,
      ...sums.stats(this.classification),
      ...(sums.count < minGroupSize ? { small: true as const } : {}),
    });
    const byGroup = [...this.intersections.entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([key, sums]) => {
        const values = JSON.parse(key) as string[];
        const group: Record<string, string> = {};
        this.sensitive.forEach((c, k) => { group[c] = values[k] as string; });
        return entry(group, sums);
      });
    const byColumn = this.sensitive.map((column, c) => ({
      column,
      byGroup: [...(this.columns[c] as Map<string, ImpactSums>).entries()]
        .sort(([a], [b]) => compareStrings(a, b))
        .map(([value, sums]) => entry({ [column]: value }, sums)),
    }));
    const worst = worstGroup(byGroup);
    return {
      ...this.overall.stats(this.classification),
      byGroup,
      byColumn,
      worstGroup: worst?.group ?? null,
      worstGroupLossDelta: worst?.lossDelta ?? NaN,
      flips: { total: this.flipsTotal, shown: this.flipsShown },
    };
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sumsFor(map: Map<string, ImpactSums>, key: string): ImpactSums {
  let sums = map.get(key);
  if (!sums) {
    sums = new ImpactSums();
    map.set(key, sums);
  }
  return sums;
}

/**
 * The group with the largest loss delta among those that are not small (all groups when every
 * one is small); NaN deltas are skipped; null when there is none.
 */
export function worstGroup<T extends { lossDelta: number; small?: true }>(groups: readonly T[]): T | null {
  const pool = groups.some((g) => !g.small) ? groups.filter((g) => !g.small) : groups;
  let worst: T | null = null;
  for (const g of pool) {
    if (Number.isNaN(g.lossDelta)) continue;
    if (worst === null || g.lossDelta > worst.lossDelta) worst = g;
  }
  return worst;
}
