/**
 * Turns one batch of model output (a flat Float32Array + dims, as onnxruntime returns it) into
 * per-sample columns: score, probabilities, prediction and loss (FORMULAS.md §A).
 *
 * Shapes: binary tasks take one logit/probability per sample ([N] or [N,1]) or two ([N,2],
 * positive class = index 1); multiclass [N,K] (middle axes of size 1 are allowed); regression
 * [N] or [N,1]; ensembles [N,…,M] with the members on the last axis (middle axes of size 1).
 * Binary prediction = 1 when P(pos) > 0.5 (ties go to class 0, like argmax over [1−p, p]).
 */
import { BadInputError } from '../errors';
import {
  almostFairCrps,
  bceFromLogit,
  bceFromProb,
  binaryFocalFromLogit,
  binaryFocalFromProb,
  crossEntropyFromLogits,
  crossEntropyFromProbs,
  diceTerm,
  ensembleCrps,
  generalizedFocalWeight,
  logSumExp,
  multiclassFocalFromLogits,
  multiclassFocalFromProbs,
  sigmoid,
  type DiceOptions,
  type FocalOptions,
  type LossName,
} from './losses';

export type OutputKind = 'logits' | 'probabilities' | 'regression' | 'ensemble';
export type TaskKind = 'binary' | 'multiclass' | 'regression';

/** The loss and its parameters, as a spec gives them. */
export interface LossConfig {
  name: LossName;
  focal?: FocalOptions;
  dice?: DiceOptions;
  /** α of the almost-fair CRPS (default 0.95). */
  afCrpsAlpha?: number;
  /** A.6 generalized focal weighting parameters (applied when `likelihood` is given). */
  generalizedFocal?: { eta?: number; gamma?: number };
}

/** Which losses each task/output kind accepts. */
export function allowedLosses(task: TaskKind, outputKind: OutputKind): readonly LossName[] {
  if (task === 'binary') return ['cross_entropy', 'binary_cross_entropy', 'focal', 'dice', 'bias_loss'];
  if (task === 'multiclass') return ['cross_entropy', 'focal', 'dice', 'bias_loss'];
  return outputKind === 'ensemble' ? ['mse', 'mae', 'crps', 'fair_crps', 'af_crps'] : ['mse', 'mae'];
}

/** One batch of model output plus its labels. */
export interface OutputBatch {
  data: Float32Array | Float64Array;
  dims: readonly number[];
  outputKind: OutputKind;
  task: TaskKind;
  labels: ArrayLike<number>;
  loss: LossConfig;
  /** A.6 likelihood column p ∈ (0, 1]; when given the loss is multiplied by its weight. */
  likelihood?: ArrayLike<number>;
  /** Output tensor name, for messages. */
  tensor?: string;
  /** Data file, for messages. */
  file?: string;
  /** Row number of this batch's first sample in the data file, for messages (default 0). */
  rowOffset?: number;
}

/** Per-sample columns of one batch. */
export interface SampleColumns {
  n: number;
  /** 2 for binary, K for multiclass, 1 for regression. */
  numClasses: number;
  /** Binary: P(pos). Multiclass: probability of the predicted class. Regression: the prediction. */
  score: Float64Array;
  /** Multiclass only: row-major [N,K] probabilities (softmax of logits, or the model's). */
  probs?: Float64Array;
  /** Class index (binary/multiclass) or predicted value (regression: ensemble mean). */
  pred: Float64Array;
  /**
   * Per-sample loss. `dice` is a set-level loss: NaN here, see `diceP`. `bias_loss`: the
   * cross-entropy, weighted once the dataset's feature-diversity normalisation is known.
   */
  loss: Float64Array;
  /** `dice` only: p̃ = (1−p)^α·p per sample and class ([N] binary, [N,K] multiclass). */
  diceP?: Float64Array;
}

interface Layout {
  n: number;
  /** Values per sample. */
  width: number;
}

/** Converts one output batch into per-sample columns; bad shapes, labels and losses are BadInputError. */
export function evaluateBatch(batch: OutputBatch): SampleColumns {
  const ctx = describe(batch);
  checkLossAllowed(batch, ctx);
  const layout = layoutOf(batch, ctx);
  if (batch.labels.length !== layout.n) {
    throw new BadInputError(
      'label-count',
      `${ctx}: ${layout.n} samples in the output but ${batch.labels.length} labels`,
      fileOpt(batch),
    );
  }
  const cols =
    batch.task === 'binary'
      ? binaryColumns(batch, layout, ctx)
      : batch.task === 'multiclass'
        ? multiclassColumns(batch, layout, ctx)
        : regressionColumns(batch, layout, ctx);
  if (batch.likelihood !== undefined) applyGeneralizedFocal(batch, cols.loss, ctx);
  return cols;
}

