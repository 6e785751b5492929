import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, type Scenario } from '../harness/scenario';

/**
 * A text file named .onnx (the harness writes it into the temp workspace copy). The brackets
 * would be a character class in a glob: the editor's file watcher must not treat the name as one.
 */
export const BAD_MODEL_FILE = 'not-a-model[1].onnx';
export const BAD_MODEL_TEXT = 'This is a text file, not an ONNX model.\n';

/**
 * A non-ONNX file shows a clear error in the editor; when the file is replaced by a model on disk
 * the editor reloads and shows it (and the error again when the text comes back); the next model
 * still opens.
 */
export const badFile: Scenario = {
  name: 'a non-ONNX file renamed to .onnx shows a clear error, reloads when fixed on disk, and the next model still opens',
  expectedLogErrors: [/not-a-model\[1\]\.onnx/],
  async run({ wb, workspace, shot, log }) {
    await wb.doubleClickFile(BAD_MODEL_FILE);
    await wb.waitForActiveTab(BAD_MODEL_FILE);
    const view = await wb.webviewWith('[data-testid="model-error"]', 60_000);
    const message = (await view.locator('[data-testid="model-error"]').innerText()).replace(/\s+/g, ' ').trim();
    log(`error shown: ${message}`);
    await shot('error for a text file named .onnx');
    check(message.includes(BAD_MODEL_FILE), `the error does not name the file: "${message}"`);
    check(/not an ONNX model/i.test(message), `the error does not say "not an ONNX model": "${message}"`);

    // Fixing the file on disk reloads the open editor; the original text restores the error (and
    // leaves the workspace as the harness wrote it).
    const path = join(workspace, BAD_MODEL_FILE);
    writeFileSync(path, readFileSync(join(workspace, 'income-mlp.onnx')));
    const fixed = await wb.webviewWith('[data-testid="param-count"]', 60_000);
    log(`after replacing the file with income-mlp.onnx's bytes: ${(await fixed.locator('[data-testid="param-count"]').innerText()).replace(/\s+/g, ' ').trim()}`);
    await shot('the editor reloaded the fixed file');
    writeFileSync(path, BAD_MODEL_TEXT);
    await wb.webviewWith('[data-testid="model-error"]', 60_000);

    await wb.doubleClickFile('income-mlp.onnx');
    await wb.waitForActiveTab('income-mlp.onnx');
    const next = await wb.webviewWith('[data-testid="model-summary"]', 60_000);
    check(await next.locator('[data-testid="param-count"]').isVisible(), 'income-mlp.onnx shows no parameter count after the bad file');
    await shot('next model opens after the error');
  },
};
