/** Execution-provider names the product knows (DESIGN.md §6). */
export const EXECUTION_PROVIDERS = ['cuda', 'webgpu', 'dml', 'coreml', 'cpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** What the runtime did: written into every report and shown in the status bar. */
export interface RuntimeInfo {
  /** The providers asked for, in order ("auto" expanded for this platform). */
  readonly requested: readonly ExecutionProvider[];
  /** The provider the session actually runs on. */
  readonly used: ExecutionProvider;
  /** Why providers before `used` were skipped, when any were. */
  readonly fallbackReason?: string;
  readonly ortVersion: string;
}

/** Runtime state as the UI shows it before and after a session exists. */
export type RuntimeStatus =
  | { readonly state: 'idle'; readonly setting: string }
  | { readonly state: 'ready'; readonly setting: string; readonly info: RuntimeInfo }
  | { readonly state: 'unavailable'; readonly setting: string; readonly message: string };
