/**
 * The groups report's Slices and Thresholds tabs (issue 11 item 4), host side: a tab whose
 * section the report lacks asks for it; the section is computed in the analysis worker for the
 * report's spec (same rows), with a cancellable progress notification, and added to the saved
 * report file so that reopening it shows the tab at once. A failure is logged and shown in the tab.
 */
import * as vscode from 'vscode';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { BadInputError } from '../core/errors';
import { engine } from './loadEngine';
import type { GroupsReportWithTabs, GroupsSectionRequest, GroupsSectionResult } from '../protocol/groupsTabs';
import { runAnalysisInWorker, runOverrides } from './analysisWorker';
import { log } from './log';

function isGroupsRequest(params: unknown): params is GroupsSectionRequest {
  const p = params as { section?: unknown; constraint?: unknown; objective?: unknown } | null;
  return typeof p === 'object' && p !== null && (p.section === 'slices'
    || (p.section === 'thresholds' && typeof p.constraint === 'string' && typeof p.objective === 'string'));
}

/** Runs the requested section for the report's spec in the worker; rejects with the cause (the tab shows it). */
export async function computeGroupsSection(extensionUri: vscode.Uri, report: GroupsReportWithTabs, params: unknown, closed: AbortSignal): Promise<GroupsSectionResult> {
  if (!isGroupsRequest(params)) throw new Error('bad groupsSection request');
  if (report.kind !== 'groups') throw new Error(`a ${String(report.kind)} report has no ${params.section} tab`);
  const specPath = report.spec;
  if (!specPath) {
    throw new BadInputError('report.no-spec', `this report was computed from command-line flags, not a spec file: run \`bias-inspector ${params.section} --json\` with the same flags instead`);
  }
  const title = params.section === 'slices' ? 'Find Slices' : `Threshold What-If (${params.constraint})`;
  const model = report.model ? basename(report.model.path) : basename(report.data.path);
  const controller = new AbortController();
  const onClosed = (): void => controller.abort();
  closed.addEventListener('abort', onClosed);
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${title}: ${model}`, cancellable: true }, async (progress, token) => {
      const cancellation = token.onCancellationRequested(() => controller.abort());
      let reported = 0;
      const onProgress = (fraction: number, message: string): void => {
        const increment = Math.max(0, fraction * 100 - reported);
        reported += increment;
        progress.report({ increment, message });
      };
      try {
        return params.section === 'slices'
          ? await runAnalysisInWorker(extensionUri, 'slices', { specPath, overrides: runOverrides() }, controller.signal, onProgress)
          : await runAnalysisInWorker(extensionUri, 'thresholds', { specPath, overrides: runOverrides(), constraint: params.constraint, objective: params.objective }, controller.signal, onProgress);
      } finally {
        cancellation.dispose();
      }
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (controller.signal.aborted) throw new Error(`${title} was cancelled`, { cause: error });
    log().warn(`${title}: ${message}`);
    throw error;
  } finally {
    closed.removeEventListener('abort', onClosed);
  }
}

/** The report with the computed section added (the thresholds tab keeps the last constraint computed). */
export function withSection(report: GroupsReportWithTabs, result: GroupsSectionResult): GroupsReportWithTabs {
  return result.kind === 'slices' ? { ...report, slices: result.slices } : { ...report, thresholds: result.thresholds };
}

/** Rewrites the saved report with its new section (the file is ours: .bias-inspector/reports). */
export async function saveWithSection(file: vscode.Uri, report: GroupsReportWithTabs, section: GroupsSectionResult['kind']): Promise<void> {
  await writeFile(file.fsPath, engine().reportToJson(report), 'utf8');
  log().info(`${basename(file.fsPath)}: ${section} section saved in the report`);
}
