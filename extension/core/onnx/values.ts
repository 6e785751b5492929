/** Tensor values as numbers, for the analyses that need weights (quantization error). */
import { BadInputError } from '../errors';
import { readTensorData } from './external';
import type { LoadedModel } from './model';
import type { TensorProto } from './proto';
import { dtypeName, elementCount, FLOAT_DTYPES, isExternal, rawToFloat32, tensorLabel, typedToFloat32 } from './tensor';

/**
 * A new Float32Array with the values of a float32, float16, bfloat16 or float64 tensor (from
 * raw_data, external data or typed fields). Other types throw `onnx.unsupported`.
 */
export async function tensorToFloat32(model: LoadedModel, tensor: TensorProto, options: { signal?: AbortSignal } = {}): Promise<Float32Array> {
  if (!FLOAT_DTYPES.has(tensor.dataType ?? 0)) {
    throw new BadInputError(
      'onnx.unsupported',
      `${model.path}: ${tensorLabel(tensor)} is ${dtypeName(tensor.dataType)}; only float32, float16, bfloat16 and float64 tensors convert to float32`,
      { file: model.path },
    );
  }
  const count = elementCount(tensor, model.path);
  if (isExternal(tensor) || tensor.rawData !== undefined) {
    const bytes = await readTensorData(model, tensor, options);
    return rawToFloat32(tensor.dataType, bytes, count);
  }
  return typedToFloat32(tensor, count);
}
