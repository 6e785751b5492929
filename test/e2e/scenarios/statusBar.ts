import { check, type Scenario } from '../harness/scenario';

/** The status bar shows the execution provider ("EP: auto" before a model runs). */
export const statusBar: Scenario = {
  name: 'the status bar shows the execution provider',
  async run({ wb, shot, log }) {
    const text = await wb.waitForStatusBarItem('EP:');
    log(`status bar item: "${text}"`);
    check(/EP: (auto|cpu|cuda|webgpu|dml|coreml)\b/.test(text), `the status bar item says "${text}", expected "EP: <provider>"`);
    await shot('status bar with the EP item');
  },
};
