import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { waitFor } from '../harness/processes';
import { check, type Scenario } from '../harness/scenario';
import { tabularModel } from '../../unit/analyze/tabularModel';
import { csvOf, issueColumns } from '../../unit/data/synthetic';
import { savedReportNames, waitForNewReport } from './analysisSteps';
import { withSection } from './analysisSlices';
import { clickNotificationButton, quickPick, startOn } from './guidedSpec';

/** Waits for the input box titled `title`, types `text` (replacing its value) and accepts it. */
async function answerInput(page: Page, title: string, text: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).first().waitFor({ timeout: 60_000 });
  const input = widget.locator('.quick-input-box input').first();
  await input.fill(text);
  // The validation message (if any) is shown under the box; accepting only works once it is valid.
  await page.keyboard.press('Enter');
}

interface ProbeReportJson {
  probe: { kind: string; prompts: number; terms: Record<string, string[]>; byGroup: { group: Record<string, string>; meanScore: number }[] };
}

/**
 * The guided probe spec (issue #16 item 4, issue #13 item 4): Analyze Groups… on a copy of the
 * demo LM with no spec suggests the probe (a language model, with why) -> Create Probe Spec…: the tokenizer named like the model (with
 * its vocabulary matching the logits), the templates table of the workspace with its {group}
 * slot, the " yes"/" no" answers are suggested with why; the group terms are typed; the spec is
 * checked on the first templates, saved, and the probe report opens.
 */
export const guidedSpecProbe: Scenario = {
  name: 'guided spec for Probe Language Model suggests tokenizer, templates and answers, asks the group terms, and the probe report opens',
  timeoutMs: 240_000,
  async run({ page, wb, workspace, shot, log }) {
    const model = 'cf-lm.onnx';
    const files = [model, 'cf-lm.tokenizer.json', 'cf-lm.bias.json'].map((f) => join(workspace, f));
    copyFileSync(join(workspace, 'tiny-lm.onnx'), files[0]!);
    copyFileSync(join(workspace, 'tiny-lm.tokenizer.json'), files[1]!);
    try {
      const before = savedReportNames(workspace, 'cf-lm', 'probe');
      // Analyze Groups… on a language model suggests the probe instead, saying why.
      await startOn(wb, model, 'Analyze Groups…', log);
      const why = await clickNotificationButton(page, 'is a language model', 'Probe Language Model…');
      log(`suggested instead: ${why}`);
      check(/cf-lm\.onnx is a language model \(output "logits" \[batch, sequence, 366\] scores a vocabulary at every position\)/.test(why), `the suggestion does not say why: "${why}"`);
      await clickNotificationButton(page, 'No probe spec', 'Create Probe Spec…');

      const tokenizers = await quickPick(page, 'Tokenizer of cf-lm.onnx');
      log(`tokenizers: ${tokenizers.map((r) => `${r.label} — ${r.description}`).join(' | ')}`);
      check(tokenizers[0]?.label === 'cf-lm.tokenizer.json', `the suggested tokenizer is ${tokenizers[0]?.label}`);
      check(tokenizers[0]?.description === 'suggested: named like the model, vocabulary of 366 tokens, matches the model\'s 366 logits', `the tokenizer's reason is "${tokenizers[0]?.description}"`);
      await shot('tokenizer pick with reasons');
      await page.keyboard.press('Enter');

      const templates = await quickPick(page, 'Prompt templates');
      log(`templates: ${templates.map((r) => `${r.label} — ${r.description}`).join(' | ')}`);
      check(templates[0]?.label === 'lm-templates.jsonl · template', `the suggested templates are ${templates[0]?.label}`);
      check(/^suggested: 30 templates in column "template" of lm-templates\.jsonl, each with the slot \{group\}/.test(templates[0]?.description ?? ''), `the templates' reason is "${templates[0]?.description}"`);
      check(templates.some((r) => r.label === '$(edit) Write a template…' || r.label.endsWith('Write a template…')), 'no "Write a template…" item');
      await shot('templates pick: the workspace table with its slot');
      await page.keyboard.press('Enter');

      const answers = await quickPick(page, 'Answers');
      log(`answers: ${answers.map((r) => `${r.label} — ${r.description}`).join(' | ')}`);
      check(answers[0]?.label === 'yes " yes" · no " no"', `the suggested answers are ${answers[0]?.label}`);
      check(/^suggested: the templates ask for yes or no; " yes" 1 token, " no" 1 token with cf-lm\.tokenizer\.json/.test(answers[0]?.description ?? ''), `the answers' reason is "${answers[0]?.description}"`);
      await page.keyboard.press('Enter');

      // A single group is refused by the input's validation; two groups are accepted.
      const widget = page.locator('.quick-input-widget');
      await widget.locator('.quick-input-title', { hasText: 'Group terms' }).first().waitFor({ timeout: 60_000 });
      await widget.locator('.quick-input-box input').first().fill('F=woman');
      const refusal = await waitFor('the terms validation message', async () => {
        const text = (await widget.locator('.quick-input-message').first().innerText().catch(() => '')).trim();
        return /at least two groups/.test(text) ? text : undefined;
      }, 10_000, 200);
      log(`one group: ${refusal}`);
      await shot('group terms input refusing one group');
      await answerInput(page, 'Group terms', 'F=woman, mother, sister; M=man, father, brother');

      await waitFor(`the "probe: ${model}" panel`, async () => ((await wb.editorTab(`probe: ${model}`).isVisible()) ? true : undefined), 120_000, 250);
      const view = await wb.webviewWith('[data-testid="probe-headline"]', 60_000);
      const headline = (await view.locator('[data-testid="probe-headline"]').innerText()).replace(/\s+/g, ' ').trim();
      log(`headline: ${headline}`);
      await shot('probe report of the guided probe spec');
      const spec = JSON.parse(readFileSync(files[2]!, 'utf8')) as Record<string, unknown>;
      log(`saved cf-lm.bias.json: ${JSON.stringify(spec)}`);
      check(JSON.stringify(spec) === JSON.stringify({
        model: model, outputKind: 'language_model',
        probe: { tokenizer: 'cf-lm.tokenizer.json', kind: 'counterfactual', templates: 'lm-templates.jsonl', slot: '{group}', terms: { F: ['woman', 'mother', 'sister'], M: ['man', 'father', 'brother'] }, answers: { yes: [' yes'], no: [' no'] } },
      }), `the saved spec is ${JSON.stringify(spec)}`);
      const saved = await waitForNewReport<ProbeReportJson>(workspace, 'cf-lm', 'probe', before);
      check(saved.json.probe.kind === 'counterfactual' && saved.json.probe.prompts === 180, `the report: ${saved.json.probe.kind}, ${saved.json.probe.prompts} prompts`);
      check(saved.json.probe.byGroup.map((g) => g.group['group']).join(',') === 'F,M', `the report's groups are ${saved.json.probe.byGroup.map((g) => g.group['group']).join(',')}`);
    } finally {
      for (const f of files) if (existsSync(f)) rmSync(f);
    }
  },
};