function describe(batch: OutputBatch): string {
  return `output "${batch.tensor ?? 'output'}"`;
}

function fileOpt(batch: OutputBatch): { file: string } | undefined {
  return batch.file === undefined ? undefined : { file: batch.file };
}

function checkLossAllowed(batch: OutputBatch, ctx: string): void {
  const kindOk =
    batch.task === 'regression'
      ? batch.outputKind === 'regression' || batch.outputKind === 'ensemble'
      : batch.outputKind === 'logits' || batch.outputKind === 'probabilities';
  if (!kindOk) {
    throw new BadInputError(
      'output-kind-mismatch',
      `outputKind: "${batch.outputKind}" does not fit task "${batch.task}" (${ctx})`,
      fileOpt(batch),
    );
  }
  const allowed = allowedLosses(batch.task, batch.outputKind);
  if (!allowed.includes(batch.loss.name)) {
    throw new BadInputError(
      'loss-task-mismatch',
      `loss: "${batch.loss.name}" does not apply to a ${batch.task} task with ${batch.outputKind} output; use one of ${allowed.join(', ')}`,
      fileOpt(batch),
    );
  }
}

function layoutOf(batch: OutputBatch, ctx: string): Layout {
  const dims = batch.dims;
  const bad = (why: string): BadInputError =>
    new BadInputError('output-shape', `${ctx}: shape [${dims.join(', ')}] ${why}`, fileOpt(batch));
  if (dims.length === 0) throw bad('has no sample axis');
  const n = dims[0] as number;
  let width = 1;
  for (let i = 1; i < dims.length; i++) width *= dims[i] as number;
  if (n * width !== batch.data.length) throw bad(`does not match its ${batch.data.length} values`);
  const last = dims.length > 1 ? (dims[dims.length - 1] as number) : 1;
  if (width !== last) throw bad('has middle axes larger than 1');
  if (batch.task === 'binary' && width !== 1 && width !== 2) {
    throw bad('is not a binary output: expected [N], [N,1] or [N,2]');
  }
  if (batch.task === 'multiclass' && width < 2) throw bad('has fewer than 2 classes');
  if (batch.outputKind === 'regression' && width !== 1) throw bad('is not one value per sample: expected [N] or [N,1]');
  if (batch.outputKind === 'ensemble' && width < 2 && (batch.loss.name === 'fair_crps' || batch.loss.name === 'af_crps')) {
    throw new BadInputError(
      'ensemble-too-small',
      `${ctx}: ${batch.loss.name} needs at least 2 ensemble members on the last axis, got 1`,
      fileOpt(batch),
    );
  }
  return { n, width };
}

function labelError(batch: OutputBatch, ctx: string, i: number, y: number, expected: string): BadInputError {
  const row = (batch.rowOffset ?? 0) + i;
  return new BadInputError('bad-label', `row ${row}: label ${y} is not ${expected} (${ctx})`, fileOpt(batch));
}

function probError(batch: OutputBatch, ctx: string, i: number, p: number): BadInputError {
  const row = (batch.rowOffset ?? 0) + i;
  return new BadInputError(
    'probability-out-of-range',
    `row ${row}: ${ctx} gives ${p}, outside [0, 1]; is outputKind "probabilities" right (logits?)`,
    fileOpt(batch),
  );
}

