/** Command and view ids the host's modules share (kept apart so that no module imports another for an id). */
import type { AnalysisKind } from '../protocol/messages';

/** The model editor's view type (package.json `customEditors`). */
export const MODEL_VIEW_TYPE = 'biasInspector.model';

/** The command behind each analysis launcher. */
export const ANALYSIS_COMMANDS: Readonly<Record<AnalysisKind, string>> = {
  groups: 'biasInspector.analyzeGroups',
  attention: 'biasInspector.attentionHeatmaps',
  quant: 'biasInspector.quantizationError',
};
