/**
 * The groups report's tabs (issue 11 item 4): Groups | Slices | Thresholds. A groups report may
 * carry the `slices` and `thresholds` sections of the same spec and rows (DESIGN.md §4); in VS
 * Code a tab whose section is missing asks the host to compute it (`groupsSection`), and the host
 * adds the result to the saved report file.
 */
import type { GroupsReport } from './groups';
import type { SlicesReport, SlicesSection } from './slices';
import type { ThresholdsReport, ThresholdsSection } from './thresholds';

/** A groups report with the sections its other tabs show. */
export type GroupsReportWithTabs = GroupsReport & {
  readonly slices?: SlicesSection;
  readonly thresholds?: ThresholdsSection;
};

export type GroupsTab = 'groups' | 'slices' | 'thresholds';

/** Which tab a report panel opens on (*Find Slices…*, *Threshold What-If…*), and the constraint of the thresholds tab. */
export interface ReportView {
  readonly tab: GroupsTab;
  readonly constraint?: string;
}

/** The webview asks for a section of the groups report's spec and rows. */
export type GroupsSectionRequest =
  | { readonly section: 'slices' }
  | { readonly section: 'thresholds'; readonly constraint: string; readonly objective: string };

/** The reply: the analysis's own report (its header says which model, data and rows). */
export type GroupsSectionResult = SlicesReport | ThresholdsReport;
