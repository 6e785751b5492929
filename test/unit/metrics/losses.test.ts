import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  almostFairCrps,
  bceFromLogit,
  bceFromProb,
  biasLossWeight,
  binaryFocalFromLogit,
  crossEntropyFromLogits,
  crossEntropyFromProbs,
  diceFromSums,
  diceTerm,
  ensembleCrps,
  generalizedFocalWeight,
  meanAbsoluteError,
  meanSquaredError,
  multiclassFocalFromLogits,
  parseLossName,
  sigmoid,
} from '../../../extension/core/metrics/losses';
import { BadInputError } from '../../../extension/core/errors';

const close = (actual: number, expected: number, tol = 1e-12): void => {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);
};

test('A.1 cross-entropy from logits, and shift invariance at z + 998', () => {
  close(crossEntropyFromLogits([2, 1, 0.1], 0, 3, 0), 0.41703001627783376);
  close(crossEntropyFromLogits([2 + 998, 1 + 998, 0.1 + 998], 0, 3, 0), 0.41703001627783376, 1e-9);
  // offset reads the right row
  close(crossEntropyFromLogits([9, 9, 2, 1, 0.1], 2, 3, 0), 0.41703001627783376);
});

test('A.1 cross-entropy from probabilities clamps log at -100', () => {
  close(crossEntropyFromProbs([0.2, 0.8], 0, 1), -Math.log(0.8));
  assert.equal(crossEntropyFromProbs([1, 0], 0, 1), 100);
});

test('A.2 binary cross-entropy examples', () => {
  close(bceFromLogit(1.5, 1), 0.2014132779827524);
  close(bceFromLogit(-0.5, 0), 0.4740769841801067);
  assert.equal(bceFromProb(0, 1), 100);
  assert.equal(bceFromProb(1, 0), 100);
  assert.equal(bceFromProb(1, 1), 0);
  close(bceFromProb(sigmoid(1.5), 1), 0.2014132779827524, 1e-12);
  // large logits do not overflow
  close(bceFromLogit(800, 0), 800);
  close(bceFromLogit(-800, 0), 0);
});

test('A.3 focal loss examples (alpha 0.25, gamma 2)', () => {
  close(binaryFocalFromLogit(2, 1), 0.00045089070881009483);
  close(binaryFocalFromLogit(-1, 0), 0.016993543131350496);
  close(binaryFocalFromLogit(-1, 1), 0.17546707585284624);
  // alpha < 0 disables alpha_t: (1 - p_t)^2 * BCE
  const p = sigmoid(-1);
  close(binaryFocalFromLogit(-1, 1, -1, 2), (1 - p) ** 2 * bceFromLogit(-1, 1));
  // gamma 0 and alpha disabled is plain BCE
  close(binaryFocalFromLogit(0.7, 1, -1, 0), bceFromLogit(0.7, 1));
});

test('A.3 multiclass focal: gamma 0 is cross-entropy; class alpha scales', () => {
  const z = [2, 1, 0.1];
  close(multiclassFocalFromLogits(z, 0, 3, 0, 0), 0.41703001627783376);
  const py = Math.exp(-0.41703001627783376);
  close(multiclassFocalFromLogits(z, 0, 3, 0, 2, [0.5, 1, 1]), 0.5 * (1 - py) ** 2 * 0.41703001627783376);
});

test('A.4 bias-loss weight (the example is given to float32 digits)', () => {
  close(biasLossWeight(0.3125), 0.79828507, 1e-7);
  close(biasLossWeight(0), 0.7);
  close(biasLossWeight(1), 1.0498588, 1e-7);
});

test('A.5 dice examples (binary, from set sums; the model emits float32 probabilities)', () => {
  // σ([2, −1, 0.5, −2]) as PyTorch's float32 sigmoid gives it (σ(2) is 1 ulp below the rounded value)
  const probs = [0.8807970285415649, 0.2689414322376251, 0.622459352016449, 0.11920291930437088];
  const y = [1, 0, 1, 0];
  const dice = (alpha: number, smooth: number, squareDenominator: boolean): number => {
    let py = 0;
    let p = 0;
    let sy = 0;
    let p2 = 0;
    let y2 = 0;
    probs.forEach((q, i) => {
      const t = diceTerm(q, alpha);
      const yi = y[i] as number;
      py += t * yi;
      p += t;
      sy += yi;
      p2 += t * t;
      y2 += yi * yi;
    });
    return diceFromSums(py, p, sy, p2, y2, { smooth, squareDenominator });
  };
  close(dice(0, 1e-4, false), 0.22738990222583, 1e-14);
  close(dice(0, 1, true), 0.05724627995939, 1e-14);
  close(dice(1, 1e-4, false), 0.74255444367505, 1e-14);
  // from float64 sigmoids the values differ in the 8th digit
  close(diceFromSums(1.503256409179737, 1.89140075257185, 2, 0, 0, { smooth: 1e-4 }), 0.22738989158040457, 1e-12);
});

test('A.6 generalized focal weight', () => {
  assert.equal(generalizedFocalWeight(0.25), 0.61865234375);
  assert.equal(generalizedFocalWeight(1), 0.5);
});

test('A.7 CRPS, fair CRPS and almost-fair CRPS', () => {
  const x = [1, 2, 4];
  close(ensembleCrps(x, 0, 3, 3), 0.6666666666666666);
  close(ensembleCrps(x, 0, 3, 3, true), 0.3333333333333333);
  close(almostFairCrps(x, 0, 3, 3), 0.35);
  assert.ok(Number.isNaN(ensembleCrps([1], 0, 1, 3, true)));
  // M = 1 plain CRPS is the absolute error
  assert.equal(ensembleCrps([1], 0, 1, 3), 2);
});

test('A.8 MSE and MAE; empty is an error; NaN is reported', () => {
  assert.equal(meanSquaredError([1, 2, 3], [1, 0, 0]), 13 / 3);
  assert.equal(meanAbsoluteError([1, 2, 3], [1, 0, 0]), 5 / 3);
  assert.throws(() => meanSquaredError([], []), (e: unknown) => e instanceof BadInputError && e.code === 'empty-input');
  assert.throws(() => meanAbsoluteError([1], [1, 2]), (e: unknown) => e instanceof BadInputError && e.code === 'length-mismatch');
  assert.ok(Number.isNaN(meanSquaredError([NaN, 1], [0, 1])));
});

test('loss names: known accepted, unknown names the field', () => {
  assert.equal(parseLossName('af_crps'), 'af_crps');
  assert.throws(
    () => parseLossName('hinge', 'spec.loss', 'a.bias.json'),
    (e: unknown) =>
      e instanceof BadInputError && e.code === 'unknown-loss' && e.file === 'a.bias.json' && /^spec\.loss: unknown loss "hinge"/.test(e.message),
  );
});
