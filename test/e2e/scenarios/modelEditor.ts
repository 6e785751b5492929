import { join } from 'node:path';
import { inspectModel } from '../../../extension/core/onnx';
import { check, type Scenario } from '../harness/scenario';

/** The demo models a person would open first, in Explorer order. */
const DEMO_MODELS = ['income-mlp.onnx', 'tiny-transformer.onnx', 'shapes-cnn.onnx'];

/**
 * Double-clicking a demo model opens our editor with that model's inputs, op histogram and
 * parameter count. Expected values come from the engine's own reading of the file (the CLI's
 * `inspect` shows the same), so the scenario follows the demo models when they are regenerated.
 */
export const modelEditor: Scenario = {
  name: 'double-clicking a demo .onnx opens the model editor with its inputs, op histogram and parameter count',
  timeoutMs: 120_000,
  async run({ wb, workspace, shot, log }) {
    for (const file of DEMO_MODELS) {
      const expected = await inspectModel(join(workspace, file));
      await wb.doubleClickFile(file);
      await wb.waitForActiveTab(file);
      const view = await wb.webviewWith('[data-testid="model-summary"]', 60_000);

      const inputsText = await view.locator('[data-testid="model-inputs"]').innerText();
      for (const input of expected.inputs) check(inputsText.includes(input.name), `${file}: the inputs table lacks "${input.name}" (shows: ${inputsText.replace(/\s+/g, ' ')})`);

      const chartLabels = await view.locator('[data-testid="op-histogram"] text').allTextContents();
      for (const { op } of expected.opHistogram) check(chartLabels.some((t) => t.includes(op)), `${file}: the op histogram lacks "${op}" (labels: ${chartLabels.join(', ')})`);

      const count = (await view.locator('[data-testid="param-count"]').innerText()).trim();
      const want = `${expected.parameters.total.toLocaleString('en-US')} parameters`;
      check(count === want, `${file}: parameter count shows "${count}", expected "${want}"`);

      for (const id of ['launch-groups', 'launch-attention', 'launch-quant']) {
        check(await view.locator(`[data-testid="${id}"]`).isVisible(), `${file}: button ${id} is not visible`);
      }
      log(`${file}: inputs ${expected.inputs.map((i) => i.name).join(', ')}; ${expected.opHistogram.length} op types; ${count}`);
      await shot(`${file} in the model editor`);
    }
  },
};
