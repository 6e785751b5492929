/**
 * A mergeable per-group accumulator (FORMULAS.md §B): plain sums, merge = add, so batches,
 * workers and bootstrap replicates combine in any order. `finalize()` turns the sums into a
 * record with Fairlearn's metric names. Every rate whose denominator is 0 follows Fairlearn /
 * scikit-learn (0.0 for confusion-matrix rates and precision); the record carries the group's
 * positives and negatives so a reader can tell a real 0 from an empty denominator.
 */
import { diceFromSums, type DiceOptions } from './losses';
import type {
  BinaryMetrics, CalibrationBin, CommonMetrics, MetricRecord, MetricsTask, MetricValues, MulticlassMetrics, RegressionMetrics,
} from '../../protocol/groups';

export type { BinaryMetrics, CalibrationBin, CommonMetrics, MetricRecord, MetricsTask, MulticlassMetrics, RegressionMetrics };

/** Number of equal-width confidence bins of the ECE. */
export const ECE_BINS = 15;
const EDGES = Float64Array.from({ length: ECE_BINS + 1 }, (_, b) => b / ECE_BINS);

/**
 * Bin of a top-label confidence: bins are (b/15, (b+1)/15] with float64 edges b/15 (left-open,
 * right-closed; 0 goes to bin 0). `ceil(c·15) − 1` is off by one when c·15 rounds across an
 * edge, so the float64 edges decide. Returns −1 for NaN.
 */
export function eceBin(c: number): number {
  if (Number.isNaN(c)) return -1;
  let b = Math.ceil(c * ECE_BINS) - 1;
  if (b < 0) return 0;
  if (b >= ECE_BINS) return ECE_BINS - 1;
  if (b > 0 && c <= (EDGES[b] as number)) b--;
  else if (b < ECE_BINS - 1 && c > (EDGES[b + 1] as number)) b++;
  return b;
}

/** Scalar metrics of a task, in report order (the ones disparities and intervals cover). */
export function scalarMetricNames(task: MetricsTask): readonly string[] {
  if (task === 'binary') {
    return ['loss', 'accuracy', 'error_rate', 'selection_rate', 'tpr', 'fpr', 'fnr', 'tnr', 'precision', 'brier', 'ece'];
  }
  if (task === 'multiclass') return ['loss', 'accuracy', 'error_rate', 'brier', 'ece', 'macro_f1'];
  return ['loss', 'mse', 'mae'];
}

/** Whether larger is better (worst group = argmin) or worse (argmax: losses and error rates). */
export function higherIsBetter(metric: string): boolean {
  return ['accuracy', 'selection_rate', 'tpr', 'tnr', 'precision', 'macro_f1'].includes(metric);
}

/** Reads a scalar metric of a record by name (NaN when the record has no such scalar). */
export function metricValue(record: MetricValues, metric: string): number {
  const v = (record as Readonly<Record<string, unknown>>)[metric];
  return typeof v === 'number' ? v : NaN;
}

/** Accumulator configuration: shared by all accumulators that will be merged. */
export interface AccumulatorConfig {
  task: MetricsTask;
  /** 2 for binary, K for multiclass, 1 for regression. */
  numClasses: number;
  /** Set when the loss is the set-level dice loss (A.5): `loss` is then computed from dice sums. */
  dice?: DiceOptions;
}

const ratio0 = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Sums of one group. All fields are plain numbers or Float64Arrays; `merge` adds them. */
export class GroupAccumulator {
  readonly config: AccumulatorConfig;
  /** config.task === 'binary', read on every row. */
  private readonly binary: boolean;
  count = 0;
  weight = 0;
  lossSum = 0;
  lossWeight = 0;
  nanLosses = 0;
  correct = 0;
  brierSum = 0;
  // binary confusion matrix (weighted) and unweighted class counts
  tp = 0;
  fp = 0;
  tn = 0;
  fn = 0;
  positives = 0;
  negatives = 0;
  selected = 0;
  // regression
  sqErr = 0;
  absErr = 0;
  errWeight = 0;
  /** Per ECE bin: [Σw, Σw·conf, Σw·top-label correct, count]. */
  readonly bins: Float64Array;
  /** Multiclass, per class: [tp_w, support_w, predicted_w, support_n, predicted_n]. */
  readonly perClass: Float64Array;
  /** Dice, per class (binary: class 1 only): [Σp̃y, Σp̃, Σy, Σp̃², Σy²], weighted. */
  readonly diceSums: Float64Array;

