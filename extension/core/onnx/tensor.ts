/**
 * Tensor facts: ONNX DataType names and sizes, validated element counts, and float32 views of
 * floating-point weights.
 */
import { BadInputError } from '../errors';
import type { TensorProto } from './proto';
import { DATA_LOCATION_EXTERNAL } from './proto';

/** ONNX TensorProto.DataType → the name this product uses everywhere. */
const DTYPE_NAMES: Record<number, string> = {
  0: 'undefined',
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
  24: 'float8e8m0',
};

/** Bits per element; strings have no fixed size. */
const DTYPE_BITS: Record<number, number> = {
  1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64,
  14: 64, 15: 128, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4, 24: 8,
};

/** Data types with 8 bits or fewer per element that quantized models store weights in. */
export const LOW_BIT_DTYPES: ReadonlySet<string> = new Set([
  'int8', 'uint8', 'int4', 'uint4', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float8e8m0', 'float4e2m1',
]);

/** The largest single dimension accepted (2^40): larger ones are corrupt or adversarial. */
export const MAX_DIM = 2 ** 40;

/** Name of an ONNX DataType, e.g. 1 → 'float32', 22 → 'int4'; unknown values → 'dtype(N)'. */
export function dtypeName(dataType: number | undefined): string {
  const value = dataType ?? 0;
  return DTYPE_NAMES[value] ?? `dtype(${value})`;
}

/** Bits per element of an ONNX DataType, or undefined for strings and unknown types. */
export function dtypeBits(dataType: number | undefined): number | undefined {
  return DTYPE_BITS[dataType ?? 0];
}

/** Bytes per element (fractional for 4-bit types), or undefined for strings and unknown types. */
export function bytesPerElement(dataType: number | undefined): number | undefined {
  const bits = dtypeBits(dataType);
  return bits === undefined ? undefined : bits / 8;
}

/** Bytes that `count` elements occupy packed (sub-byte types round up to whole bytes). */
export function packedByteLength(dataType: number | undefined, count: number): number | undefined {
  const bits = dtypeBits(dataType);
  return bits === undefined ? undefined : Math.ceil((count * bits) / 8);
}

/** Display name of a tensor in messages. */
export function tensorLabel(tensor: TensorProto): string {
  return tensor.name ? `tensor '${tensor.name}'` : 'an unnamed tensor';
}

/**
 * Number of elements from the dims, validated: every dim a non-negative integer not above
 * 2^40 and the product a safe integer. Throws `onnx.huge-dim` / `onnx.bad-dim` naming the file.
 */
export function elementCount(tensor: TensorProto, file: string): number {
  let count = 1;
  for (const [axis, dim] of tensor.dims.entries()) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new BadInputError('onnx.bad-dim', `${file}: ${tensorLabel(tensor)} has dimension ${dim} on axis ${axis}; dimensions must be non-negative integers`, { file });
    }
    if (dim > MAX_DIM) {
      throw new BadInputError('onnx.huge-dim', `${file}: ${tensorLabel(tensor)} has dimension ${dim} on axis ${axis}, above the limit of 2^40; the file is corrupt`, { file });
    }
    count *= dim;
    if (!Number.isSafeInteger(count)) {
      throw new BadInputError('onnx.huge-dim', `${file}: ${tensorLabel(tensor)} has dims [${tensor.dims.join(', ')}] whose product overflows; the file is corrupt`, { file });
    }
  }
  return count;
}

/** True when the tensor's data lives in an external file. */
export function isExternal(tensor: TensorProto): boolean {
  return tensor.dataLocation === DATA_LOCATION_EXTERNAL;
}

/** How many entries the typed (non-raw) data field of a tensor holds, and which field it is. */
function typedData(tensor: TensorProto): { field: string; length: number } | undefined {
  const fields: [string, number][] = [
    ['float_data', tensor.floatData.length],
    ['int32_data', tensor.int32Data.length],
    ['string_data', tensor.stringData.length],
    ['int64_data', tensor.int64Data.length],
    ['double_data', tensor.doubleData.length],
    ['uint64_data', tensor.uint64Data.length],
  ];
  const found = fields.find(([, length]) => length > 0);
  return found ? { field: found[0], length: found[1] } : undefined;
}

