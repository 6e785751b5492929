import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findErrorLines, LogWatcher } from './logs';

const EXTHOST_LOG = [
  "2026-11-28 23:14:40.100 [info] ExtensionService#_doActivateExtension bias-inspector.bias-inspector, startup: true, activationEvent: 'workspaceContains:**/*.onnx'",
  '2026-11-28 23:14:40.200 [error] Activating extension bias-inspector.bias-inspector failed due to an error:',
  'Error: boom',
  '    at activate (/ext/dist/extension.js:1:2)',
  '2026-11-28 23:14:41.000 [error] [vscode.git] git not found',
  '2026-11-28 23:14:42.000 [error] TypeError: x is undefined',
  '    at biasInspector.openModel (/ext/dist/extension.js:3:4)',
].join('\n');

test('findErrorLines keeps an error line with its stack, only when relevant', () => {
  const ours = (line: string): boolean => line.includes('bias-inspector') || line.includes('biasInspector');
  const errors = findErrorLines('exthost1/remoteexthost.log', EXTHOST_LOG, ours);
  assert.deepEqual(errors.map((e) => e.line), [2, 6]);
  assert.equal(errors[0]?.text, [
    '2026-11-28 23:14:40.200 [error] Activating extension bias-inspector.bias-inspector failed due to an error:',
    'Error: boom',
    '    at activate (/ext/dist/extension.js:1:2)',
  ].join('\n'));
  // The stack line names the command: the error counts as ours although its first line does not.
  assert.match(errors[1]?.text ?? '', /biasInspector\.openModel/);
  assert.deepEqual(findErrorLines('f', '2026-11-28 23:14:40.000 [info] fine', () => true), []);
});

test('LogWatcher reads channel and extension-host files and reports each error once', () => {
  const root = mkdtempSync(join(tmpdir(), 'e2e-logs-test-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const exthost = join(root, '20261128T231420', 'exthost1');
  mkdirSync(join(exthost, 'bias-inspector.bias-inspector'), { recursive: true });
  mkdirSync(join(exthost, 'output_logging_1'), { recursive: true });
  writeFileSync(join(exthost, 'remoteexthost.log'), EXTHOST_LOG);
  const channel = join(exthost, 'bias-inspector.bias-inspector', 'Bias Inspector.log');
  writeFileSync(channel, '2026-11-28 23:14:43.926 [info] Model Bias Inspector 0.1.0 activated\n');
  writeFileSync(join(exthost, 'output_logging_1', '3-Bias Inspector.log'), 'plain channel\n');
  writeFileSync(join(exthost, 'output_logging_1', '4-Git.log'), '2026-11-28 23:14:43.926 [error] not ours\n');

  const watcher = new LogWatcher(root, { channelFile: 'Bias Inspector.log', markers: ['bias-inspector.bias-inspector', 'biasInspector'] });
  assert.equal(watcher.channelFiles().length, 2);
  assert.match(watcher.channelText(), /activated[\s\S]*plain channel/);
  assert.equal(watcher.activationLines('bias-inspector.bias-inspector').length, 1);
  assert.deepEqual(watcher.newErrors().map((e) => `${e.file}:${e.line}`), [
    '20261128T231420/exthost1/remoteexthost.log:2',
    '20261128T231420/exthost1/remoteexthost.log:6',
  ]);
  assert.deepEqual(watcher.newErrors(), []);
  appendFileSync(channel, '2026-11-28 23:15:00.000 [error] cannot open x.onnx: not an ONNX model\n');
  assert.deepEqual(watcher.newErrors().map((e) => e.text), ['2026-11-28 23:15:00.000 [error] cannot open x.onnx: not an ONNX model']);
});
