import { check, type Scenario } from '../harness/scenario';
import { runFromExplorer, savedReportNames, waitForNewReport, REPORTS_DIR } from './analysisSteps';

const MODEL = 'tiny-lm.onnx';
/** The demo LM's planted skew as a slice: F with 5 years, where the label says yes and the LM says no. */
const PLANTED = 'group = F & years = (4, 5]';

interface SlicesReportJson {
  kind: string;
  model: { path: string } | null;
  slices: { n: number; top: { text: string; errorMean: number }[] };
}

const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * Find Slices on the demo language model (issue 13): its labelled yes/no probe spec
 * (tiny-lm.bias.json) runs as a binary classifier (s > 0), and the top slice is the planted skew.
 */
export const analysisProbeSlices: Scenario = {
  name: 'Find Slices on tiny-lm.onnx runs its yes/no probe spec and shows the planted slice group = F and years = (4, 5] first',
  timeoutMs: 180_000,
  async run({ workspace, wb, shot, log }) {
    const before = savedReportNames(workspace, 'tiny-lm', 'slices');
    const view = await runFromExplorer(wb, MODEL, 'Find Slices…', `slices: ${MODEL}`, '[data-testid="slices-headline"]');
    const saved = await waitForNewReport<SlicesReportJson>(workspace, 'tiny-lm', 'slices', before);
    log(`saved ${REPORTS_DIR}/${saved.name}`);
    check(saved.json.kind === 'slices' && saved.json.slices.n === 1200, `${saved.name}: kind ${saved.json.kind}, ${saved.json.slices.n} rows`);
    const top = saved.json.slices.top[0];
    check(top?.text === PLANTED && top.errorMean === 1, `the saved report's top slice is "${top?.text ?? ''}" (error ${top?.errorMean}), expected ${PLANTED} with error 1`);
    const headline = clean(await view.locator('[data-testid="slices-headline"]').innerText());
    log(`headline: ${headline}`);
    check(headline.startsWith('Top slice: group = F and years = (4, 5]: error '), `the headline does not name the planted slice: "${headline}"`);
    await shot('slices of the language model');
  },
};
