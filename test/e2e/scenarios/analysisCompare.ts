import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, type Scenario } from '../harness/scenario';
import { StopWaiting, waitFor } from '../harness/processes';
import type { Workbench } from '../harness/workbench';
import type { Frame } from 'playwright-core';
import { savedReportNames, waitForNewReport, REPORTS_DIR } from './analysisSteps';

/** The two demo checkpoints: the previous release (the spec's referenceModel, A) and the current model (B). */
const PREV = 'income-mlp-prev.onnx';
const CURRENT = 'income-mlp.onnx';
/** The spec pairing them, with 3 budgets of which 2 fail (examples/README.md). */
const SPEC = 'income-compare.bias.json';
const TAB = `compare: ${PREV} → ${CURRENT}`;
/** The group examples/README.md documents as significantly worse for the current model. */
const WORSE = 'sex=F, race=B';

/** The parts of a saved compare report this scenario reads. */
interface CompareReportJson {
  kind: string;
  compare: {
    a: { model: string };
    b: { model: string };
    source: string;
    byGroup: { group: Record<string, string> | 'overall'; verdict: string; flips: { broken: number; fixed: number }; metrics: Record<string, { a: number; b: number }> }[];
    parameters?: { compared: number; elements: number; elementsChanged: number; changed: { name: string; relL2: number }[] };
  };
  budgets?: { figure: string; ok: boolean; location: { line: number; column: number } }[];
}

const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();
const label = (g: Record<string, string> | 'overall'): string => (g === 'overall' ? 'overall' : Object.entries(g).map(([k, v]) => `${k}=${v}`).join(', '));

/**
 * Selects both models in the Explorer (by default the demo checkpoints, the previous one first, as
 * a user who compares "old with new" would), runs Compare Models from the context menu and waits
 * for the comparison panel titled `tab`; fails at once with the text of an error notification.
 */
export async function compareFromExplorer(wb: Workbench, models: readonly string[] = [PREV, CURRENT], tab = TAB): Promise<Frame> {
  const menu = await wb.contextMenuOfSelection(models);
  check(menu.includes('Compare Models'), `the context menu of two selected models lacks "Compare Models": ${menu.join(' | ')}`);
  await wb.clickContextMenuItem('Compare Models');
  const errors = wb.page.locator('.notifications-toasts .notification-list-item:has(.codicon-error) .notification-list-item-message');
  await waitFor(`the "${tab}" panel`, async () => {
    if ((await errors.count()) > 0) throw new StopWaiting(`Compare Models showed an error instead of its panel: ${(await errors.allInnerTexts()).join(' | ')}`);
    return (await wb.editorTab(tab).isVisible()) ? true : undefined;
  }, 150_000, 250);
  return wb.webviewWith('[data-testid="compare-headline"]', 60_000);
}

/** 1-based line of the `{` that opens the budget naming `figure` in the spec text. */
function budgetLine(specText: string, figure: string): number {
  const at = specText.indexOf(`"figure": "${figure}"`);
  if (at < 0) throw new Error(`${SPEC} has no budget for ${figure}`);
  const open = specText.lastIndexOf('{', at);
  return specText.slice(0, open).split('\n').length;
}

/**
 * Compare Models on the two demo checkpoints (Explorer multi-select, context menu): the spec that
 * pairs them (income-compare.bias.json, referenceModel = the previous release) decides which is A
 * whatever the selection order; the panel names the significantly worse group in its headline,
 * draws it first in the Δ chart, lists the rows that broke and both models side by side.
 */
