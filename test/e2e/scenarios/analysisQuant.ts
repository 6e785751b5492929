import { check, type Scenario } from '../harness/scenario';
import { runFromExplorer, savedReportNames, waitForNewReport, REPORTS_DIR } from './analysisSteps';

const MODEL = 'shapes-cnn.onnx';

/** The parts of a saved quantization report this scenario reads. */
interface QuantReportJson {
  kind: string;
  quantization: {
    formats: string[];
    tensorInfo: { name: string; graphIndex: number }[];
    summaryByFormat: { format: string; meanSqnrDb: number | string }[];
  };
}

const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Formats with the highest and the lowest finite mean SQNR (non-finite values are stored as strings). */
function extremes(summaries: QuantReportJson['quantization']['summaryByFormat']): { best: string; worst: string } {
  const finite = summaries.filter((s): s is { format: string; meanSqnrDb: number } => typeof s.meanSqnrDb === 'number' && Number.isFinite(s.meanSqnrDb));
  const sorted = [...finite].sort((a, b) => b.meanSqnrDb - a.meanSqnrDb);
  const best = sorted[0];
  const worst = sorted[sorted.length - 1];
  if (!best || !worst) throw new Error('the saved report has no finite mean SQNR');
  return { best: best.format, worst: worst.format };
}

/**
 * Quantization Error from the Explorer on the CNN demo: the tensor × format heatmap with every
 * format and analysed tensor labelled, the headline's least and most damaging formats, and a
 * tensor's histogram after a click on a cell.
 */
export const analysisQuant: Scenario = {
  name: 'Quantization Error on shapes-cnn.onnx shows the tensor × format heatmap and a tensor\'s histogram',
  timeoutMs: 150_000,
  async run({ wb, workspace, shot, log }) {
    const before = savedReportNames(workspace, 'shapes-cnn', 'quantization');
    const view = await runFromExplorer(wb, MODEL, 'Quantization Error…', `quantization: ${MODEL}`, '[data-testid="quant-heatmap"]');
    const saved = await waitForNewReport<QuantReportJson>(workspace, 'shapes-cnn', 'quantization', before);
    const { formats, tensorInfo, summaryByFormat } = saved.json.quantization;
    log(`saved ${REPORTS_DIR}/${saved.name}: ${tensorInfo.length} tensors × ${formats.length} formats`);
    check(saved.json.kind === 'quantization' && formats.length > 0 && tensorInfo.length > 0, `${saved.name}: kind ${saved.json.kind}, ${formats.length} formats, ${tensorInfo.length} tensors`);

    const heatmap = view.locator('[data-testid="quant-heatmap"]');
    const aria = (await heatmap.getAttribute('aria-label')) ?? '';
    check(aria.includes(`${tensorInfo.length} tensors by ${formats.length} formats`), `the heatmap is "${aria}", expected ${tensorInfo.length} tensors by ${formats.length} formats`);
    // Row and column labels are drawn in the figure's SVG overlay, beside the canvas.
    const labels = (await heatmap.locator('xpath=..').locator('svg text').allTextContents()).map(clean);
    const missing = [...formats, ...tensorInfo.map((t) => t.name)].filter((name) => !labels.includes(name));
    check(missing.length === 0, `the heatmap lacks the labels ${missing.join(', ')}`);

    const { best, worst } = extremes(summaryByFormat);
    const headline = clean(await view.locator('[data-testid="quant-headline"]').innerText());
    log(`headline: ${headline}`);
    check(headline.startsWith(`Least error: ${best} `) && headline.includes(`Most: ${worst} `), `the headline does not name ${best} (least error) and ${worst} (most): "${headline}"`);
    await shot('quantization tensor x format heatmap');

    // A click on the first row's first cell opens that tensor with its histogram (rows in graph order).
    const box = await heatmap.boundingBox();
    check(box !== null, 'the heatmap canvas has no box');
    await heatmap.click({ position: { x: box.width / formats.length / 2, y: box.height / tensorInfo.length / 2 } });
    const detail = view.locator('[data-testid="quant-tensor-detail"]');
    await detail.locator('[data-testid="quant-histogram"]').waitFor({ timeout: wb.timeoutMs });
    const first = [...tensorInfo].sort((a, b) => a.graphIndex - b.graphIndex || (a.name < b.name ? -1 : 1))[0]?.name ?? '';
    const title = clean(await detail.locator('h3').first().innerText());
    check(title === first, `the clicked cell opened "${title}", expected the first tensor ${first}`);
    log(`detail: ${title}`);
    await shot('tensor histogram');
  },
};
