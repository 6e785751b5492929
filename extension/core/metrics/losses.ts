/**
 * Per-sample losses of FORMULAS.md §A, in float64. Every function here is pure and allocation
 * free on its hot path; the batch converter that turns a model output tensor into per-sample
 * score / prediction / loss columns lives in `batch.ts`.
 */
import { BadInputError } from '../errors';

/** The loss names a spec may use (FORMULAS.md §A). */
export const LOSS_NAMES = [
  'cross_entropy',
  'binary_cross_entropy',
  'focal',
  'mse',
  'mae',
  'dice',
  'crps',
  'fair_crps',
  'af_crps',
  'bias_loss',
] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/** Validates a loss name from a spec; `field` names where it came from (e.g. `spec.loss`). */
export function parseLossName(name: unknown, field = 'loss', file?: string): LossName {
  if (typeof name === 'string' && (LOSS_NAMES as readonly string[]).includes(name)) return name as LossName;
  const shown = typeof name === 'string' ? `"${name}"` : String(name);
  throw new BadInputError(
    'unknown-loss',
    `${field}: unknown loss ${shown}; expected one of ${LOSS_NAMES.join(', ')}`,
    file === undefined ? undefined : { file },
  );
}

/** Lower clamp of log-probabilities (PyTorch's BCELoss / NLL-from-probabilities convention). */
export const LOG_CLAMP = -100;

/** Stable log-sum-exp of `z[offset .. offset+k)`: m + log Σ exp(z − m), m = max. */
export function logSumExp(z: ArrayLike<number>, offset: number, k: number): number {
  let m = -Infinity;
  for (let j = 0; j < k; j++) {
    const v = z[offset + j] as number;
    if (v > m) m = v;
  }
  if (m === -Infinity || m === Infinity || Number.isNaN(m)) {
    // All -inf (log 0), a +inf logit, or a NaN: the plain formula gives the right limit or NaN.
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(z[offset + j] as number);
    return Math.log(s);
  }
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.exp((z[offset + j] as number) - m);
  return m + Math.log(s);
}

/** A.1 cross-entropy from logits: LSE(z) − z_y. */
export function crossEntropyFromLogits(z: ArrayLike<number>, offset: number, k: number, y: number): number {
  return logSumExp(z, offset, k) - (z[offset + y] as number);
}

/** A.1 cross-entropy from probabilities: −max(log p_y, −100). */
export function crossEntropyFromProbs(p: ArrayLike<number>, offset: number, y: number): number {
  return -Math.max(Math.log(p[offset + y] as number), LOG_CLAMP);
}

/** A.2 binary cross-entropy from a logit x: max(x,0) − x·y + log1p(exp(−|x|)). */
export function bceFromLogit(x: number, y: number): number {
  return Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
}

/** A.2 binary cross-entropy from a probability, log terms clamped at −100 (0·(−100) = 0). */
export function bceFromProb(p: number, y: number): number {
  const a = y === 0 ? 0 : y * Math.max(Math.log(p), LOG_CLAMP);
  const b = y === 1 ? 0 : (1 - y) * Math.max(Math.log(1 - p), LOG_CLAMP);
  return 0 - (a + b); // 0 − x, not −x: a perfect prediction gives +0, not −0
}

/** Logistic sigmoid, computed without overflow on either side. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Focal-loss parameters (A.3). `alpha < 0` disables α_t in the binary form. */
export interface FocalOptions {
  alpha?: number;
  gamma?: number;
  /** Multiclass only: α per class (default 1 for every class). */
  classAlpha?: readonly number[];
}

/** A.3 binary focal loss from a logit (torchvision `sigmoid_focal_loss`). */
export function binaryFocalFromLogit(x: number, y: number, alpha = 0.25, gamma = 2): number {
  const p = sigmoid(x);
  return focalFactor(p, y, alpha, gamma) * bceFromLogit(x, y);
}

/** A.3 binary focal loss when the model outputs a probability (BCE from the probability form). */
export function binaryFocalFromProb(p: number, y: number, alpha = 0.25, gamma = 2): number {
  return focalFactor(p, y, alpha, gamma) * bceFromProb(p, y);
}

function focalFactor(p: number, y: number, alpha: number, gamma: number): number {
  const pt = p * y + (1 - p) * (1 - y);
  const mod = Math.pow(1 - pt, gamma);
  return alpha >= 0 ? (alpha * y + (1 - alpha) * (1 - y)) * mod : mod;
}

