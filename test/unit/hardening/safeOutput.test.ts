/** Issue 10: CSV injection, the HTML report's CSP script hash, external data behind symlinks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvCell, groupsCsv, htmlReport } from '../../../extension/core/report/export';
import { loadModel, readTensorData, weightTensors } from '../../../extension/core/onnx';
import { BadInputError } from '../../../extension/core/errors';
import { fixture, tempDir } from '../onnx/helpers';

test('CSV cells that a spreadsheet would run as a formula get a leading quote; numbers stay numbers', () => {
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  assert.equal(csvCell('+1+cmd|\' /C calc\'!A0'), "'+1+cmd|' /C calc'!A0");
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tx'), "'\tx");
  assert.equal(csvCell('\rx'), `"'\rx"`);
  assert.equal(csvCell(-0.25), '-0.25');
  assert.equal(csvCell(-1e-7), '-1e-7');
  assert.equal(csvCell('-1'), '-1');
  assert.equal(csvCell('+3.5e2'), '+3.5e2');
  assert.equal(csvCell('a=b'), 'a=b');
  assert.equal(csvCell(undefined), '');
  assert.equal(csvCell(Number.NaN), 'NaN');
});

test('groupsCsv neutralises hostile group values and column names, keeps negative metrics numeric', () => {
  const csv = groupsCsv({
    groups: {
      sensitive: ['=col'], task: 'binary',
      byGroup: [
        { group: { '=col': '=1+1' }, count: 40, accuracy: 0.5, loss_delta: -0.125 },
        { group: { '=col': '-3' }, count: 31, accuracy: 0.75, loss_delta: -2 },
      ],
    },
  } as unknown as Parameters<typeof groupsCsv>[0]);
  assert.equal(csv, "'=col,count,small,accuracy,loss_delta\n'=1+1,40,false,0.5,-0.125\n-3,31,false,0.75,-2\n");
});

test('the HTML report allows its one inline script by hash, not unsafe-inline', () => {
  const { dir, cleanup } = tempDir('bi-html-');
  try {
    writeFileSync(join(dir, 'r.js'), 'document.body.dataset.ok = "1"; // </script> inside');
    writeFileSync(join(dir, 'r.css'), 'body{}');
    const html = htmlReport({ kind: 'groups', note: '</script><script>alert(1)</script>' }, { script: join(dir, 'r.js'), css: join(dir, 'r.css') });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    const scriptSrc = /script-src ([^;]+)/.exec(csp)?.[1] ?? '';
    assert.doesNotMatch(scriptSrc, /unsafe-inline/);
    const inline = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    assert.equal(inline, 'document.body.dataset.ok = "1"; // <\\/script> inside');
    assert.equal(scriptSrc, `'sha256-${createHash('sha256').update(inline, 'utf8').digest('base64')}'`);
    assert.match(csp, /^default-src 'none';/);
  } finally {
    cleanup();
  }
});

test('external data reached through a symlink that leaves the model folder is refused (never read)', async () => {
  const { dir, cleanup } = tempDir('bi-ext-');
  try {
    const modelDir = join(dir, 'model');
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(modelDir);
    mkdirSync(elsewhere);
    copyFileSync(fixture('external-data.onnx'), join(modelDir, 'm.onnx'));
    copyFileSync(fixture('external-data.bin'), join(elsewhere, 'secret.bin'));
    symlinkSync(join(elsewhere, 'secret.bin'), join(modelDir, 'external-data.bin'));
    await assert.rejects(loadModel(join(modelDir, 'm.onnx')), (e: unknown) => {
      assert.ok(e instanceof BadInputError);
      assert.equal(e.code, 'onnx.external-path');
      assert.equal(e.message, `${join(modelDir, 'm.onnx')}: external data 'external-data.bin' resolves to ${join(elsewhere, 'secret.bin')}, outside the model's folder ${modelDir} (through a symbolic link); only files inside it are read`);
      return true;
    });
  } finally {
    cleanup();
  }
});

test('a symlink that stays inside the model folder, and a model folder reached through a symlink, still load', async () => {
  const { dir, cleanup } = tempDir('bi-ext-');
  try {
    const modelDir = join(dir, 'model');
    mkdirSync(join(modelDir, 'weights'), { recursive: true });
    copyFileSync(fixture('external-data.onnx'), join(modelDir, 'm.onnx'));
    copyFileSync(fixture('external-data.bin'), join(modelDir, 'weights', 'w.bin'));
    symlinkSync(join(modelDir, 'weights', 'w.bin'), join(modelDir, 'external-data.bin'));
    const loaded = await loadModel(join(modelDir, 'm.onnx'));
    const tensor = weightTensors(loaded.proto).find((w) => w.tensor.externalData.length > 0)?.tensor;
    assert.ok(tensor);
    assert.ok((await readTensorData(loaded, tensor)).byteLength > 0);
    symlinkSync(modelDir, join(dir, 'link'));
    const viaLink = await loadModel(join(dir, 'link', 'm.onnx'));
    assert.equal(viaLink.externalFiles[0]?.exists, true);
  } finally {
    cleanup();
  }
});
