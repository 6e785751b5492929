import { readFileSync } from 'node:fs';
import type { Frame } from 'playwright-core';
import { check, type Scenario } from '../harness/scenario';
import { waitFor } from '../harness/processes';
import type { Workbench } from '../harness/workbench';
import { runFromExplorer, savedReportNames, waitForNewReport, REPORTS_DIR } from './analysisSteps';

const MODEL = 'income-mlp.onnx';
/** The unnamed slice examples/README.md documents as planted (scripts/make-examples.py asserts it). */
const PLANTED = 'region = W & device = mobile';

interface GroupsWithTabsJson {
  schema: string;
  kind: string;
  slices?: { holdout: boolean; top: { text: string; test: { size: number; q: number } }[] };
  thresholds?: { constraint: string; objective: string; overall: { objective: number; disparity: number }; groups: unknown[] };
}

const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** The saved groups report once the tab has added its section to it (the host rewrites the file). */
export async function withSection(path: string, key: 'slices' | 'thresholds'): Promise<GroupsWithTabsJson> {
  return waitFor(`the "${key}" section in ${path}`, () => {
    try {
      const json = JSON.parse(readFileSync(path, 'utf8')) as GroupsWithTabsJson;
      return json[key] ? json : undefined;
    } catch {
      return undefined; // being rewritten
    }
  }, 60_000);
}

/** The three tab headers of a groups report, and which tab panel is shown. */
async function checkTabs(view: Frame, shown: 'groups' | 'slices' | 'thresholds'): Promise<void> {
  for (const id of ['groups', 'slices', 'thresholds']) {
    check(await view.locator(`[data-testid="report-tab-header-${id}"]`).isVisible(), `the groups report has no visible "${id}" tab header`);
    const panelVisible = await view.locator(`[data-testid="report-tab-${id}"]`).isVisible();
    check(panelVisible === (id === shown), `the ${id} tab panel is ${panelVisible ? 'shown' : 'hidden'}; expected the ${shown} tab`);
  }
}

/**
 * Find Slices from the Explorer on the tabular demo: the groups report opens on its Slices tab,
 * whose headline and first slice are the planted region = W & device = mobile (metadata the model
 * never sees, not a named group), in plain words; the keyboard moves through the slices and the
 * detail shows the slice's metrics next to overall; the Groups tab is one keypress away; the
 * slices are saved in the groups report.
 */
export const analysisSlices: Scenario = {
  name: 'Find Slices on income-mlp.onnx opens the groups report on its Slices tab with the planted unnamed slice region = W and device = mobile first',
  timeoutMs: 240_000,
  async run({ page, wb, workspace, shot, log }) {
    const before = savedReportNames(workspace, 'income-mlp', 'groups');
    const view = await runFromExplorer(wb, MODEL, 'Find Slices…', `groups: ${MODEL}`, '[data-testid="slices-headline"]');
    await checkTabs(view, 'slices');
    const saved = await waitForNewReport<GroupsWithTabsJson>(workspace, 'income-mlp', 'groups', before);
    const json = await withSection(saved.path, 'slices');
    log(`saved ${REPORTS_DIR}/${saved.name} with its slices section`);
    check(json.schema === 'bias-inspector.report/1' && json.kind === 'groups', `${saved.name}: kind ${json.kind}`);
    const slices = json.slices!;
    const top = slices.top[0];
    check(top?.text === PLANTED, `the saved report's top slice is "${top?.text ?? ''}", expected ${PLANTED}`);
    const headline = clean(await view.locator('[data-testid="slices-headline"]').innerText());
    log(`headline: ${headline}`);
    check(headline.startsWith('Top slice: region = W and device = mobile: error '), `the headline does not name the planted slice: "${headline}"`);
    check(headline.includes(`n = ${top.test.size}`), `the headline does not give the held-out size ${top.test.size}: "${headline}"`);
    const items = view.locator('[data-testid="slice-item"]');
    check((await items.count()) === slices.top.length, 'one list item per reported slice');
    // Keyboard: the second slice by ArrowDown, then back to the first; its detail names it.
    await items.first().focus();
    await page.keyboard.press('ArrowDown');
    await view.locator('[data-testid="slice-detail"] h2', { hasText: slices.top[1]!.text.replace(/ & /g, ' and ') }).waitFor({ timeout: wb.timeoutMs });
    await page.keyboard.press('ArrowUp');
    const detail = view.locator('[data-testid="slice-detail"]');
    await detail.locator('h2', { hasText: 'region = W and device = mobile' }).waitFor({ timeout: wb.timeoutMs });
    const detailText = clean(await detail.innerText());
    check(/rows 395 6,000/.test(detailText), `the detail does not show the slice's 395 rows next to overall 6,000: "${detailText.slice(0, 200)}"`);
    await shot('groups report, Slices tab');

    // The Groups tab by keyboard: focus the Slices header, ArrowLeft to the Groups header, Enter.
    await view.locator('[data-testid="report-tab-header-slices"]').focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await view.locator('[data-testid="groups-headline"]').waitFor({ timeout: wb.timeoutMs });
    await checkTabs(view, 'groups');
    log(`groups tab: ${clean(await view.locator('[data-testid="groups-headline"]').innerText())}`);
  },
};

