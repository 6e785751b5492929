/**
 * Streaming per-group metrics over sensitive columns (FORMULAS.md §B), shaped as the report's
 * `groups` section (protocol/groups.ts, DESIGN.md §4).
 *
 * Rows arrive in batches of typed arrays with integer group codes per sensitive column (−1 =
 * missing). The hot loop adds each row to one accumulator: its intersection (combination of
 * all columns' values, looked up by an integer key), or, when a value is missing, a "missing"
 * accumulator plus the per-column accumulators of the values it has. Overall and per-column
 * results are merges of those (merge = add), so there are no per-row objects or string keys.
 * A row with any missing value counts in `overall` and `missingGroup`, not in any
 * intersection; in a column's own table it counts when that column's value is present.
 *
 * For the bootstrap, diversity and bias loss the builder keeps compact per-row columns
 * (rowStore.ts: 62 + 4·C bytes per row for C sensitive columns, about 70 MB per million rows
 * with two columns, up to twice that while growing). `keepRows: false` drops them when neither
 * bootstrap nor diversity is wanted. The rest lives beside this file: disparities in
 * groupDisparities.ts, intervals in bootstrap.ts, the diversity block in groupDiversity.ts.
 */
import { BadInputError, InspectorError, type ProgressFn } from '../errors';
import {
  GroupAccumulator,
  eceBin,
  scalarMetricNames,
  type AccumulatorConfig,
} from './accumulator';
import { normaliseVariances } from './diversity';
import { disparitySection, disparityValues } from './groupDisparities';
import { diversitySection } from './groupDiversity';
import type { AccSet, Computed, Layout, RawSet } from './groupLayout';
import { addSums, sumsOf, type GroupsState, type SumsSet } from './groupsState';
import { multinomialCounts, poissonCounts, withBootstrapIntervals, type BootstrapScheme } from './bootstrap';
import { CellResampler, type CellSideRows } from './cellBootstrap';
import { Xoshiro128 } from './stats';
import { biasLossWeight, type DiceOptions } from './losses';
import { addRow as addStoredRow, copyInto, RowStore } from './rowStore';
import type {
  ColumnTable, GroupEntry, GroupKey, GroupsSection, MetricRecord, MetricsTask, OverallEntry,
} from '../../protocol/groups';

export {
  FAIRNESS_NAMES, type ColumnTable, type DisparitySection, type DiversityGroupStats, type DiversitySection, type FairnessName,
  type GroupEntry, type GroupKey, type GroupsSection, type Interval, type MetricDisparity, type OverallEntry,
} from '../../protocol/groups';

/** Most bootstrap replicates a run accepts (percentile intervals settle long before this). */
export const MAX_BOOTSTRAP = 100_000;

/** Refuses a replicate count above MAX_BOOTSTRAP before any work is done. `source` names the flag or field. */
export function checkBootstrap(replicates: number | undefined, source = 'bootstrap'): void {
  if (replicates === undefined) return;
  if (!Number.isSafeInteger(replicates) || replicates < 0 || replicates > MAX_BOOTSTRAP) {
    throw new BadInputError('run.too-large', `${source} ${replicates}: at most ${MAX_BOOTSTRAP.toLocaleString('en-US')} bootstrap replicates (each keeps every bootstrapped number in memory)`);
  }
}

/** Options of a GroupMetricsBuilder. */
export interface GroupBuilderOptions {
  task: MetricsTask;
  /** Sensitive column names, in the order of the batches' `groups` arrays. */
  sensitive: readonly string[];
  /** K for multiclass (2 for binary, 1 for regression are implied). */
  numClasses?: number;
  /** Set when the loss is `dice`: the groups' `loss` is the set-level dice loss. */
  dice?: DiceOptions;
  /** Set when the loss is `bias_loss`: batch losses are CE, weighted by z = exp(α·v̂) − β at the end. */
  biasLoss?: { alpha?: number; beta?: number };
  /** Low-diversity threshold τ on v̂ (default 0.1). */
  diversityTau?: number;
  /** Keep per-row columns (default true); needed by bootstrap, diversity and bias loss. */
  keepRows?: boolean;
  /** Expected number of rows, when known: the per-row columns are allocated once. */
  expectedRows?: number;
}

/** One batch of per-sample columns (`SampleColumns` of batch.ts plus labels and groups). */
export interface MetricsBatch {
  label: ArrayLike<number>;
  /** Class index (classification) or predicted value (regression). */
  pred: ArrayLike<number>;
  loss: ArrayLike<number>;
  /** Binary: P(pos). Multiclass: top-label probability (used when `probs` is absent). */
  score?: ArrayLike<number>;
  /** Multiclass [N,K] probabilities (confidence and Brier score come from them). */
  probs?: ArrayLike<number>;
  /** Non-negative sample weights (default 1). */
  weight?: ArrayLike<number>;
  /** Per-sample feature variance (A.4), for diversity and bias loss. */
  variance?: ArrayLike<number>;
  /** Dice terms p̃ per sample ([N] binary, [N,K] multiclass) when the loss is dice. */
  diceP?: ArrayLike<number>;
  /** One Int32Array of codes per sensitive column (−1 = missing). */
  groups: readonly Int32Array[];
  /** Value dictionaries per sensitive column (append-only across batches). */
  groupValues: readonly (readonly string[])[];
  /** Row number of the first row, for messages. */
  rowOffset?: number;
  /**
   * Global 1-based data row number of each row (keys the Poisson bootstrap, docs/SHARDING.md);
   * default: consecutive from `rowOffset` (or from the rows added so far + 1).
   */
  rowNumbers?: ArrayLike<number>;
  /** Data file, for messages. */
  file?: string;
}

