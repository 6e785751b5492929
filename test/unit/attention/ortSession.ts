// Helpers of the fused-attention tests: onnxruntime sessions of a file or an in-memory model, and
// the largest absolute difference of two arrays.
import assert from 'node:assert/strict';
import type { InferenceSession } from 'onnxruntime-node';
import { encodeModel, type ModelProto } from '../../../extension/core/onnx';
import { loadOrt } from '../../../extension/core/runtime';

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A session of the file as written, or of an in-memory model with optimisations off. */
export async function session(model: ModelProto | string): Promise<InferenceSession> {
  const ort = loadOrt();
  return typeof model === 'string'
    ? ort.InferenceSession.create(model)
    : ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'disabled' });
}