/**
 * Find Slices… on a model and CSV nobody here made, with no spec: the guided flow asks the groups
 * steps and then the candidate columns of the slice search (every metadata column picked; the
 * row id, the model's features and the label listed with why not); the spec is checked by a
 * slice search on the first rows, saved with `slices.columns`, and the groups report opens on its
 * Slices tab, whose section searched those columns.
 */
export const guidedSpecSlices: Scenario = {
  name: 'guided spec for Find Slices asks the candidate columns with reasons, saves slices.columns, and the groups report opens on its Slices tab',
  timeoutMs: 240_000,
  async run({ page, wb, workspace, shot, log }) {
    const model = 'slicer-model.onnx';
    const files = [model, 'slicer.csv', 'slicer-model.bias.json'].map((f) => join(workspace, f));
    writeFileSync(files[0]!, tabularModel({ scale: [0.01, 1e-5, 0.01, 0.01, 1e-4] }));
    writeFileSync(files[1]!, csvOf(issueColumns(), 600, 23));
    try {
      const before = savedReportNames(workspace, 'slicer-model', 'groups');
      await startOn(wb, model, 'Find Slices…', log);
      await clickNotificationButton(page, 'No analysis spec', 'Create Spec…');
      const data = await quickPick(page, 'Evaluation data');
      check(data[0]?.label === 'slicer.csv', `the first data file offered is ${data[0]?.label}`);
      await page.keyboard.press('Enter');
      for (const title of ['Label column', 'Task', 'Sensitive (group) columns']) {
        const rows = await quickPick(page, title);
        log(`${title}: ${rows.slice(0, 3).map((r) => r.label).join(', ')}`);
        await page.keyboard.press('Enter');
      }
      const slices = await quickPick(page, 'Slice columns');
      log(`slice columns: ${slices.map((r) => `${r.label} — ${r.description}`).join(' | ')}`);
      check(['sex', 'race', 'region'].every((c, i) => slices[i]?.label === c && /^group column, \d+ values in the first 512 rows$/.test(slices[i]!.description)), `the first slice columns are ${slices.slice(0, 3).map((r) => `${r.label} (${r.description})`).join(', ')}`);
      const id = slices.find((r) => r.label === 'id');
      check(id?.description === 'not suggested: row id (512 values in the first 512 rows): one row per value', `the id column's reason is "${id?.description}"`);
      const age = slices.find((r) => r.label === 'age');
      check(age?.description === 'not suggested: a feature of model input "x"; pick it to slice by its values too', `age's reason is "${age?.description}"`);
      check(slices.some((r) => r.label === 'label' && /the label/.test(r.description)), 'the label is not listed with why');
      await shot('slice column pick with reasons');
      await page.keyboard.press('Enter');

      await waitFor(`the "groups: ${model}" panel`, async () => ((await wb.editorTab(`groups: ${model}`).isVisible()) ? true : undefined), 120_000, 250);
      const view = await wb.webviewWith('[data-testid="slices-headline"]', 60_000);
      log(`headline: ${(await view.locator('[data-testid="slices-headline"]').innerText()).replace(/\s+/g, ' ').trim()}`);
      await shot('slices report of the guided spec');
      const spec = JSON.parse(readFileSync(files[2]!, 'utf8')) as { slices?: unknown; label?: string };
      log(`saved: ${JSON.stringify(spec)}`);
      check(JSON.stringify(spec.slices) === JSON.stringify({ columns: ['sex', 'race', 'region'] }), `the saved slices are ${JSON.stringify(spec.slices)}`);
      const report = await waitForNewReport(workspace, 'slicer-model', 'groups', before);
      const saved = { json: (await withSection(report.path, 'slices')) as unknown as { slices: { columns: { name: string }[] } } };
      check(saved.json.slices.columns.map((c) => c.name).join(',') === 'sex,race,region', `the report searched ${saved.json.slices.columns.map((c) => c.name).join(',')}`);
    } finally {
      for (const f of files) if (existsSync(f)) rmSync(f);
    }
  },
};