/** Options of `finish`. */
export interface FinishOptions {
  minGroupSize?: number;
  /** Bootstrap replicates (0 = no intervals). */
  bootstrap?: number;
  seed?: number;
  /** Resampling of the bootstrap (default multinomial, FORMULAS.md §B). */
  scheme?: BootstrapScheme;
  /**
   * 'rows' draws the multinomial scheme's replicates as n row indices instead of the count-based
   * draws (docs/BOOTSTRAP.md; the same distribution, slower): for cross-checks.
   */
  sampler?: 'auto' | 'rows';
  confidence?: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

const DENSE_LIMIT = 1 << 16;
/**
 * eceBin and addRow through module-local bindings: under tsx (tests, benchmarks) an imported
 * function is read through the CommonJS export getter on every call, about 15% of `add` in a CPU
 * profile.
 */
const binOf = eceBin;
const addRow = addStoredRow;

/** Accumulates per-group metrics batch by batch; `finish` builds the report section. */
export class GroupMetricsBuilder {
  private readonly task: MetricsTask;
  private readonly sensitive: readonly string[];
  private readonly config: AccumulatorConfig;
  private readonly keepRows: boolean;
  private readonly options: GroupBuilderOptions;
  private readonly dictionaries: string[][];
  private readonly raw: RawSet;
  private rowsAdded = 0;
  private readonly slotCodes: number[][] = [];
  private readonly slotOfKey = new Map<number, number>();
  private dense: Int32Array | null = null;
  private strides: number[];
  private radix: number[];
  private readonly missingByColumn: number[];
  private missingGroup = 0;
  private readonly rows: RowStore;
  /** Set by `fromStates`: the merged Poisson replicates' accumulators (the rows are elsewhere). */
  private mergedReplicates: { sets: RawSet[]; settings: NonNullable<GroupsState['bootstrap']> } | null = null;
  /** True for a builder made by `fromStates` (its numbers come from sums, not rows). */
  private merged = false;

  constructor(options: GroupBuilderOptions) {
    this.options = options;
    this.task = options.task;
    this.sensitive = [...options.sensitive];
    const numClasses = options.task === 'binary' ? 2 : options.task === 'regression' ? 1 : (options.numClasses ?? 0);
    if (options.task === 'multiclass' && !(Number.isInteger(numClasses) && numClasses >= 2)) {
      throw new InspectorError('bad-config', 'failure', `multiclass group metrics need numClasses ≥ 2, got ${numClasses}`);
    }
    this.config = options.dice === undefined ? { task: this.task, numClasses } : { task: this.task, numClasses, dice: options.dice };
    this.keepRows = options.keepRows ?? true;
    if (options.biasLoss !== undefined && !this.keepRows) {
      throw new InspectorError('bad-config', 'failure', 'bias_loss needs the per-row columns (keepRows: true)');
    }
    const c = this.sensitive.length;
    this.dictionaries = Array.from({ length: c }, () => []);
    this.raw = { slots: [], missing: this.newAcc(), partial: Array.from({ length: c }, () => []) };
    this.radix = new Array<number>(c).fill(1);
    this.strides = this.computeStrides();
    this.missingByColumn = new Array<number>(c).fill(0);
    this.rows = new RowStore(c, this.task === 'multiclass' ? numClasses : 1);
    if (this.keepRows && options.expectedRows !== undefined && options.expectedRows > 0) {
      this.rows.reserve(options.expectedRows, false, false);
    }
  }

  /** Global row numbers of the stored rows, in order (empty without per-row columns). */
  rowNumbers(): Uint32Array {
    return Uint32Array.from(this.rows.rowNumber.subarray(0, this.rows.n));
  }

  /**
   * Sizes the per-row columns for about `rows` rows in all (an estimate from the file's size: one
   * allocation instead of doubling up to it); no effect without per-row columns or when they
   * already hold that many. More rows than that still fit (the columns grow again).
   */
  expectRows(rows: number): void {
    if (!this.keepRows || !(rows > this.rows.label.length)) return;
    this.rows.reserve(Math.ceil(rows) - this.rows.n, this.rows.variance !== null, this.rows.diceP !== null);
  }

  /** Rows added so far. */
  get rowCount(): number {
    return this.rowsAdded;
  }

  /** The accumulator of all rows (for callers that merge partial results). */
  get overallAccumulator(): GroupAccumulator {
    return this.derive(this.raw).overall;
  }

  /** Overall and per-column accumulators from a pass's intersections and missing-value rows. */
  private derive(raw: RawSet): AccSet {
    const overall = this.newAcc();
    for (const a of raw.slots) overall.merge(a);
    overall.merge(raw.missing);
    const columns = raw.partial.map((accs) => accs.map((a) => a.clone()));
    raw.slots.forEach((a, s) => {
      const codes = this.slotCodes[s] as number[];
      for (let c = 0; c < codes.length; c++) ((columns[c] as GroupAccumulator[])[codes[c] as number] as GroupAccumulator).merge(a);
    });
    return { overall, columns, slots: raw.slots };
  }

  private newAcc(): GroupAccumulator {
    return new GroupAccumulator(this.config);
  }

  private computeStrides(): number[] {
    const strides: number[] = [];
    let s = 1;
    for (let c = this.radix.length - 1; c >= 0; c--) {
      strides[c] = s;
      s *= this.radix[c] as number;
    }
    if (s > 2 ** 52) throw new BadInputError('too-many-groups', `sensitive columns ${this.sensitive.join(', ')} have too many value combinations`);
    this.dense = s <= DENSE_LIMIT ? new Int32Array(s).fill(-1) : null;
    return strides;
  }

