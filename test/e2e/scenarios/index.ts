import type { Scenario } from '../harness/scenario';
import { activation } from './activation';
import { analysisScenarios } from './analyses';
import { badFile } from './badFile';
import { contextMenu } from './contextMenu';
import { modelEditor } from './modelEditor';
import { palette } from './palette';
import { reportsView } from './reportsView';
import { statusBar } from './statusBar';

export { BAD_MODEL_FILE, BAD_MODEL_TEXT } from './badFile';

/** Every scenario, in run order; each runs in a fresh window. Add a scenario: one file, one line. */
export const scenarios: readonly Scenario[] = [
  activation,
  modelEditor,
  contextMenu,
  palette,
  reportsView,
  statusBar,
  badFile,
  ...analysisScenarios,
];
