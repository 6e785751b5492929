/**
 * What a report section renderer gets from its surroundings: the VS Code webview (model editor
 * result tab or report panel) or a standalone HTML export. Renderers are pure DOM builders over
 * a report section; they never talk to the host except through this context.
 */
import type { ExportRequest } from '../../extension/protocol/messages';
import type { ReportView } from '../../extension/protocol/groupsTabs';

export interface SectionContext {
  /** Saves an exported chart (VS Code: save dialog; standalone HTML: a download). */
  exportChart(request: ExportRequest): Promise<{ readonly savedTo: string | null }>;
  /**
   * Asks the host for data that is not in the report (e.g. one sample's attention maps).
   * Absent in a standalone HTML export: renderers then show only what the report holds.
   */
  readonly host?: {
    request(method: string, params: unknown): Promise<unknown>;
  };
  /** The tab (and thresholds constraint) the panel opens on (*Find Slices…*, *Threshold What-If…*). */
  readonly view?: ReportView;
}

/** Download fallback for standalone HTML exports. */
export function downloadExport(request: ExportRequest): Promise<{ readonly savedTo: string | null }> {
  const blob = new Blob([request.data], { type: request.format === 'svg' ? 'image/svg+xml' : request.format === 'json' ? 'application/json' : 'image/png' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = request.suggestedName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  return Promise.resolve({ savedTo: request.suggestedName });
}