  private keyOf(codes: readonly number[]): number {
    let key = 0;
    for (let c = 0; c < codes.length; c++) key += (codes[c] as number) * (this.strides[c] as number);
    return key;
  }

  /** Adopts grown dictionaries: new column accumulators, and a new key layout when a radix overflows. */
  private syncDictionaries(values: readonly (readonly string[])[]): void {
    let rekey = false;
    for (let c = 0; c < this.sensitive.length; c++) {
      const dict = this.dictionaries[c] as string[];
      const next = values[c] as readonly string[];
      for (let j = dict.length; j < next.length; j++) dict.push(next[j] as string);
      const accs = this.raw.partial[c] as GroupAccumulator[];
      while (accs.length < dict.length) accs.push(this.newAcc());
      let r = this.radix[c] as number;
      while (r < dict.length) r *= 2;
      if (r !== this.radix[c]) {
        this.radix[c] = r;
        rekey = true;
      }
    }
    if (!rekey) return;
    this.strides = this.computeStrides();
    this.slotOfKey.clear();
    this.slotCodes.forEach((codes, slot) => this.remember(this.keyOf(codes), slot));
  }

  private remember(key: number, slot: number): void {
    if (this.dense !== null) this.dense[key] = slot;
    else this.slotOfKey.set(key, slot);
  }

  private newSlot(key: number, codes: number[]): number {
    const slot = this.slotCodes.length;
    this.slotCodes.push(codes);
    this.raw.slots.push(this.newAcc());
    this.remember(key, slot);
    return slot;
  }

  /** Adds one batch. Labels and predictions of classification tasks must be class indices. */
  add(batch: MetricsBatch): void {
    const n = batch.label.length;
    this.validate(batch, n);
    this.syncDictionaries(batch.groupValues);
    const { task } = this;
    const k = this.config.numClasses;
    const cols = this.sensitive.length;
    const { label, pred, loss, score, probs, weight, groups } = batch;
    const partial = this.raw.partial;
    const missingAcc = this.raw.missing;
    const slotAccs = this.raw.slots;
    const dense = this.dense;
    const strides = this.strides;
    const keep = this.keepRows;
    const rows = this.rows;
    const diceP = batch.diceP;
    const diceWidth = task === 'multiclass' ? k : 1;
    if (keep) rows.reserve(n, batch.variance !== undefined, diceP !== undefined);
    const base = rows.n;
    const codesScratch = new Array<number>(cols).fill(0);
    const diceMode = this.config.dice !== undefined;
    const regression = task === 'regression';
    const diceArr = diceP === undefined ? null : diceP;

    for (let i = 0; i < n; i++) {
      const y = label[i] as number;
      const yhat = pred[i] as number;
      const l = diceMode ? 0 : (loss[i] as number); // dice: set-level, per-sample losses are NaN by design
      const w = weight === undefined ? 1 : (weight[i] as number);
      let conf = NaN;
      let brier = NaN;
      let bin = -1;
      // The ECE scores the top label; the given prediction is one unless it was thresholded elsewhere.
      let topOk = y === yhat ? 1 : 0;
      if (task !== 'regression') {
        if (task === 'binary') {
          if (score !== undefined) {
            const p = score[i] as number;
            conf = p >= 0.5 ? p : 1 - p;
            brier = (p - y) * (p - y);
            if ((yhat === 1 ? p : 1 - p) !== conf && conf === conf) topOk = 1 - topOk;
          }
        } else if (probs !== undefined) {
          conf = 0;
          brier = 0;
          let top = 0;
          const o = i * k;
          for (let c = 0; c < k; c++) {
            const p = probs[o + c] as number;
            if (p > conf || p !== p) {
              conf = p;
              top = c;
            }
            const d = p - (c === y ? 1 : 0);
            brier += d * d;
          }
          if (probs[o + yhat] !== conf && conf === conf) topOk = top === y ? 1 : 0;
        } else if (score !== undefined) {
          conf = score[i] as number;
        }
        bin = binOf(conf);
      }

      let key = 0;
      let missing = false;
      for (let c = 0; c < cols; c++) {
        const code = (groups[c] as Int32Array)[i] as number;
        codesScratch[c] = code;
        if (code < 0) missing = true;
        else key += code * (strides[c] as number);
      }
      let slot = -1;
      if (missing) {
        this.missingGroup++;
        addRow(missingAcc, regression, y, yhat, conf, bin, brier, l, w, 1, diceArr, i * diceWidth, topOk);
        for (let c = 0; c < cols; c++) {
          const code = codesScratch[c] as number;
          if (code < 0) this.missingByColumn[c] = (this.missingByColumn[c] as number) + 1;
          else addRow((partial[c] as GroupAccumulator[])[code] as GroupAccumulator, regression, y, yhat, conf, bin, brier, l, w, 1, diceArr, i * diceWidth, topOk);
        }
      } else {
        slot = dense !== null ? (dense[key] as number) : (this.slotOfKey.get(key) ?? -1);
        if (slot < 0) slot = this.newSlot(key, codesScratch.slice());
        const a = slotAccs[slot] as GroupAccumulator;
        if (regression) a.addRegression(y, yhat, l, w, 1);
        else a.addClassified(y, yhat, conf, bin, brier, l, w, 1, topOk);
        if (diceP !== undefined) a.addDice(diceP, i * diceWidth, y, w);
      }
      if (keep) {
        const r = base + i;
        rows.conf[r] = conf;
        rows.brier[r] = brier;
        rows.bin[r] = bin;
        rows.topCorrect[r] = topOk;
        rows.slot[r] = slot;
      }
    }
    if (keep) {
      // column copies run as bulk typed-array copies, outside the per-row loop
      copyInto(rows.label, label, base);
      copyInto(rows.pred, pred, base);
      copyInto(rows.loss, loss, base);
      if (weight === undefined) rows.weight.fill(1, base, base + n);
      else copyInto(rows.weight, weight, base);
      if (batch.rowNumbers !== undefined) copyInto(rows.rowNumber, batch.rowNumbers, base);
      else {
        const first = batch.rowOffset ?? this.rowsAdded + 1;
        for (let i = 0; i < n; i++) rows.rowNumber[base + i] = first + i;
      }
      for (let c = 0; c < cols; c++) (rows.codes[c] as Int32Array).set(groups[c] as Int32Array, base);
      if (batch.variance !== undefined && rows.variance !== null) copyInto(rows.variance, batch.variance, base);
      if (diceP !== undefined && rows.diceP !== null) copyInto(rows.diceP, diceP, base * diceWidth);
      rows.n = base + n;
    }
    this.rowsAdded += n;
  }

