import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSpec, resolveSpec } from '../../../extension/core/data';
import { runSlices } from '../../../extension/core/analyze/slices';
import { BadInputError } from '../../../extension/core/errors';

const examples = resolve(__dirname, '../../../examples');
const predictionsSpec = (extra: Record<string, unknown> = {}) => resolveSpec({
  data: 'income-predictions.csv', task: 'binary', label: 'label', groups: ['sex', 'race'],
  predictions: { file: 'income-predictions.csv', score: 'score', pred: 'pred' }, ...extra,
}, { baseDir: examples });

test('income demo (model run): the planted unnamed slice region = W & device = mobile comes first, tested on held-out rows', async () => {
  const report = await runSlices(await loadSpec(join(examples, 'income-mlp.bias.json')), { providers: ['cpu'] });
  const s = report.slices;
  assert.equal(report.kind, 'slices');
  assert.deepEqual(s.columns.map((c) => c.name), ['sex', 'race', 'region', 'device']);
  assert.equal(s.holdout, true);
  assert.equal(s.n, 3000);
  assert.equal(s.minSupport, 32);
  const best = s.top[0]!;
  assert.equal(best.text, 'region = W & device = mobile');
  assert.deepEqual(best.predicates, [{ column: 'region', value: 'W' }, { column: 'device', value: 'mobile' }]);
  assert.equal(best.size + best.test.size, 395, 'even + odd rows of the slice');
  assert.equal(best.test.selectedOnSameData, false);
  assert.ok(best.test.q < 0.001 && best.test.diff > 0.15, `q ${best.test.q}, diff ${best.test.diff}`);
  assert.ok(best.test.ci[0] < best.test.errorMean && best.test.errorMean < best.test.ci[1]);
  assert.equal(best.metrics.count, 395);
  assert.ok(Math.abs(best.metrics.error_rate! - 137 / 395) < 1e-12, `all-rows error ${best.metrics.error_rate}`);
  assert.ok(s.top.some((t) => t.text === 'sex = F & race = B'), 'the named intersectional gap is found too');
  for (let i = 1; i < s.top.length; i++) assert.ok(s.top[i - 1]!.score >= s.top[i]!.score);
});

test('predictions mode gives the same slices as the model run; --columns and maxLevel narrow the search', async () => {
  const fromModel = await runSlices(await loadSpec(join(examples, 'income-mlp.bias.json')), { providers: ['cpu'] });
  const fromPredictions = await runSlices(await predictionsSpec(), { providers: ['cpu'] });
  // id is a predictions column with 6000 values: left out of the default candidates, and said so
  assert.deepEqual(fromPredictions.slices.skippedColumns.map((c) => c.column), ['id']);
  assert.deepEqual(fromPredictions.slices.top.map((t) => [t.text, t.size, t.test.p]), fromModel.slices.top.map((t) => [t.text, t.size, t.test.p]));
  const narrow = await runSlices(await predictionsSpec(), { providers: ['cpu'], columns: ['device', 'region'], maxLevel: 1, k: 3 });
  assert.ok(narrow.slices.top.length <= 3);
  for (const t of narrow.slices.top) assert.equal(t.predicates.length, 1);
  assert.equal(narrow.slices.top[0]!.text, 'region = W');
});

test('bad input: no errors at all, a 10k-value column, all rows in one slice, a missing column, undefined losses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slices-'));
  const n = 300;
  const rows = Array.from({ length: n }, (_, i) => `${i % 2},${i % 2},${i % 3 === 0 ? "" : ["a", "b"][i % 2]},r${i},same,${(i * 7919) % 1000 / 10}`);
  writeFileSync(join(dir, 'p.csv'), `label,pred,cat,id,const,num\n${rows.join('\n')}\n`);
  const spec = await resolveSpec({ data: 'p.csv', task: 'binary', label: 'label', predictions: { file: 'p.csv', pred: 'pred' } }, { baseDir: dir });
  const perfect = await runSlices(spec, { providers: ['cpu'] });
  assert.deepEqual(perfect.slices.top, [], 'no errors: nothing to report');
  assert.equal(perfect.slices.errorMean, 0);
  assert.equal(perfect.slices.holdout, false);
  const num = perfect.slices.columns.find((c) => c.name === 'num')!;
  assert.equal(num.kind, 'numeric');
  assert.equal(num.edges!.length, 7);
  const cat = perfect.slices.columns.find((c) => c.name === 'cat')!;
  assert.deepEqual([cat.values, cat.missing], [2, 100]);

  const flipped = rows.map((r, i) => (i % 6 === 0 ? `${1 - (i % 2)}${r.slice(1)}` : r));
  writeFileSync(join(dir, 'q.csv'), `label,pred,cat,id,const,num\n${flipped.join('\n')}\n`);
  const spec2 = await resolveSpec({ data: 'q.csv', task: 'binary', label: 'label', predictions: { file: 'q.csv', pred: 'pred' } }, { baseDir: dir });
  const one = await runSlices(spec2, { providers: ['cpu'], columns: ['const', 'id'] });
  assert.deepEqual(one.slices.top, [], 'one value for every row scores 0; 300 single-row ids are below the minimum support');
  assert.equal(one.slices.columns.find((c) => c.name === 'id')!.values, n, 'a named column is searched whatever its number of values');
  const missingValue = await runSlices(spec2, { providers: ['cpu'], columns: ['cat'], minSupport: 5 });
  assert.ok(missingValue.slices.top.every((t) => t.test.selectedOnSameData));
  // the errors are every other row whose cat is missing: the missing value is a slice of its own
  assert.equal(missingValue.slices.top[0]!.text, 'cat = ∅');
  assert.deepEqual(missingValue.slices.top[0]!.predicates, [{ column: 'cat', value: null }]);
  assert.deepEqual([missingValue.slices.top[0]!.size, missingValue.slices.top[0]!.errorSum], [100, 50]);
  await assert.rejects(runSlices(spec2, { providers: ['cpu'], columns: ['zip'] }), (e: unknown) => e instanceof BadInputError && /q\.csv: no column "zip" \(slice column\); available columns: label, pred, cat, id, const, num/.test(e.message));
  await assert.rejects(runSlices(spec2, { providers: ['cpu'], errorKind: 'loss' }), (e: unknown) => e instanceof BadInputError && /no row has a per-sample loss/.test(e.message));
});
