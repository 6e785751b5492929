/**
 * The report contract `bias-inspector.report/1` (DESIGN.md §4), shared by the engine (which
 * writes it), the CLI (which prints it) and the webview (which renders it). Each analysis's
 * report and section live in their own file here (groups.ts, attention.ts, quant.ts, ...);
 * this file holds the header every report shares and the union of them all.
 */
import type { ModelSummary, ValueInfo } from './model';
import type { RuntimeInfo } from './runtime';
import type { GroupsReport } from './groups';
import type { AttentionReport } from './attention';
import type { QuantizationReport } from './quant';

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

/** The header every report has. `kind` says which analysis wrote it; `createdAt` is ISO-8601. */
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

/** A report of static inspection: the header plus the full summary. */
export interface InspectReport extends Report {
  readonly kind: 'inspect';
  readonly summary: ModelSummary;
}

/** Every report an analysis writes, by `kind`. */
export type AnalysisReport = GroupsReport | AttentionReport | QuantizationReport;
export type AnalysisReportKind = AnalysisReport['kind'];
/** Any report the product writes. */
export type AnyReport = InspectReport | AnalysisReport;
