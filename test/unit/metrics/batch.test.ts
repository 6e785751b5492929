import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateBatch, type OutputBatch } from '../../../extension/core/metrics/batch';
import { bceFromLogit, binaryFocalFromLogit, crossEntropyFromLogits, sigmoid } from '../../../extension/core/metrics/losses';
import { BadInputError } from '../../../extension/core/errors';
import { close } from './fixtures';
import { Xoshiro128 } from '../../../extension/core/metrics/stats';

const base = (over: Partial<OutputBatch>): OutputBatch => ({
  data: new Float32Array(0),
  dims: [0],
  outputKind: 'logits',
  task: 'binary',
  labels: [],
  loss: { name: 'cross_entropy' },
  tensor: 'logits',
  ...over,
});

const code = (c: string) => (e: unknown) => e instanceof BadInputError && e.code === c;

test('binary [N], [N,1] and [N,2] logits agree on score, pred and loss', () => {
  const x = [1.5, -0.5, 0, 3];
  const y = [1, 0, 1, 0];
  const one = evaluateBatch(base({ data: Float32Array.from(x), dims: [4], labels: y }));
  const col = evaluateBatch(base({ data: Float32Array.from(x), dims: [4, 1], labels: y }));
  const two = evaluateBatch(base({ data: Float32Array.from(x.flatMap((v) => [0, v])), dims: [4, 2], labels: y }));
  for (const r of [one, col, two]) {
    assert.deepEqual(Array.from(r.pred), [1, 0, 0, 1]); // x = 0 -> P = 0.5 -> class 0
    close(r.score[0] as number, sigmoid(1.5), 1e-15);
    close(r.loss[0] as number, 0.2014132779827524, 1e-15);
    close(r.loss[1] as number, 0.4740769841801067, 1e-15);
  }
  // [N,2] cross_entropy is LSE over both logits
  assert.equal(two.loss[3], crossEntropyFromLogits([0, 3], 0, 2, 0));
  assert.equal(one.numClasses, 2);
});

test('binary probabilities, one or two per sample; p = 0 with y = 1 gives 100', () => {
  const r = evaluateBatch(base({ outputKind: 'probabilities', data: Float32Array.from([0, 0.75]), dims: [2], labels: [1, 1] }));
  assert.deepEqual(Array.from(r.loss), [100, -Math.log(0.75)]);
  const r2 = evaluateBatch(base({ outputKind: 'probabilities', data: Float32Array.from([1, 0, 0.25, 0.75]), dims: [2, 2], labels: [1, 1] }));
  assert.deepEqual(Array.from(r2.loss), [100, -Math.log(0.75)]);
  assert.deepEqual(Array.from(r2.score), [0, 0.75]);
  assert.throws(() => evaluateBatch(base({ outputKind: 'probabilities', data: Float32Array.from([1.5]), dims: [1], labels: [1] })), code('probability-out-of-range'));
});

test('focal loss through the batch (torchvision semantics) and generalized focal weight', () => {
  const r = evaluateBatch(base({ data: Float32Array.from([2, -1, -1]), dims: [3], labels: [1, 0, 1], loss: { name: 'focal' } }));
  close(r.loss[0] as number, 0.00045089070881009483, 1e-14);
  close(r.loss[1] as number, 0.016993543131350496, 1e-14);
  close(r.loss[2] as number, 0.17546707585284624, 1e-14);
  const w = evaluateBatch(base({ data: Float32Array.from([1.5]), dims: [1], labels: [1], likelihood: [0.25] }));
  close(w.loss[0] as number, 0.2014132779827524 * 0.61865234375, 1e-15);
  const g = evaluateBatch(base({ data: Float32Array.from([2]), dims: [1], labels: [1], loss: { name: 'focal', focal: { alpha: -1, gamma: 0 } } }));
  assert.equal(g.loss[0], bceFromLogit(2, 1));
  assert.equal(binaryFocalFromLogit(2, 1, -1, 0), bceFromLogit(2, 1));
  assert.throws(() => evaluateBatch(base({ data: Float32Array.from([1]), dims: [1], labels: [1], likelihood: [0] })), code('bad-likelihood'));
});