/** Typed-field entries `count` elements need (complex types store two numbers per element). */
function typedEntriesNeeded(dataType: number | undefined, field: string, count: number): number[] {
  if (dataType === 14 || dataType === 15) return [2 * count];
  // 4-bit types may be stored one per int32 or two per int32 (packed), depending on the writer.
  if (field === 'int32_data' && (dataType === 21 || dataType === 22 || dataType === 23)) return [count, Math.ceil(count / 2)];
  return [count];
}

/**
 * Checks a tensor stored in the model (not external) holds the data its dims say; `fileBytes`
 * bounds what any tensor can hold. Throws `onnx.huge-dim` when the dims ask for more bytes
 * than the whole file has, `onnx.data-size` when the data is present but the wrong size.
 */
export function validateTensorData(tensor: TensorProto, file: string, fileBytes: number): void {
  const count = elementCount(tensor, file);
  if (isExternal(tensor)) return;
  const byteLength = packedByteLength(tensor.dataType, count);
  const raw = tensor.rawData;
  if (byteLength !== undefined && byteLength > fileBytes) {
    throw new BadInputError(
      'onnx.huge-dim',
      `${file}: ${tensorLabel(tensor)} has dims [${tensor.dims.join(', ')}] (${byteLength} bytes of ${dtypeName(tensor.dataType)}), more than the whole file (${fileBytes} bytes); the file is corrupt`,
      { file },
    );
  }
  if (raw !== undefined) {
    if (byteLength !== undefined && raw.length !== byteLength) {
      throw new BadInputError(
        'onnx.data-size',
        `${file}: ${tensorLabel(tensor)} has dims [${tensor.dims.join(', ')}] of ${dtypeName(tensor.dataType)} (${byteLength} bytes) but its raw_data holds ${raw.length} bytes`,
        { file },
      );
    }
    return;
  }
  const typed = typedData(tensor);
  if (typed === undefined) {
    if (count === 0) return;
    throw new BadInputError('onnx.data-size', `${file}: ${tensorLabel(tensor)} has dims [${tensor.dims.join(', ')}] but no data`, { file });
  }
  const needed = typedEntriesNeeded(tensor.dataType, typed.field, count);
  if (!needed.includes(typed.length)) {
    throw new BadInputError(
      'onnx.data-size',
      `${file}: ${tensorLabel(tensor)} has dims [${tensor.dims.join(', ')}] (${count} elements) but its ${typed.field} holds ${typed.length} values`,
      { file },
    );
  }
}

/** IEEE 754 half precision bits → number. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 bits (the upper half of a float32) → number. */
export function bfloat16ToNumber(bits: number): number {
  bf16Scratch.setUint32(0, (bits & 0xffff) << 16);
  return bf16Scratch.getFloat32(0);
}

/**
 * Converts the element bytes of a float32/float16/bfloat16/float64 tensor (little-endian, as
 * ONNX stores raw_data) to a new Float32Array of `count` elements.
 */
export function rawToFloat32(dataType: number | undefined, raw: Uint8Array, count: number): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (dataType === 1) out[i] = view.getFloat32(4 * i, true);
    else if (dataType === 10) out[i] = float16ToNumber(view.getUint16(2 * i, true));
    else if (dataType === 16) out[i] = bfloat16ToNumber(view.getUint16(2 * i, true));
    else out[i] = view.getFloat64(8 * i, true);
  }
  return out;
}

/** Converts the typed data fields of an in-model tensor to float32 (see `rawToFloat32`). */
export function typedToFloat32(tensor: TensorProto, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (tensor.dataType === 1) out[i] = tensor.floatData[i] ?? 0;
    else if (tensor.dataType === 11) out[i] = tensor.doubleData[i] ?? 0;
    else if (tensor.dataType === 10) out[i] = float16ToNumber(tensor.int32Data[i] ?? 0);
    else out[i] = bfloat16ToNumber(tensor.int32Data[i] ?? 0);
  }
  return out;
}

/** DataTypes `tensorToFloat32` converts. */
export const FLOAT_DTYPES: ReadonlySet<number> = new Set([1, 10, 11, 16]);
