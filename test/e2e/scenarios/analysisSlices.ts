import { check, type Scenario } from '../harness/scenario';
import { runFromExplorer, savedReportNames, waitForNewReport, REPORTS_DIR } from './analysisSteps';

const MODEL = 'income-mlp.onnx';
/** The unnamed slice examples/README.md documents as planted (scripts/make-examples.py asserts it). */
const PLANTED = 'region = W & device = mobile';

interface SlicesReportJson {
  schema: string;
  kind: string;
  slices: { holdout: boolean; top: { text: string; test: { size: number; q: number } }[] };
}

const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * Find Slices from the Explorer on the tabular demo: the panel's headline and first slice are the
 * planted region = W & device = mobile (metadata the model never sees, not a named group), in
 * plain words; selecting the slice shows its metrics next to overall; the report is saved.
 */
export const analysisSlices: Scenario = {
  name: 'Find Slices on income-mlp.onnx shows the planted unnamed slice region = W and device = mobile first, with its metrics',
  timeoutMs: 180_000,
  async run({ page, wb, workspace, shot, log }) {
    const before = savedReportNames(workspace, 'income-mlp', 'slices');
    const view = await runFromExplorer(wb, MODEL, 'Find Slices…', `slices: ${MODEL}`, '[data-testid="slices-headline"]');
    const saved = await waitForNewReport<SlicesReportJson>(workspace, 'income-mlp', 'slices', before);
    log(`saved ${REPORTS_DIR}/${saved.name}`);
    check(saved.json.schema === 'bias-inspector.report/1' && saved.json.kind === 'slices', `${saved.name}: kind ${saved.json.kind}`);
    const top = saved.json.slices.top[0];
    check(top?.text === PLANTED, `the saved report's top slice is "${top?.text ?? ''}", expected ${PLANTED}`);
    const headline = clean(await view.locator('[data-testid="slices-headline"]').innerText());
    log(`headline: ${headline}`);
    check(headline.startsWith('Top slice: region = W and device = mobile: error '), `the headline does not name the planted slice: "${headline}"`);
    check(headline.includes(`n = ${top.test.size}`), `the headline does not give the held-out size ${top.test.size}: "${headline}"`);
    const items = view.locator('[data-testid="slice-item"]');
    check((await items.count()) === saved.json.slices.top.length, 'one list item per reported slice');
    // Keyboard: the second slice by ArrowDown, then back to the first; its detail names it.
    await items.first().focus();
    await page.keyboard.press('ArrowDown');
    await view.locator('[data-testid="slice-detail"] h2', { hasText: saved.json.slices.top[1]!.text.replace(/ & /g, ' and ') }).waitFor({ timeout: wb.timeoutMs });
    await page.keyboard.press('ArrowUp');
    const detail = view.locator('[data-testid="slice-detail"]');
    await detail.locator('h2', { hasText: 'region = W and device = mobile' }).waitFor({ timeout: wb.timeoutMs });
    const detailText = clean(await detail.innerText());
    check(/rows 395 6,000/.test(detailText), `the detail does not show the slice's 395 rows next to overall 6,000: "${detailText.slice(0, 200)}"`);
    await shot('slices report panel');
  },
};
