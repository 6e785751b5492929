/**
 * In-memory model copies whose weights are replaced by other values (fake-quantized or
 * dequantized), for the model-level analyses. The graph is otherwise unchanged and the model
 * file is never written: the copy is encoded to bytes that a session is created from.
 * `cloneModel` shares byte payloads with the loaded model, so replaced tensors get new buffers
 * and no shared buffer is ever mutated.
 */
import { BadInputError, throwIfAborted } from '../errors';
import { cloneModel, dtypeName, encodeModel, isExternal, readTensorData, weightTensors } from '../onnx';
import type { LoadedModel, TensorProto } from '../onnx';

/** ONNX TensorProto data types of the float weights we write back. */
const DTYPE_CODE = { float32: 1, float16: 10, float64: 11, bfloat16: 16 } as const;

/** Largest encoded copy we build (protobuf's 2 GiB limit, with room for the graph). */
const MAX_MODEL_BYTES = 1.9 * 1024 ** 3;

/** Float32 → IEEE half bits, round to nearest even, overflow to ±Inf (as numpy's astype(float16)). */
export function float32ToFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let out = mant >>> shift;
    if (rest > half || (rest === half && (out & 1) === 1)) out++;
    return sign | out;
  }
  const rest = mant & 0x1fff;
  mant >>>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && (mant & 1) === 1)) {
    mant++;
    if (mant === 0x400) {
      mant = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mant;
}

/** Float32 → bfloat16 bits, round to nearest even (NaN stays NaN). */
export function float32ToBfloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0] as number;
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Little-endian raw bytes of `values` in a float dtype ('float32', 'float16', 'bfloat16', 'float64'). */
export function encodeFloatValues(values: Float32Array, dtype: string): Uint8Array {
  const n = values.length;
  if (dtype === 'float32') return new Uint8Array(Float32Array.from(values).buffer);
  if (dtype === 'float64') return new Uint8Array(Float64Array.from(values).buffer);
  if (dtype === 'float16' || dtype === 'bfloat16') {
    const out = new Uint8Array(n * 2);
    const view = new DataView(out.buffer);
    const convert = dtype === 'float16' ? float32ToFloat16Bits : float32ToBfloat16Bits;
    for (let i = 0; i < n; i++) view.setUint16(i * 2, convert(values[i] as number), true);
    return out;
  }
  throw new BadInputError('quant.rewrite-dtype', `cannot write ${dtype} weights back (float32, float16, bfloat16, float64 only)`);
}

/** Points `tensor` (a copy's message) at new raw bytes, dropping typed and external storage. */
function setRaw(tensor: TensorProto, raw: Uint8Array): void {
  tensor.rawData = raw;
  tensor.floatData = [];
  tensor.int32Data = [];
  tensor.doubleData = [];
  tensor.int64Data = [];
  tensor.uint64Data = [];
  tensor.externalData = [];
  delete tensor.dataLocation;
}

/**
 * Encodes a copy of `model` in which the weights at the given `weightTensors` indices hold
 * `values` (float32, written back in each tensor's own float dtype). Tensors left in external
 * files are inlined, since a session created from bytes cannot resolve them.
 * @throws BadInputError `quant.rewrite-shape` when a replacement's length differs from its
 *   tensor's, `quant.rewrite-too-big` when the copy would pass protobuf's 2 GiB limit.
 */
export async function replaceWeights(
  model: LoadedModel,
  replacements: ReadonlyMap<number, Float32Array>,
  options: { signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const copy = cloneModel(model.proto);
  const weights = weightTensors(copy);
  let bytes = model.bytes.length;
  for (const [index, values] of replacements) {
    const weight = weights[index];
    if (!weight) throw new BadInputError('quant.rewrite-index', `${model.path}: no weight tensor #${index}`, { file: model.path });
    const elements = weight.tensor.dims.reduce((a, b) => a * b, 1);
    if (elements !== values.length) {
      throw new BadInputError('quant.rewrite-shape', `${model.path}: tensor '${weight.name}' has ${elements} elements, the replacement ${values.length}`, { file: model.path });
    }
    const dtype = dtypeName(weight.tensor.dataType);
    if (!(dtype in DTYPE_CODE)) throw new BadInputError('quant.rewrite-dtype', `${model.path}: tensor '${weight.name}' is ${dtype}, not a float type`, { file: model.path });
    const raw = encodeFloatValues(values, dtype);
    bytes += raw.length;
    setRaw(weight.tensor, raw);
  }
  for (const weight of weights) {
    if (!isExternal(weight.tensor)) continue;
    throwIfAborted(options.signal);
    const raw = await readTensorData(model, weight.tensor, options.signal ? { signal: options.signal } : {});
    bytes += raw.length;
    if (bytes > MAX_MODEL_BYTES) break;
    setRaw(weight.tensor, raw);
  }
  if (bytes > MAX_MODEL_BYTES) {
    throw new BadInputError('quant.rewrite-too-big', `${model.path}: an in-memory copy with replaced weights would exceed 2 GiB (protobuf's limit); the model-level impact is limited to smaller models`, { file: model.path });
  }
  return encodeModel(copy);
}
