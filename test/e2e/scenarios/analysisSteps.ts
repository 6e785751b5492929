// Steps shared by the analysis scenarios: run an analysis from the Explorer and find its panel,
// and read the report it saved in the workspace.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { StopWaiting, waitFor } from '../harness/processes';
import type { Workbench } from '../harness/workbench';

/** Where the extension saves reports, relative to the workspace (DESIGN.md §2). */
export const REPORTS_DIR = '.bias-inspector/reports';

/** A saved report file: its name and parsed JSON. */
export interface SavedReportFile<T> {
  readonly name: string;
  readonly path: string;
  readonly json: T;
}

/** File names of `<stem>.<kind>.<timestamp>.json` reports in the workspace (none when the folder is missing). */
export function savedReportNames(workspace: string, stem: string, kind: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(workspace, REPORTS_DIR));
  } catch {
    return [];
  }
  const prefix = `${stem}.${kind}.`;
  return names.filter((n) => n.startsWith(prefix) && n.endsWith('.json')).sort();
}

/**
 * Waits for a report of `kind` for model `stem` that was not in `before` to be written
 * (the panel can render before the file's last byte lands), and returns it parsed.
 */
export async function waitForNewReport<T>(workspace: string, stem: string, kind: string, before: readonly string[]): Promise<SavedReportFile<T>> {
  return waitFor(`a new ${REPORTS_DIR}/${stem}.${kind}.*.json`, () => {
    const name = savedReportNames(workspace, stem, kind).find((n) => !before.includes(n));
    if (!name) return undefined;
    const path = join(workspace, REPORTS_DIR, name);
    // A partly written file does not parse yet: keep waiting.
    return { name, path, json: JSON.parse(readFileSync(path, 'utf8')) as T };
  }, 30_000);
}

/**
 * Right-clicks `model` in the Explorer, clicks `item` ("Analyze Groups…") and waits for the report
 * panel titled `tab` ("groups: income-mlp.onnx") to show `selector`. Fails at once, with its
 * text, when an error notification appears instead (a failed run is reported that way).
 */
export async function runFromExplorer(wb: Workbench, model: string, item: string, tab: string, selector: string, timeoutMs = 120_000): Promise<Frame> {
  const menu = await wb.contextMenuOf(model);
  if (!menu.includes(item)) throw new Error(`the context menu of ${model} lacks "${item}": ${menu.join(' | ')}`);
  await wb.clickContextMenuItem(item);
  const errors = wb.page.locator('.notifications-toasts .notification-list-item:has(.codicon-error) .notification-list-item-message');
  await waitFor(`the "${tab}" panel`, async () => {
    if ((await errors.count()) > 0) throw new StopWaiting(`"${item}" on ${model} showed an error instead of its panel: ${(await errors.allInnerTexts()).join(' | ')}`);
    return (await wb.editorTab(tab).isVisible()) ? true : undefined;
  }, timeoutMs, 250);
  return wb.webviewWith(selector, 60_000);
}
