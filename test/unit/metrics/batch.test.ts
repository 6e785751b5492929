import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateBatch, type OutputBatch } from '../../../extension/core/metrics/batch';
import { bceFromLogit, binaryFocalFromLogit, crossEntropyFromLogits, sigmoid } from '../../../extension/core/metrics/losses';
import { BadInputError } from '../../../extension/core/errors';
import { close } from './fixtures';

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