  /** Labels, predictions and weights are checked before anything is added, so a refused batch changes nothing. */
  private validateRows(batch: MetricsBatch, n: number): void {
    const offset = batch.rowOffset ?? 0;
    const { label, pred, weight } = batch;
    if (weight !== undefined) {
      for (let i = 0; i < n; i++) {
        const w = weight[i] as number;
        if (!(w >= 0 && w < Infinity)) throw this.rowError(batch, offset + i, 'bad-weight', `weight ${w} is not a finite non-negative number`);
      }
    }
    if (this.task === 'regression') return;
    const k = this.config.numClasses;
    for (let i = 0; i < n; i++) {
      const y = label[i] as number;
      const yhat = pred[i] as number;
      if (!((y >>> 0) === y && y < k)) throw this.rowError(batch, offset + i, 'bad-label', `label ${y} is not a class index in [0, ${k})`);
      if (!((yhat >>> 0) === yhat && yhat < k)) {
        throw this.rowError(batch, offset + i, 'bad-prediction', `prediction ${yhat} is not a class index in [0, ${k})`);
      }
    }
  }

  private rowError(batch: MetricsBatch, row: number, code: string, why: string): BadInputError {
    return new BadInputError(code, `row ${row}: ${why}`, batch.file === undefined ? undefined : { file: batch.file });
  }

  private validate(batch: MetricsBatch, n: number): void {
    const bad = (what: string, len: number, expected = n): void => {
      if (len !== expected) {
        throw new InspectorError('batch-shape', 'failure', `group metrics batch: ${what} has ${len} values, expected ${expected}`);
      }
    };
    bad('pred', batch.pred.length);
    bad('loss', batch.loss.length);
    if (batch.score !== undefined) bad('score', batch.score.length);
    if (batch.probs !== undefined) bad('probs', batch.probs.length, n * this.config.numClasses);
    if (batch.weight !== undefined) bad('weight', batch.weight.length);
    if (batch.variance !== undefined) bad('variance', batch.variance.length);
    if (batch.rowNumbers !== undefined) bad('rowNumbers', batch.rowNumbers.length);
    if (batch.diceP !== undefined) bad('diceP', batch.diceP.length, n * (this.task === 'multiclass' ? this.config.numClasses : 1));
    if (batch.diceP !== undefined && this.config.dice === undefined) {
      throw new InspectorError('batch-shape', 'failure', 'group metrics batch: diceP given but the builder was not configured for dice');
    }
    if (!this.keepRows && batch.variance !== undefined) {
      throw new InspectorError('bad-config', 'failure', 'feature variances need the per-row columns (keepRows: true)');
    }
    bad('groups', batch.groups.length, this.sensitive.length);
    bad('groupValues', batch.groupValues.length, this.sensitive.length);
    this.validateRows(batch, n);
    for (let c = 0; c < this.sensitive.length; c++) {
      const dict = this.dictionaries[c] as string[];
      const next = batch.groupValues[c] as readonly string[];
      const shared = Math.min(dict.length, next.length);
      for (let j = 0; j < shared; j++) {
        if (dict[j] !== next[j]) {
          throw new InspectorError(
            'group-dictionary',
            'failure',
            `group metrics batch: column "${this.sensitive[c]}" code ${j} was "${dict[j]}" and is now "${next[j]}"; dictionaries must only grow`,
          );
        }
      }
      const codes = batch.groups[c] as Int32Array;
      const size = next.length;
      bad(`groups[${c}]`, codes.length);
      for (let i = 0; i < n; i++) {
        const code = codes[i] as number;
        if (code >= size || code < -1) {
          throw new InspectorError(
            'group-code',
            'failure',
            `group metrics batch: code ${code} of column "${this.sensitive[c]}" outside its ${size}-value dictionary`,
          );
        }
      }
    }
  }

