/**
 * Messages between the extension host and the model editor webview. The webview pulls its state
 * with `ready`; the host pushes `reload` when that state changes (file on disk, saved reports,
 * workspace trust) and `runtime` when the execution provider changes.
 */
import type { ModelSummary } from './model';
import type { RuntimeStatus } from './runtime';
import type { GroupsSectionRequest, GroupsSectionResult, ReportView } from './groupsTabs';

/** The three analyses the product runs. */
export type AnalysisKind = 'groups' | 'attention' | 'quant';

/** The model editor's launchers: the analyses, and the probe of a language model. */
export type LauncherKind = AnalysisKind | 'probe';

/** What the model editor shows: a summary, or the error that stopped us reading the file. */
export type ModelViewState =
  | {
    readonly kind: 'summary';
    readonly fileName: string;
    readonly summary: ModelSummary;
    readonly runtime: RuntimeStatus;
    /** False in an untrusted workspace: inspection only, no model execution. */
    readonly trusted: boolean;
    /** Saved reports of this model in the workspace, newest first. */
    readonly reports: readonly SavedReportRef[];
    /** Why the model is a language model ([batch, sequence, vocabulary] logits), which shows the probe launcher; null when it is not one. */
    readonly languageModel: string | null;
  }
  | { readonly kind: 'error'; readonly fileName: string; readonly message: string; readonly code?: string };

/** A saved report the UI can list and reopen. */
export interface SavedReportRef {
  readonly file: string;
  readonly kind: string;
  readonly createdAt: string;
}

/** A chart exported from the webview; SVG as text, PNG as bytes (transferred, not copied). */
export interface ExportRequest {
  readonly suggestedName: string;
  readonly format: 'svg' | 'png' | 'json';
  readonly data: string | ArrayBuffer;
}

/** Requests the webview sends to the host: method -> [params, result]. */
export type ModelHostMethods = {
  /** Webview loaded: returns the state to render. */
  ready: [Record<string, never>, ModelViewState];
  /** The user pressed an analysis launcher. */
  launch: [{ readonly analysis: LauncherKind }, Record<string, never>];
  /** Save an exported chart through a save dialog. */
  saveExport: [ExportRequest, { readonly savedTo: string | null }];
  /** Open a saved report (one of `reports`) in a report panel. */
  openReport: [{ readonly file: string }, Record<string, never>];
};

/** Notifications the host sends to the webview. */
export type ModelWebviewNotes = {
  /** The model file changed on disk, a report of it was saved, or the workspace became trusted: pull state again with `ready`. */
  reload: Record<string, never>;
  /** The execution-provider status changed. */
  runtime: RuntimeStatus;
};

/** The webview serves no requests. */
export type NoMethods = Record<never, [unknown, unknown]>;
/** The webview sends no notifications. */
export type NoNotes = Record<never, unknown>;

/** Requests the report panel's webview sends to the host. */
export type ReportHostMethods = {
  /** Webview loaded: returns the report to render (parsed JSON of a saved report). */
  ready: [Record<string, never>, { readonly report: unknown; readonly file: string | null; readonly view?: ReportView }];
  /** Save an exported chart through a save dialog. */
  saveExport: [ExportRequest, { readonly savedTo: string | null }];
  /** A groups report's Slices or Thresholds tab: the section computed for the report's spec (runs in the worker, with progress). */
  groupsSection: [GroupsSectionRequest, GroupsSectionResult];
  /** One sample's attention maps (attention reports only); params/result in protocol/attention.ts. */
  attentionSample: [unknown, unknown];
};

/** Notifications the host sends to the report panel. */
export type ReportWebviewNotes = {
  /** A newer report replaced the one shown. */
  replaced: Record<string, never>;
};
