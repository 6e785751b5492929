/**
 * Issue 9's contract: the same spec run through the CLI entry (dist/cli.js, as a user runs it)
 * and through the worker entry (dist/workers/analysis.worker.js, as the VS Code host runs it,
 * with no settings changed) gives byte-identical report JSON, `createdAt` aside. Both sides take
 * their defaults from core/analyze/options.ts, so e.g. the groups report carries bootstrap
 * intervals from both. `npm test` builds dist/ first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { runInWorker } from '../../../extension/core/analyze';
import { reportToJson } from '../../../extension/core/report';
import type { RunOverrides } from '../../../extension/protocol/worker';

const root = resolve(__dirname, '../../..');
const cli = resolve(root, 'dist/cli.js');
const workerPath = resolve(root, 'dist/workers/analysis.worker.js');
const at = (path: string): string => resolve(root, path);

/** The one line that may differ: when the report was written. */
const withoutTimestamp = (json: string): string => json.replace(/^ {2}"createdAt": "[^"]*",\n/m, '');

async function cliJson(args: readonly string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [cli, ...args, '--json', '-'], { cwd: root, maxBuffer: 256 * 2 ** 20 });
  return stdout;
}

function assertSameReport(fromCli: string, fromWorker: string, what: string): void {
  assert.match(fromCli, /^ {2}"createdAt": /m, `${what}: the CLI report has a createdAt line`);
  const a = withoutTimestamp(fromCli);
  const b = withoutTimestamp(fromWorker);
  if (a !== b) {
    const line = a.split('\n').findIndex((l, i) => l !== b.split('\n')[i]);
    assert.fail(`${what}: CLI and worker reports differ first at line ${line + 1}:\n  cli:    ${a.split('\n')[line]}\n  worker: ${b.split('\n')[line]}`);
  }
}

// The provider is the one explicit setting on both sides (a machine with a GPU would otherwise
// pick it on both, but the comparison is about the run path, not the provider).
const cpu: RunOverrides = { providers: ['cpu'] };

test('groups: CLI and worker give the same report, bootstrap intervals on by default on both', async () => {
  const spec = at('examples/income-mlp.bias.json');
  const [fromCli, report] = await Promise.all([
    cliJson(['groups', '--spec', spec, '--ep', 'cpu']),
    runInWorker(workerPath, 'groups', { specPath: spec, overrides: cpu }),
  ]);
  assert.equal(report.groups.bootstrap?.replicates, 200, 'the default: 200 replicates up to 100k rows');
  assert.ok(report.groups.byGroup.every((g) => g.ci?.accuracy !== undefined), 'every group carries its interval');
  assertSameReport(fromCli, reportToJson(report), 'groups');
});

test('attention: CLI and worker give the same report (row limit from --samples / the maxRows setting)', async () => {
  const spec = at('examples/tiny-transformer.bias.json');
  const [fromCli, report] = await Promise.all([
    cliJson(['attention', '--spec', spec, '--ep', 'cpu', '--samples', '300']),
    runInWorker(workerPath, 'attention', { specPath: spec, overrides: { ...cpu, maxRows: 300 } }),
  ]);
  assert.equal(report.attention.samples, 300);
  assertSameReport(fromCli, reportToJson(report), 'attention');
});

test('quantization per tensor (no spec): the same report', async () => {
  const model = at('examples/income-mlp.onnx');
  const [fromCli, report] = await Promise.all([
    cliJson(['quant', model, '--ep', 'cpu']),
    runInWorker(workerPath, 'quant', { modelPath: model, specPath: null, floatPath: null, sensitivity: false, overrides: cpu }),
  ]);
  assertSameReport(fromCli, reportToJson(report), 'quant');
});

test('quantized checkpoint against its float model over a spec: the same report', async () => {
  const dir = 'test/fixtures/quant';
  const [fromCli, report] = await Promise.all([
    cliJson(['quant', at(`${dir}/qdq.onnx`), '--float', at(`${dir}/float.onnx`), '--spec', at(`${dir}/float.bias.json`), '--ep', 'cpu']),
    runInWorker(workerPath, 'quant', { modelPath: at(`${dir}/qdq.onnx`), specPath: at(`${dir}/float.bias.json`), floatPath: at(`${dir}/float.onnx`), sensitivity: false, overrides: cpu }),
  ]);
  assert.equal(report.quantization.impact?.[0]?.format, 'checkpoint');
  assertSameReport(fromCli, reportToJson(report), 'quant checkpoint');
});
