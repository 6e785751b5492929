/**
 * Streaming, mergeable attention aggregates per (layer, head), overall and per group.
 *
 * Memory is flat in the number of samples: per cohort (each distinct set of groups that samples
 * belong to; overall and per-group sums are formed from cohorts at `finish`) it holds
 * O(layers·heads·maxLen²) cell sums plus O(layers·heads·(bins + spans)) scalars. Head values follow
 * FORMULAS.md §D and are pooled over query rows: entropy = Σ_rows H_i / rows over every valid query
 * row of every sample; span mass likewise, over the samples where the span is present and
 * non-empty (a sample without the span does not dilute it with zeros); first-token (sink) mass is
 * the mass on each sample's first valid key; special-token mass is over the samples that came with
 * a special mask. Mean maps hold, per cell (i, j) with i, j < maxLen, Σp / count over the samples in
 * which both positions are valid (and j ≤ i when causal); statistics use the full map even when
 * T > maxLen.
 */
import type {
  AttentionEntropyDistribution, AttentionGroupKey, AttentionGroupStats, AttentionHeadDifference, AttentionHeadStats,
} from '../../protocol/attention';
import { BadInputError, InspectorError, throwIfAborted, throttleProgress, type ProgressFn } from '../errors';
import { massOn, pLnP32, type FloatArray } from './entropy';
import { resolvePositions, type ResolvedPositions, type Validity } from './positions';

/** A group: values of sensitive columns, e.g. {"sex": "F"} or {"sex": "F", "race": "B"}. */
export type GroupKey = AttentionGroupKey;

export interface AttentionAggregatorOptions {
  readonly layers: number;
  readonly heads: number;
  /** Mean maps cover query and key positions < maxLen. */
  readonly maxLen: number;
  /** Names of the spans whose mass is reported, in report order. */
  readonly spans?: readonly string[];
  /** Causal attention: the keys of query i are j ≤ i (normalised entropy uses that count). */
  readonly causal?: boolean;
  /** Bins of the normalised-entropy histogram on [0, 1] (default 50). */
  readonly histogramBins?: number;
  /** Groups with fewer samples are marked `small` (default 30, as FORMULAS.md §B). */
  readonly minGroupSize?: number;
}

/** One sample: every layer's and head's T×T map plus what is known about its positions. */
export interface AttentionSample {
  /** maps[layer][head], row-major T×T. */
  readonly maps: readonly (readonly FloatArray[])[];
  readonly seqLen: number;
  readonly validity?: Validity;
  /** Key positions per span name; a missing name = span absent from this sample. */
  readonly spans?: Readonly<Record<string, readonly number[] | undefined>>;
  /** Per position: special token (CLS, SEP, BOS, …). */
  readonly special?: Uint8Array | readonly boolean[];
  /** Every group the sample belongs to (e.g. one per sensitive column plus the intersection). */
  readonly groups?: readonly GroupKey[];
  /** For error messages, e.g. "row 17 of data.csv". */
  readonly where?: string;
}

/** Report entry of DESIGN.md §4 `attention.perHead` (the protocol's type). */
export type HeadSummary = AttentionHeadStats;

/** Distribution of the normalised entropy Ĥ_i of one head (the protocol's type). */
export type EntropyDistribution = AttentionEntropyDistribution;

/** Report entry of DESIGN.md §4 `attention.byGroup`, plus its sample count (the protocol's type). */
export type GroupSummary = AttentionGroupStats;

/** Maps for rendering: index layer·heads + head, each maxLen×maxLen row-major, NaN where no sample had the cell. */
export interface GroupDetail {
  readonly group: GroupKey;
  readonly meanMaps: readonly Float32Array[];
  /** Group mean − overall mean per cell (NaN where either is undefined). */
  readonly differenceMaps: readonly Float32Array[];
  readonly entropyDistribution: readonly EntropyDistribution[];
}

/**
 * How differently a head attends across groups (the protocol's type). Over every pair of groups
 * that share the same sensitive columns (e.g. sex=F vs sex=M, not sex=F vs race=B):
 * - `mapDifference`: the largest weighted mean |M_a(i,j) − M_b(i,j)| between the two groups' mean
 *   maps, weighting each cell by min(count_a, count_b) so that sparsely seen long positions count less;
 * - `spanMassDifference`: the largest |spanMass_a − spanMass_b| over pairs and spans;
 * - `entropyDifference`: the largest |entropy_a − entropy_b| (nats);
 * - `groups`: the pair that gives `mapDifference`.
 * Heads are ranked by mapDifference, then spanMassDifference (descending; NaN last).
 */
