/**
 * A forward pass on synthetic inputs: the smallest real run of a model, used by the GPU check
 * (`bias-inspector forward --compare-ep webgpu,cpu`) to compare providers on the same inputs.
 */
import type { ValueInfo } from '../../protocol/model';
import type { RuntimeInfo } from '../../protocol/runtime';
import { BadInputError } from '../errors';
import { loadOrt } from './loader';
import { parseProviderSetting } from './providers';
import { openSession } from './session';

type TypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** A plain tensor (no onnxruntime types), as produced by input encoders. */
export interface PlainTensor {
  readonly dtype: string;
  readonly data: TypedArray;
  readonly dims: readonly number[];
}

/** Seeded uniform [0, 1) generator (mulberry32): the same seed gives the same inputs everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticOptions {
  readonly batch: number;
  readonly sequenceLength: number;
  readonly seed: number;
  /** Token ids are drawn from [3, vocab): ids 0-2 are usually special tokens. */
  readonly vocab: number;
}

/** Most elements one synthetic input may have (2^28: 1 GiB of float32). */
export const MAX_SYNTHETIC_ELEMENTS = 2 ** 28;

/** Synthetic feeds for a model's inputs: symbolic first dims -> batch, other symbolic dims -> sequence length. */
export function syntheticFeeds(inputs: readonly ValueInfo[], options: SyntheticOptions, label: string): Record<string, PlainTensor> {
  const random = seededRandom(options.seed);
  const feeds: Record<string, PlainTensor> = {};
  for (const input of inputs) {
    const dims = (input.shape ?? []).map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? options.batch : options.sequenceLength));
    const size = dims.reduce((a, b) => a * b, 1);
    if (size > MAX_SYNTHETIC_ELEMENTS) {
      throw new BadInputError('run.too-large', `${label}: input "${input.name}" of shape [${dims.join(', ')}] would have ${size.toLocaleString('en-US')} elements, over the limit of ${MAX_SYNTHETIC_ELEMENTS.toLocaleString('en-US')}; lower --batch or --seq`, { file: label });
    }
    const isMask = /mask/i.test(input.name);
    switch (input.dtype) {
      case 'float32': {
        const data = new Float32Array(size);
        for (let i = 0; i < size; i++) data[i] = random() * 2 - 1;
        feeds[input.name] = { dtype: 'float32', data, dims };
        break;
      }
      case 'int64': {
        const data = new BigInt64Array(size);
        for (let i = 0; i < size; i++) data[i] = isMask ? 1n : BigInt(3 + Math.floor(random() * (options.vocab - 3)));
        feeds[input.name] = { dtype: 'int64', data, dims };
        break;
      }
      case 'int32': {
        const data = new Int32Array(size);
        for (let i = 0; i < size; i++) data[i] = isMask ? 1 : 3 + Math.floor(random() * (options.vocab - 3));
        feeds[input.name] = { dtype: 'int32', data, dims };
        break;
      }
      case 'bool': {
        feeds[input.name] = { dtype: 'bool', data: new Uint8Array(size).fill(1), dims };
        break;
      }
      default:
        throw new BadInputError('runtime.input-dtype', `${label}: input "${input.name}" has dtype ${input.dtype}, which synthetic inputs do not cover`);
    }
  }
  return feeds;
}

export interface ForwardResult {
  readonly runtime: RuntimeInfo;
  /** Milliseconds of session creation and of the timed runs (after one warm-up run). */
  readonly createMs: number;
  readonly runMs: readonly number[];
  readonly outputs: Record<string, { readonly dims: readonly number[]; readonly data: Float32Array }>;
}

/** Runs a model on feeds with one provider setting; returns outputs as float32 and timings. */
export async function runForward(model: Uint8Array | string, label: string, feeds: Record<string, PlainTensor>, ep: string, repeats = 3): Promise<ForwardResult> {
  const ort = loadOrt();
  const started = performance.now();
  const { session, info } = await openSession(model, label, { providers: parseProviderSetting(ep, '--ep') });
  const createMs = performance.now() - started;
  try {
    const ortFeeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const [name, t] of Object.entries(feeds)) {
      ortFeeds[name] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
    }
    let results = await session.run(ortFeeds);
    const runMs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      results = await session.run(ortFeeds);
      runMs.push(performance.now() - t0);
    }
    const outputs: ForwardResult['outputs'] = {};
    for (const [name, tensor] of Object.entries(results)) {
      const data = tensor.data;
      const asFloat = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>, Number);
      outputs[name] = { dims: tensor.dims, data: asFloat };
    }
    return { runtime: info, createMs, runMs, outputs };
  } finally {
    await session.release();
  }
}

/** max_i |a_i − b_i| / max(|b_i|, eps): the relative difference the GPU check prints. */
export function maxRelativeDifference(a: Float32Array, b: Float32Array, eps = 1e-6): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs((a[i] ?? 0) - (b[i] ?? 0)) / Math.max(Math.abs(b[i] ?? 0), eps);
    if (diff > worst || Number.isNaN(diff)) worst = diff;
  }
  return worst;
}