  constructor(config: AccumulatorConfig) {
    this.config = config;
    this.binary = config.task === 'binary';
    const classification = config.task !== 'regression';
    this.bins = new Float64Array(classification ? ECE_BINS * 4 : 0);
    this.perClass = new Float64Array(config.task === 'multiclass' ? config.numClasses * 5 : 0);
    const diceClasses = config.task === 'multiclass' ? config.numClasses : 1;
    this.diceSums = new Float64Array(config.dice !== undefined && classification ? diceClasses * 5 : 0);
  }

  /**
   * Adds `n` copies of one classified sample with total weight `w` (= n·sample weight).
   * `bin` = eceBin(conf), `brier` = Σ_c (p_c − y_c)² (binary: (p − y)²). `topCorrect` (1/0): whether
   * the top label, whose confidence `conf` is, is right; the ECE bins count it. It differs from
   * `label === pred` only when the given prediction is not a top label (a predictions file
   * thresholded elsewhere than 0.5).
   */
  addClassified(
    label: number, pred: number, conf: number, bin: number, brier: number, loss: number, w: number, n: number,
    topCorrect: number = label === pred ? 1 : 0,
  ): void {
    this.addClassifiedCell(label, pred, bin, topCorrect, loss === loss ? 0 : 1, n, w, w * loss, w * brier, w * conf);
  }

  /**
   * Adds a cell of `n` classified rows that share label, prediction, ECE bin, top-label
   * correctness and loss NaN-ness (the count-based bootstrap, docs/BOOTSTRAP.md): `w` = Σ weight,
   * `wLoss` = Σ weight·loss (ignored when `lossNaN`), `wBrier` = Σ weight·Brier term, `wConf` =
   * Σ weight·confidence (ignored when `bin` < 0). The same sums `addClassified` makes row by row.
   */
  addClassifiedCell(label: number, pred: number, bin: number, topCorrect: number, lossNaN: number, n: number, w: number, wLoss: number, wBrier: number, wConf: number): void {
    this.count += n;
    this.weight += w;
    if (lossNaN === 0) {
      this.lossSum += wLoss;
      this.lossWeight += w;
    } else {
      this.nanLosses += n;
    }
    const correct = label === pred;
    if (correct) this.correct += w;
    this.brierSum += wBrier;
    if (bin >= 0) {
      const o = bin * 4;
      const bins = this.bins;
      bins[o] = (bins[o] as number) + w;
      bins[o + 1] = (bins[o + 1] as number) + wConf;
      if (topCorrect === 1) bins[o + 2] = (bins[o + 2] as number) + w;
      bins[o + 3] = (bins[o + 3] as number) + n;
    }
    if (this.binary) {
      if (label === 1) {
        this.positives += n;
        if (pred === 1) this.tp += w;
        else this.fn += w;
      } else {
        this.negatives += n;
        if (pred === 1) this.fp += w;
        else this.tn += w;
      }
      if (pred === 1) this.selected += w;
    } else {
      const pc = this.perClass;
      const lo = label * 5;
      const po = pred * 5;
      if (correct) pc[lo] = (pc[lo] as number) + w;
      pc[lo + 1] = (pc[lo + 1] as number) + w;
      pc[lo + 3] = (pc[lo + 3] as number) + n;
      pc[po + 2] = (pc[po + 2] as number) + w;
      pc[po + 4] = (pc[po + 4] as number) + n;
    }
  }

