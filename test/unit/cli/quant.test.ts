/** `bias-inspector quant` through the built CLI bundle (npm test builds dist/ first). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeModel } from '../../../extension/core/onnx';
import { analyzeWeights } from '../../../extension/core/quant/analyze';
import { FORMAT_IDS } from '../../../extension/core/quant/formats';
import { reportToJson } from '../../../extension/core/report';
import type { QuantizationReport } from '../../../extension/protocol/quant';
import { f32, model, node, seeded } from '../quant/models';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');
const income = join(root, 'examples/income-mlp.onnx');
const qdq = join(root, 'test/fixtures/onnx/qdq.onnx');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI quant', { skip: !existsSync(cli) && 'dist/cli.js missing: run npm run build' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bi-quant-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a per-format summary and the worst tensors per format, worst first', { skip: !existsSync(income) }, () => {
    const r = run('quant', income, '--min-elements', '64', '--formats', 'int8,mxfp4', '--top', '2');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Per format \(SQNR in dB; higher is better\):\n\s+format\s+mean SQNR\s+worst SQNR\s+worst tensor\s+MSE \(all weights\)\n\s+int8\s+\d+\.\d\d\s+\d+\.\d\d\s+net\.\d\.weight/);
    assert.match(r.stdout, /int8: worst 2 of 3 tensors \(--all for every tensor\), worst first/);
    const block = r.stdout.split('mxfp4: ')[1] ?? '';
    const sqnr = [...block.matchAll(/Gemm\s+(\d+\.\d+)/g)].map((m) => Number(m[1]));
    assert.equal(sqnr.length, 2);
    assert.ok((sqnr[0] ?? 0) <= (sqnr[1] ?? 0), 'worst first');
    assert.match(r.stdout, /Skipped: 5 below the minimum size/);
    const all = run('quant', income, '--min-elements', '64', '--formats', 'int8', '--all');
    assert.match(all.stdout, /int8: all 3 tensors, worst first/);
  });

  it('--json - writes the quantization report: §4 keys, every tensor × format', { skip: !existsSync(income) }, () => {
    const r = run('quant', income, '--min-elements', '64', '--json', '-');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as QuantizationReport;
    assert.deepEqual(Object.keys(report), ['schema', 'kind', 'createdAt', 'model', 'quantization']);
    assert.equal(report.schema, 'bias-inspector.report/1');
    assert.equal(report.kind, 'quantization');
    assert.deepEqual(Object.keys(report.model), ['path', 'sha256', 'irVersion', 'opsets', 'inputs', 'outputs', 'parameters']);
    assert.equal(report.model.path, income);
    const q = report.quantization;
    assert.deepEqual(q.formats, [...FORMAT_IDS]);
    assert.deepEqual(Object.keys(q.tensors[0] ?? {}), ['name', 'format', 'mse', 'sqnr_db', 'max_abs', 'rel_fro', 'cosine']);
    assert.equal(q.tensors.length, 3 * FORMAT_IDS.length);
    for (const name of ['net.0.weight', 'net.2.weight', 'net.4.weight']) {
      assert.deepEqual(q.tensors.filter((t) => t.name === name).map((t) => t.format), [...FORMAT_IDS]);
    }
    assert.deepEqual(q.settings, { minElements: 64, mxRounding: 'rne' });
  });

  it('--json <file> writes the file and still prints the table', { skip: !existsSync(income) }, () => {
    const out = join(dir, 'q.json');
    const r = run('quant', income, '--min-elements', '64', '--formats', 'nvfp4', '--json', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nvfp4: all 3 tensors/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as QuantizationReport;
    assert.deepEqual(report.quantization.formats, ['nvfp4']);
  });

  it('big tensors run in the bundled worker and give the in-process numbers', async () => {
    const path = join(dir, 'big.onnx');
    const w = seeded(512 * 520, 3);
    writeFileSync(path, encodeModel(model([node('MatMul', ['x', 'W'], ['h']), node('MatMul', ['h', 'V'], ['y'])], [f32('W', [512, 520], w), f32('V', [520, 64], seeded(520 * 64, 4))])));
    const r = run('quant', path, '--formats', 'int4,mxfp4,nvfp4,fp8_e5m2', '--json', '-');
    assert.equal(r.code, 0, r.stderr);
    const fromCli = (JSON.parse(r.stdout) as QuantizationReport).quantization;
    const direct = await analyzeWeights(path, { formats: 'int4,mxfp4,nvfp4,fp8_e5m2' });
    assert.deepEqual(fromCli, JSON.parse(reportToJson(direct)));
  });

  it('bad input exits 2 naming the cause: quantized model, unknown format, bad flags, --spec', () => {
    const q = run('quant', qdq);
    assert.equal(q.code, 2);
    assert.ok(q.stderr.includes(qdq), q.stderr);
    assert.match(q.stderr, /no float weight tensors with ≥ 1024 elements: the model is already quantized .*use Compare Models against its float checkpoint/);
    const f = run('quant', qdq, '--formats', 'int8,int3');
    assert.equal(f.code, 2);
    assert.match(f.stderr, /--formats: unknown format "int3"; valid ids: int8, int4,/);
    assert.match(run('quant', qdq, '--min-elements', '0').stderr, /--min-elements 0: expected a positive integer/);
    assert.match(run('quant', qdq, '--mx-rounding', 'up').stderr, /--mx-rounding up: expected rne or rhaz/);
    assert.equal(run('quant', qdq, '--top', 'x').code, 2);
    assert.equal(run('quant', qdq, '--spec', 's.bias.json').code, 2);
    const missing = run('quant', join(dir, 'nope.onnx'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.onnx: cannot read the model: the file does not exist/);
  });
});