/** A.3 multiclass focal loss from logits: −α_y·(1−p_y)^γ·log_softmax(z)_y. */
export function multiclassFocalFromLogits(
  z: ArrayLike<number>,
  offset: number,
  k: number,
  y: number,
  gamma = 2,
  classAlpha?: readonly number[],
): number {
  const logPy = (z[offset + y] as number) - logSumExp(z, offset, k);
  const a = classAlpha?.[y] ?? 1;
  return -a * Math.pow(1 - Math.exp(logPy), gamma) * logPy;
}

/** A.3 multiclass focal loss from probabilities, log clamped at −100. */
export function multiclassFocalFromProbs(
  p: ArrayLike<number>,
  offset: number,
  y: number,
  gamma = 2,
  classAlpha?: readonly number[],
): number {
  const py = p[offset + y] as number;
  const a = classAlpha?.[y] ?? 1;
  return -a * Math.pow(1 - py, gamma) * Math.max(Math.log(py), LOG_CLAMP);
}

/** A.4 Bias Loss weight z = exp(α·v̂) − β (α = β = 0.3). */
export function biasLossWeight(vHat: number, alpha = 0.3, beta = 0.3): number {
  return Math.exp(alpha * vHat) - beta;
}

/** A.5 self-adjusting dice term p̃ = (1−p)^α·p (α = 0: plain p). */
export function diceTerm(p: number, alpha = 0): number {
  return alpha === 0 ? p : Math.pow(1 - p, alpha) * p;
}

/** Dice options (A.5): smoothing s (default 1) and squared denominator. */
export interface DiceOptions {
  alpha?: number;
  smooth?: number;
  squareDenominator?: boolean;
}

/**
 * A.5 dice loss of one class from its set sums: 1 − (2Σp̃y + s)/(Σp̃ + Σy + s), or with
 * `squareDenominator` (Σp̃² + Σy² + s) in the denominator.
 */
export function diceFromSums(
  sumPY: number,
  sumP: number,
  sumY: number,
  sumP2: number,
  sumY2: number,
  options: DiceOptions = {},
): number {
  const s = options.smooth ?? 1;
  const den = options.squareDenominator === true ? sumP2 + sumY2 + s : sumP + sumY + s;
  return 1 - (2 * sumPY + s) / den;
}

/** A.6 DatasetEquity generalized focal weight w = (η + (1−p)^γ)/(η + 1), η = 1, γ = 5. */
export function generalizedFocalWeight(likelihood: number, eta = 1, gamma = 5): number {
  return (eta + Math.pow(1 - likelihood, gamma)) / (eta + 1);
}

/**
 * A.7 CRPS of an ensemble (members `x[offset .. offset+m)`, observation y). `fair` switches the
 * spread divisor from 2M² to 2M(M−1); M = 1 is an error for the fair form (thrown by the caller
 * with the tensor's name; here it yields NaN).
 */
export function ensembleCrps(x: ArrayLike<number>, offset: number, m: number, y: number, fair = false): number {
  let skill = 0;
  for (let j = 0; j < m; j++) skill += Math.abs((x[offset + j] as number) - y);
  let spread = 0;
  for (let j = 0; j < m; j++) {
    const xj = x[offset + j] as number;
    for (let k = j + 1; k < m; k++) spread += Math.abs(xj - (x[offset + k] as number));
  }
  spread *= 2; // the double sum over ordered pairs
  if (fair) return m < 2 ? NaN : skill / m - spread / (2 * m * (m - 1));
  return skill / m - spread / (2 * m * m);
}

/** A.7 almost-fair CRPS: α·fCRPS + (1−α)·CRPS, α = 0.95. */
export function almostFairCrps(x: ArrayLike<number>, offset: number, m: number, y: number, alpha = 0.95): number {
  return alpha * ensembleCrps(x, offset, m, y, true) + (1 - alpha) * ensembleCrps(x, offset, m, y, false);
}

/** A.8 mean squared error of two equally long arrays; empty input is an error. NaN propagates. */
export function meanSquaredError(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  checkPair(pred, target, 'mse');
  let s = 0;
  for (let i = 0; i < pred.length; i++) {
    const e = (pred[i] as number) - (target[i] as number);
    s += e * e;
  }
  return s / pred.length;
}

/** A.8 mean absolute error; empty input is an error. NaN propagates. */
export function meanAbsoluteError(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  checkPair(pred, target, 'mae');
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += Math.abs((pred[i] as number) - (target[i] as number));
  return s / pred.length;
}

function checkPair(pred: ArrayLike<number>, target: ArrayLike<number>, what: string): void {
  if (pred.length === 0) throw new BadInputError('empty-input', `${what}: no samples to average`);
  if (pred.length !== target.length) {
    throw new BadInputError('length-mismatch', `${what}: ${pred.length} predictions but ${target.length} targets`);
  }
}