  /** Builds the `groups` section; bootstrap replicates yield to the event loop so `signal` can cancel. */
  async finish(options: FinishOptions = {}): Promise<GroupsSection> {
    const minGroupSize = options.minGroupSize ?? 30;
    const replicates = options.bootstrap ?? 0;
    const seed = options.seed ?? 0;
    const confidence = options.confidence ?? 0.95;
    if (this.rowsAdded === 0) throw new BadInputError('no-rows', 'group metrics: no rows were evaluated');
    if (this.merged) return this.finishMerged(minGroupSize, options);
    if (replicates > 0 && !this.keepRows) {
      throw new InspectorError('bad-config', 'failure', 'bootstrap intervals need the per-row columns (keepRows: true)');
    }
    checkBootstrap(replicates);
    if (!(confidence > 0 && confidence < 1)) throw new BadInputError('bad-confidence', `confidence: ${confidence} is not in (0, 1)`);
    let acc = this.derive(this.raw);
    const layout = this.layout(acc);
    const diversity = this.rows.variance !== null && this.keepRows ? normaliseVariances(this.rows.variance.subarray(0, this.rows.n)) : null;
    let lossColumn: Float64Array | null = null;
    if (this.options.biasLoss !== undefined) {
      lossColumn = this.biasLossColumn(diversity?.vHat ?? null);
      acc = this.derive(this.accumulateRows(null, lossColumn));
    }
    const point = this.compute(acc, layout);
    let section = this.assemble(point, acc, layout, minGroupSize);
    if (diversity !== null) {
      section = {
        ...section,
        diversity: diversitySection(this.rows, diversity, layout, {
          tau: this.options.diversityTau ?? 0.1, alpha: this.options.biasLoss?.alpha ?? 0.3, beta: this.options.biasLoss?.beta ?? 0.3,
          sensitive: this.sensitive, slots: this.slotCodes.length, dictionarySizes: this.dictionaries.map((d) => d.length),
        }),
      };
    }
    if (replicates > 0) {
      const scheme = options.scheme ?? 'multinomial';
      const n = this.rows.n;
      const side = scheme === 'multinomial' && options.sampler !== 'rows' ? this.bootstrapRows(lossColumn) : null;
      let replicate: (b: number) => Computed;
      let sampler: 'cells' | 'cells+rows' | 'rows' | undefined = scheme === 'multinomial' ? 'rows' : undefined;
      if (side !== null) {
        // docs/BOOTSTRAP.md: multinomial counts over cells (plus rows inside blocks where row values are summed)
        const cells = new CellResampler({ n, slot: this.rows.slot.subarray(0, n), codes: this.rows.codes.map((c) => c.subarray(0, n)), slots: this.slotCodes.length, sides: [side] });
        const rng = new Xoshiro128(seed);
        sampler = cells.method;
        replicate = () => {
          cells.draw(rng);
          const raw = this.emptyRaw();
          cells.fill(0, raw);
          return this.compute(this.derive(raw), layout);
        };
      } else {
        const draw = scheme === 'poisson' ? poissonCounts(this.rows.rowNumber.subarray(0, n), seed) : multinomialCounts(n, seed);
        replicate = (b) => this.compute(this.derive(this.accumulateRows(draw(b), lossColumn)), layout);
      }
      section = await withBootstrapIntervals(
        section, layout, this.compute(this.derive(this.raw), layout), replicate,
        { replicates, seed, confidence, scheme, sampler, signal: options.signal, onProgress: options.onProgress },
      );
    }
    return section;
  }

  /**
   * The stored rows as the count-based bootstrap reads them (docs/BOOTSTRAP.md); null when a
   * replicate needs the row path: the dice loss (per-class sums of row terms), or more classes
   * than a cell's attribute holds. `lossColumn`: the per-row loss to use (the Bias Loss's).
   */
  bootstrapRows(lossColumn: Float64Array | null = this.options.biasLoss !== undefined ? this.cachedBiasLoss() : null): CellSideRows | null {
    if (!this.keepRows || this.config.dice !== undefined || this.config.numClasses > 4096) return null;
    const r = this.rows;
    const n = r.n;
    return {
      task: this.task, numClasses: this.config.numClasses,
      label: r.label.subarray(0, n), pred: r.pred.subarray(0, n), conf: r.conf.subarray(0, n), brier: r.brier.subarray(0, n),
      loss: (lossColumn ?? r.loss).subarray(0, n), weight: r.weight.subarray(0, n), bin: r.bin.subarray(0, n), topCorrect: r.topCorrect.subarray(0, n),
    };
  }

  /** Number of intersection slots (the `slots` of the count-based bootstrap). */
  get intersectionSlots(): number {
    return this.slotCodes.length;
  }

  /**
   * The records of a resample whose accumulators `fill` writes into a fresh set of this builder's
   * layout (the count-based bootstrap's `CellResampler.fill`); the same shape as `replicate`.
   */
  replicateFrom(fill: (raw: RawSet) => void): { overall: MetricRecord; byGroup: (MetricRecord | null)[]; byColumn: (MetricRecord | null)[][]; fairness: Float64Array } {
    const raw = this.emptyRaw();
    fill(raw);
    const computed = this.compute(this.derive(raw), this.currentLayout());
    return { overall: computed.overall, byGroup: computed.slots, byColumn: computed.columns.map((c) => c.records), fairness: computed.slotDisparity.fairness };
  }

  /**
   * Where each stored row's groups are in the report: `slotRank[rawSlot]` is the row's
   * intersection index in `byGroup`, `columnRank[c][code]` its index in `byColumn[c].byGroup`
   * (−1: not reported). The keys are the report's, in its order. Same layout as `finish`.
   */
  groupLayout(): { slotRank: Int32Array; columnRank: Int32Array[]; slotKeys: GroupKey[]; columnKeys: GroupKey[][]; metrics: readonly string[] } {
    const layout = this.currentLayout();
    const slotRank = new Int32Array(this.slotCodes.length).fill(-1);
    layout.slotOrder.forEach((s, g) => (slotRank[s] = g));
    const columnRank = layout.columnOrder.map((codes, c) => {
      const rank = new Int32Array((this.dictionaries[c] as string[]).length).fill(-1);
      codes.forEach((code, g) => (rank[code] = g));
      return rank;
    });
    return { slotRank, columnRank, slotKeys: layout.slotKeys, columnKeys: layout.columnKeys, metrics: layout.metrics };
  }

