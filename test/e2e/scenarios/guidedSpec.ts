import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { waitFor } from '../harness/processes';
import { check, type Scenario } from '../harness/scenario';
import type { Workbench } from '../harness/workbench';
import { tabularModel } from '../../unit/analyze/tabularModel';
import { csvOf, issueColumns } from '../../unit/data/synthetic';
import { savedReportNames, waitForNewReport } from './analysisSteps';

/** A model and CSV nobody here made (issue #16): written into the workspace by the scenario, removed after. */
const MODEL = 'newcomer-model.onnx';
const DATA = 'newcomer.csv';
const SPEC = 'newcomer-model.bias.json';

interface PickRow { label: string; description: string }

/**
 * Starts `item` ("Analyze Groups…") on a model the scenario wrote into the workspace: from the
 * Explorer's context menu when the Explorer lists the file, else (a window whose file watcher
 * missed the new file) from the palette's model pick, which searches the disk.
 */
export async function startOn(wb: Workbench, model: string, item: string, log: (m: string) => void): Promise<void> {
  await wb.openExplorer();
  const row = wb.page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${model}"]`).first();
  if (await row.waitFor({ timeout: 15_000 }).then(() => true, () => false)) {
    const menu = await wb.contextMenuOf(model);
    check(menu.includes(item), `the context menu of ${model} lacks ${item}: ${menu.join(' | ')}`);
    await wb.clickContextMenuItem(item);
    log(`${item} from the Explorer's context menu`);
    return;
  }
  await wb.runCommand(`Bias Inspector: ${item}`);
  await quickPick(wb.page, `${item.replace(/…$/, '')}: pick a model`);
  await wb.page.keyboard.type(model);
  await waitFor(`the model pick filtered to ${model}`, async () => ((await quickPick(wb.page, 'pick a model'))[0]?.label === model ? true : undefined), 10_000, 200);
  await wb.page.keyboard.press('Enter');
  log(`${item} from the palette (the Explorer did not list ${model})`);
}

/** Waits for a quick pick whose title contains `title` and returns its rows (label and description). */
export async function quickPick(page: Page, title: string): Promise<PickRow[]> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).first().waitFor({ timeout: 60_000 });
  const rows = widget.locator('.quick-input-list .monaco-list-row');
  return waitFor(`the rows of the "${title}" pick`, async () => {
    const out: PickRow[] = [];
    for (const row of await rows.all()) {
      const name = row.locator('.label-name');
      if ((await name.count()) === 0) continue;
      const description = row.locator('.label-description');
      out.push({ label: (await name.first().innerText()).trim(), description: (await description.count()) ? (await description.first().innerText()).trim() : '' });
    }
    return out.length > 0 ? out : undefined;
  }, 30_000, 250);
}

/**
 * A newcomer's first run (issue #16): on a binary classifier (x float32 [N, 5] -> logits [N, 2])
 * and a CSV with an id column, generated here, Analyze Groups… -> Create Spec… and accepting every
 * suggestion gives label `label`, task binary, inputs age..debt, groups sex, race, region; the spec
 * is checked, saved, and the groups report opens at once.
 */
