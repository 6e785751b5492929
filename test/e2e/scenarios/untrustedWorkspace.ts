import { check, type Scenario } from '../harness/scenario';
import { savedReportNames } from './analysisSteps';

const MODEL = 'income-mlp.onnx';
const LAUNCHERS = ['launch-groups', 'launch-attention', 'launch-quant'];
const NOTE = 'workspace not trusted: inspection only';

const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * In Restricted Mode (workspace trust on, the folder not trusted) a model is still inspected but
 * never run: the editor shows the summary with disabled launchers, and Analyze Groups… from the
 * Explorer shows the trust warning instead of running (no report is written).
 */
export const untrustedWorkspace: Scenario = {
  name: 'in an untrusted workspace the model editor inspects with disabled launchers and Analyze Groups shows the trust warning',
  workspaceTrust: 'untrusted',
  timeoutMs: 150_000,
  async run({ wb, workspace, shot, log }) {
    const restricted = await wb.waitForStatusBarItem('Restricted Mode');
    log(`status bar: ${restricted}`);

    await wb.doubleClickFile(MODEL);
    await wb.waitForActiveTab(MODEL);
    const view = await wb.webviewWith('[data-testid="model-summary"]', 60_000);
    const count = clean(await view.locator('[data-testid="param-count"]').innerText());
    check(/^[\d,]+ parameters$/.test(count), `the summary's parameter count reads "${count}"`);
    for (const id of LAUNCHERS) {
      const button = view.locator(`[data-testid="${id}"]`);
      check(await button.isVisible(), `${id} is not shown`);
      check((await button.getAttribute('disabled')) !== null, `${id} is enabled in an untrusted workspace`);
    }
    const notes = await view.getByText(NOTE, { exact: true }).count();
    check(notes === LAUNCHERS.length, `"${NOTE}" is shown ${notes} times, expected once per launcher (${LAUNCHERS.length})`);
    log(`model editor: ${count}; ${LAUNCHERS.length} launchers disabled, "${NOTE}"`);
    await shot('model editor in restricted mode');

    const before = savedReportNames(workspace, 'income-mlp', 'groups');
    await wb.contextMenuOf(MODEL);
    await wb.clickContextMenuItem('Analyze Groups…');
    const warning = await wb.waitForNotification('not trusted');
    log(`notification: ${warning}`);
    check(warning.startsWith('Analyze Groups runs the model, and this workspace is not trusted.'), `the trust warning reads "${warning}"`);
    await shot('trust warning for Analyze Groups');
    const after = savedReportNames(workspace, 'income-mlp', 'groups');
    check(after.length === before.length, `a groups report was written in an untrusted workspace: ${after.filter((n) => !before.includes(n)).join(', ')}`);
  },
};
