/**
 * The `quantization` section of a report (DESIGN.md §4): per-tensor error of every float weight
 * in every number format (FORMULAS.md §C), plus what the quantization view draws (tensor facts,
 * value histograms, representable grids, outliers per block). Pure types, shared by the engine
 * (which writes them), the CLI (which prints them) and the webview (which renders them).
 */
import type { Report } from './report';

/** A number format id of FORMULAS.md §C (the engine checks this list against its registry at compile time). */
export type QuantFormatId =
  | 'int8'
  | 'int4'
  | 'int8_asym'
  | 'int4_asym'
  | 'int8_per_tensor'
  | 'int4_per_tensor'
  | 'int8_asym_per_tensor'
  | 'int4_asym_per_tensor'
  | 'fp8_e4m3'
  | 'fp8_e5m2'
  | 'mxint8'
  | 'mxfp8_e4m3'
  | 'mxfp8_e5m2'
  | 'mxfp6_e2m3'
  | 'mxfp6_e3m2'
  | 'mxfp4'
  | 'nvfp4';

/**
 * Error of one tensor in one format (FORMULAS.md §C error metrics, float64, over the tensor's
 * finite values). `sqnr_db` is +Infinity when the format is exact on the tensor; reports write
 * non-finite numbers as strings ("Infinity", "NaN").
 */
export interface QuantTensorError {
  readonly name: string;
  readonly format: QuantFormatId;
  readonly mse: number;
  readonly sqnr_db: number;
  readonly max_abs: number;
  readonly rel_fro: number;
  readonly cosine: number;
}

/** Counts of the tensor's finite values in `counts.length` equal bins over [min, max] = [−amax, amax]. */
export interface QuantHistogram {
  readonly min: number;
  readonly max: number;
  readonly counts: readonly number[];
}

/** A consumer of a weight whose quantization axes differ from the ones used (the first consumer's). */
export interface QuantAxisConflict {
  readonly op: string;
  readonly node: string;
  readonly inputIndex: number;
  readonly channelAxis: number | null;
  readonly blockAxis: number;
}

/**
 * Outliers of a tensor: finite values with |x| > k·RMS(tensor) (k = 6), counted per block of
 * `blockSize` along the block axis (as the MX/NVFP4 scales see them).
 */
export interface QuantOutliers {
  readonly k: number;
  /** k·RMS: the magnitude a value must exceed. */
  readonly threshold: number;
  readonly total: number;
  readonly byBlockSize: readonly {
    readonly blockSize: number;
    readonly blocks: number;
    readonly blocksWithOutliers: number;
    /** Most outliers in one block. */
    readonly maxInBlock: number;
    /** The blocks with most outliers (at most 16), in (outer, block, inner) order indices. */
    readonly top: readonly { readonly block: number; readonly count: number }[];
  }[];
}

/** Facts about one analysed tensor, for the heatmap's sort orders, the histogram and the tooltips. */
export interface QuantTensorInfo {
  readonly name: string;
  readonly shape: readonly number[];
  /** Stored data type: 'float32', 'float16', 'bfloat16' or 'float64'. */
  readonly dtype: string;
  readonly elements: number;
  /** 'initializer' or 'constant' (a Constant node's tensor). */
  readonly source: 'initializer' | 'constant';
  /** '' for the main graph, else the subgraph's path. */
  readonly graphPath: string;
  /** Op type of the consumer whose axes are used ('MatMul', 'Gemm', 'Conv', …); null when nothing consumes it. */
  readonly op: string | null;
  /** Name of that consuming node ('' when unnamed or none). */
  readonly node: string;
  /** Which input of that node the weight is; −1 when none. */
  readonly inputIndex: number;
  /** Layout ops followed from the weight to that consumer (Identity, Cast, Transpose). */
  readonly via: readonly string[];
  /** Per-channel axis of the int formats (null: per-tensor, rank ≤ 1). */
  readonly channelAxis: number | null;
  /** Block axis of the MX/NVFP4 formats. */
  readonly blockAxis: number;
  /** True when the axes after blockAxis are flattened into it (Conv W: [Co, Ci·kh·kw]). */
  readonly blockFlattenTrailing: boolean;
  /** Consumers with different axes (the first consumer's were used). */
  readonly axisConflicts: readonly QuantAxisConflict[];
  /** Position of the first consuming node in graph order (all graphs, main first); nodes + weight index when none. */
  readonly graphIndex: number;
  readonly histogram: QuantHistogram;
  /** Values that are NaN or ±Inf: reported, excluded from every metric, copied through by the formats. */
  readonly nonFinite: number;
  readonly outliers: QuantOutliers;
}

/** The values a per-tensor format can represent on one tensor (its scale applied), for the histogram overlay. */
export interface QuantGrid {
  readonly name: string;
  readonly format: QuantFormatId;
  readonly scale: number;
  /** Int formats; 0 for the float formats. */
  readonly zeroPoint: number;
  readonly values: readonly number[];
}

/** Why a stored tensor was not analysed. */
export type QuantSkipCode = 'too-small' | 'not-float' | 'non-finite' | 'unreadable';

export interface QuantSkipped {
  readonly name: string;
  readonly code: QuantSkipCode;
  readonly reason: string;
}

/** Per-format summary over the analysed tensors. */
export interface QuantFormatSummary {
  readonly format: QuantFormatId;
  /** Mean of the tensors' SQNR in dB (tensors with +Infinity, exact in the format, are left out; NaN when none is left). */
  readonly meanSqnrDb: number;
  /** The tensor with the lowest SQNR. */
  readonly worstTensor: string;
  readonly worstSqnrDb: number;
  /** Σ over tensors of elements·mse / Σ elements: the MSE over all analysed weights. */
  readonly totalMse: number;
}

/** The report's `quantization` section. */
export interface QuantizationSection {
  readonly formats: readonly QuantFormatId[];
  /** Tensor-major (tensorInfo order), formats in `formats` order within a tensor. */
  readonly tensors: readonly QuantTensorError[];
  readonly tensorInfo: readonly QuantTensorInfo[];
  /** Representable grids of the per-tensor formats (int *_per_tensor, fp8), per tensor. */
  readonly grids: readonly QuantGrid[];
  readonly skipped: readonly QuantSkipped[];
  readonly summaryByFormat: readonly QuantFormatSummary[];
  /** Settings the numbers depend on. */
  readonly settings: { readonly minElements: number; readonly mxRounding: 'rne' | 'rhaz' };
}

/** A report of the quantization analysis: the §4 header plus the `quantization` section. */
export interface QuantizationReport extends Report {
  readonly kind: 'quantization';
  readonly quantization: QuantizationSection;
}
