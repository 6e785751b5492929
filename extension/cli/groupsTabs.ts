/**
 * `groups --with-slices --with-thresholds <constraint>`: the groups report with the sections its
 * Slices and Thresholds tabs show (issue 11 item 4), computed for the same spec and rows, so the
 * JSON and the self-contained HTML (`--html`) carry all three tabs.
 */
import type { Command } from 'commander';
import { BadInputError, runSlices, runThresholds, type ResolvedSpec, type RunOverrides } from '../core/analyze';
import type { GroupsReport } from '../protocol/groups';
import type { GroupsReportWithTabs } from '../protocol/groupsTabs';
import { formatSlicesReport, formatThresholdsReport } from './formatSlices';
import { stderrProgress } from './progress';

export interface GroupsTabFlags {
  withSlices?: boolean;
  withThresholds?: string;
}

export function groupsTabOptions(command: Command): Command {
  return command
    .option('--with-slices', 'add the slices section (as `bias-inspector slices` with the spec\'s settings): the Slices tab of the HTML report')
    .option('--with-thresholds <constraint>', 'add the threshold what-if section for this constraint (accuracy objective, relaxed front): the Thresholds tab');
}

/** The report with the requested sections, and their text summaries (empty when none was asked for). */
export async function withTabSections<R extends GroupsReport>(report: R, spec: ResolvedSpec, flags: GroupsTabFlags, overrides: RunOverrides): Promise<{ report: R & GroupsReportWithTabs; text: string[] }> {
  let out: R & GroupsReportWithTabs = report;
  const text: string[] = [];
  if (flags.withSlices) {
    const slices = await runSlices(spec, { ...overrides, onProgress: stderrProgress('slices') });
    out = { ...out, slices: slices.slices };
    text.push(formatSlicesReport(slices));
  }
  if (flags.withThresholds !== undefined) {
    const thresholds = await runThresholds(spec, { ...overrides, constraint: flags.withThresholds, front: true, onProgress: stderrProgress('thresholds') }).catch((error: unknown) => {
      // runThresholds names its own flag; here the constraint came from --with-thresholds.
      if (error instanceof BadInputError && error.code === 'thresholds.constraint') throw new BadInputError(error.code, error.message.replace(/^--constraint /, '--with-thresholds '), { cause: error });
      throw error;
    });
    out = { ...out, thresholds: thresholds.thresholds };
    text.push(formatThresholdsReport(thresholds, false));
  }
  return { report: out, text };
}