/**
 * The model editor of the demo language model shows *Probe Language Model…* (and a classifier's
 * does not); clicking it offers the model's probe specs and a new one, and the probe report of
 * the picked spec opens.
 */
export const modelEditorProbe: Scenario = {
  name: 'the model editor of tiny-lm.onnx has a Probe Language Model launcher that opens the probe report',
  timeoutMs: 240_000,
  async run({ wb, workspace, shot, log }) {
    await wb.doubleClickFile('income-mlp.onnx');
    await wb.waitForActiveTab('income-mlp.onnx');
    const classifier = await wb.webviewWith('[data-testid="model-summary"]', 60_000);
    check(await classifier.locator('[data-testid="launch-groups"]').isVisible(), 'income-mlp.onnx: no groups launcher');
    check((await classifier.locator('[data-testid="launch-probe"]').count()) === 0, 'income-mlp.onnx (a classifier) shows a probe launcher');

    const before = savedReportNames(workspace, 'tiny-lm', 'probe');
    await wb.doubleClickFile('tiny-lm.onnx');
    await wb.waitForActiveTab('tiny-lm.onnx');
    const view = await wb.webviewWith('[data-testid="launch-probe"]', 60_000);
    const note = (await view.locator('.launcher', { has: view.locator('[data-testid="launch-probe"]') }).innerText()).replace(/\s+/g, ' ').trim();
    log(`probe launcher: ${note}`);
    check(/output "logits" \[batch, sequence, 366\] scores a vocabulary at every position/.test(note), `the probe launcher does not say why: "${note}"`);
    await shot('model editor of the language model with the probe launcher');
    await view.locator('[data-testid="launch-probe"]').click();
    const items = await wb.quickPickItems();
    log(`probe specs offered: ${items.join(', ')}`);
    check(items.includes('tiny-lm-counterfactual.bias.json') && items.some((i) => i.endsWith('Create Probe Spec…')), `the pick offers ${items.join(', ')}`);
    const row = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: wb.page.locator('.label-name', { hasText: /^tiny-lm-counterfactual\.bias\.json$/ }) });
    await row.first().click();
    await waitFor('the "probe: tiny-lm.onnx" panel', async () => ((await wb.editorTab('probe: tiny-lm.onnx').isVisible()) ? true : undefined), 120_000, 250);
    await wb.webviewWith('[data-testid="probe-headline"]', 60_000);
    const saved = await waitForNewReport<ProbeReportJson>(workspace, 'tiny-lm', 'probe', before);
    log(`probe report: ${saved.json.probe.kind}, ${saved.json.probe.prompts} prompts`);
    check(saved.json.probe.kind === 'counterfactual', `the report is a ${saved.json.probe.kind} probe`);
    await shot('probe report from the model editor');
  },
};
