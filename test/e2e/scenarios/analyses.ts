import type { Scenario } from '../harness/scenario';

/**
 * "Each analysis that exists runs from its command on a demo model and its chart shows the planted
 * bias." One scenario per analysis, added by the issue that brings the analysis: write
 * `scenarios/<analysis>.ts` exporting a Scenario and append it here. Empty while no analysis
 * exists (the three commands say so in a notification).
 */
export const analysisScenarios: readonly Scenario[] = [];
