import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { diffTrees, hashTree, unexpectedAdditions } from './workspace';

const root = mkdtempSync(join(tmpdir(), 'e2e-workspace-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('hashTree keys every file by its relative path, with its sha256', () => {
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'a.onnx'), 'abc');
  writeFileSync(join(root, 'sub', 'b.csv'), '');
  const hashes = hashTree(root);
  assert.deepEqual([...hashes.keys()], ['a.onnx', 'sub/b.csv']);
  assert.equal(hashes.get('a.onnx'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(hashes.get('sub/b.csv'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('diffTrees reports modified, deleted and added files', () => {
  const before = hashTree(root);
  writeFileSync(join(root, 'a.onnx'), 'abd');
  unlinkSync(join(root, 'sub', 'b.csv'));
  writeFileSync(join(root, 'report.json'), '{}');
  assert.deepEqual(diffTrees(before, hashTree(root)), { modified: ['a.onnx'], deleted: ['sub/b.csv'], added: ['report.json'] });
  const same = hashTree(root);
  assert.deepEqual(diffTrees(same, same), { modified: [], deleted: [], added: [] });
});

test('unexpectedAdditions allows files under .bias-inspector/ and the listed ones, nothing else', () => {
  const added = ['.bias-inspector/reports/m.groups.20250101T000000.json', 'not-a-model.onnx', '.vscode/settings.json', 'x.bias-inspector/a', 'income-mlp.bias.json', '.bias-inspector.json'];
  assert.deepEqual(unexpectedAdditions(added, ['not-a-model.onnx']), ['.vscode/settings.json', 'x.bias-inspector/a', 'income-mlp.bias.json', '.bias-inspector.json']);
  assert.deepEqual(unexpectedAdditions([]), []);
});
