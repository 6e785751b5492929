import type { Scenario } from '../harness/scenario';
import { analysisAttention } from './analysisAttention';
import { analysisCompare, budgetProblems } from './analysisCompare';
import { analysisCompareLm } from './analysisCompareLm';
import { analysisGroups } from './analysisGroups';
import { analysisQuant } from './analysisQuant';
import { guidedSpec, guidedSpecAttention, guidedSpecDryRun } from './guidedSpec';
import { guidedSpecProbe, guidedSpecSlices, modelEditorProbe } from './guidedSpecFlows';
import { analysisSlices, analysisThresholds } from './analysisSlices';
import { analysisProbe } from './analysisProbe';
import { analysisProbeSlices } from './analysisProbeSlices';
import { untrustedWorkspace } from './untrustedWorkspace';
import { untrustedAttentionSample } from './untrustedAttentionSample';

/**
 * "Each analysis that exists runs from its command on a demo model and its chart shows the planted
 * bias." One scenario per analysis (`scenarios/analysis<Name>.ts`), run from the Explorer's
 * context menu on a demo model; each saves a report under `.bias-inspector/reports/` in the
 * workspace copy (the runner allows new files there and nowhere else). The untrusted-workspace
 * scenario runs last, in a second code-server with workspace trust on (Scenario.workspaceTrust).
 */
export const analysisScenarios: readonly Scenario[] = [analysisGroups, analysisAttention, analysisQuant, analysisSlices, analysisThresholds, analysisProbe, analysisProbeSlices, analysisCompare, budgetProblems, analysisCompareLm, guidedSpec, guidedSpecDryRun, guidedSpecAttention, guidedSpecProbe, guidedSpecSlices, modelEditorProbe, untrustedWorkspace, untrustedAttentionSample];
