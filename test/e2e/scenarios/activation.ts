import { waitFor } from '../harness/processes';
import { check, type Scenario } from '../harness/scenario';

/** The extension activates on the demo workspace and logs no error. */
export const activation: Scenario = {
  name: 'the extension activates with no error in its output channel or the extension host log',
  async run({ wb, logs, extensionId, shot, log }) {
    // Activation (workspaceContains:**/*.onnx) is visible to a person as our status-bar item.
    const item = await wb.waitForStatusBarItem('EP:');
    const activated = await waitFor(`"${extensionId}" activation in the extension host log`, () => {
      const lines = logs.activationLines(extensionId);
      return lines.length > 0 ? lines : undefined;
    }, 30_000);
    log(`extension host: ${activated[activated.length - 1]?.replace(/^.*_doActivateExtension /, '') ?? ''}`);
    log(`status bar: ${item}`);
    // The output channel "Bias Inspector" has been written (its file under logs/…/exthost*/).
    const channel = await waitFor('the "Bias Inspector" output channel file', () => {
      const text = logs.channelText();
      return text.trim().length > 0 ? text : undefined;
    }, 30_000);
    log(`output channel: ${channel.trim().split('\n')[0] ?? ''}`);
    // The runner checks the logs after every scenario too; here it is the point of the scenario.
    const errors = logs.newErrors();
    check(errors.length === 0, `errors after activation:\n${errors.map((e) => `${e.file}:${e.line} ${e.text}`).join('\n')}`);
    await shot('workbench with the extension active');
  },
};