export const guidedSpec: Scenario = {
  name: 'guided spec on a new model and CSV: accepting every suggestion saves a spec that runs and the groups report opens',
  timeoutMs: 240_000,
  async run({ page, wb, workspace, shot, log }) {
    const files = [MODEL, DATA, SPEC].map((f) => join(workspace, f));
    writeFileSync(files[0]!, tabularModel({ scale: [0.01, 1e-5, 0.01, 0.01, 1e-4] }));
    writeFileSync(files[1]!, csvOf(issueColumns(), 500, 16));
    try {
      const before = savedReportNames(workspace, 'newcomer-model', 'groups');
      await startOn(wb, MODEL, 'Analyze Groups…', log);
      const create = page.locator('.notifications-toasts .notification-list-item', { hasText: 'No analysis spec' }).locator('.monaco-button', { hasText: 'Create Spec…' }).first();
      await create.waitFor({ timeout: 60_000 });
      await create.click();

      const data = await quickPick(page, 'Evaluation data');
      log(`data: ${data.map((r) => `${r.label} (${r.description})`).join(' | ')}`);
      check(data[0]?.label === DATA, `the first data file offered is ${data[0]?.label}, expected ${DATA}`);
      await page.keyboard.press('Enter');

      const labels = await quickPick(page, 'Label column');
      log(`labels: ${labels.slice(0, 4).map((r) => `${r.label} — ${r.description}`).join(' | ')}`);
      await shot('label pick with reasons');
      check(labels[0]?.label === 'label', `the suggested label is ${labels[0]?.label}, expected label`);
      check(labels[0]?.description === 'suggested: named like a label, 2 values, matches the [N, 2] output', `the label's reason is "${labels[0]?.description}"`);
      const income = labels.find((r) => r.label === 'income');
      check(income && /values, the \[N, 2\] output needs 2$/.test(income.description), `income is not shown as unfit: ${JSON.stringify(income)}`);
      await page.keyboard.press('Enter');

      const tasks = await quickPick(page, 'Task');
      log(`tasks: ${tasks.map((r) => `${r.label} — ${r.description}`).join(' | ')}`);
      check(tasks[0]?.label === 'binary', `the suggested task is ${tasks[0]?.label}, expected binary`);
      await page.keyboard.press('Enter');

      const groups = await quickPick(page, 'Sensitive (group) columns');
      log(`groups offered: ${groups.map((r) => r.label).join(', ')}`);
      check(['sex', 'race', 'region'].every((g, i) => groups[i]?.label === g), `the groups offered first are ${groups.slice(0, 3).map((r) => r.label).join(', ')}`);
      await shot('group pick, suggested ones picked');
      await page.keyboard.press('Enter');

      // Checked on the first rows, saved, and the groups analysis runs at once.
      const panel = await waitFor('the groups report panel', async () => ((await wb.editorTab(`groups: ${MODEL}`).isVisible()) ? true : undefined), 120_000, 250);
      check(panel, 'no groups panel');
      const view = await wb.webviewWith('[data-testid="groups-headline"]', 60_000);
      const headline = (await view.locator('[data-testid="groups-headline"]').innerText()).replace(/\s+/g, ' ').trim();
      log(`headline: ${headline}`);
      await shot('groups report of the guided spec');
      const spec = JSON.parse(readFileSync(files[2]!, 'utf8')) as Record<string, unknown>;
      log(`saved ${SPEC}: ${JSON.stringify(spec)}`);
      check(JSON.stringify(spec) === JSON.stringify({
        model: MODEL, data: DATA, inputs: { x: { columns: ['age', 'income', 'hours', 'tenure', 'debt'] } },
        output: 'logits', outputKind: 'logits', task: 'binary', label: 'label', groups: ['sex', 'race', 'region'], loss: 'cross_entropy',
      }), `the saved spec is ${JSON.stringify(spec)}`);
      const saved = await waitForNewReport<{ groups: { sensitive: string[]; overall: { count: number } } }>(workspace, 'newcomer-model', 'groups', before);
      check(saved.json.groups.sensitive.join(',') === 'sex,race,region', `the report's groups are ${saved.json.groups.sensitive.join(',')}`);
      check(saved.json.groups.overall.count === 500, `the report counts ${saved.json.groups.overall.count} rows, expected 500`);
    } finally {
      for (const f of files) if (existsSync(f)) rmSync(f);
    }
  },
};

/** Clicks the button of a notification toast whose message contains `text`; returns the message. */
export async function clickNotificationButton(page: Page, text: string | RegExp, button: string): Promise<string> {
  const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: text }).first();
  await toast.waitFor({ timeout: 60_000 });
  const message = (await toast.locator('.notification-list-item-message').innerText()).replace(/\s+/g, ' ').trim();
  await toast.locator('.monaco-button', { hasText: button }).first().click();
  return message;
}

/** In the open label pick: filters to `label` and takes it, then accepts the task and groups suggested. */
async function labelThenAccept(page: Page, label: string): Promise<void> {
  await page.keyboard.type(label);
  await waitFor(`the label pick filtered to ${label}`, async () => ((await quickPick(page, 'Label column'))[0]?.label === label ? true : undefined), 10_000, 200);
  await page.keyboard.press('Enter');
  await quickPick(page, 'Task');
  await page.keyboard.press('Enter');
  await quickPick(page, 'Sensitive (group) columns');
  await page.keyboard.press('Enter');
}

/**
 * The flow never saves a spec that cannot run: a word column picked as the label of a binary
 * model fails the dry run on the first rows; the error names the label step, nothing is saved,
 * "Change Label" returns to the label pick, and with the suggested label the report opens.
 */