export const analysisCompare: Scenario = {
  name: 'Compare Models on the two income checkpoints names sex=F, race=B as significantly worse, with the Δ chart, broken rows and both models',
  timeoutMs: 240_000,
  async run({ wb, workspace, shot, log }) {
    const before = savedReportNames(workspace, 'income-mlp', 'compare');
    const view = await compareFromExplorer(wb);
    const saved = await waitForNewReport<CompareReportJson>(workspace, 'income-mlp', 'compare', before);
    const c = saved.json.compare;
    log(`saved ${REPORTS_DIR}/${saved.name}: A ${c.a.model}, B ${c.b.model} (${c.source})`);
    check(c.a.model === join(workspace, PREV) && c.b.model === join(workspace, CURRENT), `A is ${c.a.model} and B ${c.b.model}; expected A = ${PREV} (the spec's referenceModel), B = ${CURRENT}`);
    check(c.source === 'referenceModel', `the comparison's source is ${c.source}, expected referenceModel (from ${SPEC})`);
    const worse = c.byGroup.filter((g) => g.verdict === 'worse' && g.group !== 'overall').map((g) => label(g.group));
    log(`worse groups: ${worse.join(' | ')}`);
    check(worse.includes(WORSE), `the saved report does not judge ${WORSE} worse: ${worse.join(' | ') || 'none'}`);

    const headline = clean(await view.locator('[data-testid="compare-headline"]').innerText());
    log(`headline: ${headline}`);
    check(headline.startsWith('B is significantly worse for') && headline.includes(WORSE), `the headline does not name ${WORSE}: "${headline}"`);
    const overall = clean(await view.locator('[data-testid="compare-overall"]').innerText());
    log(`overall: ${overall}`);
    check(/^Overall accuracy: \d+\.\d → \d+\.\d \(Δ \+\d+\.\d, 95% CI/.test(overall), `the overall line reads "${overall}"`);

    // The Δ chart: the worse group is the first row and is marked ▲.
    const chart = view.locator('[data-testid="compare-delta-chart"] svg');
    await chart.first().waitFor({ timeout: wb.timeoutMs });
    const rows = await chart.first().locator('text').allTextContents();
    log(`chart rows: ${rows.slice(0, 4).join(' | ')}`);
    check(rows[0] === `▲ ${WORSE}`, `the first row of the Δ chart is "${rows[0] ?? ''}", expected "▲ ${WORSE}"`);

    // The broken rows: a table with the group and the input columns.
    const flips = view.locator('[data-testid="compare-flips"]');
    const head = clean(await flips.locator('thead').innerText());
    check(head.startsWith('row group label A predicts B predicts') && head.includes('age'), `the broken-rows table's header is "${head}"`);
    const bodyRows = await flips.locator('tbody tr').count();
    const broken = c.byGroup.find((g) => g.group === 'overall')?.flips.broken ?? 0;
    check(bodyRows > 0 && bodyRows <= broken, `the broken-rows table has ${bodyRows} rows, the report ${broken} broken rows`);
    const firstGroup = clean(await flips.locator('tbody tr').first().locator('td').nth(1).innerText());
    log(`${bodyRows} broken rows listed (of ${broken}); first in group ${firstGroup}`);
    check(firstGroup === WORSE, `the first broken row listed is in ${firstGroup}; the rows of the worse group ${WORSE} come first`);

    // Both models side by side.
    const sides = clean(await view.locator('[data-testid="compare-sides"]').innerText());
    check(sides.includes(`A (baseline): ${PREV}`) && sides.includes(`B (candidate): ${CURRENT}`), `the side-by-side summaries read "${sides.slice(0, 200)}"`);
    await shot('compare panel');
    await view.locator('[data-testid="compare-sides"]').scrollIntoViewIfNeeded();
    await shot('compare panel, both models side by side');

    // Which parameters changed: the two checkpoints were trained apart, so all 8 weight tensors
    // (1358 values) differ; the table lists them largest relative change first.
    const p = c.parameters;
    check(p !== undefined && p.compared === 8 && p.changed.length === 8 && p.elementsChanged === 1358, `the saved report's compare.parameters is ${JSON.stringify(p)?.slice(0, 300)}; expected 8 of 8 tensors changed (1358 values)`);
    const params = view.locator('[data-testid="compare-parameters"]');
    const paramsHead = clean(await params.locator('[data-testid="compare-parameters-headline"]').innerText());
    log(`parameters: ${paramsHead}`);
    check(paramsHead === 'Parameters that changed: 8 of 8 tensors (1358 of 1358 values).', `the parameters headline reads "${paramsHead}"`);
    const paramRows = (await params.locator('tbody tr').allInnerTexts()).map(clean);
    log(`changed tensors: ${paramRows.slice(0, 3).join(' | ')}`);
    check(paramRows.length === 8 && paramRows[0]!.startsWith(`${p!.changed[0]!.name} float32 [32] 1.4`), `the changed-tensors table's rows are ${paramRows.join(' | ')}`);
    await params.scrollIntoViewIfNeeded();
    await shot('compare panel, parameters that changed');

    const note = await wb.waitForNotification('significantly worse');
    log(`notification: ${note}`);
    check(note.includes(WORSE), `the notification does not name ${WORSE}: "${note}"`);
  },
};

/**
 * The failing budgets of income-compare.bias.json (run by Compare Models, which uses that spec)
 * appear in the Problems panel on the spec at each budget's line, and their quick action opens
 * the report the verdict came from.
 */
export const budgetProblems: Scenario = {
  name: 'failing budgets of income-compare.bias.json show in the Problems panel at their lines, and the quick action opens the report',
  timeoutMs: 240_000,
  async run({ page, wb, workspace, shot, log }) {
    const specText = readFileSync(join(workspace, SPEC), 'utf8');
    const failing = ['compare.worseGroups', 'compare.worstDelta.accuracy'];
    const lines = failing.map((f) => budgetLine(specText, f));
    // Reports saved by earlier scenarios (Compare Models) are not this run's.
    const before = savedReportNames(workspace, 'income-mlp', 'compare');
    await compareFromExplorer(wb);
    const saved = await waitForNewReport<CompareReportJson>(workspace, 'income-mlp', 'compare', before);
    const results = saved.json.budgets ?? [];
    log(`budgets: ${results.map((b) => `${b.figure} ${b.ok ? 'ok' : 'FAILS'} at ${b.location.line}`).join(' | ')}`);
    for (const [i, figure] of failing.entries()) {
      const r = results.find((b) => b.figure === figure);
      check(r && !r.ok && r.location.line === lines[i], `the report's budget ${figure} is ${JSON.stringify(r)}; expected failing at line ${lines[i]}`);
    }
    const passing = results.find((b) => b.figure === 'groups.disparity.equalized_odds_difference');
    check(passing?.ok === true, `the equalized-odds budget should hold: ${JSON.stringify(passing)}`);

    // Close the report, so that the quick action is what opens it again.
    const tab = wb.editorTab(TAB).first();
    await tab.hover();
    await tab.locator('.codicon-close, .tab-actions .action-label').first().click();
    await tab.waitFor({ state: 'detached', timeout: wb.timeoutMs });
    // The status bar's problems count opens the Problems panel.
    await page.locator('[id="status.problems"]').first().click();
    const panel = page.locator('.markers-panel');
    await panel.waitFor({ timeout: wb.timeoutMs });
    const markers = panel.locator('.monaco-list-row', { hasText: 'Bias budget fails' });
    await waitFor('2 budget diagnostics in the Problems panel', async () => ((await markers.count()) === failing.length ? true : undefined), 30_000);
    const fileRow = clean(await panel.locator('.monaco-list-row', { hasText: SPEC }).first().innerText());
    log(`Problems: ${fileRow}`);
    const texts = (await markers.allInnerTexts()).map(clean);
    for (const t of texts) log(`  ${t}`);
    for (const [i, figure] of failing.entries()) {
      const row = texts.find((t) => t.includes(`bias-budget/${figure}`));
      check(row, `no Problems entry for ${figure}: ${texts.join(' | ')}`);
      check(row.includes(`[Ln ${lines[i]}, Col`), `the Problems entry for ${figure} is not at line ${lines[i]}: "${row}"`);
    }
    check(texts.some((t) => t.includes(WORSE)), `no Problems entry names ${WORSE}: ${texts.join(' | ')}`);
    await shot('Problems panel lists the failing budgets');

    // Open the first diagnostic: the spec opens at the budget; its quick fix opens the report.
    await markers.first().dblclick();
    await wb.waitForActiveTab(SPEC);
    // The editor shows a light bulb at the budget: clicking it lists the quick fixes.
    const bulb = page.locator('.monaco-editor .lightBulbWidget, .monaco-editor .codicon-lightbulb, .monaco-editor .codicon-lightbulb-autofix').first();
    await bulb.waitFor({ timeout: wb.timeoutMs });
    await bulb.click();
    const action = page.locator('.action-widget .monaco-list-row, .context-view .action-menu-item', { hasText: 'Open the report' }).first();
    await action.waitFor({ timeout: wb.timeoutMs });
    const actionText = clean(await action.innerText());
    log(`quick fix: ${actionText}`);
    check(actionText.includes(saved.name), `the quick fix does not name the saved report ${saved.name}: "${actionText}"`);
    await shot('quick fix on the budget');
    await action.click();
    await waitFor(`the "${TAB}" panel from the quick fix`, async () => ((await wb.editorTab(TAB).isVisible()) ? true : undefined), 30_000, 250);
    const view = await wb.webviewWith('[data-testid="compare-headline"]', 60_000);
    const headline = clean(await view.locator('[data-testid="compare-headline"]').innerText());
    check(headline.includes(WORSE), `the report opened by the quick fix reads "${headline}"`);
    await shot('report opened from the Problems panel');
  },
};
