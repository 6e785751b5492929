/**
 * Report assembly and serialisation (`bias-inspector.report/1`, DESIGN.md §4). JSON is written
 * with a fixed key order (the order sections are assembled in) and 2-space indentation so
 * reports diff cleanly in git.
 */
import { REPORT_SCHEMA, type InspectReport, type ReportModel } from '../../protocol/report';
import type { ModelSummary } from '../../protocol/model';

/** The §4 `model` keys of a report, from a model summary. */
export function reportModel(summary: ModelSummary): ReportModel {
  return {
    path: summary.path,
    sha256: summary.sha256,
    irVersion: summary.irVersion,
    opsets: summary.opsets,
    inputs: summary.inputs,
    outputs: summary.outputs,
    parameters: summary.parameters.total,
  };
}

export function inspectReport(summary: ModelSummary, now: Date = new Date()): InspectReport {
  return {
    schema: REPORT_SCHEMA,
    kind: 'inspect',
    createdAt: now.toISOString(),
    model: reportModel(summary),
    summary,
  };
}

/** JSON text of a report: non-finite numbers become strings ("NaN", "Infinity") instead of null. */
export function reportToJson(report: unknown): string {
  return `${JSON.stringify(report, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    if (typeof value === 'bigint') return Number(value);
    return value;
  }, 2)}\n`;
}
