import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { check, type Scenario } from '../harness/scenario';
import { REPORTS_DIR, savedReportNames } from './analysisSteps';

const ROOT = resolve(__dirname, '..', '..', '..');
const MODEL = 'tiny-transformer.onnx';
const SAMPLE_ROW = 2;
const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * A cloned repository can ship saved reports under .bias-inspector/reports/. In Restricted Mode
 * such an attention report still opens from the side bar (it is only JSON), but its "Show sample"
 * — which would re-run the model named by the report's spec — says the workspace must be trusted
 * and runs nothing (issue 10: one trust gate before every model run).
 */
export const untrustedAttentionSample: Scenario = {
  name: 'in an untrusted workspace a shipped attention report opens from the side bar and its Show sample asks for trust instead of running the model',
  workspaceTrust: 'untrusted',
  timeoutMs: 180_000,
  async run({ wb, page, workspace, shot, log }) {
    await wb.waitForStatusBarItem('Restricted Mode');

    // The "shipped" report: written by the CLI, as a repository's author would have.
    mkdirSync(join(workspace, REPORTS_DIR), { recursive: true });
    const file = join(workspace, REPORTS_DIR, 'tiny-transformer.attention.2026-01-01T00-00-00-000Z.json');
    const made = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'attention', '--spec', join(workspace, 'tiny-transformer.bias.json'), '--ep', 'cpu', '--json', file], { encoding: 'utf8' });
    check(made.status === 0, `the CLI could not write the shipped report: ${made.stderr}`);
    const report = JSON.parse(readFileSync(file, 'utf8')) as { createdAt: string; spec: string };
    log(`shipped report ${file} (spec ${report.spec})`);
    const before = savedReportNames(workspace, 'tiny-transformer', 'attention');

    await wb.runCommand('Bias Inspector: Refresh Reports');
    await wb.openViewContainer('Bias Inspector');
    const modelRow = wb.sideBarRows(MODEL).first();
    await modelRow.waitFor({ timeout: wb.timeoutMs });
    const reportRow = wb.sideBarRows(`attention — ${report.createdAt.replace('T', ' ').slice(0, 19)}`).first();
    await reportRow.waitFor({ timeout: wb.timeoutMs });
    // The tree re-renders after the refresh: open the row once it is stable (click, then Enter
    // on the selected row if the first click landed on a row being replaced).
    await page.waitForTimeout(1000);
    await reportRow.click();
    const view = await wb.webviewWith('[data-testid="attention-sample-show"]', 20_000).catch(async () => {
      await reportRow.click();
      await page.keyboard.press('Enter');
      return wb.webviewWith('[data-testid="attention-sample-show"]', 60_000);
    });
    await shot('shipped attention report opened in restricted mode');

    await view.locator('[data-testid="attention-sample-row"] input').fill(String(SAMPLE_ROW));
    await view.locator('[data-testid="attention-sample-show"]').click();
    const alert = view.locator('[role="alert"]', { hasText: 'not trusted' }).first();
    await alert.waitFor({ timeout: 60_000 });
    const text = clean(await alert.innerText());
    log(`Show sample: ${text}`);
    check(text === `Row ${SAMPLE_ROW}: Show sample (row ${SAMPLE_ROW}) runs the model, and this workspace is not trusted: trust the workspace to run models (inspection works in Restricted Mode).`,
      `Show sample says "${text}"`);
    check(await view.locator(`[data-testid="attention-row${SAMPLE_ROW}-maps"]`).count() === 0, 'per-sample maps were drawn: the model ran');
    await shot('Show sample asks for workspace trust');
    const after = savedReportNames(workspace, 'tiny-transformer', 'attention');
    check(after.length === before.length, `a report was written in an untrusted workspace: ${after.filter((n) => !before.includes(n)).join(', ')}`);
  },
};
