/** Plain tensor data the encoder produces; core/runtime wraps it into onnxruntime tensors. */

export type TensorDType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';
export type TensorArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface TensorData {
  readonly dtype: TensorDType;
  readonly data: TensorArray;
  readonly dims: readonly number[];
}

/** A model input as core/onnx describes it: symbolic dims are strings, unknown dims null. */
export interface ModelInputInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly (number | string | null)[] | null;
}

const DTYPE_NAMES: Record<string, TensorDType | 'float16'> = {
  float: 'float32', float32: 'float32', double: 'float64', float64: 'float64',
  int64: 'int64', int32: 'int32', uint8: 'uint8', bool: 'bool', float16: 'float16',
};

/** "tensor(float)", "float", "float32" -> "float32"; undefined for dtypes the encoder cannot make. */
export function normalizeDtype(dtype: string): TensorDType | 'float16' | undefined {
  const bare = /^tensor\((.*)\)$/.exec(dtype)?.[1] ?? dtype;
  return DTYPE_NAMES[bare.toLowerCase()];
}

/** A zeroed typed array of a dtype. */
export function allocate(dtype: TensorDType, length: number): TensorArray {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'int64': return new BigInt64Array(length);
    case 'int32': return new Int32Array(length);
    case 'uint8':
    case 'bool': return new Uint8Array(length);
  }
}

/** Writes a number into element i of a typed array of any supported dtype. */
export function put(array: TensorArray, i: number, value: number): void {
  if (array instanceof BigInt64Array) array[i] = BigInt(Math.trunc(value));
  else array[i] = value;
}

/** Reads element i of a typed array as a number. */
export function get(array: TensorArray, i: number): number {
  return Number(array[i] ?? 0);
}

/** "[N, 3, 32, 32]" for messages. */
export function showShape(shape: ModelInputInfo['shape']): string {
  return shape === null ? '[?]' : `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}
