/**
 * The dry run of a spec (issue #16): validate it and run its analysis on the first rows before it
 * is saved. A failure is a value naming the part of the spec to fix, so a guided flow can go back
 * to that step.
 */
import type { RunOverrides } from './worker';

/** The part of a spec a failure is about, in the order a guided flow asks for them. */
export const DRY_RUN_STEPS = ['spec', 'model', 'data', 'columns', 'label', 'groups', 'inputs', 'output', 'runtime', 'tokenizer', 'templates', 'answers', 'terms', 'slices'] as const;
export type DryRunStep = (typeof DRY_RUN_STEPS)[number];

/** The analyses a spec can be dry-run for. */
export type DryRunAnalysis = 'groups' | 'attention' | 'slices' | 'probe';

export type DryRunResult =
  | { readonly ok: true; readonly rows: number; readonly message: string }
  | { readonly ok: false; readonly step: DryRunStep; readonly code: string; readonly message: string };

/** A spec as it will be written (paths relative to `baseDir`, the spec file's folder). */
export interface DryRunRequest {
  readonly spec: unknown;
  readonly baseDir: string;
  readonly specPath: string;
  readonly analysis: DryRunAnalysis;
  readonly overrides: RunOverrides;
}