export type HeadGroupDifference = AttentionHeadDifference;

export interface AttentionAggregate {
  readonly layers: number;
  readonly heads: number;
  readonly maxLen: number;
  readonly samples: number;
  readonly perHead: readonly HeadSummary[];
  readonly byGroup: readonly GroupSummary[];
  readonly entropyDistribution: readonly EntropyDistribution[];
  /** Overall mean maps (index layer·heads + head). */
  readonly meanMaps: readonly Float32Array[];
  /** Samples that had each cell valid (maxLen×maxLen, shared by all heads). */
  readonly cellCounts: Float64Array;
  /** Same order as byGroup. */
  readonly groupDetail: readonly GroupDetail[];
  readonly ranking: readonly HeadGroupDifference[];
}

/** The float64 arrays of a `Sums`, in the order its merge and its state (state.ts) list them. */
export const SUM_ARRAYS = ['spanRows', 'entropy', 'normalized', 'first', 'special', 'span', 'histogram', 'cellCount', 'cellSum'] as const;

/** Sums of one target: a cohort (the samples with one set of groups), or overall or a group at `finish`. */
export class Sums {
  samples = 0;
  rows = 0;
  normalizedRows = 0;
  specialRows = 0;
  readonly spanRows: Float64Array;
  readonly entropy: Float64Array;
  readonly normalized: Float64Array;
  readonly first: Float64Array;
  readonly special: Float64Array;
  readonly span: Float64Array;
  readonly histogram: Float64Array;
  readonly cellCount: Float64Array;
  readonly cellSum: Float64Array;

  constructor(readonly headCount: number, readonly spanCount: number, readonly bins: number, readonly maxLen: number) {
    this.spanRows = new Float64Array(spanCount);
    this.entropy = new Float64Array(headCount);
    this.normalized = new Float64Array(headCount);
    this.first = new Float64Array(headCount);
    this.special = new Float64Array(headCount);
    this.span = new Float64Array(headCount * spanCount);
    this.histogram = new Float64Array(headCount * bins);
    this.cellCount = new Float64Array(maxLen * maxLen);
    this.cellSum = new Float64Array(headCount * maxLen * maxLen);
  }

  /** The per-sample counts (rows, span rows, cell counts); the maps go through `accumulateMap`. */
  addSample(pos: ResolvedPositions): void {
    const valid = pos.valid;
    const n = valid.length;
    this.samples++;
    this.rows += n;
    this.normalizedRows += pos.causal ? Math.max(0, n - 1) : n > 1 ? n : 0;
    if (pos.special) this.specialRows += n;
    for (let s = 0; s < pos.spans.length; s++) if (pos.spans[s]) this.spanRows[s]! += n;
    const M = this.maxLen;
    const counts = this.cellCount;
    if (pos.contiguous) {
      const first = n > 0 ? valid[0]! : 0;
      for (let a = 0; a < n && first + a < M; a++) {
        const row = (first + a) * M;
        const end = Math.min(first + (pos.causal ? a + 1 : n), M);
        for (let j = first; j < end; j++) counts[row + j]!++;
      }
      return;
    }
    for (let a = 0; a < n; a++) {
      const i = valid[a]!;
      if (i >= M) break;
      const nKeys = pos.causal ? a + 1 : n;
      for (let k = 0; k < nKeys; k++) {
        const j = valid[k]!;
        if (j >= M) break;
        counts[i * M + j]!++;
      }
    }
  }

  mergeFrom(other: Sums): void {
    this.samples += other.samples;
    this.rows += other.rows;
    this.normalizedRows += other.normalizedRows;
    this.specialRows += other.specialRows;
    for (const key of SUM_ARRAYS) {
      const to = this[key];
      const from = other[key];
      for (let x = 0; x < to.length; x++) to[x]! += from[x]!;
    }
  }
}

