/**
 * Messages between the extension host and the analysis worker thread. Analyses run off the
 * extension host's thread (onnxruntime-node runs a session on its calling thread), so a long run
 * never freezes VS Code; the host cancels by terminating the worker. The worker is the only place
 * the VS Code path loads a spec: requests carry its path, replies are the analysis's own report.
 */
import type { ExecutionProvider } from './runtime';
import type { GroupsReport } from './groups';
import type { AttentionReport, AttentionSampleResult } from './attention';
import type { QuantizationReport } from './quant';
import type { DryRunRequest, DryRunResult } from './dryRun';
import type { SlicesReport } from './slices';
import type { ThresholdsReport } from './thresholds';
import type { ProbeReportView } from './probe';
import type { CompareReport, GroupsComparisonReport } from './compare';
import type { BudgetResult } from './budgets';

/**
 * Run settings the caller sets explicitly: CLI flags, or the VS Code settings the user changed.
 * An absent field falls back to the spec's value, then to the analysis's default; the precedence
 * (overrides > spec > defaults) is applied in one place, core/analyze/options.ts.
 */
export interface RunOverrides {
  readonly providers?: 'auto' | readonly ExecutionProvider[];
  /** Rows per inference batch. */
  readonly batchSize?: number;
  /** Evaluate at most this many rows (0 = all). */
  readonly maxRows?: number;
  /** Intra-op threads of the CPU provider (0 = the analysis's default). */
  readonly threads?: number;
  readonly minGroupSize?: number;
  /** Bootstrap replicates of the intervals (0 = none, 'auto' = the row-count-based default). */
  readonly bootstrap?: number | 'auto';
  readonly seed?: number;
  /** How replicates resample rows: multinomial (FORMULAS.md §B) or poisson (docs/SHARDING.md §2). */
  readonly bootstrapScheme?: 'multinomial' | 'poisson';
}

export interface GroupsRequest {
  readonly specPath: string;
  readonly overrides: RunOverrides;
}

/** Compare the spec's model (A) with `modelB` on the spec's rows (FORMULAS.md §G). */
export interface CompareRequest {
  readonly specPath: string;
  /** B, compared with the spec's model (A); null: the spec's `referenceModel` is A and its model B. */
  readonly modelB: string | null;
  readonly overrides: RunOverrides;
}

export interface AttentionRequest {
  readonly specPath: string;
  readonly overrides: RunOverrides;
}

export interface AttentionSampleRequest {
  readonly specPath: string;
  /** Data row, 0-based among the data's rows. */
  readonly row: number;
  readonly overrides: RunOverrides;
}

export interface QuantRequest {
  /** The model whose weights are quantized (or the quantized checkpoint, with `floatPath`). */
  readonly modelPath: string;
  /** A spec adds the per-group impact over its data. */
  readonly specPath: string | null;
  /** The float model an existing quantized checkpoint is compared with. */
  readonly floatPath: string | null;
  /** Also the per-layer sensitivity and a mixed-precision suggestion (needs a spec). */
  readonly sensitivity: boolean;
  readonly overrides: RunOverrides;
}

export interface SlicesRequest {
  readonly specPath: string;
  readonly overrides: RunOverrides;
}

/** A language-model probe (or the attention over its prompts) of a probe spec. */
export interface ProbeRequest {
  readonly specPath: string;
  readonly overrides: RunOverrides;
}

export interface ThresholdsRequest {
  readonly specPath: string;
  readonly overrides: RunOverrides;
  readonly constraint: string;
  readonly objective: string;
}

/** Requests the host sends to the worker: one method per analysis, replying with its own report. */
export type AnalysisWorkerMethods = {
  /** The spec's groups analysis; a spec with `referenceModel` gets the comparison instead (DESIGN.md §3). */
  groups: [GroupsRequest, (GroupsReport | GroupsComparisonReport) & { readonly budgets?: readonly BudgetResult[] }];
  compare: [CompareRequest, CompareReport & { readonly budgets?: readonly BudgetResult[] }];
  attention: [AttentionRequest, AttentionReport];
  attentionSample: [AttentionSampleRequest, AttentionSampleResult];
  quant: [QuantRequest, QuantizationReport];
  /** Checks a spec before it is saved: validated, and its analysis run on the first rows. */
  dryRun: [DryRunRequest, DryRunResult];
  slices: [SlicesRequest, SlicesReport];
  thresholds: [ThresholdsRequest, ThresholdsReport];
  probe: [ProbeRequest, ProbeReportView];
  probeAttention: [ProbeRequest, AttentionReport];
};

export type AnalysisMethod = keyof AnalysisWorkerMethods;

/** Notifications the worker sends to the host. */
export type AnalysisWorkerNotes = {
  progress: { readonly fraction: number; readonly message: string };
};
