import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { check, type Scenario } from '../harness/scenario';
import { runFromExplorer, savedReportNames, waitForNewReport, REPORTS_DIR } from './analysisSteps';

const MODEL = 'tiny-transformer.onnx';
/** A data row with an identity term ("i had lunch with a white woman …"): its tokens label the per-sample maps. */
const SAMPLE_ROW = 2;

/** The parts of a saved attention report this scenario reads. */
interface AttentionReportJson {
  kind: string;
  data: { path: string; rows: number };
  attention: {
    layers: number;
    heads: number;
    bias?: { layer: number; head: number; kind: string; rank: number }[];
  };
}

const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Tokens of a row of the demo's comments.jsonl (its `tokens` field, as the spec says). */
function tokensOfRow(file: string, row: number): string[] {
  const line = readFileSync(file, 'utf8').split('\n')[row];
  if (line === undefined) throw new Error(`${file} has no row ${row}`);
  return (JSON.parse(line) as { tokens: string[] }).tokens;
}

/** Clicks a head of the grid `name` ("attention-mean", "attention-row2") and waits for its zoom. */
async function zoomHead(view: Frame, name: string, layer: number, head: number): Promise<string> {
  const cell = view.locator(`[data-testid="${name}-maps"] [role="gridcell"][aria-label^="Layer ${layer}, head ${head}:"]`);
  await cell.click();
  const zoom = view.locator(`[data-testid="${name}-zoom"] canvas[role="img"]`);
  await zoom.waitFor({ timeout: 30_000 });
  return (await zoom.getAttribute('aria-label')) ?? '';
}

/**
 * Attention Heatmaps from the Explorer on the text demo: a layer × head grid of mean maps, the
 * Bias tab's learned relative-position biases, a zoomed head, and one data row's maps (requested
 * from the host, which re-runs the model) labelled with that row's tokens.
 */
export const analysisAttention: Scenario = {
  name: 'Attention Heatmaps on tiny-transformer.onnx shows the layer × head grid, relative-position biases, a zoomed head and one sample with its tokens',
  timeoutMs: 180_000,
  async run({ wb, workspace, shot, log }) {
    const before = savedReportNames(workspace, 'tiny-transformer', 'attention');
    const view = await runFromExplorer(wb, MODEL, 'Attention Heatmaps…', `attention: ${MODEL}`, '[data-testid="attention-mean-maps"]');
    const saved = await waitForNewReport<AttentionReportJson>(workspace, 'tiny-transformer', 'attention', before);
    const { layers, heads } = saved.json.attention;
    log(`saved ${REPORTS_DIR}/${saved.name}: ${layers} layers × ${heads} heads`);
    check(layers === 2 && heads === 4, `the demo transformer has 2 layers × 4 heads (examples/README.md), the report says ${layers} × ${heads}`);

    const summary = clean(await view.locator('[data-testid="attention-summary"]').innerText());
    log(`summary: ${summary}`);
    check(summary.includes(`${layers} layers × ${heads} heads`), `the summary does not say ${layers} layers × ${heads} heads: "${summary}"`);

    // The grid: one cell (a canvas) per layer × head.
    const cells = view.locator('[data-testid="attention-mean-maps"] [role="gridcell"]');
    check(await cells.count() === layers * heads, `the grid has ${await cells.count()} heads, expected ${layers * heads}`);
    const canvases = await view.locator('[data-testid="attention-mean-maps"] [role="gridcell"] canvas').count();
    check(canvases === layers * heads, `the grid has ${canvases} canvases, expected ${layers * heads}`);

    // A click on a head zooms it.
    const zoomed = await zoomHead(view, 'attention-mean', 1, 2);
    log(`zoom: ${zoomed.slice(0, 80)}`);
    check(zoomed.startsWith('Layer 1 · head 2 — dataset mean attention'), `the zoom shows "${zoomed}"`);
    await shot('attention grid with a zoomed head');

    // The Bias tab lists the learned relative-position biases (one per head of the demo).
    const bias = saved.json.attention.bias ?? [];
    check(bias.length === layers * heads && bias.every((b) => b.kind === 'relative'), `the saved report's biases: ${JSON.stringify(bias.map((b) => b.kind))}`);
    await view.locator('[data-testid="attention-tab-header-bias"]').click();
    const table = view.locator('[data-testid="attention-bias-table"]');
    await table.waitFor({ timeout: wb.timeoutMs });
    const rows = (await table.locator('vscode-table-body vscode-table-row').allInnerTexts()).map(clean);
    log(`bias rows: ${rows.slice(0, 3).join(' | ')} …`);
    check(rows.length === bias.length, `the bias table has ${rows.length} rows, the report ${bias.length} biases`);
    for (const b of bias) {
      check(rows.some((r) => r.startsWith(`L${b.layer} H${b.head} relative ${b.rank}`)), `no bias row "L${b.layer} H${b.head} relative ${b.rank}" in: ${rows.join(' | ')}`);
    }
    await shot('Bias tab with relative-position biases');

    // One sample: the host re-runs the model on that row and the grid re-renders with its tokens.
    await view.locator('[data-testid="attention-tab-header-heads"]').click();
    const tokens = tokensOfRow(join(workspace, 'comments.jsonl'), SAMPLE_ROW);
    await view.locator('[data-testid="attention-sample-row"] input').fill(String(SAMPLE_ROW));
    await view.locator('[data-testid="attention-sample-show"]').click();
    const sampleGrid = view.locator(`[data-testid="attention-row${SAMPLE_ROW}-maps"]`);
    await sampleGrid.waitFor({ timeout: 60_000 });
    const status = clean(await view.locator('[data-testid="attention-sample-status"]').innerText());
    check(status === `Row ${SAMPLE_ROW}: ${tokens.length} tokens.`, `the sample status says "${status}", expected "Row ${SAMPLE_ROW}: ${tokens.length} tokens."`);
    check(await sampleGrid.locator('[role="gridcell"] canvas').count() === layers * heads, 'the per-sample grid does not draw every head');
    const sampleZoom = await zoomHead(view, `attention-row${SAMPLE_ROW}`, 0, 1);
    check(sampleZoom.startsWith(`Layer 0 · head 1 — row ${SAMPLE_ROW}`), `the sample zoom shows "${sampleZoom}"`);
    const labels = (await view.locator(`[data-testid="attention-row${SAMPLE_ROW}-zoom"] svg text`).allTextContents()).map(clean);
    const missing = tokens.filter((t) => !labels.includes(t));
    log(`row ${SAMPLE_ROW} tokens: ${tokens.join(' ')}`);
    check(missing.length === 0, `the zoomed sample map lacks the token labels ${missing.join(', ')} (labels: ${labels.join(' ')})`);
    await shot(`sample row ${SAMPLE_ROW} with its tokens`);
  },
};
