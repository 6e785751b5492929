/**
 * The float weights a model-level quantization run replaces, read once, and the in-memory copies
 * of the model with them fake-quantized in one format (FORMULAS.md §C). No session, no data.
 */
import { BadInputError, CancelledError, InspectorError, throwIfAborted } from '../errors';
import { tensorToFloat32 } from '../onnx';
import type { LoadedModel } from '../onnx';
import type { FormatId } from './formats';
import type { Rounding } from './minifloat';
import { fakeQuantize } from './quantize';
import { replaceWeights } from './rewrite';
import { selectWeights } from './select';
import type { WeightCandidate } from './select';

/** A float weight read once, to be quantized in every format. */
export interface ReadWeight {
  readonly candidate: WeightCandidate;
  readonly data: Float32Array;
}

/**
 * The float weights with ≥ `minElements` elements, read as float32 (unreadable ones are left out;
 * the per-tensor analysis reports them). Throws `quant.no-float-weights` when none is left.
 */
export async function readFloatWeights(model: LoadedModel, minElements: number, signal?: AbortSignal): Promise<ReadWeight[]> {
  const selection = selectWeights(model, minElements);
  const out: ReadWeight[] = [];
  for (const candidate of selection.candidates) {
    throwIfAborted(signal);
    try {
      out.push({ candidate, data: await tensorToFloat32(model, candidate.tensor, signal ? { signal } : {}) });
    } catch (e) {
      if (e instanceof CancelledError || !(e instanceof InspectorError) || e.kind !== 'bad-input') throw e;
    }
  }
  if (out.length === 0) {
    throw new BadInputError('quant.no-float-weights', `${model.path}: no readable float weight with ≥ ${minElements} elements to quantize`, { file: model.path });
  }
  return out;
}

/** x̂ of one weight in `format`, along the axes of its consumer. */
export function quantizeWeight(w: ReadWeight, format: FormatId, mxRounding: Rounding): Float32Array {
  return fakeQuantize(w.data, w.candidate.shape, format, { ...w.candidate.axes, mxRounding, tensor: w.candidate.name });
}

/** Encoded copy of `model` with the given weights fake-quantized in `format` (the others untouched). */
export async function fakeQuantizedModel(model: LoadedModel, weights: readonly ReadWeight[], format: FormatId, options: { mxRounding?: Rounding; signal?: AbortSignal } = {}): Promise<Uint8Array> {
  const replacements = new Map<number, Float32Array>();
  for (const w of weights) {
    throwIfAborted(options.signal);
    replacements.set(w.candidate.weightIndex, quantizeWeight(w, format, options.mxRounding ?? 'rne'));
  }
  return replaceWeights(model, replacements, options.signal ? { signal: options.signal } : {});
}
