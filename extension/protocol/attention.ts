/**
 * The report's `attention` section (DESIGN.md §4) and the per-sample request, as the UI reads
 * them: the one definition, written by core/analyze/attention. Definitions follow FORMULAS.md §D.
 *
 * Numbers: the report JSON writes non-finite numbers as the strings "NaN" / "Infinity"
 * (reportToJson); a reader should treat a string where a number is expected as NaN.
 *
 * Matrices in the report are stored as base64 of little-endian Float32 (row-major), one string
 * per head: about 1.33 × 4 bytes per cell instead of ~10 for decimal text, exact to float32, and
 * NaN ("no sample had this cell") survives. Decode with
 * `new Float32Array(Uint8Array.from(atob(s), c => c.charCodeAt(0)).buffer)`.
 */
import type { ReportData, ReportModel, REPORT_SCHEMA } from './report';
import type { RuntimeInfo } from './runtime';
import type { GroupKey, ShardRun } from './groups';

/** A group: sensitive column -> value (the same key as the groups section's). */
export type AttentionGroupKey = GroupKey;

/** The export layouts: batch and heads apart, or folded (PyTorch MultiheadAttention with weights). */
export type AttentionLayout = '[B,H,T,T]' | '[B*H,T,T]';

/** `attention.perHead` entry (DESIGN.md §4). */
export interface AttentionHeadStats {
  readonly layer: number;
  readonly head: number;
  /** Mean entropy of valid query rows (nats); NaN without rows. */
  readonly entropy: number;
  /** Mean mass on each sample's first valid key (attention sink). */
  readonly firstTokenMass: number;
  /** Mean mass on each span named in the spec's `attention.spans`; NaN when no sample had it. */
  readonly spanMass: Readonly<Record<string, number>>;
  /** Mean mass on special tokens ([CLS], [SEP], [PAD]…), present when some samples came with a special-token mask. */
  readonly specialTokenMass?: number;
}

/** `attention.byGroup` entry (DESIGN.md §4) plus its sample count. */
export interface AttentionGroupStats {
  readonly group: AttentionGroupKey;
  readonly samples: number;
  /** Fewer samples than the minimum group size (FORMULAS.md §B): shown, marked. */
  readonly small?: true;
  readonly perHead: readonly AttentionHeadStats[];
}

/** `attention.bias` entry (DESIGN.md §4): an additive bias of the logits of one head. */
export interface AttentionBiasEntry {
  readonly layer: number;
  readonly head: number;
  readonly kind: 'relative' | 'alibi' | 'other';
  /** Smallest R with energy ≥ 0.995 (FlashBias). */
  readonly rank: number;
  /** energy[R−1] for R = 1… (trimmed to the first 32 values or rank + 8, whichever is longer). */
  readonly energy: readonly number[];
  /** ALiBi slope m (bias −m·(i − j) or −m·|i − j|). */
  readonly slope?: number;
}

/** Distribution of the normalised entropy Ĥ_i = H_i / log(n_valid) of one head. */
export interface AttentionEntropyDistribution {
  readonly layer: number;
  readonly head: number;
  /** Mean Ĥ over rows with n_valid > 1. */
  readonly meanNormalized: number;
  /** Rows counted in the histogram, and rows with one valid key (Ĥ undefined, left out). */
  readonly rows: number;
  readonly undefinedRows: number;
  /** Counts in equal-width bins over [0, 1] (the last bin is closed). */
  readonly histogram: readonly number[];
  /** Quantiles read from the histogram, linear within a bin (accurate to one bin width). */
  readonly quantiles: { readonly p10: number; readonly p25: number; readonly p50: number; readonly p75: number; readonly p90: number };
}

/** A head's ranking by how differently groups attend (pairs of groups over the same columns). */
export interface AttentionHeadDifference {
  readonly layer: number;
  readonly head: number;
  /** Largest cell-count-weighted mean |M_a − M_b| of two groups' mean maps. */
  readonly mapDifference: number;
  readonly spanMassDifference: number;
  /** Nats. */
  readonly entropyDifference: number;
  /** The pair that gives mapDifference. */
  readonly groups: readonly [AttentionGroupKey, AttentionGroupKey];
}

/** One head's window × window matrix, base64 little-endian Float32, row-major. */
export interface AttentionHeadMatrix {
  readonly layer: number;
  readonly head: number;
  readonly data: string;
}

/**
 * Dataset mean maps for query/key positions < `window` (one length window for every sample):
 * cell (i, j) is the mean of p_ij over the samples where both positions are valid; NaN where none.
 */
