import { join } from 'node:path';
import { check, type Scenario } from '../harness/scenario';
import { compareFromExplorer } from './analysisCompare';
import { savedReportNames, waitForNewReport, REPORTS_DIR } from './analysisSteps';

/** The demo LM (A, the spec's referenceModel) and its debiased checkpoint (B): examples/tiny-lm.md. */
const A = 'tiny-lm.onnx';
const B = 'tiny-lm-debiased.onnx';
const TAB = `compare: ${A} → ${B}`;

interface CompareReportJson {
  compare: {
    a: { model: string };
    b: { model: string };
    source: string;
    rows: number;
    byGroup: { group: Record<string, string> | 'overall'; verdict: string; count: number; flips: { broken: number; fixed: number }; metrics: Record<string, { a: number; b: number; delta: number }> }[];
    parameters?: { compared: number; elements: number; elementsChanged: number; changed: { name: string }[] };
  };
}

const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();
const points = (v: number): string => `${v > 0 ? '+' : ''}${(v * 100).toFixed(1)}`;

/**
 * Compare Models on the demo's two language-model checkpoints (issue 13): both selected in the
 * Explorer (the debiased one first, so the order is the spec's doing), the spec that pairs them
 * (tiny-lm-compare.bias.json) runs its yes/no probe on each over lm-prompts.csv, and the compare
 * panel shows the per-group Δ accuracy: F's planted skew is fixed (Δ +21.4 points, better), M and
 * N are unchanged, no row broke.
 */
export const analysisCompareLm: Scenario = {
  name: 'Compare Models on the two tiny-lm checkpoints runs their probe spec and shows per-group Δ: F fixed, M and N unchanged',
  timeoutMs: 240_000,
  async run({ wb, workspace, shot, log }) {
    const before = savedReportNames(workspace, 'tiny-lm-debiased', 'compare');
    const view = await compareFromExplorer(wb, [B, A], TAB);

    const saved = await waitForNewReport<CompareReportJson>(workspace, 'tiny-lm-debiased', 'compare', before);
    const c = saved.json.compare;
    log(`saved ${REPORTS_DIR}/${saved.name}: A ${c.a.model}, B ${c.b.model} (${c.source}), ${c.rows} rows`);
    check(c.a.model === join(workspace, A) && c.b.model === join(workspace, B) && c.source === 'referenceModel', `A is ${c.a.model}, B ${c.b.model} (${c.source}); expected A = ${A} (the referenceModel of tiny-lm-compare.bias.json), B = ${B}`);
    check(c.rows === 1200, `the comparison ran on ${c.rows} rows; lm-prompts.csv has 1200`);
    const group = (name: string): CompareReportJson['compare']['byGroup'][number] => {
      const g = c.byGroup.find((x) => x.group !== 'overall' && x.group['group'] === name);
      if (!g) throw new Error(`the saved report has no group ${name}`);
      return g;
    };
    const f = group('F');
    log(`F: accuracy ${f.metrics['accuracy']!.a} → ${f.metrics['accuracy']!.b}, ${f.flips.fixed} fixed, ${f.flips.broken} broken, ${f.verdict}`);
    check(f.verdict === 'better' && f.flips.broken === 0 && f.flips.fixed > 40 && f.metrics['accuracy']!.b === 1, `group F: ${JSON.stringify(f).slice(0, 300)}; expected the debiased checkpoint to fix F's answers`);
    for (const name of ['M', 'N']) {
      const g = group(name);
      check(g.verdict === 'same' && g.flips.fixed + g.flips.broken === 0 && g.metrics['accuracy']!.delta === 0, `group ${name}: ${JSON.stringify(g).slice(0, 300)}; expected no change`);
    }

    const headline = clean(await view.locator('[data-testid="compare-headline"]').innerText());
    log(`headline: ${headline}`);
    check(headline === 'No group is significantly worse for B (McNemar exact, BH q < 0.05).', `the headline reads "${headline}"`);
    const overall = c.byGroup.find((g) => g.group === 'overall')!.metrics['accuracy']!;
    const overallText = clean(await view.locator('[data-testid="compare-overall"]').innerText());
    log(`overall: ${overallText}`);
    check(overallText.startsWith(`Overall accuracy: ${(overall.a * 100).toFixed(1)} → ${(overall.b * 100).toFixed(1)} (Δ ${points(overall.delta)}, 95% CI`), `the overall line reads "${overallText}"`);

    // The per-group Δ chart: one row per group and overall, F's bar at its Δ.
    const chart = view.locator('[data-testid="compare-delta-chart"] svg').first();
    await chart.waitFor({ timeout: wb.timeoutMs });
    const texts = (await chart.locator('text').allTextContents()).map(clean);
    log(`chart: ${texts.join(' | ')}`);
    for (const row of ['group=F', 'group=M', 'group=N', 'overall']) check(texts.includes(row), `the Δ chart has no row "${row}": ${texts.join(' | ')}`);
    const fRow = texts.indexOf('group=F');
    check(texts[fRow + 1] === points(f.metrics['accuracy']!.delta), `the Δ chart's value for group=F is "${texts[fRow + 1] ?? ''}", expected ${points(f.metrics['accuracy']!.delta)}`);
    check(texts.indexOf('group=M') < fRow && texts.indexOf('group=N') < fRow, 'the better group F is drawn after the unchanged ones (worse, same, better)');
    check(!texts.some((t) => t.startsWith('▲')), `a group is marked significantly worse: ${texts.join(' | ')}`);
    const flips = clean(await view.locator('[data-testid="compare-flips"]').innerText());
    check(flips === 'No row broke (A right, B wrong).', `the broken-rows part reads "${flips}"`);
    await shot('compare panel of the two language models');

    const sides = clean(await view.locator('[data-testid="compare-sides"]').innerText());
    check(sides.includes(`A (baseline): ${A}`) && sides.includes(`B (candidate): ${B}`) && sides.includes('Same op histogram as the other model.'), `the side-by-side summaries read "${sides.slice(0, 300)}"`);
    const p = c.parameters;
    check(p !== undefined && p.changed.length > 0, `the saved report's compare.parameters is ${JSON.stringify(p)?.slice(0, 200)}`);
    const paramsHead = clean(await view.locator('[data-testid="compare-parameters-headline"]').innerText());
    log(`parameters: ${paramsHead}`);
    check(paramsHead.startsWith(`Parameters that changed: ${p!.changed.length} of ${p!.compared} tensors`), `the parameters headline reads "${paramsHead}"`);
    await view.locator('[data-testid="compare-parameters"] tbody tr').last().scrollIntoViewIfNeeded();
    await shot('compare panel, the weights that changed');

    const note = await wb.waitForNotification('no group is significantly worse');
    log(`notification: ${note}`);
  },
};