test('multiclass logits: softmax probabilities, argmax, CE; [N,1,K] accepted', () => {
  const r = evaluateBatch(base({ task: 'multiclass', data: Float32Array.from([2, 1, 0.1, 0, 0, 5]), dims: [2, 1, 3], labels: [0, 1] }));
  close(r.loss[0] as number, 0.41703001627783376, 1e-7); // logits 0.1 is float32 here
  assert.deepEqual(Array.from(r.pred), [0, 2]);
  const p = r.probs as Float64Array;
  close((p[0] as number) + (p[1] as number) + (p[2] as number), 1, 1e-15);
  assert.equal(r.score[1], p[5]);
  assert.equal(r.numClasses, 3);
  // argmax ties go to the first class
  const t = evaluateBatch(base({ task: 'multiclass', data: Float32Array.from([1, 1, 0]), dims: [1, 3], labels: [2] }));
  assert.equal(t.pred[0], 0);
});

test('dice: per-sample loss is NaN, p̃ returned; bias_loss: per-sample CE', () => {
  const probs = Float32Array.from([0.8807970285415649, 0.2689414322376251]);
  const d = evaluateBatch(base({ outputKind: 'probabilities', data: probs, dims: [2], labels: [1, 0], loss: { name: 'dice', dice: { alpha: 1 } } }));
  assert.ok(Number.isNaN(d.loss[0]));
  close(d.diceP?.[0] as number, (1 - (probs[0] as number)) * (probs[0] as number), 1e-15);
  const b = evaluateBatch(base({ task: 'multiclass', data: Float32Array.from([2, 1, 0.1]), dims: [1, 3], labels: [0], loss: { name: 'bias_loss' } }));
  close(b.loss[0] as number, 0.41703001627783376, 1e-7);
});

test('regression and ensembles: MSE, MAE, CRPS family', () => {
  const r = evaluateBatch(base({ task: 'regression', outputKind: 'regression', data: Float32Array.from([1, 4]), dims: [2, 1], labels: [2, 2], loss: { name: 'mse' } }));
  assert.deepEqual(Array.from(r.loss), [1, 4]);
  assert.deepEqual(Array.from(r.pred), [1, 4]);
  const mae = evaluateBatch(base({ task: 'regression', outputKind: 'regression', data: Float32Array.from([1, 4]), dims: [2], labels: [2, 2], loss: { name: 'mae' } }));
  assert.deepEqual(Array.from(mae.loss), [1, 2]);
  const ens = (name: 'crps' | 'fair_crps' | 'af_crps') =>
    evaluateBatch(base({ task: 'regression', outputKind: 'ensemble', data: Float32Array.from([1, 2, 4]), dims: [1, 3], labels: [3], loss: { name } }));
  close(ens('crps').loss[0] as number, 0.6666666666666666, 1e-15);
  close(ens('fair_crps').loss[0] as number, 0.3333333333333333, 1e-15);
  close(ens('af_crps').loss[0] as number, 0.35, 1e-15);
  close(ens('crps').pred[0] as number, 7 / 3, 1e-15);
  assert.throws(
    () => evaluateBatch(base({ task: 'regression', outputKind: 'ensemble', data: Float32Array.from([1]), dims: [1, 1], labels: [3], loss: { name: 'fair_crps' } })),
    code('ensemble-too-small'),
  );
});

