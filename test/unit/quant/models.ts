/** Small ONNX models built in memory for the quantization-analysis tests (never run, only read). */
import type { AttributeProto, ModelProto, NodeProto, TensorProto } from '../../../extension/core/onnx';

/** A seeded pseudo-random float32 tensor (values in about [−1, 1], deterministic). */
export function seeded(n: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296 - 0.5) * 2 * (1 + (i % 7) / 7);
  }
  return out;
}

const EMPTY = { floatData: [], int32Data: [], stringData: [], int64Data: [], externalData: [], doubleData: [], uint64Data: [] };

/** A float32 tensor stored as raw_data. */
export function f32(name: string, dims: number[], values: Float32Array): TensorProto {
  return { ...EMPTY, name, dims, dataType: 1, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}

/** A float16 tensor (values must be exactly representable; only small integers and halves are used). */
export function f16(name: string, dims: number[], values: number[]): TensorProto {
  const raw = new Uint8Array(values.length * 2);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setUint16(2 * i, toHalf(v), true));
  return { ...EMPTY, name, dims, dataType: 10, rawData: raw };
}

function toHalf(v: number): number {
  if (v === 0) return 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const e = Math.floor(Math.log2(a));
  const m = Math.round((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | m;
}

/** An int8 or int64 tensor. */
export function ints(name: string, dims: number[], dataType: 3 | 7, values: number[]): TensorProto {
  return dataType === 7 ? { ...EMPTY, name, dims, dataType, int64Data: values } : { ...EMPTY, name, dims, dataType, int32Data: values };
}

/** A node; `attrs` are int attributes, `perm` a Transpose permutation. */
export function node(opType: string, input: string[], output: string[], attrs: Record<string, number> = {}, perm?: number[]): NodeProto {
  const attribute: AttributeProto[] = Object.entries(attrs).map(([name, i]) => ({ name, i, type: 2, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] }));
  if (perm) attribute.push({ name: 'perm', type: 7, floats: [], ints: perm, strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] });
  return { name: `${opType}_${output[0] ?? ''}`, opType, input, output, attribute };
}

/** A Constant node holding `tensor` as its `value`. */
export function constant(output: string, tensor: TensorProto): NodeProto {
  return {
    name: `const_${output}`,
    opType: 'Constant',
    input: [],
    output: [output],
    attribute: [{ name: 'value', type: 4, t: tensor, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] }],
  };
}

/** A model with these nodes and initializers (graph input 'x', output 'y'). */
export function model(nodes: NodeProto[], initializer: TensorProto[]): ModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    metadataProps: [],
    trainingInfo: [],
    functions: [],
    graph: {
      name: 'test',
      node: nodes,
      initializer,
      sparseInitializer: [],
      input: [{ name: 'x', type: { tensorType: { elemType: 1 } } }],
      output: [{ name: 'y' }],
      valueInfo: [],
      quantizationAnnotation: [],
    },
  };
}
