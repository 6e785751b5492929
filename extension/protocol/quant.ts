/**
 * The `quantization` section of a report (DESIGN.md §4): per-tensor error of every float weight
 * in every number format (FORMULAS.md §C), plus what the quantization view draws (tensor facts,
 * value histograms, representable grids, outliers per block). Pure types, shared by the engine
 * (which writes them), the CLI (which prints them) and the webview (which renders them).
 */
import type { CompareSection } from './compare';
import type { GroupKey, GroupsSection } from './groups';
import type { Report, ReportData } from './report';
import type { RuntimeInfo } from './runtime';

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

/**
 * Comparison numbers of a quantized model against the FP32 model over a set of samples
 * (FORMULAS.md §C "Model-level"): means over the set's samples. `agreement` and `kl` are NaN for
 * regression tasks (no class distribution); accuracies are NaN there too.
 */
export interface QuantImpactStats {
  readonly count: number;
  /** Share of samples whose predicted class is unchanged. */
  readonly agreement: number;
  /** Mean KL(p_fp32 ‖ p_q) in nats; p = softmax of logits, the model's probabilities, or Bernoulli(P(pos)) for one binary output. */
  readonly kl: number;
  /** Mean loss(q) − mean loss(fp32), with the spec's loss (nats for the cross-entropies). */
  readonly lossDelta: number;
  /** accuracy(q) − accuracy(fp32). */
  readonly accuracyDelta: number;
  readonly lossFp32: number;
  readonly lossQ: number;
  readonly accuracyFp32: number;
  readonly accuracyQ: number;
  /** Samples whose predicted class changed (count·(1 − agreement)). */
  readonly flipCount: number;
}

/** Impact numbers of one group (an intersection, or one value of one column). */
export type QuantImpactGroup = QuantImpactStats & {
  readonly group: GroupKey;
  /** count < minGroupSize: shown, but its numbers are noisy. */
  readonly small?: true;
};

/** A sample whose prediction differs between the FP32 and the quantized model. */
export interface QuantFlip {
  /** Row number in the data file (as the groups analysis counts rows). */
  readonly row: number;
  /** The row's sensitive values (null: missing). */
  readonly groups: Readonly<Record<string, string | null>>;
  readonly label: number;
  readonly fp32: number;
  readonly q: number;
}

/**
 * Model-level impact of one format (or of an existing quantized checkpoint): the FP32 model and
 * the quantized copy run on the same batches. `byGroup` = intersections of all sensitive columns
 * (as the groups section's byGroup), `byColumn` = each sensitive column alone.
 */
export interface QuantImpact extends QuantImpactStats {
  /** The simulated format, or 'checkpoint' for an existing quantized model compared with its float twin. */
  readonly format: QuantFormatId | 'checkpoint';
  /** What was quantized: the format id, or the checkpoint's path. */
  readonly label: string;
  /** Weight tensors replaced by their fake-quantized values (checkpoint: dequantized weights matched). */
  readonly quantizedTensors: number;
  readonly byGroup: readonly QuantImpactGroup[];
  readonly byColumn: readonly { readonly column: string; readonly byGroup: readonly QuantImpactGroup[] }[];
  /** The group (intersection, not small when any is not) with the largest loss delta; null when none. */
  readonly worstGroup: GroupKey | null;
  readonly worstGroupLossDelta: number;
  /** The quantized model's own group metrics (FORMULAS.md §B), as the groups section. */
  readonly metrics: GroupsSection;
  /** Samples whose prediction flips: the total and the first `shown` (at most 500, data order). */
  readonly flips: { readonly total: number; readonly shown: readonly QuantFlip[] };
}

/** Damage of quantizing one weight tensor alone (sensitivity analysis). */
export interface QuantLayerDamage {
  /** The weight tensor. */
  readonly tensor: string;
  /** Names of the nodes that consume it (onnxruntime's `nodes_to_exclude` entries; '' when unnamed). */
  readonly nodes: readonly string[];
  readonly op: string | null;
  readonly elements: number;
  readonly agreement: number;
  readonly kl: number;
  readonly lossDelta: number;
  readonly worstGroupLossDelta: number;
  readonly worstGroup: GroupKey | null;
  /** Loss delta per group, in the sensitivity's `groups` order (the group × layer damage matrix's column). */
  readonly byGroup: readonly number[];
}

