/** The analysis spec (`*.bias.json`, DESIGN.md §3) as written by users and as resolved. */
import type { BudgetSpec } from '../../protocol/budgets';

export const TASKS = ['binary', 'multiclass', 'regression'] as const;
export const OUTPUT_KINDS = ['logits', 'probabilities', 'regression', 'ensemble', 'language_model'] as const;
export const LOSSES = [
  'cross_entropy', 'binary_cross_entropy', 'focal', 'mse', 'mae', 'dice', 'crps', 'fair_crps', 'af_crps', 'bias_loss',
] as const;

export type Task = (typeof TASKS)[number];
export type OutputKind = (typeof OUTPUT_KINDS)[number];
export type LossName = (typeof LOSSES)[number];

/** Default limit of distinct values of a group column (the spec's `maxGroupValues` raises it). */
export const DEFAULT_MAX_GROUP_VALUES = 1000;

/** Numeric columns -> float32 [N, F]. */
export interface ColumnsMapping { readonly columns: readonly string[] }
/** A column of integer arrays (token ids) -> int64 [N, T], padded with `padId` (default 0). */
export interface IdsMapping { readonly column: string; readonly padId?: number; readonly maxLength?: number }
/** A text column tokenized with a tokenizer.json, truncated to `maxLength`. */
export interface TextMapping { readonly text: string; readonly tokenizer: string; readonly maxLength?: number; readonly padId?: number }
/** An .npy file whose rows align with the data rows. */
export interface NpyMapping { readonly npy: string }

export type InputMapping = ColumnsMapping | IdsMapping | TextMapping | NpyMapping;

export interface PredictionsSpec { readonly file: string; readonly score?: string; readonly pred?: string }
/** Slice discovery (FORMULAS.md §E): candidate columns (default: every metadata column) and the deepest level. */
export interface SlicesSpec { readonly columns?: readonly string[]; readonly maxLevel?: number }
export interface AttentionSpec { readonly tokens?: string; readonly spans?: Readonly<Record<string, string>> }

/** Fields every language-model probe takes (FORMULAS.md §H). */
interface ProbeCommon {
  /** The model's tokenizer.json (default: tokenizer.json in the model's folder). */
  readonly tokenizer?: string;
  /** The model's context in tokens, when the model does not say it (a fixed sequence axis or its position table). */
  readonly maxLength?: number;
}
/** Yes/no skew of each data row's prompt: `{col}` in the prompt is that column of the row. */
export interface YesNoProbeSpec extends ProbeCommon {
  readonly kind: 'yesno';
  readonly prompt: string;
  readonly yes: readonly string[];
  readonly no: readonly string[];
}
/** Counterfactual templates: the templates file's `column` (default "template") holds prompts with the slot. */
export interface CounterfactualProbeSpec extends ProbeCommon {
  readonly kind: 'counterfactual';
  readonly templates: string;
  readonly column?: string;
  readonly slot?: string;
  readonly terms: Readonly<Record<string, readonly string[]>>;
  readonly answers?: { readonly yes?: readonly string[]; readonly no?: readonly string[] };
}
export type ProbeSpec = YesNoProbeSpec | CounterfactualProbeSpec;

/** The spec as it is in the file: paths relative to the spec's folder. */
export interface AnalysisSpec {
  readonly model?: string;
  /** Required except for a counterfactual probe (its templates file is the data). */
  readonly data?: string;
  readonly inputs?: Readonly<Record<string, InputMapping>>;
  readonly output?: string;
  readonly outputKind?: OutputKind;
  /** Required only by the analyses that score predictions (groups, quant impact): see scoringTask. */
  readonly task?: Task;
  readonly label?: string;
  readonly groups?: readonly string[];
  readonly loss?: LossName;
  readonly referenceModel?: string | null;
  readonly predictions?: PredictionsSpec;
  readonly featureTensor?: string;
  readonly positiveLabel?: string | number | boolean;
  readonly classes?: readonly string[];
  readonly weight?: string;
  readonly likelihood?: string;
  readonly attention?: AttentionSpec;
  readonly slices?: SlicesSpec;
  readonly minGroupSize?: number;
  readonly bootstrap?: number;
  readonly seed?: number;
  readonly maxGroupValues?: number;
  readonly probe?: ProbeSpec;
  /** Bias budgets (FORMULAS.md §G), evaluated after every analysis; `check` gates on them. */
  readonly budgets?: readonly BudgetSpec[];
}

/**
 * A loaded spec: every path absolute (and checked to exist), defaults filled in:
 * outputKind "logits" (regression task: "regression"), loss "cross_entropy" (regression: "mse"),
 * groups [], referenceModel null, inputs {}, maxGroupValues 1000.
 */
export interface ResolvedSpec extends AnalysisSpec {
  /** Absolute path of the spec file ('' for a spec built in memory). */
  readonly specPath: string;
  /** The data file (a counterfactual probe's templates file when the spec names no data). */
  readonly data: string;
  /** Absent when the spec names none (attention needs none; scoring analyses ask via scoringTask). */
  readonly task?: Task;
  readonly inputs: Readonly<Record<string, InputMapping>>;
  readonly outputKind: OutputKind;
  readonly groups: readonly string[];
  readonly loss: LossName;
  readonly referenceModel: string | null;
  readonly maxGroupValues: number;
}

export function isColumnsMapping(m: InputMapping): m is ColumnsMapping { return 'columns' in m; }
export function isIdsMapping(m: InputMapping): m is IdsMapping { return 'column' in m; }
export function isTextMapping(m: InputMapping): m is TextMapping { return 'text' in m; }
export function isNpyMapping(m: InputMapping): m is NpyMapping { return 'npy' in m; }
