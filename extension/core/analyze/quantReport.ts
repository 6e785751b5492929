/** The quantization report (`bias-inspector.report/1`, kind 'quantization'). */
import { REPORT_SCHEMA } from '../../protocol/report';
import type { ModelSummary } from '../../protocol/model';
import type { QuantizationReport, QuantizationSection } from '../../protocol/quant';
import { reportModel } from '../report';

/** The §4 header of `summary`'s model plus the section. */
export function quantizationReport(summary: ModelSummary, quantization: QuantizationSection, now: Date = new Date()): QuantizationReport {
  return {
    schema: REPORT_SCHEMA,
    kind: 'quantization',
    createdAt: now.toISOString(),
    model: reportModel(summary),
    quantization,
  };
}