  /**
   * The stored per-row columns (views, length `rowCount`): label, prediction, weight, raw
   * intersection slot (−1 when a value is missing) and each sensitive column's codes. Throws
   * when the builder keeps no rows.
   */
  storedRows(): { n: number; label: Float64Array; pred: Float64Array; weight: Float64Array; slot: Int32Array; codes: Int32Array[] } {
    if (!this.keepRows) throw new InspectorError('bad-config', 'failure', 'stored rows need the per-row columns (keepRows: true)');
    const r = this.rows;
    const n = r.n;
    return { n, label: r.label.subarray(0, n), pred: r.pred.subarray(0, n), weight: r.weight.subarray(0, n), slot: r.slot.subarray(0, n), codes: r.codes.map((c) => c.subarray(0, n)) };
  }

  /**
   * The metric records of one resample (row i counted `counts[i]` times; null = every row once),
   * in the report's order, plus Fairlearn's summaries over the intersections (binary). A group
   * absent from the resample is null. The bootstrap of `finish` computes the same values.
   */
  replicate(counts: Int32Array | null): { overall: MetricRecord; byGroup: (MetricRecord | null)[]; byColumn: (MetricRecord | null)[][]; fairness: Float64Array } {
    if (counts !== null && !this.keepRows) throw new InspectorError('bad-config', 'failure', 'resamples need the per-row columns (keepRows: true)');
    const lossColumn = this.options.biasLoss !== undefined ? this.cachedBiasLoss() : null;
    const raw = counts === null && lossColumn === null ? this.raw : this.accumulateRows(counts, lossColumn);
    const computed = this.compute(this.derive(raw), this.currentLayout());
    return { overall: computed.overall, byGroup: computed.slots, byColumn: computed.columns.map((c) => c.records), fairness: computed.slotDisparity.fairness };
  }

  /** `replicate` of a `fromStates` builder: the records of merged Poisson replicate b (null: the pass itself). */
  mergedReplicate(b: number | null): ReturnType<GroupMetricsBuilder['replicate']> {
    const merged = this.mergedReplicates;
    if (b !== null && (merged === null || !merged.sets[b])) throw new InspectorError('bad-config', 'failure', `merged replicate ${b}: the states hold no such Poisson replicate`);
    const computed = this.compute(this.derive(b === null ? this.raw : merged!.sets[b] as RawSet), this.currentLayout());
    return { overall: computed.overall, byGroup: computed.slots, byColumn: computed.columns.map((c) => c.records), fairness: computed.slotDisparity.fairness };
  }

  private layoutCache: { rows: number; layout: Layout } | null = null;
  private biasLossCache: { rows: number; column: Float64Array } | null = null;

  private currentLayout(): Layout {
    if (this.layoutCache?.rows !== this.rowsAdded) this.layoutCache = { rows: this.rowsAdded, layout: this.layout(this.derive(this.raw)) };
    return this.layoutCache.layout;
  }

  private cachedBiasLoss(): Float64Array {
    if (this.biasLossCache?.rows !== this.rowsAdded) {
      const v = this.rows.variance;
      const vHat = v === null ? null : normaliseVariances(v.subarray(0, this.rows.n)).vHat;
      this.biasLossCache = { rows: this.rowsAdded, column: this.biasLossColumn(vHat) };
    }
    return this.biasLossCache.column;
  }

