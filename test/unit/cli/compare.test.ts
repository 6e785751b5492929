/**
 * `bias-inspector compare` and `check` from source (tsx) on the income demo: the current model
 * against its previous release (examples/income-compare.bias.json) names sex=F & race=B as
 * significantly worse; check exits 3 with a SARIF log valid against the official schema that
 * points at the failing budget's line; bad input exits 2 with the cause.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import type { CompareReport } from '../../../extension/core/analyze/compare';
import type { CheckReport } from '../../../extension/core/analyze/budgets';

const root = resolve(__dirname, '../../..');
const examples = join(root, 'examples');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'extension/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const label = (g: unknown): string => (g === 'overall' ? 'overall' : Object.values(g as Record<string, string>).join('&'));

describe('CLI compare and check', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'bi-compare-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('compare with referenceModel names F&B as significantly worse; JSON, CSV and budgets', () => {
    const json = join(dir, 'c.json');
    const csv = join(dir, 'c.csv');
    const r = run('compare', '--spec', join(examples, 'income-compare.bias.json'), '--ep', 'cpu', '--bootstrap', '40', '--json', json, '--csv', csv);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8')) as CompareReport & { budgets: { ok: boolean }[] };
    const c = report.compare;
    assert.equal(c.source, 'referenceModel');
    assert.match(c.a.model, /income-mlp-prev\.onnx$/);
    assert.match(c.b.model, /income-mlp\.onnx$/);
    assert.deepEqual(c.byGroup.filter((g) => g.verdict === 'worse').map((g) => label(g.group)), ['F&B']);
    const fb = c.byGroup.find((g) => label(g.group) === 'F&B');
    assert.ok(fb && fb.flips.broken > fb.flips.fixed && fb.mcnemar.q < 0.05);
    assert.ok((fb.metrics['accuracy']?.ci?.[1] ?? 0) < 0, 'the paired interval of Δ accuracy excludes 0');
    const overall = c.byGroup[0];
    assert.ok(overall && overall.group === 'overall' && (overall.metrics['accuracy']?.delta ?? 0) > 0, 'better overall');
    assert.deepEqual(c.worstDelta['accuracy']?.group, { sex: 'F', race: 'B' });
    assert.equal(c.bootstrap?.replicates, 40);
    assert.ok(c.flipRows.length > 0 && c.flipRows[0]?.kind === 'broken' && c.flipRows[0].inputs?.['hours'] !== undefined);
    assert.ok(report.groups.byGroup.length === 6, 'the candidate\'s own groups section');
    assert.deepEqual(report.budgets.map((b) => b.ok), [false, false, true]);
    assert.match(readFileSync(csv, 'utf8'), /^level,sex,race,count,metric,a,b,delta,ci_low,ci_high,flips,fixed,broken,mcnemar_p,bh_q,verdict,small\n/);
    // text: the verdict line names the group
    const text = run('compare', '--spec', join(examples, 'income-compare.bias.json'), '--ep', 'cpu', '--bootstrap', '0');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /SIGNIFICANTLY WORSE \(q < 0\.05, more rows broke than were fixed\): sex=F, race=B \(accuracy 76\.9 -> 68\.9, broken 53 vs fixed 6/);
  });

  it('--model-b: A is the spec\'s model, B the other (F&B is better for B = the previous release)', () => {
    const r = run('compare', '--spec', join(examples, 'income-mlp.bias.json'), '--model-b', join(examples, 'income-mlp-prev.onnx'), '--ep', 'cpu', '--json', '-');
    assert.equal(r.code, 0, r.stderr);
    const c = (JSON.parse(r.stdout) as CompareReport).compare;
    assert.equal(c.source, 'model-b');
    const fb = c.byGroup.find((g) => label(g.group) === 'F&B');
    assert.deepEqual([fb?.verdict, fb?.flips.fixed, fb?.flips.broken], ['better', 53, 6]);
  });

  it('check exits 3 with a SARIF log valid against the official schema, at the budget\'s line', () => {
    const sarif = join(dir, 'out.sarif');
    const r = run('check', '--spec', join(examples, 'income-compare.bias.json'), '--ep', 'cpu', '--bootstrap', '40', '--sarif', sarif, '--sarif-base', root);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /Budgets: 1 of 3 hold, 2 FAIL/);
    const log = JSON.parse(readFileSync(sarif, 'utf8')) as { runs: { results: { ruleId: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    const schema = JSON.parse(readFileSync(join(root, 'test/fixtures/sarif/sarif-schema-2.1.0.json'), 'utf8')) as object;
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false }).compile(schema);
    assert.equal(validate(log), true, JSON.stringify(validate.errors));
    const results = log.runs[0]?.results ?? [];
    assert.deepEqual(results.map((x) => x.ruleId), ['bias-budget/compare.worseGroups', 'bias-budget/compare.worstDelta.accuracy']);
    const specLines = readFileSync(join(examples, 'income-compare.bias.json'), 'utf8').split('\n');
    const figureLine = specLines.findIndex((l) => l.includes('"compare.worseGroups"')) + 1;
    const loc = results[0]?.locations[0]?.physicalLocation;
    assert.equal(loc?.artifactLocation.uri, 'examples/income-compare.bias.json');
    assert.equal(loc?.region.startLine, figureLine - 1, 'the budget object starts on the line before its "figure"');
    assert.match(results[1]?.message.text ?? '', /compare\.worstDelta\.accuracy = -0\.0797963 \(sex=F, race=B\), 95% interval \[-0\.\d+, -0\.\d+\]: lower interval bound -0\.\d+ breaks the budget min -0\.05/);
    // all budgets hold -> exit 0; the check report lists them
    const spec = JSON.parse(readFileSync(join(examples, 'income-compare.bias.json'), 'utf8')) as Record<string, unknown>;
    const relaxed = join(dir, 'relaxed.bias.json');
    writeFileSync(relaxed, JSON.stringify({ ...spec, model: join(examples, 'income-mlp.onnx'), data: join(examples, 'income.csv'), referenceModel: join(examples, 'income-mlp-prev.onnx'), bootstrap: 0, budgets: [{ figure: 'compare.worseGroups', max: 1 }, { figure: 'groups.overall.accuracy', min: 0.85 }] }, null, 2));
    const ok = run('check', '--spec', relaxed, '--ep', 'cpu', '--json', '-');
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout) as CheckReport;
    assert.deepEqual([report.ok, report.budgets.map((b) => b.value)], [true, [1, 0.8831666666666667]]);
  });

  it('bad input exits 2: other IO, other data, unknown figure, prediction files of different lengths, no budgets', () => {
    const io = run('compare', '--spec', join(examples, 'income-mlp.bias.json'), '--model-b', join(root, 'test/fixtures/quant/float.onnx'), '--ep', 'cpu');
    assert.equal(io.code, 2);
    assert.match(io.stderr, /income-mlp\.onnx and .*float\.onnx: the models' inputs differ \(features float32 \[.+, 6\] vs features float32 \[.+, 4\]\); a comparison runs both on the same feeds/);
    const other = join(dir, 'other.bias.json');
    writeFileSync(other, JSON.stringify({ ...JSON.parse(readFileSync(join(examples, 'income-mlp.bias.json'), 'utf8')) as object, model: join(examples, 'income-mlp-prev.onnx'), data: join(examples, 'income-predictions.csv') }));
    const data = run('compare', '--spec', join(examples, 'income-mlp.bias.json'), '--spec-b', other, '--ep', 'cpu');
    assert.equal(data.code, 2);
    assert.match(data.stderr, /other\.bias\.json: its data .*income-predictions\.csv is not the data of .*income-mlp\.bias\.json/);
    const badFigure = join(dir, 'bad.bias.json');
    writeFileSync(badFigure, JSON.stringify({ ...JSON.parse(readFileSync(join(examples, 'income-mlp.bias.json'), 'utf8')) as object, model: join(examples, 'income-mlp.onnx'), data: join(examples, 'income.csv'), budgets: [{ figure: 'groups.worst.acuracy', min: 0.5 }] }, null, 2));
    const fig = run('check', '--spec', badFigure);
    assert.equal(fig.code, 2);
    assert.match(fig.stderr, /field "budgets\[0\]\.figure": no figure "groups\.worst\.acuracy"; did you mean "groups\.worst\.accuracy"\? \(figures: /);
    const lines = readFileSync(join(examples, 'income-predictions.csv'), 'utf8').split('\n');
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    writeFileSync(a, lines.slice(0, 1001).join('\n'));
    writeFileSync(b, lines.slice(0, 901).join('\n'));
    const rows = run('compare', '--predictions', a, '--predictions-b', b, '--label', 'label', '--group', 'sex,race', '--score', 'score', '--pred', 'pred');
    assert.equal(rows.code, 2);
    assert.match(rows.stderr, /a\.csv and .*b\.csv: the prediction files have different rows \(1000 used rows vs 900\)/);
    const none = run('check', '--spec', join(examples, 'income-mlp.bias.json'));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /field "budgets": the spec has no budgets to check/);
  });

  it('two prediction files: flips and McNemar from the files', () => {
    const lines = readFileSync(join(examples, 'income-predictions.csv'), 'utf8').trim().split('\n');
    const a = join(dir, 'pa.csv');
    const b = join(dir, 'pb.csv');
    writeFileSync(a, `${lines.join('\n')}\n`);
    // B flips the prediction of the first 40 rows of sex=M (score kept: the pred column decides)
    let flipped = 0;
    writeFileSync(b, `${lines.map((l, i) => {
      const cells = l.split(',');
      if (i === 0 || cells[2] !== 'M' || flipped >= 40) return l;
      flipped++;
      cells[7] = cells[7] === '1' ? '0' : '1';
      return cells.join(',');
    }).join('\n')}\n`);
    const r = run('compare', '--predictions', a, '--predictions-b', b, '--label', 'label', '--group', 'sex', '--pred', 'pred', '--json', '-');
    assert.equal(r.code, 0, r.stderr);
    const c = (JSON.parse(r.stdout) as CompareReport).compare;
    const f = c.byGroup.find((g) => label(g.group) === 'F');
    const m = c.byGroup.find((g) => label(g.group) === 'M');
    assert.deepEqual(f?.flips, { count: 0, share: 0, fixed: 0, broken: 0 });
    assert.equal(m?.flips.count, 40);
    assert.equal((m?.flips.fixed ?? 0) + (m?.flips.broken ?? 0), 40);
    assert.equal(c.source, 'predictions-b');
    assert.match(c.a.sha256, /^[0-9a-f]{64}$/);
  });

  it('quant --float with a spec uses the same comparison engine (A = float, B = the quantized checkpoint)', () => {
    const q = join(root, 'test/fixtures/quant');
    const r = run('quant', join(q, 'qdq.onnx'), '--float', join(q, 'float.onnx'), '--spec', join(q, 'float.bias.json'), '--ep', 'cpu', '--json', '-');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { compare: CompareReport['compare']; quantization: { impact: { flips: { total: number } }[] } };
    assert.equal(report.compare.source, 'quantized');
    assert.match(report.compare.a.model, /float\.onnx$/);
    assert.equal(report.compare.byGroup[0]?.flips.count, report.quantization.impact[0]?.flips.total);
  });

  it('groups on a spec with referenceModel runs the comparison', () => {
    const r = run('groups', '--spec', join(examples, 'income-compare.bias.json'), '--ep', 'cpu', '--bootstrap', '0', '--json', '-');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as CompareReport;
    assert.equal(report.compare.source, 'referenceModel');
    assert.deepEqual(report.compare.byGroup.filter((g) => g.verdict === 'worse').map((g) => label(g.group)), ['F&B']);
  });
});