/** One measured configuration of the greedy mixed-precision search. */
export interface QuantMixStep {
  /** Layers (weight tensors) kept at full precision: the first `kept` of the damage ranking. */
  readonly kept: number;
  readonly worstGroupLossDelta: number;
  readonly kl: number;
  readonly agreement: number;
}

/**
 * Per-layer sensitivity (issue 6 item 4): each weight tensor quantized alone in `format`, over the
 * first `rows` rows; and a greedy mixed-precision suggestion (as MPTQ-ViT): keep the most
 * damaging layers (by worst-group loss delta) at full precision until the measured worst-group
 * loss delta of the mix is ≤ `budget`.
 */
export interface QuantSensitivity {
  readonly format: QuantFormatId;
  readonly rows: number;
  /** Worst-group loss delta allowed (nats for the cross-entropies). */
  readonly budget: number;
  /** The matrix's group axis: intersections of the sensitive columns (small ones included, marked). */
  readonly groups: readonly { readonly group: GroupKey; readonly count: number; readonly small?: true }[];
  /** In damage order (worst first). */
  readonly layers: readonly QuantLayerDamage[];
  /** Every layer quantized in `format`, measured on the same rows. */
  readonly all: QuantMixStep;
  readonly suggestion: {
    /** Weight tensors kept at full precision. */
    readonly keepTensors: readonly string[];
    /** Their consuming nodes: usable as onnxruntime's `nodes_to_exclude` (names, in ranking order, unnamed nodes left out). */
    readonly nodesToExclude: readonly string[];
    /** The mix re-measured (not extrapolated). */
    readonly measured: QuantMixStep;
    readonly metBudget: boolean;
    /** Every configuration measured during the search. */
    readonly steps: readonly QuantMixStep[];
  };
}

/** A weight of an existing quantized checkpoint, dequantized and compared with its float twin. */
export interface QuantCheckpointTensor {
  /** The float model's initializer. */
  readonly name: string;
  /** The quantized initializer it was matched with. */
  readonly quantized: string;
  /** The consuming node in the quantized model and its op ('DequantizeLinear' → 'MatMul', 'QLinearConv', …). */
  readonly node: string;
  readonly op: string;
  /** Stored integer type: 'int8', 'uint8', 'int4', 'uint4', 'int32'. */
  readonly dtype: string;
  /** Per-axis quantization axis; null when per-tensor. */
  readonly axis: number | null;
  readonly elements: number;
  readonly mse: number;
  readonly sqnr_db: number;
  readonly max_abs: number;
  readonly rel_fro: number;
  readonly cosine: number;
}

/**
 * An existing quantized checkpoint (QDQ or QOperator) against a float model: its weights
 * dequantized (x = (q − zero_point)·scale) and matched to the float model's initializers.
 */
export interface QuantCheckpoint {
  readonly float: string;
  readonly style: 'qdq' | 'qoperator' | 'mixed';
  readonly tensors: readonly QuantCheckpointTensor[];
  /** Float weights (≥ minElements) with no quantized counterpart, and quantized weights with no float one. */
  readonly unmatched: {
    readonly float: readonly { readonly name: string; readonly reason: string }[];
    readonly quantized: readonly { readonly name: string; readonly reason: string }[];
  };
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
  /**
   * Model-level impact, with a spec: an ARRAY with one entry per format (DESIGN.md §4 shows one
   * object; this is the list of them), or one 'checkpoint' entry for an existing quantized model.
   */
  readonly impact?: readonly QuantImpact[];
  /** The FP32 model's own group metrics on the same rows (the impact's baseline). */
  readonly baseline?: GroupsSection;
  readonly sensitivity?: QuantSensitivity;
  /** An existing quantized checkpoint compared with a float model (then formats/tensors are empty). */
  readonly checkpoint?: QuantCheckpoint;
}

/** A report of the quantization analysis: the §4 header plus the `quantization` section. */
export interface QuantizationReport extends Report {
  readonly kind: 'quantization';
  readonly quantization: QuantizationSection;
  /** With a spec: the provider used and the data evaluated. */
  readonly runtime?: RuntimeInfo;
  readonly data?: ReportData;
  /** The spec file, when one was used. */
  readonly spec?: string;
  /** `quant --float` with a spec: the float model (A) against the quantized checkpoint (B), FORMULAS.md §G. */
  readonly compare?: CompareSection;
}