export const guidedSpecDryRun: Scenario = {
  name: 'guided spec: a label that cannot run is caught by the dry run before saving, and the flow returns to the label step',
  timeoutMs: 240_000,
  async run({ page, wb, workspace, shot, log }) {
    const model = 'second-model.onnx';
    const files = [model, 'second.csv', 'second-model.bias.json'].map((f) => join(workspace, f));
    writeFileSync(files[0]!, tabularModel({ scale: [0.01, 1e-5, 0.01, 0.01, 1e-4] }));
    writeFileSync(files[1]!, csvOf(issueColumns(), 300, 17));
    try {
      await startOn(wb, model, 'Analyze Groups…', log);
      await clickNotificationButton(page, 'No analysis spec', 'Create Spec…');
      const data = await quickPick(page, 'Evaluation data');
      check(data[0]?.label === 'second.csv', `the first data file offered is ${data[0]?.label}`);
      await page.keyboard.press('Enter');
      await quickPick(page, 'Label column');
      await labelThenAccept(page, 'race');

      const message = await clickNotificationButton(page, 'The spec would not run', 'Change Label');
      log(`dry run: ${message}`);
      check(/^The spec would not run \(label\): .*binary label "[ABCD]" is not 0\/1/.test(message), `the error does not name the label step and cause: "${message}"`);
      check(!existsSync(files[2]!), 'a spec that does not run was saved');

      const labels = await quickPick(page, 'Label column');
      check(labels[0]?.label === 'label', `back at the label step, the suggestion is ${labels[0]?.label}`);
      await labelThenAccept(page, 'label');
      await wb.webviewWith('[data-testid="groups-headline"]', 120_000);
      await shot('report after fixing the label');
      const spec = JSON.parse(readFileSync(files[2]!, 'utf8')) as { label?: string; groups?: string[] };
      check(spec.label === 'label' && spec.groups?.join(',') === 'sex,race,region', `the saved spec has label ${spec.label}, groups ${spec.groups?.join(',')}`);
    } finally {
      for (const f of files) if (existsSync(f)) rmSync(f);
    }
  },
};

/**
 * Attention Heatmaps on a model with no spec: the guided flow asks for the data and the groups
 * only (no label step), checks the spec by running the attention analysis on the first rows,
 * saves it and the attention report opens.
 */
export const guidedSpecAttention: Scenario = {
  name: 'guided spec for Attention Heatmaps asks no label, checks and saves the spec, and the attention report opens',
  timeoutMs: 240_000,
  async run({ page, wb, workspace, shot, log }) {
    const model = 'attn-model.onnx';
    const files = [model, 'attn-model.bias.json'].map((f) => join(workspace, f));
    writeFileSync(files[0]!, readFileSync(join(workspace, 'tiny-transformer.onnx')));
    try {
      await startOn(wb, model, 'Attention Heatmaps…', log);
      await clickNotificationButton(page, 'No analysis spec', 'Create Spec…');
      await quickPick(page, 'Evaluation data');
      await page.keyboard.type('comments');
      await waitFor('the data pick filtered to comments.jsonl', async () => ((await quickPick(page, 'Evaluation data'))[0]?.label === 'comments.jsonl' ? true : undefined), 10_000, 200);
      await page.keyboard.press('Enter');
      const groups = await quickPick(page, 'Sensitive (group) columns (optional)');
      log(`groups offered: ${groups.map((r) => `${r.label} — ${r.description}`).join(' | ')}`);
      check(groups[0]?.label === 'identity', `the first group offered is ${groups[0]?.label}, expected identity`);
      await page.keyboard.press('Enter');
      await waitFor('the attention report panel', async () => ((await wb.editorTab(`attention: ${model}`).isVisible()) ? true : undefined), 120_000, 250);
      await shot('attention report of the guided spec');
      const spec = JSON.parse(readFileSync(files[1]!, 'utf8')) as { inputs?: unknown; groups?: string[] };
      log(`saved: ${JSON.stringify(spec)}`);
      check(JSON.stringify(spec.inputs) === JSON.stringify({ input_ids: { column: 'ids' } }), `the saved inputs are ${JSON.stringify(spec.inputs)}`);
      check(spec.groups?.join(',') === 'identity', `the saved groups are ${spec.groups?.join(',')}`);
    } finally {
      for (const f of files) if (existsSync(f)) rmSync(f);
    }
  },
};
