/**
 * The report contract `bias-inspector.report/1` (DESIGN.md §4), shared by the engine (which
 * writes it), the CLI (which prints it) and the webview (which renders it). Analysis sections
 * are added by their issues; keys other parts rely on are fixed here.
 */
import type { ValueInfo } from './model';
import type { RuntimeInfo } from './runtime';

export const REPORT_SCHEMA = 'bias-inspector.report/1';

export interface ReportModel {
  readonly path: string;
  readonly sha256: string;
  readonly irVersion: number;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly parameters: number;
}

export interface ReportData {
  readonly path: string;
  readonly rows: number;
  readonly skippedRows: number;
}

/** A report. `kind` says which analysis wrote it; `createdAt` is ISO-8601. */
export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'inspect' | 'groups' | 'attention' | 'quantization';
  readonly createdAt: string;
  readonly model: ReportModel;
  readonly runtime?: RuntimeInfo;
  readonly data?: ReportData;
  readonly groups?: unknown;
  readonly attention?: unknown;
  readonly quantization?: unknown;
}
