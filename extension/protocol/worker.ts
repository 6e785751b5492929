/**
 * Messages between the extension host and the analysis worker thread. Analyses run off the
 * extension host's thread (onnxruntime-node runs a session on its calling thread), so a long run
 * never freezes VS Code; the host cancels by terminating the worker.
 */
import type { ExecutionProvider } from './runtime';

/** Settings every analysis takes from VS Code. */
export interface WorkerRunSettings {
  readonly providers: 'auto' | readonly ExecutionProvider[];
  readonly batchSize: number;
  readonly maxRows: number;
  readonly threads: number;
  readonly minGroupSize: number;
}

/** One analysis to run: the spec (or model) paths and the settings; the reply is its report. */
export type WorkerRequest =
  | { readonly kind: 'groups'; readonly specPath: string; readonly settings: WorkerRunSettings; readonly bootstrap: number; readonly seed: number }
  | { readonly kind: 'attention'; readonly specPath: string; readonly settings: WorkerRunSettings }
  /** Compare the spec's model (A) with `modelB` on the spec's rows (FORMULAS.md §G). */
  | { readonly kind: 'compare'; readonly specPath: string; readonly modelB: string; readonly settings: WorkerRunSettings; readonly bootstrap: number; readonly seed: number }
  | { readonly kind: 'attentionSample'; readonly specPath: string; readonly row: number; readonly settings: WorkerRunSettings }
  | {
    readonly kind: 'quant'; readonly modelPath: string; readonly specPath: string | null; readonly floatPath: string | null;
    readonly sensitivity: boolean; readonly quantWorkerPath: string; readonly settings: WorkerRunSettings;
  };

/** Requests the host sends to the worker. */
export type AnalysisWorkerMethods = {
  run: [WorkerRequest, unknown];
};

/** Notifications the worker sends to the host. */
export type AnalysisWorkerNotes = {
  progress: { readonly fraction: number; readonly message: string };
};