/** ln n for n = 0, 1, 2, …: normalised entropy divides by exactly Math.log(n_valid). */
let lnCountTable = new Float64Array(0);
function lnCounts(n: number): Float64Array {
  if (lnCountTable.length <= n) {
    const table = new Float64Array(Math.max(n + 1, 2 * lnCountTable.length, 64));
    for (let k = 0; k < table.length; k++) table[k] = Math.log(k);
    lnCountTable = table;
  }
  return lnCountTable;
}

/**
 * Folds one T×T map (at `off` in `map`; `bits` = the float32 bits of `map`, or undefined for
 * float64) into head `hd` of `sums` in one pass over its valid cells: each row's entropy
 * (scanMap's values, FORMULAS.md §D), normalised entropy and its histogram bin, first-token, span
 * and special mass, and the cell sums of the top-left maxLen² corner. `spanScratch` holds ≥ spans.
 */
function accumulateMap(sums: Sums, hd: number, map: FloatArray, bits: Int32Array | undefined, off: number, pos: ResolvedPositions, lnCount: Float64Array, spanScratch: Float64Array): void {
  const { T, valid, causal } = pos;
  const M = sums.maxLen;
  const nValid = valid.length;
  const first = nValid > 0 ? valid[0]! : 0;
  const cells = sums.cellSum;
  const cellBase = hd * M * M;
  const bins = sums.bins;
  const histogram = sums.histogram;
  const histBase = hd * bins;
  const spans = pos.spans;
  const spanCount = spans.length;
  const special = pos.special;
  for (let s = 0; s < spanCount; s++) spanScratch[s] = 0;
  let entropySum = 0;
  let normalizedSum = 0;
  let firstSum = 0;
  let specialSum = 0;
  for (let a = 0; a < nValid; a++) {
    const q = valid[a]!;
    const base = off + q * T;
    const nKeys = causal ? a + 1 : nValid;
    let plogp = 0;
    if (pos.contiguous) {
      const start = base + first;
      const end = start + nKeys;
      // Keys j < maxLen of rows q < maxLen also go to the cell sums (cell index = x + shift).
      const cellEnd = q < M ? Math.min(end, base + M) : start;
      const shift = cellBase + q * M - base;
      if (bits) {
        for (let x = start; x < cellEnd; x++) {
          const p = map[x]!;
          cells[x + shift]! += p;
          if (p !== 0) plogp += pLnP32(p, bits[x]!);
        }
        for (let x = Math.max(start, cellEnd); x < end; x++) {
          const p = map[x]!;
          if (p !== 0) plogp += pLnP32(p, bits[x]!);
        }
      } else {
        for (let x = start; x < cellEnd; x++) {
          const p = map[x]!;
          cells[x + shift]! += p;
          if (p !== 0) plogp += p * Math.log(p);
        }
        for (let x = Math.max(start, cellEnd); x < end; x++) {
          const p = map[x]!;
          if (p !== 0) plogp += p * Math.log(p);
        }
      }
    } else {
      const cellRow = cellBase + q * M;
      for (let k = 0; k < nKeys; k++) {
        const j = valid[k]!;
        const x = base + j;
        const p = map[x]!;
        if (q < M && j < M) cells[cellRow + j]! += p;
        if (p !== 0) plogp += bits ? pLnP32(p, bits[x]!) : p * Math.log(p);
      }
    }
    const h = -plogp;
    entropySum += h;
    if (nKeys > 1) {
      const hn = h / lnCount[nKeys]!;
      normalizedSum += hn;
      if (!Number.isNaN(hn)) histogram[histBase + Math.min(bins - 1, Math.max(0, Math.floor(hn * bins)))]!++;
    }
    firstSum += map[base + first]!;
    for (let s = 0; s < spanCount; s++) {
      const span = spans[s];
      if (span) spanScratch[s]! += massOn(map, base, span, causal ? q : T);
    }
    if (special) specialSum += massOn(map, base, special, causal ? q : T);
  }
  sums.entropy[hd]! += entropySum;
  sums.normalized[hd]! += normalizedSum;
  sums.first[hd]! += firstSum;
  sums.special[hd]! += specialSum;
  for (let s = 0; s < spanCount; s++) sums.span[hd * spanCount + s]! += spanScratch[s]!;
}