/** Picks a vscode-single-select option by keyboard: focus, open, arrow down `steps` times, Enter. */
async function pickByKeyboard(wb: Workbench, view: Frame, selector: string, steps: number): Promise<void> {
  await view.locator(selector).focus();
  await wb.page.keyboard.press('Enter');
  for (let i = 0; i < steps; i++) await wb.page.keyboard.press('ArrowDown');
  await wb.page.keyboard.press('Enter');
}

/**
 * Threshold What-If from the Explorer: the constraint quick pick, then the groups report on its
 * Thresholds tab. The Fairlearn preset (by keyboard) applies the randomised per-group operating
 * points and shows exactly the objective and disparity saved in the report; a slider moved by
 * keyboard makes its group deterministic and the figures change.
 */
export const analysisThresholds: Scenario = {
  name: 'Threshold What-If on income-mlp.onnx opens the groups report on its Thresholds tab; the Fairlearn preset gives its exact operating point',
  timeoutMs: 240_000,
  async run({ page, wb, workspace, shot, log }) {
    const before = savedReportNames(workspace, 'income-mlp', 'groups');
    const menu = await wb.contextMenuOf(MODEL);
    check(menu.includes('Threshold What-If…'), `the context menu lacks Threshold What-If…: ${menu.join(' | ')}`);
    await wb.clickContextMenuItem('Threshold What-If…');
    const picks = await wb.quickPickItems();
    log(`constraints offered: ${picks.join(' | ')}`);
    check(picks[0] === 'Demographic parity', `the first constraint offered is "${picks[0] ?? ''}"`);
    await page.keyboard.press('Enter');
    await waitFor(`the "groups: ${MODEL}" panel`, async () => ((await wb.editorTab(`groups: ${MODEL}`).isVisible()) ? true : undefined), 120_000, 250);
    const view = await wb.webviewWith('[data-testid="thresholds-summary"]', 90_000);
    await checkTabs(view, 'thresholds');
    const saved = await waitForNewReport<GroupsWithTabsJson>(workspace, 'income-mlp', 'groups', before);
    const t = (await withSection(saved.path, 'thresholds')).thresholds!;
    check(t.constraint === 'demographic_parity', `saved thresholds constraint ${t.constraint}`);
    const deterministic = clean(await view.locator('[data-testid="thresholds-summary"]').innerText());
    log(`one threshold 0.5: ${deterministic}`);
    await shot('groups report, Thresholds tab, one threshold');

    await pickByKeyboard(wb, view, '[data-testid="threshold-preset"]', 1);
    const note = view.locator('[data-testid="preset-note"]');
    await note.filter({ hasText: 'randomised' }).waitFor({ timeout: wb.timeoutMs });
    const noteText = clean(await note.innerText());
    log(`Fairlearn preset: ${noteText}`);
    check(noteText.includes(`accuracy_score ${t.overall.objective.toFixed(4)}`), `the preset does not show the report's objective ${t.overall.objective.toFixed(4)}: "${noteText}"`);
    check(noteText.includes(`demographic_parity disparity ${t.overall.disparity.toFixed(4)}`), `the preset does not show the report's disparity ${t.overall.disparity.toFixed(4)}: "${noteText}"`);
    const rules = await view.locator('[data-testid="threshold-rule"]').allInnerTexts();
    check(rules.length === t.groups.length && rules.every((r) => r.startsWith('P(ŷ = 1) = ')), `each group shows its randomised rule: ${rules.join(' | ')}`);
    const summary = clean(await view.locator('[data-testid="thresholds-summary"]').innerText());
    check(summary.startsWith('Expected accuracy ') && summary.includes('demographic parity difference 0.0000'), `the summary at exact parity: "${summary}"`);
    await shot('groups report, Thresholds tab, Fairlearn preset');

    // Keyboard on the first slider: that group becomes deterministic, the figures change.
    await view.locator('[data-testid="threshold-slider"]').first().focus();
    await page.keyboard.press('ArrowRight');
    await waitFor('the first group to become deterministic', async () => ((await view.locator('[data-testid="threshold-rule"]').first().innerText()) === '' ? true : undefined), wb.timeoutMs, 100);
    const moved = clean(await view.locator('[data-testid="thresholds-summary"]').innerText());
    log(`after ArrowRight on the first slider: ${moved}`);
    check(moved !== summary, 'the summary did not change when a slider moved');
  },
};