export interface AttentionMaps {
  readonly encoding: 'float32-base64-le';
  readonly window: number;
  /** Samples that had each cell valid (window × window, shared by every head). */
  readonly cellCounts: string;
  /** Every layer × head, layer-major. */
  readonly overall: readonly AttentionHeadMatrix[];
  /** Per group (same order as `byGroup`): its mean maps and group − overall difference maps. */
  readonly byGroup: readonly {
    readonly group: AttentionGroupKey;
    readonly mean: readonly AttentionHeadMatrix[];
    readonly difference: readonly AttentionHeadMatrix[];
  }[];
}

/** The bias matrices evaluated at one length T (what `bias` entries were computed from). */
export interface AttentionBiasMatrices {
  readonly encoding: 'float32-base64-le';
  readonly T: number;
  /** T × T per head; masked cells (≤ −1e4) are kept as they are. */
  readonly matrices: readonly (AttentionHeadMatrix & { readonly kind: 'relative' | 'alibi' | 'other' })[];
}

/** Where each layer's probabilities came from in the graph. */
export interface AttentionSource {
  readonly layer: number;
  /** The node producing the probabilities (Softmax) or logits (fused MultiHeadAttention). */
  readonly node: string;
  /** The tensor exposed as an output. */
  readonly tensor: string;
  readonly kind: 'softmax' | 'multihead-qk';
  /** The additive-bias node feeding the Softmax, when one was found. */
  readonly biasNode?: string;
  /** The padding/causal mask term, when one was found: its node and why it counts as a mask. */
  readonly maskNode?: string;
}

/** The report's `attention` section. Keys of DESIGN.md §4 first, then what the UI needs. */
export interface AttentionSection {
  readonly layers: number;
  readonly heads: number;
  readonly layout: AttentionLayout;
  readonly perHead: readonly AttentionHeadStats[];
  readonly byGroup: readonly AttentionGroupStats[];
  readonly bias?: readonly AttentionBiasEntry[];
  /** Samples aggregated. */
  readonly samples: number;
  /** Spans reported (the spec's `attention.spans` names), in order. */
  readonly spans: readonly string[];
  /** The sensitive columns used for groups. */
  readonly sensitive: readonly string[];
  readonly minGroupSize: number;
  readonly causal: boolean;
  readonly sources: readonly AttentionSource[];
  /** Worst row-sum deviation |Σ_j p_ij − 1| over the checked rows; `rows` = rows checked. */
  readonly rowSums: { readonly rows: number; readonly maxDeviation: number; readonly where?: string };
  readonly maps: AttentionMaps;
  readonly entropy: {
    readonly overall: readonly AttentionEntropyDistribution[];
    readonly byGroup: readonly { readonly group: AttentionGroupKey; readonly distributions: readonly AttentionEntropyDistribution[] }[];
  };
  /** Heads sorted by group difference, largest first (empty with fewer than two comparable groups). */
  readonly ranking: readonly AttentionHeadDifference[];
  readonly biasMatrices?: AttentionBiasMatrices;
}

/** A report of the attention analysis (`kind: 'attention'`). */
export interface AttentionReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'attention';
  readonly createdAt: string;
  /** The spec file ('' when the spec came from flags). */
  readonly spec: string;
  readonly model: ReportModel;
  readonly runtime: RuntimeInfo;
  readonly data: ReportData & { readonly skipReasons: Readonly<Record<string, number>> };
  readonly attention: AttentionSection;
  /** A merged sharded run (docs/SHARDING.md §7): rows, time, host and provider per shard. */
  readonly shards?: readonly ShardRun[];
}

/** One layer of one sample: `heads` maps of T × T float32, head-major ([H, T, T]), in `data`. */
export interface AttentionSampleLayer {
  readonly layer: number;
  readonly heads: number;
  readonly T: number;
  /** Float32Array buffer of heads·T·T values; transferred, not copied. */
  readonly data: ArrayBuffer;
}

/** Reply to `attentionSample`. */
export interface AttentionSampleResult {
  /** Token labels, T of them (the data's token column, the tokenizer, or positions "0", "1", …). */
  readonly tokens: readonly string[];
  readonly layers: readonly AttentionSampleLayer[];
  readonly layout: AttentionLayout;
  /** Number of valid (unpadded) positions; positions ≥ validLength are padding. */
  readonly validLength: number;
  /** The groups this row belongs to. */
  readonly group: AttentionGroupKey;
}

/** Requests the attention webview sends to the host: method -> [params, result]. */
export type AttentionHostMethods = {
  /** The maps of one data row (0-based index among the data's rows). */
  attentionSample: [{ readonly row: number }, AttentionSampleResult];
};
