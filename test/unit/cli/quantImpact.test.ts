/**
 * `bias-inspector quant --spec/--sensitivity/--float` from source (tsx): text tables, JSON, exit 2.
 * (--html needs the built webview bundle next to dist/cli.js, so it is not exercised from source.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { QuantizationReport } from '../../../extension/protocol/quant';

const root = resolve(__dirname, '../../..');
const fixtures = join(root, 'test/fixtures/quant');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'extension/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI quant with data', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'bi-quant-impact-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--spec --sensitivity prints the impact table and the suggestion; --json writes the report', () => {
    const json = join(dir, 'r.json');
    const r = run('quant', join(fixtures, 'float.onnx'), '--spec', join(fixtures, 'float.bias.json'), '--formats', 'int8,int4_per_tensor',
      '--min-elements', '16', '--sensitivity', '--budget', '0.002', '--ep', 'cpu', '--json', json);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Model-level impact vs FP32 \(400 samples; KL and loss in nats; FORMULAS\.md §C\):\n\s+format\s+agreement\s+KL\s+loss delta\s+acc delta\s+flips\s+worst group \(loss delta\)\s+its delta\n\s+int8\s+\d/);
    assert.match(r.stdout, /int4_per_tensor\s+0\.\d+/);
    assert.match(r.stdout, /Layer sensitivity in int4 \(400 rows; each layer quantized alone\), most damaging first:/);
    assert.match(r.stdout, /Suggestion \(budget 0\.002\): keep \d layer\(s\) at full precision -> measured worst-group loss delta \S+ \(meets the budget\)/);
    assert.match(r.stdout, /nodes_to_exclude: \[("fc\d"(,"fc\d")*)?\]/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as QuantizationReport;
    assert.deepEqual(report.quantization.impact?.map((i) => i.format), ['int8', 'int4_per_tensor']);
    assert.equal(report.quantization.sensitivity?.budget, 0.002);
    assert.equal(report.data?.rows, 400);
  });

  it('--float compares an existing checkpoint', () => {
    const r = run('quant', join(fixtures, 'qdq.onnx'), '--float', join(fixtures, 'float.onnx'), '--ep', 'cpu');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Quantized checkpoint \(qdq\) vs float model .*float\.onnx: 2 weight\(s\) matched/);
    assert.match(r.stdout, /fc1\.weight\s+fc1\.weight_quantized\s+MatMul\s+int8\s+1\s+49\.88/);
  });

  it('exit 2: --sensitivity without --spec, a bad budget', () => {
    const a = run('quant', join(fixtures, 'float.onnx'), '--sensitivity');
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--sensitivity needs --spec/);
    const b = run('quant', join(fixtures, 'float.onnx'), '--spec', join(fixtures, 'float.bias.json'), '--budget', 'x');
    assert.equal(b.code, 2);
    assert.match(b.stderr, /--budget x: expected a number ≥ 0/);
  });
});