function binaryColumns(batch: OutputBatch, { n, width }: Layout, ctx: string): SampleColumns {
  const { data, labels } = batch;
  const score = new Float64Array(n);
  const pred = new Float64Array(n);
  const loss = new Float64Array(n);
  const name = batch.loss.name;
  const alpha = batch.loss.focal?.alpha ?? 0.25;
  const gamma = batch.loss.focal?.gamma ?? 2;
  const fromLogits = batch.outputKind === 'logits';
  if (fromLogits && name !== 'focal' && name !== 'dice') {
    checkBinaryLabels(batch, labels, n, ctx);
    if (width === 2 && name !== 'binary_cross_entropy') twoLogitsCrossEntropy(data, labels, n, score, pred, loss);
    else oneLogitBce(data, labels, n, width, score, pred, loss);
    return { n, numClasses: 2, score, pred, loss };
  }
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    if (y !== 0 && y !== 1) throw labelError(batch, ctx, i, y, '0 or 1');
    const off = i * width;
    if (fromLogits) {
      // Two logits: softmax[1] = σ(z1 − z0); the loss of `cross_entropy` uses LSE over both.
      const x = width === 2 ? (data[off + 1] as number) - (data[off] as number) : (data[off] as number);
      score[i] = sigmoid(x);
      pred[i] = x > 0 ? 1 : 0;
      if (name === 'focal') loss[i] = binaryFocalFromLogit(x, y, alpha, gamma);
      else if (name === 'dice') loss[i] = NaN;
      else if (width === 2 && name !== 'binary_cross_entropy') loss[i] = crossEntropyFromLogits(data, off, 2, y);
      else loss[i] = bceFromLogit(x, y);
    } else {
      const p = width === 2 ? (data[off + 1] as number) : (data[off] as number);
      if (p < 0 || p > 1) throw probError(batch, ctx, i, p);
      score[i] = p;
      pred[i] = p > 0.5 ? 1 : 0;
      if (name === 'focal') loss[i] = binaryFocalFromProb(p, y, alpha, gamma);
      else if (name === 'dice') loss[i] = NaN;
      else if (width === 2 && name !== 'binary_cross_entropy') loss[i] = crossEntropyFromProbs(data, off, y);
      else loss[i] = bceFromProb(p, y);
    }
  }
  const cols: SampleColumns = { n, numClasses: 2, score, pred, loss };
  if (name === 'dice') {
    const a = batch.loss.dice?.alpha ?? 0;
    const diceP = new Float64Array(n);
    for (let i = 0; i < n; i++) diceP[i] = diceTerm(score[i] as number, a);
    cols.diceP = diceP;
  }
  return cols;
}

/** Throws the error of the first label that is not 0 or 1 (as the per-row loop would). */
function checkBinaryLabels(batch: OutputBatch, labels: ArrayLike<number>, n: number, ctx: string): void {
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    if (y !== 0 && y !== 1) throw labelError(batch, ctx, i, y, '0 or 1');
  }
}

/**
 * Binary cross-entropy over two logits, the same numbers as `sigmoid(z1 − z0)` and
 * `crossEntropyFromLogits(z, off, 2, y)` with one exp and one log per sample: for finite logits
 * both need e = exp(−|z1 − z0|) (min − max = −(max − min) exactly), LSE = max + log(1 + e) (the
 * loop's sum 0 + exp(0) + e, in either order, is 1 + e) and σ(x) = 1/(1 + e) or e/(1 + e).
 * Non-finite logits take the general functions.
 */
function twoLogitsCrossEntropy(
  data: Float32Array | Float64Array, labels: ArrayLike<number>, n: number, score: Float64Array, pred: Float64Array, loss: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const z0 = data[2 * i] as number;
    const z1 = data[2 * i + 1] as number;
    const y = labels[i] as number;
    const x = z1 - z0;
    pred[i] = x > 0 ? 1 : 0;
    if (Math.abs(z0) < Infinity && Math.abs(z1) < Infinity) {
      const e = Math.exp(-Math.abs(x));
      const s = 1 + e;
      score[i] = x >= 0 ? 1 / s : e / s;
      loss[i] = (z0 >= z1 ? z0 : z1) + Math.log(s) - (y === 1 ? z1 : z0);
    } else {
      score[i] = sigmoid(x);
      loss[i] = crossEntropyFromLogits(data, 2 * i, 2, y);
    }
  }
}

/**
 * Binary cross-entropy from one logit x (or z1 − z0 of two): `sigmoid(x)` and `bceFromLogit(x, y)`
 * sharing e = exp(−|x|) (exp(−x) for x ≥ 0, exp(x) below: the same value).
 */
function oneLogitBce(
  data: Float32Array | Float64Array, labels: ArrayLike<number>, n: number, width: number, score: Float64Array, pred: Float64Array, loss: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const off = i * width;
    const x = width === 2 ? (data[off + 1] as number) - (data[off] as number) : (data[off] as number);
    const y = labels[i] as number;
    const e = Math.exp(-Math.abs(x));
    score[i] = x >= 0 ? 1 / (1 + e) : e / (1 + e);
    pred[i] = x > 0 ? 1 : 0;
    loss[i] = Math.max(x, 0) - x * y + Math.log1p(e);
  }
}

