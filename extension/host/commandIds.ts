/** Command and view ids the host's modules share (kept apart so that no module imports another for an id). */
import type { AnalysisKind, LauncherKind } from '../protocol/messages';

/** The model editor's view type (package.json `customEditors`). */
export const MODEL_VIEW_TYPE = 'biasInspector.model';

/** The command behind each analysis launcher. */
export const ANALYSIS_COMMANDS: Readonly<Record<AnalysisKind, string>> = {
  groups: 'biasInspector.analyzeGroups',
  attention: 'biasInspector.attentionHeatmaps',
  quant: 'biasInspector.quantizationError',
};

/** The command behind each model-editor launcher (the analyses, and *Probe Language Model…*). */
export const LAUNCHER_COMMANDS: Readonly<Record<LauncherKind, string>> = {
  ...ANALYSIS_COMMANDS,
  probe: 'biasInspector.probeLanguageModel',
};
