import { join } from 'node:path';
import { check, type Scenario } from '../harness/scenario';
import { runFromExplorer, savedReportNames, waitForNewReport, REPORTS_DIR } from './analysisSteps';

const MODEL = 'income-mlp.onnx';
/** The intersection examples/README.md documents as planted (scripts/make-examples.py asserts it). */
const PLANTED = 'sex=F, race=B';

/** The parts of a saved groups report this scenario reads. */
interface GroupsReportJson {
  schema: string;
  kind: string;
  createdAt: string;
  model: { path: string };
  runtime: { used: string };
  groups: {
    sensitive: string[];
    byGroup: { group: Record<string, string>; count: number; accuracy: number }[];
    disparity: { accuracy: { worstGroup: Record<string, string> | null } };
  };
}

const label = (group: Record<string, string>, sensitive: readonly string[]): string => sensitive.map((k) => `${k}=${group[k] ?? ''}`).join(', ');
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * Analyze Groups from the Explorer on the tabular demo: the report panel names the planted worst
 * intersection in its headline and draws it as the first (worst) bar; the report is saved under
 * .bias-inspector/reports/, the Reports view lists it and the model editor offers it; after a
 * window reload the report panel comes back.
 */
export const analysisGroups: Scenario = {
  name: 'Analyze Groups on income-mlp.onnx shows the planted worst group sex=F, race=B, saves the report, lists it and restores its panel after a reload',
  timeoutMs: 180_000,
  async run({ page, wb, workspace, shot, log }) {
    const before = savedReportNames(workspace, 'income-mlp', 'groups');
    // The panel beside, titled by kind and model, rendering the groups section.
    const view = await runFromExplorer(wb, MODEL, 'Analyze Groups…', `groups: ${MODEL}`, '[data-testid="groups-headline"]');
    const saved = await waitForNewReport<GroupsReportJson>(workspace, 'income-mlp', 'groups', before);
    const report = saved.json;
    log(`saved ${REPORTS_DIR}/${saved.name} (EP ${report.runtime.used})`);
    check(report.schema === 'bias-inspector.report/1' && report.kind === 'groups', `${saved.name}: schema ${report.schema}, kind ${report.kind}`);
    check(report.model.path === join(workspace, MODEL), `${saved.name} names model ${report.model.path}, expected ${join(workspace, MODEL)}`);
    const worst = report.groups.disparity.accuracy.worstGroup;
    check(worst !== null && label(worst, report.groups.sensitive) === PLANTED, `the saved report's worst accuracy group is ${JSON.stringify(worst)}, expected ${PLANTED}`);
    const planted = report.groups.byGroup.find((g) => label(g.group, report.groups.sensitive) === PLANTED);
    check(planted, `${saved.name} has no ${PLANTED} group`);

    const headline = clean(await view.locator('[data-testid="groups-headline"]').innerText());
    log(`headline: ${headline}`);
    check(headline.startsWith(`Worst group: ${PLANTED} — accuracy ${pct(planted.accuracy)}`), `the headline does not name ${PLANTED} with accuracy ${pct(planted.accuracy)}: "${headline}"`);
    check(headline.includes(`n=${planted.count.toLocaleString('en-US')}`), `the headline does not give n=${planted.count}: "${headline}"`);

    // The bar chart (accuracy, the binary task's default metric), worst first.
    const bars = view.locator('[data-testid="group-bars"] [data-testid="group-bar"]');
    await bars.first().waitFor({ timeout: wb.timeoutMs });
    const order = await bars.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-group') ?? ''));
    log(`bars, worst first: ${order.join(' | ')}`);
    check(order.length === report.groups.byGroup.length, `the chart has ${order.length} bars, the report ${report.groups.byGroup.length} groups`);
    check(order[0] === PLANTED, `the first (worst) bar is "${order[0] ?? ''}", expected ${PLANTED}`);
    const firstValue = clean(await bars.first().locator('text tspan').first().textContent() ?? '');
    check(firstValue === pct(planted.accuracy), `the first bar reads "${firstValue}", expected ${pct(planted.accuracy)}`);
    const heading = clean(await view.locator('h2', { hasText: 'worst first' }).first().innerText());
    check(/^accuracy by /i.test(heading), `the bar chart's heading is "${heading}", expected accuracy`);
    await shot('groups report panel');

    // The Reports side view lists the new report under the model.
    await wb.openViewContainer('Bias Inspector');
    const modelRow = wb.sideBarRows(MODEL).first();
    await modelRow.waitFor({ timeout: wb.timeoutMs });
    const reportRow = wb.sideBarRows(`groups — ${report.createdAt.replace('T', ' ').slice(0, 19)}`).first();
    await reportRow.waitFor({ timeout: wb.timeoutMs });
    log(`Reports view: ${clean(await modelRow.innerText())} / ${clean(await reportRow.innerText())}`);
    await shot('Reports view lists the groups report');

    // The model editor of income-mlp lists the saved report.
    await wb.doubleClickFile(MODEL);
    await wb.waitForActiveTab(MODEL);
    const editor = await wb.webviewWith('[data-testid="saved-reports"]', 60_000);
    const listed = clean(await editor.locator('[data-testid="saved-reports"]').innerText());
    log(`model editor: ${listed}`);
    check(listed.includes('Open groups report'), `the model editor's saved reports lack the groups report: "${listed}"`);
    check(listed.includes(report.createdAt.replace('T', ' ').slice(0, 19)), `the model editor does not list the report of ${report.createdAt}: "${listed}"`);
    await shot('model editor lists the saved report');

    // After "Developer: Reload Window" VS Code restores the report panel: the webview's state
    // holds the report's file, which the extension reads again (a panel restores when its tab is
    // shown). The command, unlike a browser reload, lets the workbench save its state first.
    const reloaded = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame(), timeout: 60_000 });
    await wb.runCommand('Developer: Reload Window');
    await reloaded;
    await wb.waitReady();
    const tab = wb.editorTab(`groups: ${MODEL}`);
    await tab.waitFor({ timeout: 60_000 });
    await tab.click();
    const restored = await wb.webviewWith('[data-testid="groups-headline"]', 60_000);
    const again = clean(await restored.locator('[data-testid="groups-headline"]').innerText());
    log(`after reload: ${again}`);
    check(again === headline, `the restored report panel reads "${again}", expected "${headline}"`);
    await shot('report panel restored after a window reload');
  },
};