  /** A cell of `n` regression rows (see addClassifiedCell): Σ weight, Σ weight·loss, Σ weight·e², Σ weight·|e|. */
  addRegressionCell(lossNaN: number, errNaN: number, n: number, w: number, wLoss: number, wSqErr: number, wAbsErr: number): void {
    this.count += n;
    this.weight += w;
    if (lossNaN === 0) {
      this.lossSum += wLoss;
      this.lossWeight += w;
    } else {
      this.nanLosses += n;
    }
    if (errNaN === 0) {
      this.sqErr += wSqErr;
      this.absErr += wAbsErr;
      this.errWeight += w;
    }
  }

  /** Adds `n` copies of one regression sample with total weight `w`. */
  addRegression(label: number, pred: number, loss: number, w: number, n: number): void {
    this.count += n;
    this.weight += w;
    if (loss === loss) {
      this.lossSum += w * loss;
      this.lossWeight += w;
    } else {
      this.nanLosses += n;
    }
    const e = pred - label;
    if (e === e) {
      this.sqErr += w * e * e;
      this.absErr += w * Math.abs(e);
      this.errWeight += w;
    }
  }

  /** Adds one sample's dice terms p̃ (`diceP[offset ..]`, one per class; binary: one) with weight `w`. */
  addDice(diceP: ArrayLike<number>, offset: number, label: number, w: number): void {
    const d = this.diceSums;
    const k = d.length / 5;
    for (let c = 0; c < k; c++) {
      const p = diceP[offset + c] as number;
      const y = k === 1 ? label : label === c ? 1 : 0;
      const o = c * 5;
      d[o] = (d[o] as number) + w * p * y;
      d[o + 1] = (d[o + 1] as number) + w * p;
      d[o + 2] = (d[o + 2] as number) + w * y;
      d[o + 3] = (d[o + 3] as number) + w * p * p;
      d[o + 4] = (d[o + 4] as number) + w * y * y;
    }
  }

  /** Adds another accumulator's sums into this one (same config). Returns `this`. */
  merge(other: GroupAccumulator): this {
    this.count += other.count;
    this.weight += other.weight;
    this.lossSum += other.lossSum;
    this.lossWeight += other.lossWeight;
    this.nanLosses += other.nanLosses;
    this.correct += other.correct;
    this.brierSum += other.brierSum;
    this.tp += other.tp;
    this.fp += other.fp;
    this.tn += other.tn;
    this.fn += other.fn;
    this.positives += other.positives;
    this.negatives += other.negatives;
    this.selected += other.selected;
    this.sqErr += other.sqErr;
    this.absErr += other.absErr;
    this.errWeight += other.errWeight;
    addInto(this.bins, other.bins);
    addInto(this.perClass, other.perClass);
    addInto(this.diceSums, other.diceSums);
    return this;
  }

  /** A fresh accumulator holding the same sums. */
  clone(): GroupAccumulator {
    return new GroupAccumulator(this.config).merge(this);
  }

  /** The metric record of the accumulated samples. */
  finalize(): MetricRecord {
    const loss = this.config.dice !== undefined && this.diceSums.length > 0 ? this.diceLoss() : this.lossSum / this.lossWeight;
    const common: CommonMetrics = { count: this.count, loss, nan_losses: this.nanLosses };
    if (this.config.task === 'regression') {
      return { ...common, mse: this.sqErr / this.errWeight, mae: this.absErr / this.errWeight };
    }
    const accuracy = this.correct / this.weight;
    const brier = this.brierSum / this.weight;
    const ece = this.ece();
    if (this.config.task === 'binary') {
      const { tp, fp, tn, fn } = this;
      return {
        ...common,
        accuracy,
        error_rate: 1 - accuracy,
        selection_rate: this.selected / this.weight,
        tpr: ratio0(tp, tp + fn),
        fpr: ratio0(fp, fp + tn),
        fnr: ratio0(fn, fn + tp),
        tnr: ratio0(tn, tn + fp),
        precision: ratio0(tp, tp + fp),
        brier,
        ece,
        positives: this.positives,
        negatives: this.negatives,
      };
    }
    return { ...common, accuracy, error_rate: 1 - accuracy, brier, ece, ...this.perClassMetrics() };
  }

