import { check, type Scenario } from '../harness/scenario';

/** A text file named .onnx (the harness writes it into the temp workspace copy). */
export const BAD_MODEL_FILE = 'not-a-model.onnx';
export const BAD_MODEL_TEXT = 'This is a text file, not an ONNX model.\n';

/** A non-ONNX file shows a clear error in the editor, and the next model still opens. */
export const badFile: Scenario = {
  name: 'a non-ONNX file renamed to .onnx shows a clear error, and the next model still opens',
  expectedLogErrors: [/not-a-model\.onnx/],
  async run({ wb, shot, log }) {
    await wb.doubleClickFile(BAD_MODEL_FILE);
    await wb.waitForActiveTab(BAD_MODEL_FILE);
    const view = await wb.webviewWith('[data-testid="model-error"]', 60_000);
    const message = (await view.locator('[data-testid="model-error"]').innerText()).replace(/\s+/g, ' ').trim();
    log(`error shown: ${message}`);
    await shot('error for a text file named .onnx');
    check(message.includes(BAD_MODEL_FILE), `the error does not name the file: "${message}"`);
    check(/not an ONNX model/i.test(message), `the error does not say "not an ONNX model": "${message}"`);

    await wb.doubleClickFile('income-mlp.onnx');
    await wb.waitForActiveTab('income-mlp.onnx');
    const next = await wb.webviewWith('[data-testid="model-summary"]', 60_000);
    check(await next.locator('[data-testid="param-count"]').isVisible(), 'income-mlp.onnx shows no parameter count after the bad file');
    await shot('next model opens after the error');
  },
};