function multiclassColumns(batch: OutputBatch, { n, width: k }: Layout, ctx: string): SampleColumns {
  const { data, labels } = batch;
  const score = new Float64Array(n);
  const pred = new Float64Array(n);
  const loss = new Float64Array(n);
  const probs = new Float64Array(n * k);
  const name = batch.loss.name;
  const gamma = batch.loss.focal?.gamma ?? 2;
  const classAlpha = batch.loss.focal?.classAlpha;
  const fromLogits = batch.outputKind === 'logits';
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    if (!Number.isInteger(y) || y < 0 || y >= k) throw labelError(batch, ctx, i, y, `a class index in [0, ${k})`);
    const off = i * k;
    let best = 0;
    let bestV = -Infinity;
    for (let j = 0; j < k; j++) {
      const v = data[off + j] as number;
      if (v > bestV) {
        bestV = v;
        best = j;
      }
    }
    if (fromLogits) {
      const lse = logSumExp(data, off, k);
      for (let j = 0; j < k; j++) probs[off + j] = Math.exp((data[off + j] as number) - lse);
      if (name === 'focal') loss[i] = multiclassFocalFromLogits(data, off, k, y, gamma, classAlpha);
      else if (name === 'dice') loss[i] = NaN;
      else loss[i] = crossEntropyFromLogits(data, off, k, y);
    } else {
      for (let j = 0; j < k; j++) {
        const p = data[off + j] as number;
        if (p < 0 || p > 1) throw probError(batch, ctx, i, p);
        probs[off + j] = p;
      }
      if (name === 'focal') loss[i] = multiclassFocalFromProbs(data, off, y, gamma, classAlpha);
      else if (name === 'dice') loss[i] = NaN;
      else loss[i] = crossEntropyFromProbs(data, off, y);
    }
    pred[i] = best;
    score[i] = probs[off + best] as number;
  }
  const cols: SampleColumns = { n, numClasses: k, score, probs, pred, loss };
  if (name === 'dice') {
    const a = batch.loss.dice?.alpha ?? 0;
    const diceP = new Float64Array(n * k);
    for (let i = 0; i < n * k; i++) diceP[i] = diceTerm(probs[i] as number, a);
    cols.diceP = diceP;
  }
  return cols;
}

function regressionColumns(batch: OutputBatch, { n, width: m }: Layout, _ctx: string): SampleColumns {
  const { data, labels } = batch;
  const pred = new Float64Array(n);
  const loss = new Float64Array(n);
  const name = batch.loss.name;
  const afAlpha = batch.loss.afCrpsAlpha ?? 0.95;
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    const off = i * m;
    let s = 0;
    for (let j = 0; j < m; j++) s += data[off + j] as number;
    const yhat = s / m;
    pred[i] = yhat;
    const e = yhat - y;
    if (name === 'mse') loss[i] = e * e;
    else if (name === 'mae') loss[i] = Math.abs(e);
    else if (name === 'crps') loss[i] = ensembleCrps(data, off, m, y, false);
    else if (name === 'fair_crps') loss[i] = ensembleCrps(data, off, m, y, true);
    else loss[i] = almostFairCrps(data, off, m, y, afAlpha);
  }
  return { n, numClasses: 1, score: pred.slice(), pred, loss };
}

function applyGeneralizedFocal(batch: OutputBatch, loss: Float64Array, ctx: string): void {
  const lik = batch.likelihood as ArrayLike<number>;
  if (lik.length !== loss.length) {
    throw new BadInputError(
      'likelihood-count',
      `likelihood: ${lik.length} values for ${loss.length} samples (${ctx})`,
      fileOpt(batch),
    );
  }
  const eta = batch.loss.generalizedFocal?.eta ?? 1;
  const gamma = batch.loss.generalizedFocal?.gamma ?? 5;
  for (let i = 0; i < loss.length; i++) {
    const p = lik[i] as number;
    if (!(p > 0 && p <= 1)) {
      throw new BadInputError(
        'bad-likelihood',
        `row ${(batch.rowOffset ?? 0) + i}: likelihood ${p} is not in (0, 1]`,
        fileOpt(batch),
      );
    }
    loss[i] = (loss[i] as number) * generalizedFocalWeight(p, eta, gamma);
  }
}