  /** Report order of groups: intersections and column values sorted by their values. */
  private layout(acc: AccSet): Layout {
    const valueOf = (c: number, code: number): string => (this.dictionaries[c] as string[])[code] as string;
    const slotOrder = this.slotCodes.map((_, s) => s);
    const cmpTuple = (a: number, b: number): number => {
      const ca = this.slotCodes[a] as number[];
      const cb = this.slotCodes[b] as number[];
      for (let c = 0; c < ca.length; c++) {
        const x = valueOf(c, ca[c] as number);
        const y = valueOf(c, cb[c] as number);
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    };
    slotOrder.sort(cmpTuple);
    const columnOrder = acc.columns.map((accs, c) =>
      accs
        .map((_, code) => code)
        .filter((code) => (accs[code] as GroupAccumulator).count > 0)
        .sort((a, b) => {
          const x = valueOf(c, a);
          const y = valueOf(c, b);
          return x === y ? 0 : x < y ? -1 : 1;
        }),
    );
    const slotKeys = slotOrder.map((s) => {
      const key: Record<string, string> = {};
      (this.slotCodes[s] as number[]).forEach((code, c) => (key[this.sensitive[c] as string] = valueOf(c, code)));
      return key;
    });
    const columnKeys = columnOrder.map((codes, c) => codes.map((code) => ({ [this.sensitive[c] as string]: valueOf(c, code) })));
    return { slotOrder, columnOrder, slotKeys, columnKeys, metrics: scalarMetricNames(this.task) };
  }

  private compute(acc: AccSet, layout: Layout): Computed {
    const finalize = (a: GroupAccumulator | undefined): MetricRecord | null => (a === undefined || a.count === 0 ? null : a.finalize());
    const overall = acc.overall.finalize();
    const slots = layout.slotOrder.map((s) => finalize(acc.slots[s]));
    const columns = layout.columnOrder.map((codes, c) => {
      const records = codes.map((code) => finalize(acc.columns[c]?.[code]));
      return { records, disparity: disparityValues(records, overall, layout.metrics, this.task) };
    });
    return { overall, slots, slotDisparity: disparityValues(slots, overall, layout.metrics, this.task), columns };
  }

  private assemble(point: Computed, acc: AccSet, layout: Layout, minGroupSize: number): GroupsSection {
    const classification = this.task !== 'regression';
    const entry = (key: GroupKey, record: MetricRecord, a: GroupAccumulator): GroupEntry => ({
      group: key, ...record,
      ...(classification ? { calibration: a.calibration() } : {}),
      ...(record.count < minGroupSize ? { small: true as const } : {}),
    });
    const byGroup = layout.slotOrder.map((s, g) =>
      entry(layout.slotKeys[g] as GroupKey, point.slots[g] as MetricRecord, acc.slots[s] as GroupAccumulator),
    );
    const overall: OverallEntry = { ...point.overall, ...(classification ? { calibration: acc.overall.calibration() } : {}) };
    const byColumn: ColumnTable[] = layout.columnOrder.map((codes, c) => {
      const keys = layout.columnKeys[c] as GroupKey[];
      const table = point.columns[c] as Computed['columns'][number];
      return {
        column: this.sensitive[c] as string,
        byGroup: codes.map((code, g) =>
          entry(keys[g] as GroupKey, table.records[g] as MetricRecord, acc.columns[c]?.[code] as GroupAccumulator),
        ),
        disparity: disparitySection(table.disparity, keys, layout.metrics),
        missing: this.missingByColumn[c] as number,
      };
    });
    return {
      sensitive: [...this.sensitive],
      overall,
      byGroup,
      disparity: disparitySection(point.slotDisparity, layout.slotKeys, layout.metrics),
      task: this.task,
      byColumn,
      missingGroup: this.missingGroup,
      minGroupSize,
    };
  }

  /**
   * Per-row loss of bias_loss: z_i·CE_i with v̂ normalised once over the whole evaluated dataset
   * (FORMULAS.md A.4). Bootstrap replicates reuse these per-row values: v̂ is treated as a
   * property of each sample, not re-normalised per replicate.
   */
  private biasLossColumn(vHat: Float64Array | null): Float64Array {
    const n = this.rows.n;
    const out = new Float64Array(n);
    const alpha = this.options.biasLoss?.alpha ?? 0.3;
    const beta = this.options.biasLoss?.beta ?? 0.3;
    for (let i = 0; i < n; i++) {
      const v = vHat === null ? NaN : (vHat[i] as number);
      out[i] = biasLossWeight(v, alpha, beta) * (this.rows.loss[i] as number);
    }
    return out;
  }

  /**
   * The mergeable state of this pass (docs/SHARDING.md §3): the sums by group values, and with
   * `bootstrap > 0` the sums of each Poisson replicate (rows weighted by Poisson(1) draws keyed by
   * their global row numbers). The Bias Loss and feature diversity normalise over the whole
   * dataset, so they have no mergeable state.
   */
  exportState(o: { bootstrap: number; seed: number; confidence?: number }): GroupsState {
    if (this.options.biasLoss !== undefined || this.rows.variance !== null) {
      throw new BadInputError('state.not-mergeable', 'the Bias Loss and feature diversity normalise over the whole dataset: they cannot be computed in shards (run them unsharded)');
    }
    if (o.bootstrap > 0 && !this.keepRows && this.rowsAdded > 0) throw new InspectorError('bad-config', 'failure', 'bootstrap intervals need the per-row columns (keepRows: true)');
    const confidence = o.confidence ?? 0.95;
    const n = this.rows.n;
    const replicates: SumsSet[] = [];
    if (o.bootstrap > 0) {
      const draw = poissonCounts(this.rows.rowNumber.subarray(0, n), o.seed);
      for (let b = 0; b < o.bootstrap; b++) replicates.push(this.sumsSet(this.accumulateRows(draw(b), null)));
    }
    return {
      task: this.task, numClasses: this.config.numClasses, ...(this.config.dice !== undefined ? { dice: this.config.dice } : {}),
      sensitive: [...this.sensitive], rows: this.rowsAdded, missingGroup: this.missingGroup, missingByColumn: [...this.missingByColumn],
      sums: this.sumsSet(this.raw),
      bootstrap: o.bootstrap > 0 ? { replicates: o.bootstrap, seed: o.seed, confidence, scheme: 'poisson' } : null,
      replicates,
    };
  }

  private sumsSet(raw: RawSet): SumsSet {
    const valueOf = (c: number, code: number): string => (this.dictionaries[c] as string[])[code] as string;
    return {
      slots: raw.slots.flatMap((a, s) => (a.count === 0 ? [] : [{ group: (this.slotCodes[s] as number[]).map((code, c) => valueOf(c, code)), sums: sumsOf(a) }])),
      missing: sumsOf(raw.missing),
      partial: raw.partial.flatMap((accs, c) => accs.flatMap((a, code) => (a.count === 0 ? [] : [{ column: c, value: valueOf(c, code), sums: sumsOf(a) }]))),
    };
  }

  /**
   * A builder holding the sum of shards' states (docs/SHARDING.md §3); its `finish` gives the
   * report a single pass over all their rows gives (with the Poisson bootstrap). The states must
   * share task, classes, loss settings, sensitive columns and bootstrap settings.
   */
  static fromStates(states: readonly GroupsState[]): GroupMetricsBuilder {
    const first = states[0];
    if (first === undefined) throw new BadInputError('state.none', 'merge: no states to merge');
    for (const s of states) {
      const same = s.task === first.task && s.numClasses === first.numClasses && JSON.stringify(s.dice ?? null) === JSON.stringify(first.dice ?? null)
        && s.sensitive.join('\u0000') === first.sensitive.join('\u0000');
      if (!same) throw new BadInputError('state.mismatch', `merge: the states were computed with different tasks, classes, losses or sensitive columns (${first.task}/${first.sensitive.join(',')} vs ${s.task}/${s.sensitive.join(',')})`);
      if (JSON.stringify(s.bootstrap) !== JSON.stringify(first.bootstrap)) throw new BadInputError('state.mismatch', 'merge: the states were computed with different bootstrap settings (replicates, seed, confidence)');
    }
    const builder = new GroupMetricsBuilder({
      task: first.task, sensitive: first.sensitive, numClasses: first.numClasses, keepRows: false,
      ...(first.dice !== undefined ? { dice: first.dice } : {}),
    });
    builder.merged = true;
    for (const s of states) builder.absorb(s);
    if (first.bootstrap !== null) {
      const sets = Array.from({ length: first.bootstrap.replicates }, () => builder.emptyRaw());
      for (const s of states) s.replicates.forEach((set, b) => builder.addSumsSet(sets[b] as RawSet, set));
      builder.mergedReplicates = { sets, settings: first.bootstrap };
    }
    return builder;
  }

  private emptyRaw(): RawSet {
    return { slots: this.raw.slots.map(() => this.newAcc()), missing: this.newAcc(), partial: this.raw.partial.map((accs) => accs.map(() => this.newAcc())) };
  }

  /** Adopts a state's group values and adds its pass sums. */
  private absorb(state: GroupsState): void {
    const values = this.dictionaries.map((d) => [...d]);
    const want = (c: number, v: string): void => {
      const dict = values[c] as string[];
      if (!dict.includes(v)) dict.push(v);
    };
    for (const slot of state.sums.slots) slot.group.forEach((v, c) => want(c, v));
    for (const p of state.sums.partial) want(p.column, p.value);
    this.syncDictionaries(values);
    this.addSumsSet(this.raw, state.sums);
    this.rowsAdded += state.rows;
    this.missingGroup += state.missingGroup;
    state.missingByColumn.forEach((m, c) => (this.missingByColumn[c] = (this.missingByColumn[c] as number) + m));
  }

  /** Adds a sums set into an accumulator set of this builder's layout (new intersections get slots). */
  private addSumsSet(raw: RawSet, set: SumsSet): void {
    const codeOf = (c: number, v: string): number => {
      const code = (this.dictionaries[c] as string[]).indexOf(v);
      if (code < 0) throw new InspectorError('state.value', 'failure', `merge: value "${v}" of column ${this.sensitive[c]} is in a replicate but not in its state's pass`);
      return code;
    };
    for (const slot of set.slots) {
      const codes = slot.group.map((v, c) => codeOf(c, v));
      const key = this.keyOf(codes);
      let s = this.dense !== null ? (this.dense[key] as number) : (this.slotOfKey.get(key) ?? -1);
      if (s < 0) {
        if (raw !== this.raw) throw new InspectorError('state.value', 'failure', `merge: group ${slot.group.join(', ')} is in a replicate but not in its state's pass`);
        s = this.newSlot(key, codes);
      }
      addSums(raw.slots[s] as GroupAccumulator, slot.sums);
    }
    addSums(raw.missing, set.missing);
    for (const p of set.partial) addSums((raw.partial[p.column] as GroupAccumulator[])[codeOf(p.column, p.value)] as GroupAccumulator, p.sums);
  }

  /** `finish` of a merged builder: the point estimates from the merged sums, intervals from the merged replicates. */
  private async finishMerged(minGroupSize: number, options: FinishOptions): Promise<GroupsSection> {
    const acc = this.derive(this.raw);
    const layout = this.layout(acc);
    const point = this.compute(acc, layout);
    const section = this.assemble(point, acc, layout, minGroupSize);
    const merged = this.mergedReplicates;
    if (merged === null) return section;
    const { replicates, seed, confidence } = merged.settings;
    return withBootstrapIntervals(section, layout, point, (b) => this.compute(this.derive(merged.sets[b] as RawSet), layout), {
      replicates, seed, confidence, scheme: 'poisson', signal: options.signal, onProgress: options.onProgress,
    });
  }

  /** Accumulates the stored rows, each `counts[i]` times (all once when null). */
  private accumulateRows(counts: Int32Array | null, lossColumn: Float64Array | null): RawSet {
    const cols = this.sensitive.length;
    const set: RawSet = {
      slots: this.raw.slots.map(() => this.newAcc()),
      missing: this.newAcc(),
      partial: this.raw.partial.map((accs) => accs.map(() => this.newAcc())),
    };
    const r = this.rows;
    const loss = lossColumn ?? r.loss;
    const regression = this.task === 'regression';
    const diceP = r.diceP;
    const dw = this.task === 'multiclass' ? this.config.numClasses : 1;
    const diceMode = this.config.dice !== undefined;
    for (let i = 0; i < r.n; i++) {
      const m = counts === null ? 1 : (counts[i] as number);
      if (m === 0) continue;
      const y = r.label[i] as number;
      const yhat = r.pred[i] as number;
      const l = diceMode ? 0 : (loss[i] as number); // dice: set-level, per-sample losses are NaN by design
      const w = (r.weight[i] as number) * m;
      const conf = r.conf[i] as number;
      const bin = r.bin[i] as number;
      const brier = r.brier[i] as number;
      const top = r.topCorrect[i] as number;
      const off = i * dw;
      const slot = r.slot[i] as number;
      if (slot >= 0) {
        addRow(set.slots[slot] as GroupAccumulator, regression, y, yhat, conf, bin, brier, l, w, m, diceP, off, top);
        continue;
      }
      addRow(set.missing, regression, y, yhat, conf, bin, brier, l, w, m, diceP, off, top);
      for (let c = 0; c < cols; c++) {
        const code = (r.codes[c] as Int32Array)[i] as number;
        if (code >= 0) addRow((set.partial[c] as GroupAccumulator[])[code] as GroupAccumulator, regression, y, yhat, conf, bin, brier, l, w, m, diceP, off, top);
      }
    }
    return set;
  }
}
