import { check, type Scenario } from '../harness/scenario';
import { waitFor } from '../harness/processes';
import { savedReportNames, waitForNewReport, REPORTS_DIR } from './analysisSteps';

const MODEL = 'tiny-lm.onnx';
const SPEC = 'tiny-lm.bias.json';

/** The parts of a saved probe report this scenario reads. */
interface ProbeReportJson {
  kind: string;
  probe: { kind: string; prompts: number; byGroup: { group: Record<string, string>; selection_rate: number; meanScore: number; ci: [number, number] }[] };
}

const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * Probe Language Model… from the Explorer on the demo LM: pick the yes/no probe spec, the probe
 * panel shows the per-group skew chart with whiskers and a headline naming group F (the planted
 * skew, examples/tiny-lm.md), and the attention heatmaps over the same prompts follow.
 */
export const analysisProbe: Scenario = {
  name: 'Probe Language Model on tiny-lm.onnx shows the planted yes/no skew against group F, and attention over the same prompts',
  timeoutMs: 240_000,
  async run({ wb, workspace, shot, log }) {
    const before = savedReportNames(workspace, 'tiny-lm', 'probe');
    const beforeAttention = savedReportNames(workspace, 'tiny-lm', 'attention');
    const menu = await wb.contextMenuOf(MODEL);
    check(menu.includes('Probe Language Model…'), `the context menu of ${MODEL} lacks "Probe Language Model…": ${menu.join(' | ')}`);
    await wb.clickContextMenuItem('Probe Language Model…');
    const items = await wb.quickPickItems();
    log(`probe specs offered: ${items.join(', ')}`);
    check(items.includes(SPEC) && items.includes('tiny-lm-counterfactual.bias.json'), `the quick pick offers ${items.join(', ')}`);
    await shot('probe spec quick pick');
    const row = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: wb.page.locator('.label-name', { hasText: /^tiny-lm\.bias\.json$/ }) });
    await row.first().click();

    await waitFor(`the "probe: ${MODEL}" panel`, async () => ((await wb.editorTab(`probe: ${MODEL}`).isVisible()) ? true : undefined), 120_000, 250);
    const view = await wb.webviewWith('[data-testid="probe-skew-chart"]', 60_000);
    const saved = await waitForNewReport<ProbeReportJson>(workspace, 'tiny-lm', 'probe', before);
    const by = Object.fromEntries(saved.json.probe.byGroup.map((g) => [g.group['group'], g]));
    log(`saved ${REPORTS_DIR}/${saved.name}: ${saved.json.probe.prompts} prompts; mean skew F ${by['F']?.meanScore.toFixed(3)}, M ${by['M']?.meanScore.toFixed(3)}, N ${by['N']?.meanScore.toFixed(3)}`);
    check(saved.json.probe.kind === 'yesno' && saved.json.probe.prompts === 1200, `the saved probe: ${saved.json.probe.kind}, ${saved.json.probe.prompts} prompts`);
    check(by['F'] && by['M'] && by['F'].ci[1] < by['M'].ci[0], 'group F\'s mean-skew interval is not below group M\'s');

    const headline = clean(await view.locator('[data-testid="probe-headline"]').innerText());
    log(`headline: ${headline}`);
    check(headline.startsWith('Lowest mean score: group=F'), `the headline does not name group F first: "${headline}"`);
    check(headline.includes('Their intervals do not overlap.'), `the headline does not say the intervals part: "${headline}"`);
    const bars = (await view.locator('[data-testid="probe-skew-chart"] text.bar-label, [data-testid="probe-skew-chart"] text').allTextContents()).map(clean);
    check(bars.includes('group=F') && bars.includes('group=M') && bars.includes('group=N'), `the skew chart lacks a group label: ${bars.join(' | ')}`);
    const firstRow = clean(await view.locator('[data-testid="probe-group-table"] tbody tr').nth(1).innerText());
    check(firstRow.startsWith('group=F'), `the group table's first group row is "${firstRow}"`);
    await shot('probe report: skew chart with intervals, group F lowest');

    // Attention over the same prompts follows (the demo LM has 2 Softmax layers).
    await waitFor(`the "attention: ${MODEL}" panel`, async () => ((await wb.editorTab(`attention: ${MODEL}`).isVisible()) ? true : undefined), 120_000, 250);
    const attention = await waitForNewReport<{ attention: { layers: number; heads: number; samples: number } }>(workspace, 'tiny-lm', 'attention', beforeAttention);
    log(`attention over the probe's prompts: ${attention.json.attention.samples} samples, ${attention.json.attention.layers} × ${attention.json.attention.heads}`);
    check(attention.json.attention.layers === 2 && attention.json.attention.heads === 2, 'the attention report over the probe prompts is not 2 layers × 2 heads');
    const grid = await wb.webviewWith('[data-testid="attention-mean-maps"]', 60_000);
    check(await grid.locator('[data-testid="attention-mean-maps"] [role="gridcell"] canvas').count() === 4, 'the attention grid does not draw 4 heads');
    await shot('attention heatmaps over the probe prompts');
  },
};