function groupId(group: GroupKey): string {
  return JSON.stringify(Object.entries(group).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The facts of a batch of B samples of length T, packed into flat arrays (cheap to build and to
 * post to a worker). Sample b means what an AttentionSample with the same fields means.
 */
export interface PackedFacts {
  /** B×T: non-zero = real token. */
  readonly valid: Uint8Array;
  /** Per span of the aggregator (in its order): B×T key positions in the span. */
  readonly spans: readonly Uint8Array[];
  /** Per span: B flags, non-zero = the sample has the span (else it is absent from the sample). */
  readonly hasSpan: readonly Uint8Array[];
  /** B×T special-token mask and B flags of the samples that came with one; absent = none did. */
  readonly special?: Uint8Array;
  readonly hasSpecial?: Uint8Array;
  /** B: the sample's groups, an index into `groupSets`. */
  readonly groupSet: Int32Array;
  readonly groupSets: readonly (readonly GroupKey[])[];
}

/**
 * Packs the facts of a batch of samples of length T for `addPacked`; throws BadInputError on
 * bad positions as `add` would (resolvePositions' codes and messages).
 */
export function packFacts(samples: readonly SampleFacts[], T: number, spanNames: readonly string[]): PackedFacts {
  const B = samples.length;
  // Every array is a view of one buffer, which a structured clone copies once.
  const anySpecial = samples.some((sample) => sample.special !== undefined);
  const S = spanNames.length;
  const buffer = new ArrayBuffer(4 * B + (1 + S + (anySpecial ? 1 : 0)) * B * T + (S + (anySpecial ? 1 : 0)) * B);
  let offset = 0;
  const take = (n: number): Uint8Array => new Uint8Array(buffer, (offset += n) - n, n);
  const groupSet = new Int32Array(buffer, 0, B);
  offset = 4 * B;
  const valid = take(B * T);
  const spans = spanNames.map(() => take(B * T));
  const hasSpan = spanNames.map(() => take(B));
  const special = anySpecial ? take(B * T) : undefined;
  const hasSpecial = anySpecial ? take(B) : undefined;
  const groupSets: (readonly GroupKey[])[] = [];
  const setIndex = new Map<string, number>();
  for (let b = 0; b < B; b++) {
    const sample = samples[b]!;
    const off = b * T;
    const where = sample.where === undefined ? '' : ` (${sample.where})`;
    const validity = sample.validity;
    if (validity === undefined) valid.fill(1, off, off + T);
    else if (typeof validity === 'number') {
      if (!Number.isInteger(validity) || validity < 0 || validity > T) {
        throw new BadInputError('attention-valid-length', `valid length ${validity} is not an integer in [0, ${T}]${where}`);
      }
      valid.fill(1, off, off + validity);
    } else {
      if (validity.length !== T) throw new BadInputError('attention-mask-length', `attention mask has length ${validity.length}, expected the sequence length ${T}${where}`);
      for (let j = 0; j < T; j++) valid[off + j] = validity[j] ? 1 : 0;
    }
    for (let s = 0; s < spanNames.length; s++) {
      const span = sample.spans?.[spanNames[s]!];
      if (span === undefined) continue;
      hasSpan[s]![b] = 1;
      for (const p of span) {
        if (!Number.isInteger(p) || p < 0 || p >= T) {
          throw new BadInputError('attention-span-position', `span #${s}${where}: position ${p} is outside the sequence [0, ${T - 1}]`);
        }
        spans[s]![off + p] = 1;
      }
    }
    if (sample.special !== undefined) {
      if (sample.special.length !== T) {
        throw new BadInputError('attention-special-length', `special-token mask has length ${sample.special.length}, expected the sequence length ${T}${where}`);
      }
      hasSpecial![b] = 1;
      for (let j = 0; j < T; j++) special![off + j] = sample.special[j] ? 1 : 0;
    }
    const groups = sample.groups ?? [];
    let key = ''; // length-prefixed, so unambiguous
    for (const g of groups) {
      for (const k in g) {
        const v = String(g[k]);
        key += `${k.length}:${k}${v.length}:${v}`;
      }
      key += ';';
    }
    let index = setIndex.get(key);
    if (index === undefined) {
      index = groupSets.length;
      groupSets.push(groups);
      setIndex.set(key, index);
    }
    groupSet[b] = index;
  }
  return { valid, spans, hasSpan, groupSet, groupSets, ...(special && hasSpecial ? { special, hasSpecial } : {}) };
}

/** Sorted positions j < T with mask[off + j] (and valid[off + j] when given). */
function positionList(mask: Uint8Array, off: number, T: number, valid: Uint8Array | undefined): Int32Array {
  let n = 0;
  for (let j = 0; j < T; j++) if (mask[off + j] && (!valid || valid[off + j])) n++;
  const out = new Int32Array(n);
  n = 0;
  for (let j = 0; j < T; j++) if (mask[off + j] && (!valid || valid[off + j])) out[n++] = j;
  return out;
}

/** Sample b's positions from packed facts (resolvePositions' result for the same sample). */
function packedPositions(facts: PackedFacts, b: number, T: number, causal: boolean): ResolvedPositions {
  const off = b * T;
  const valid = positionList(facts.valid, off, T, undefined);
  const spans = facts.spans.map((mask, s) => {
    if (!facts.hasSpan[s]![b]) return undefined;
    const list = positionList(mask, off, T, facts.valid);
    return list.length === 0 ? undefined : list;
  });
  const special = facts.special && facts.hasSpecial?.[b] ? positionList(facts.special, off, T, facts.valid) : undefined;
  const first = valid[0] ?? 0;
  const contiguous = valid.length === 0 || valid[valid.length - 1] === first + valid.length - 1;
  return { T, valid, contiguous, spans, special, causal };
}

/** The samples that belong to one set of groups (ids sorted): each sample is summed once, into its cohort. */
export interface Cohort {
  readonly ids: readonly string[];
  readonly groups: readonly GroupKey[];
  readonly sums: Sums;
}

/** Per-sample facts besides the maps (as in AttentionSample). */
export type SampleFacts = Omit<AttentionSample, 'maps' | 'seqLen'>;

/**
 * Accumulates attention statistics sample by sample; `merge` combines partial aggregators.
 * Samples are summed into their cohort (the set of groups they belong to); overall and per-group
 * sums are the sums of cohorts, formed by `finish`.
 */
export class AttentionAggregator {
  readonly layers: number;
  readonly heads: number;
  readonly maxLen: number;
  readonly spans: readonly string[];
  readonly causal: boolean;
  readonly bins: number;
  readonly minGroupSize: number;
  private readonly cohorts = new Map<string, Cohort>();
  private readonly spanScratch: Float64Array;

  constructor(options: AttentionAggregatorOptions) {
    for (const [name, value] of [['layers', options.layers], ['heads', options.heads], ['maxLen', options.maxLen], ['histogramBins', options.histogramBins ?? 50]] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new RangeError(`AttentionAggregator: ${name} must be a positive integer, got ${value}`);
    }
    this.layers = options.layers;
    this.heads = options.heads;
    this.maxLen = options.maxLen;
    this.spans = [...(options.spans ?? [])];
    if (new Set(this.spans).size !== this.spans.length) throw new RangeError(`AttentionAggregator: span names repeat: ${this.spans.join(', ')}`);
    this.causal = options.causal ?? false;
    this.bins = options.histogramBins ?? 50;
    this.minGroupSize = options.minGroupSize ?? 30;
    this.spanScratch = new Float64Array(this.spans.length);
  }

  private newSums(): Sums {
    return new Sums(this.layers * this.heads, this.spans.length, this.bins, this.maxLen);
  }

  /** The cohort of a sample's groups (duplicates count once). */
  private cohortOf(groups: readonly GroupKey[] | undefined): Cohort {
    if (!groups || groups.length === 0) return this.cohortByIds([], []);
    if (groups.length === 1) return this.cohortByIds([groupId(groups[0]!)], groups);
    const byId = new Map<string, GroupKey>();
    for (const g of groups) {
      const id = groupId(g);
      if (!byId.has(id)) byId.set(id, g);
    }
    const ids = [...byId.keys()].sort();
    return this.cohortByIds(ids, ids.map((id) => byId.get(id)!));
  }

  /** `ids` sorted and unique, `groups` aligned with them. */
  private cohortByIds(ids: readonly string[], groups: readonly GroupKey[]): Cohort {
    const key = ids.join('\n'); // JSON text has no raw newline
    let cohort = this.cohorts.get(key);
    if (!cohort) {
      cohort = { ids: [...ids], groups: groups.map((g) => ({ ...g })), sums: this.newSums() };
      this.cohorts.set(key, cohort);
    }
    return cohort;
  }

  private resolve(T: number, sample: SampleFacts): ResolvedPositions {
    return resolvePositions(T, {
      validity: sample.validity,
      spans: this.spans.map((name) => sample.spans?.[name]),
      special: sample.special,
      causal: this.causal,
      ...(sample.where === undefined ? {} : { where: sample.where }),
    });
  }

  /** Adds one sample. Throws BadInputError when its maps do not have layers × heads × T² values. */
  add(sample: AttentionSample): void {
    const T = sample.seqLen;
    const where = sample.where === undefined ? '' : ` (${sample.where})`;
    if (sample.maps.length !== this.layers || sample.maps.some((l) => l.length !== this.heads) || sample.maps.some((l) => l.some((m) => m.length !== T * T))) {
      throw new BadInputError('attention-sample-shape', `attention sample${where} must hold ${this.layers} layers × ${this.heads} heads of ${T}×${T} maps`);
    }
    const pos = this.resolve(T, sample);
    const sums = this.cohortOf(sample.groups).sums;
    const lnCount = lnCounts(T);
    for (let l = 0; l < this.layers; l++) {
      for (let h = 0; h < this.heads; h++) {
        const map = sample.maps[l]![h]!;
        const bits = map instanceof Float32Array ? new Int32Array(map.buffer, map.byteOffset, map.length) : undefined;
        accumulateMap(sums, l * this.heads + h, map, bits, 0, pos, lnCount, this.spanScratch);
      }
    }
    sums.addSample(pos);
  }

  /**
   * Adds the samples of a batch whose maps are, per layer, one contiguous float32 [B, H, T, T]
   * array, with their facts packed (`packFacts`, B = facts.groupSet.length): the same as `add`
   * for each sample, without a view per map or an object per sample. What the sinks post.
   */
  addPacked(layers: readonly Float32Array[], heads: number, T: number, facts: PackedFacts): void {
    const B = facts.groupSet.length;
    const size = T * T;
    if (layers.length !== this.layers || heads !== this.heads || layers.some((data) => data.length !== B * heads * size) || facts.valid.length !== B * T ||
      facts.spans.length !== this.spans.length || facts.spans.some((m) => m.length !== B * T) || (facts.special !== undefined && facts.special.length !== B * T)) {
      throw new BadInputError('attention-sample-shape', `attention batch must hold ${this.layers} layers × ${B} samples × ${this.heads} heads of ${T}×${T} maps, with facts of ${this.spans.length} spans`);
    }
    const bits = layers.map((data) => new Int32Array(data.buffer, data.byteOffset, data.length));
    const cohorts = facts.groupSets.map((groups) => this.cohortOf(groups));
    const lnCount = lnCounts(T);
    for (let b = 0; b < B; b++) {
      const pos = packedPositions(facts, b, T, this.causal);
      const sums = cohorts[facts.groupSet[b]!]!.sums;
      for (let l = 0; l < this.layers; l++) {
        const data = layers[l]!;
        const dataBits = bits[l]!;
        for (let h = 0; h < heads; h++) accumulateMap(sums, l * heads + h, data, dataBits, (b * heads + h) * size, pos, lnCount, this.spanScratch);
      }
      sums.addSample(pos);
    }
  }

  /** Adds samples with cancellation between samples and throttled progress (needs `total` for fractions). */
  addAll(samples: Iterable<AttentionSample>, options: { signal?: AbortSignal; onProgress?: ProgressFn; total?: number } = {}): void {
    const progress = throttleProgress(options.onProgress);
    let n = 0;
    for (const sample of samples) {
      throwIfAborted(options.signal);
      this.add(sample);
      n++;
      if (options.total) progress(n / options.total, `attention: ${n} of ${options.total} samples`);
    }
  }

  /** Adds another aggregator's sums into this one (same options required) and returns this. */
  merge(other: AttentionAggregator): this {
    if (other.layers !== this.layers || other.heads !== this.heads || other.maxLen !== this.maxLen || other.bins !== this.bins ||
      other.causal !== this.causal || other.spans.join('\u0000') !== this.spans.join('\u0000')) {
      throw new InspectorError('attention-merge-mismatch', 'failure', 'cannot merge attention aggregators built with different options');
    }
    for (const c of other.cohorts.values()) this.cohortByIds(c.ids, c.groups).sums.mergeFrom(c.sums);
    return this;
  }

  /** The cohorts so far, in order of first appearance (a shard's state: attention/state.ts). */
  cohortList(): readonly Cohort[] {
    return [...this.cohorts.values()];
  }

  /** Adds `sums` (this aggregator's shape) into the cohort of `groups` (a shard's state: attention/state.ts). */
  addCohort(groups: readonly GroupKey[], sums: Sums): void {
    this.cohortOf(groups).sums.mergeFrom(sums);
  }

  /** Empty sums of this aggregator's shape. */
  emptySums(): Sums {
    return this.newSums();
  }

  /** The aggregate so far (adding more samples afterwards is allowed). Groups sorted by their key. */
  finish(): AttentionAggregate {
    const overall = this.newSums();
    const byId = new Map<string, { group: GroupKey; sums: Sums }>();
    for (const cohort of this.cohorts.values()) {
      overall.mergeFrom(cohort.sums);
      cohort.ids.forEach((id, x) => {
        let entry = byId.get(id);
        if (!entry) {
          entry = { group: cohort.groups[x]!, sums: this.newSums() };
          byId.set(id, entry);
        }
        entry.sums.mergeFrom(cohort.sums);
      });
    }
    const overallMaps = this.meanMaps(overall);
    const groups = [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
    const byGroup = groups.map(({ group, sums }): GroupSummary => ({
      group, samples: sums.samples, ...(sums.samples < this.minGroupSize ? { small: true as const } : {}), perHead: this.headSummaries(sums),
    }));
    const groupDetail = groups.map(({ group, sums }): GroupDetail => {
      const meanMaps = this.meanMaps(sums);
      return {
        group, meanMaps,
        differenceMaps: meanMaps.map((m, hd) => m.map((x, c) => x - overallMaps[hd]![c]!)),
        entropyDistribution: this.distributions(sums),
      };
    });
    return {
      layers: this.layers, heads: this.heads, maxLen: this.maxLen, samples: overall.samples,
      perHead: this.headSummaries(overall), byGroup, entropyDistribution: this.distributions(overall),
      meanMaps: overallMaps, cellCounts: overall.cellCount, groupDetail,
      ranking: this.rank(groups.map((g) => g.sums), byGroup),
    };
  }

  private headSummaries(sums: Sums): HeadSummary[] {
    const out: HeadSummary[] = [];
    for (let l = 0; l < this.layers; l++) {
      for (let h = 0; h < this.heads; h++) {
        const hd = l * this.heads + h;
        const spanMass: Record<string, number> = {};
        this.spans.forEach((name, s) => {
          spanMass[name] = sums.span[hd * this.spans.length + s]! / sums.spanRows[s]!;
        });
        out.push({
          layer: l, head: h, entropy: sums.entropy[hd]! / sums.rows, firstTokenMass: sums.first[hd]! / sums.rows, spanMass,
          ...(sums.specialRows > 0 ? { specialTokenMass: sums.special[hd]! / sums.specialRows } : {}),
        });
      }
    }
    return out;
  }

  private distributions(sums: Sums): EntropyDistribution[] {
    const out: EntropyDistribution[] = [];
    for (let l = 0; l < this.layers; l++) {
      for (let h = 0; h < this.heads; h++) {
        const hd = l * this.heads + h;
        const histogram = Array.from(sums.histogram.subarray(hd * this.bins, (hd + 1) * this.bins));
        const q = (p: number): number => histogramQuantile(histogram, p);
        out.push({
          layer: l, head: h, meanNormalized: sums.normalized[hd]! / sums.normalizedRows,
          rows: sums.normalizedRows, undefinedRows: sums.rows - sums.normalizedRows, histogram,
          quantiles: { p10: q(0.1), p25: q(0.25), p50: q(0.5), p75: q(0.75), p90: q(0.9) },
        });
      }
    }
    return out;
  }

  private meanMaps(sums: Sums): Float32Array[] {
    const cells = this.maxLen * this.maxLen;
    return Array.from({ length: this.layers * this.heads }, (_, hd) => {
      const out = new Float32Array(cells);
      for (let c = 0; c < cells; c++) {
        const n = sums.cellCount[c]!;
        out[c] = n > 0 ? sums.cellSum[hd * cells + c]! / n : Number.NaN;
      }
      return out;
    });
  }

  private rank(sums: readonly Sums[], byGroup: readonly GroupSummary[]): HeadGroupDifference[] {
    const cells = this.maxLen * this.maxLen;
    const pairs: [number, number][] = [];
    for (let a = 0; a < sums.length; a++) {
      for (let b = a + 1; b < sums.length; b++) {
        const ka = Object.keys(byGroup[a]!.group).sort().join('\u0000');
        if (ka === Object.keys(byGroup[b]!.group).sort().join('\u0000') && sums[a]!.samples > 0 && sums[b]!.samples > 0) pairs.push([a, b]);
      }
    }
    if (pairs.length === 0) return [];
    // Per group: cell means (float64, as cellSum / cellCount); per pair: the cells both saw, their
    // weights min(count_a, count_b) and Σ weights, which do not depend on the head.
    const means = new Map<number, Float64Array>();
    const meanOf = (g: number): Float64Array => {
      let m = means.get(g);
      if (!m) {
        const { cellSum, cellCount } = sums[g]!;
        m = new Float64Array(cellSum.length);
        for (let x = 0; x < m.length; x++) m[x] = cellSum[x]! / cellCount[x % cells]!;
        means.set(g, m);
      }
      return m;
    };
    const shared = pairs.map(([a, b]) => {
      const A = sums[a]!.cellCount;
      const B = sums[b]!.cellCount;
      const index: number[] = [];
      const weight: number[] = [];
      let den = 0;
      for (let c = 0; c < cells; c++) {
        const w = Math.min(A[c]!, B[c]!);
        if (w <= 0) continue;
        index.push(c);
        weight.push(w);
        den += w;
      }
      return { index: Int32Array.from(index), weight: Float64Array.from(weight), den, ma: meanOf(a), mb: meanOf(b) };
    });
    const out: HeadGroupDifference[] = [];
    for (let hd = 0; hd < this.layers * this.heads; hd++) {
      let best = { value: Number.NaN, pair: pairs[0]! };
      let spanGap = Number.NaN;
      let entropyGap = Number.NaN;
      const base = hd * cells;
      pairs.forEach((pair, x) => {
        const { index, weight, den, ma, mb } = shared[x]!;
        let num = 0;
        for (let k = 0; k < index.length; k++) num += weight[k]! * Math.abs(ma[base + index[k]!]! - mb[base + index[k]!]!);
        const value = num / den;
        if (Number.isNaN(best.value) || value > best.value) best = { value, pair };
        const sa = byGroup[pair[0]]!.perHead[hd]!;
        const sb = byGroup[pair[1]]!.perHead[hd]!;
        entropyGap = nanMax(entropyGap, Math.abs(sa.entropy - sb.entropy));
        for (const name of this.spans) spanGap = nanMax(spanGap, Math.abs(sa.spanMass[name]! - sb.spanMass[name]!));
      });
      out.push({
        layer: Math.floor(hd / this.heads), head: hd % this.heads, mapDifference: best.value, spanMassDifference: spanGap,
        entropyDifference: entropyGap, groups: [byGroup[best.pair[0]]!.group, byGroup[best.pair[1]]!.group],
      });
    }
    return out.sort((x, y) => descending(x.mapDifference, y.mapDifference) || descending(x.spanMassDifference, y.spanMassDifference) ||
      x.layer - y.layer || x.head - y.head);
  }
}

/** max ignoring NaN (NaN only when both are). */
function nanMax(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.max(a, b);
}

/** Comparator: larger first, NaN last. */
function descending(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return b - a;
}

/**
 * Quantile q ∈ [0, 1] of values binned in equal-width bins over [0, 1]: the point where the
 * cumulative count reaches q·total, linear within its bin. NaN for an empty histogram.
 */
export function histogramQuantile(histogram: readonly number[], q: number): number {
  const total = histogram.reduce((s, x) => s + x, 0);
  if (total <= 0) return Number.NaN;
  const target = q * total;
  const width = 1 / histogram.length;
  let cumulative = 0;
  for (let b = 0; b < histogram.length; b++) {
    const count = histogram[b]!;
    if (count > 0 && cumulative + count >= target) return (b + (target - cumulative) / count) * width;
    cumulative += count;
  }
  return 1;
}
