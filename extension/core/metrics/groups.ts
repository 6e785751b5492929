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
 * (rowStore.ts: 54 + 4·C bytes per row for C sensitive columns, about 61 MB per million rows
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
import { withBootstrapIntervals } from './bootstrap';
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
  /** Data file, for messages. */
  file?: string;
}

/** Options of `finish`. */
export interface FinishOptions {
  minGroupSize?: number;
  /** Bootstrap replicates (0 = no intervals). */
  bootstrap?: number;
  seed?: number;
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
      section = await withBootstrapIntervals(
        section, layout, this.compute(this.derive(this.raw), layout),
        (counts) => this.compute(this.derive(this.accumulateRows(counts, lossColumn)), layout),
        { rows: this.rows.n, replicates, seed, confidence, signal: options.signal, onProgress: options.onProgress },
      );
    }
    return section;
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
