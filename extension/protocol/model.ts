/**
 * The model summary (`inspect`, the model editor, every report's `model` header): the one
 * definition, produced by core/onnx.
 */

/** One graph input or output: symbolic dims are their dim_param, unknown dims are null. */
export interface ValueInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly (number | string | null)[] | null;
}

export interface OpCount {
  readonly op: string;
  readonly domain: string;
  readonly count: number;
}

export interface DtypeBreakdown {
  readonly dtype: string;
  readonly tensors: number;
  readonly parameters: number;
  readonly bytes: number;
}

export interface LargestTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly parameters: number;
  readonly bytes: number;
  readonly external: boolean;
}

export interface ParameterSummary {
  readonly tensors: number;
  readonly total: number;
  readonly bytes: number;
  readonly byDtype: readonly DtypeBreakdown[];
  readonly largest: readonly LargestTensor[];
  readonly fromConstantNodes: number;
}

/** One detected attention block. */
export interface AttentionBlock {
  readonly kind: 'softmax' | 'fused';
  /** Node name ('' when the node has none). */
  readonly node: string;
  readonly op: string;
  /** 'ai.onnx' for the default domain. */
  readonly domain: string;
  /** The node's position in its graph. */
  readonly index: number;
  /** '' for the main graph, else where the subgraph sits. */
  readonly graph: string;
}

export interface QuantizationFound {
  readonly ops: readonly { readonly op: string; readonly count: number }[];
  readonly lowBitWeights: readonly { readonly dtype: string; readonly tensors: number; readonly parameters: number }[];
  readonly quantized: boolean;
}

export interface ExternalDataSummary {
  readonly files: readonly { readonly location: string; readonly bytes: number | null; readonly exists: boolean | null }[];
  readonly tensors: number;
}

/** Static summary of an ONNX model: what `inspect` prints and the model editor shows. */
export interface ModelSummary {
  readonly path: string;
  readonly fileBytes: number;
  readonly sha256: string;
  readonly irVersion: number;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly producer: { readonly name: string; readonly version: string };
  readonly domain: string;
  readonly modelVersion: number | null;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly nodeCount: number;
  readonly opHistogram: readonly OpCount[];
  readonly parameters: ParameterSummary;
  readonly externalData: ExternalDataSummary;
  readonly attention: { readonly blocks: readonly AttentionBlock[] };
  readonly quantization: QuantizationFound;
}