  /** ECE = Σ_b (|B_b|/N)·|mean conf − mean correct| over non-empty bins (weighted). */
  ece(): number {
    const bins = this.bins;
    let total = 0;
    for (let b = 0; b < ECE_BINS; b++) total += bins[b * 4] as number;
    if (total === 0) return NaN; // no confidences (e.g. predictions without scores)
    let ece = 0;
    for (let b = 0; b < ECE_BINS; b++) {
      const w = bins[b * 4] as number;
      if (w === 0) continue;
      const conf = (bins[b * 4 + 1] as number) / w;
      const acc = (bins[b * 4 + 2] as number) / w;
      ece += Math.abs(conf - acc) * (w / total);
    }
    return ece;
  }

  /** Reliability-diagram points (non-empty bins). */
  calibration(): CalibrationBin[] {
    const out: CalibrationBin[] = [];
    const bins = this.bins;
    for (let b = 0; b < bins.length / 4; b++) {
      const w = bins[b * 4] as number;
      if (w === 0) continue;
      out.push({
        bin: b,
        lo: EDGES[b] as number,
        hi: EDGES[b + 1] as number,
        count: bins[b * 4 + 3] as number,
        meanConfidence: (bins[b * 4 + 1] as number) / w,
        meanCorrect: (bins[b * 4 + 2] as number) / w,
      });
    }
    return out;
  }

  private perClassMetrics(): Pick<MulticlassMetrics, 'macro_f1' | 'per_class_recall' | 'per_class_support'> {
    const k = this.config.numClasses;
    const pc = this.perClass;
    const recall: number[] = [];
    const support: number[] = [];
    let f1Sum = 0;
    let present = 0;
    for (let c = 0; c < k; c++) {
      const tp = pc[c * 5] as number;
      const sup = pc[c * 5 + 1] as number;
      const predicted = pc[c * 5 + 2] as number;
      recall.push(ratio0(tp, sup));
      support.push(pc[c * 5 + 3] as number);
      // scikit-learn's macro average runs over the labels present in y_true or y_pred.
      if ((pc[c * 5 + 3] as number) > 0 || (pc[c * 5 + 4] as number) > 0) {
        f1Sum += ratio0(2 * tp, sup + predicted);
        present++;
      }
    }
    return { macro_f1: present === 0 ? NaN : f1Sum / present, per_class_recall: recall, per_class_support: support };
  }

  /** A.5 dice loss of the group: binary class 1; multiclass mean over classes present or predicted. */
  private diceLoss(): number {
    const d = this.diceSums;
    const opts = this.config.dice ?? {};
    const one = (c: number): number =>
      diceFromSums(d[c * 5] as number, d[c * 5 + 1] as number, d[c * 5 + 2] as number, d[c * 5 + 3] as number, d[c * 5 + 4] as number, opts);
    if (this.config.task !== 'multiclass') return this.count === 0 ? NaN : one(0);
    let sum = 0;
    let present = 0;
    for (let c = 0; c < this.config.numClasses; c++) {
      if ((this.perClass[c * 5 + 3] as number) > 0 || (this.perClass[c * 5 + 4] as number) > 0) {
        sum += one(c);
        present++;
      }
    }
    return present === 0 ? NaN : sum / present;
  }
}

function addInto(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) + (b[i] as number);
}

/** Merges two accumulators into a new one (neither input changes). */
export function mergeAccumulators(a: GroupAccumulator, b: GroupAccumulator): GroupAccumulator {
  return a.clone().merge(b);
}
