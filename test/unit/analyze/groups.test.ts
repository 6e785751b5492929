import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSpec, resolveSpec } from '../../../extension/core/data';
import { runGroups } from '../../../extension/core/analyze/groups';
import { formatCount } from '../../../extension/core/text';
import { BadInputError, CancelledError } from '../../../extension/core/errors';

const examples = resolve(__dirname, '../../../examples');
const accuracy = (e: object): number => {
  const value = (e as { accuracy?: unknown }).accuracy;
  return typeof value === 'number' ? value : Number.NaN;
};

test('income demo: the planted worst intersection is sex=F, race=B, with a bootstrap interval', async () => {
  const spec = await loadSpec(join(examples, 'income-mlp.bias.json'));
  const report = await runGroups(spec, { providers: ['cpu'], bootstrap: 50, seed: 3 });
  assert.equal(report.schema, 'bias-inspector.report/1');
  assert.equal(report.kind, 'groups');
  assert.equal(report.runtime?.used, 'cpu');
  assert.equal(report.data.rows, 6000);
  assert.equal(report.data.skippedRows, 0);
  const g = report.groups;
  assert.deepEqual(g.sensitive, ['sex', 'race']);
  assert.equal(g.byGroup.length, 6);
  assert.equal(g.byGroup.reduce((n, e) => n + e.count, 0), 6000);
  const worst = g.disparity.accuracy;
  assert.ok(worst && typeof worst === 'object');
  assert.deepEqual(worst.worstGroup, { sex: 'F', race: 'B' });
  const fb = g.byGroup.find((e) => e.group.sex === 'F' && e.group.race === 'B');
  assert.ok(fb);
  assert.ok(accuracy(g.overall) - accuracy(fb) > 0.1, 'the planted gap is at least 10 points');
  const ci = fb.ci?.accuracy;
  assert.ok(ci && ci[0] <= accuracy(fb) && accuracy(fb) <= ci[1]);
  // every single-column gap is smaller than the intersection's
  for (const column of g.byColumn) {
    for (const e of column.byGroup) assert.ok(accuracy(g.overall) - accuracy(e) < accuracy(g.overall) - accuracy(fb));
  }
});

test('predictions mode over the demo predictions gives the same group accuracies as the model run', async () => {
  const modelRun = await runGroups(await loadSpec(join(examples, 'income-mlp.bias.json')), { providers: ['cpu'] });
  const spec = await resolveSpec({
    data: 'income-predictions.csv', task: 'binary', label: 'label', groups: ['sex', 'race'],
    predictions: { file: 'income-predictions.csv', score: 'score', pred: 'pred' },
  }, { baseDir: examples });
  const predRun = await runGroups(spec, { providers: ['cpu'] });
  assert.equal(predRun.model, null);
  assert.equal(predRun.runtime, null);
  for (const e of modelRun.groups.byGroup) {
    const other = predRun.groups.byGroup.find((x) => x.group.sex === e.group.sex && x.group.race === e.group.race);
    assert.ok(other);
    assert.equal(other.count, e.count);
    assert.equal(accuracy(other), accuracy(e));
    assert.ok(Math.abs(other.loss - e.loss) < 1e-4, `${JSON.stringify(e.group)} loss ${other.loss} vs ${e.loss}`);
  }
});

test('shapes demo: feature diversity is lower for the planted minority scanner', async () => {
  const report = await runGroups(await loadSpec(join(examples, 'shapes-cnn.bias.json')), { providers: ['cpu'] });
  const d = report.groups.diversity;
  assert.ok(d, 'the featureTensor of the spec gives a diversity section');
  const a = d.byGroup.find((e) => e.group.source === 'scanner_a');
  const b = d.byGroup.find((e) => e.group.source === 'scanner_b');
  assert.ok(a && b);
  assert.ok(b.meanVHat < a.meanVHat);
  assert.ok(b.lowShare > a.lowShare);
});

test('maxRows stops early and a fired signal cancels', async () => {
  const spec = await loadSpec(join(examples, 'income-mlp.bias.json'));
  const report = await runGroups(spec, { providers: ['cpu'], batchSize: 100, maxRows: 300 });
  assert.equal(report.groups.overall.count, 300);
  const uneven = await runGroups(spec, { providers: ['cpu'], batchSize: 256, maxRows: 300 });
  assert.equal(uneven.groups.overall.count, 300, 'maxRows cuts inside a batch');
  assert.equal(uneven.data.rows, 300);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(runGroups(spec, { providers: ['cpu'], signal: controller.signal }), CancelledError);
});

test('bad input: a missing column and a binary label outside {0,1} name the file, row and column', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-groups-'));
  try {
    const rows = readFileSync(join(examples, 'income.csv'), 'utf8').split('\n').slice(0, 40);
    const header = rows[0]?.split(',') ?? [];
    const labelIndex = header.indexOf('label');
    const broken = rows.map((line, i) => {
      if (i !== 5) return line;
      const cells = line.split(',');
      cells[labelIndex] = '2';
      return cells.join(',');
    });
    writeFileSync(join(dir, 'data.csv'), `${broken.join('\n')}\n`);
    const base = JSON.parse(readFileSync(join(examples, 'income-mlp.bias.json'), 'utf8')) as Record<string, unknown>;
    const spec = await resolveSpec({ ...base, model: join(examples, 'income-mlp.onnx'), data: 'data.csv' }, { baseDir: dir });
    await assert.rejects(runGroups(spec, { providers: ['cpu'] }), (e: unknown) => e instanceof BadInputError && e.message.includes('data.csv') && /row 5\b/.test(e.message) && e.message.includes('label'));
    const missing = await resolveSpec({ ...base, model: join(examples, 'income-mlp.onnx'), data: 'data.csv', groups: ['sex', 'religion'] }, { baseDir: dir });
    await assert.rejects(runGroups(missing, { providers: ['cpu'] }), (e: unknown) => e instanceof BadInputError && e.message.includes('religion'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress row counts are written as en-US writes them', () => {
  for (const n of [0, 7, 999, 1000, 12345, 999999, 1000000, 10000000, 1234567890, 2 ** 53 - 1]) {
    assert.equal(formatCount(n), n.toLocaleString('en-US'), String(n));
  }
});