test('bad input: shapes, labels, loss/task mismatch, output kind', () => {
  assert.throws(() => evaluateBatch(base({ data: Float32Array.from([1, 2, 3]), dims: [1, 3], labels: [1] })), (e: unknown) =>
    e instanceof BadInputError && e.code === 'output-shape' && e.message.includes('"logits"'));
  assert.throws(() => evaluateBatch(base({ data: Float32Array.from([1, 2]), dims: [3], labels: [1, 0, 1] })), code('output-shape'));
  assert.throws(() => evaluateBatch(base({ data: Float32Array.from([1, 2]), dims: [2], labels: [1] })), code('label-count'));
  assert.throws(
    () => evaluateBatch(base({ data: Float32Array.from([1, 2]), dims: [2], labels: [1, 0.5], rowOffset: 100, file: 'd.csv' })),
    (e: unknown) => e instanceof BadInputError && e.code === 'bad-label' && e.file === 'd.csv' && e.message.startsWith('row 101:'),
  );
  assert.throws(() => evaluateBatch(base({ task: 'multiclass', data: Float32Array.from([1, 2]), dims: [1, 2], labels: [2] })), code('bad-label'));
  assert.throws(() => evaluateBatch(base({ data: Float32Array.from([1]), dims: [1], labels: [1], loss: { name: 'mse' } })), (e: unknown) =>
    e instanceof BadInputError && e.code === 'loss-task-mismatch' && e.message.startsWith('loss:'));
  assert.throws(() => evaluateBatch(base({ task: 'regression', outputKind: 'regression', data: Float32Array.from([1]), dims: [1], labels: [1], loss: { name: 'crps' } })), code('loss-task-mismatch'));
  assert.throws(() => evaluateBatch(base({ outputKind: 'regression', data: Float32Array.from([1]), dims: [1], labels: [1] })), code('output-kind-mismatch'));
});

test('binary logit fast paths give bit for bit the per-sample sigmoid, cross-entropy and BCE of losses.ts', () => {
  const rng = new Xoshiro128(11);
  const specials = [0, -0, 1e-30, -1e-30, 20, -20, 40, -40, 745, -745, 800, -800, 3.4e38, -3.4e38, Infinity, -Infinity, NaN];
  const pick = (): number => {
    const u = rng.nextFloat();
    if (u < 0.2) return specials[rng.nextInt(specials.length)] as number;
    return (rng.nextFloat() - 0.5) * (u < 0.6 ? 8 : 200);
  };
  for (const float64 of [false, true]) {
    const n = 4000;
    const raw = Array.from({ length: 2 * n }, pick);
    if (float64) raw.push(1.7e308, -1.7e308, -1.7e308, 1.7e308);
    const data = float64 ? Float64Array.from(raw) : Float32Array.from(raw);
    const m = data.length / 2;
    const labels = Array.from({ length: m }, () => rng.nextInt(2));
    const same = (got: ArrayLike<number>, want: (i: number) => number, what: string): void => {
      for (let i = 0; i < m; i++) {
        if (!Object.is(got[i], want(i))) assert.fail(`${what} row ${i}: ${got[i]} vs ${want(i)} (logits ${data[2 * i]}, ${data[2 * i + 1]})`);
      }
    };
    const x = (i: number): number => (data[2 * i + 1] as number) - (data[2 * i] as number);
    for (const name of ['cross_entropy', 'bias_loss', 'binary_cross_entropy'] as const) {
      const two = evaluateBatch(base({ data, dims: [m, 2], labels, loss: { name } }));
      same(two.score, (i) => sigmoid(x(i)), `${name} [N,2] score`);
      same(two.pred, (i) => (x(i) > 0 ? 1 : 0), `${name} [N,2] pred`);
      same(two.loss, (i) => (name === 'binary_cross_entropy' ? bceFromLogit(x(i), labels[i] as number) : crossEntropyFromLogits(data, 2 * i, 2, labels[i] as number)), `${name} [N,2] loss`);
    }
    const single = data.subarray(0, m);
    const one = evaluateBatch(base({ data: single, dims: [m, 1], labels }));
    same(one.score, (i) => sigmoid(single[i] as number), '[N,1] score');
    same(one.loss, (i) => bceFromLogit(single[i] as number, labels[i] as number), '[N,1] loss');
  }
});

test('binary logits: a label other than 0/1 names its row', () => {
  assert.throws(
    () => evaluateBatch(base({ data: Float32Array.from([1, 2, 3, 4]), dims: [2, 2], labels: [1, 2], rowOffset: 10 })),
    (e: unknown) => e instanceof BadInputError && e.code === 'bad-label' && /row 11: label 2 /.test(e.message),
  );
});
