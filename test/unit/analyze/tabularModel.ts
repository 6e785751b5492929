/**
 * A small runnable tabular classifier built in memory (no demo file): input `x` float32
 * [N, width] -> Gemm -> output `logits` float32 [N, classes]. The weights are seeded; with
 * `scale` the features (incomes, ages) are brought to about unit size so the logits stay finite.
 */
import { encodeModel, type ModelProto, type TensorProto } from '../../../extension/core/onnx';
import { seeded } from '../quant/models';

export interface TabularModelOptions {
  readonly input?: string;
  readonly width?: number;
  readonly output?: string;
  readonly classes?: number;
  readonly seed?: number;
  /** Multiplies weight row i (feature i); default 1e-3 for every feature. */
  readonly scale?: readonly number[];
  readonly metadata?: Readonly<Record<string, string>>;
}

const EMPTY = { floatData: [], int32Data: [], stringData: [], int64Data: [], externalData: [], doubleData: [], uint64Data: [] };

function f32(name: string, dims: number[], values: Float32Array): TensorProto {
  return { ...EMPTY, name, dims, dataType: 1, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}

/** The model as ONNX bytes. */
export function tabularModel(options: TabularModelOptions = {}): Uint8Array {
  const input = options.input ?? 'x';
  const output = options.output ?? 'logits';
  const width = options.width ?? 5;
  const classes = options.classes ?? 2;
  const w = seeded(width * classes, options.seed ?? 16);
  for (let i = 0; i < width; i++) for (let j = 0; j < classes; j++) w[i * classes + j]! *= options.scale?.[i] ?? 1e-3;
  const model: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    trainingInfo: [],
    functions: [],
    producerName: 'bias-inspector tests',
    graph: {
      name: 'tabular',
      node: [{ name: 'gemm', opType: 'Gemm', input: [input, 'W', 'b'], output: [output], attribute: [] }],
      initializer: [f32('W', [width, classes], w), f32('b', [classes], seeded(classes, 5))],
      sparseInitializer: [],
      input: [{ name: input, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] } } } }],
      output: [{ name: output, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: classes }] } } } }],
      valueInfo: [],
      quantizationAnnotation: [],
    },
  };
  return encodeModel(model);
}
