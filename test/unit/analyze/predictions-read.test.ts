import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { resolveSpec } from '../../../extension/core/data';
import { batchPositions, runGroups } from '../../../extension/core/analyze/groups';
import { BadInputError, InspectorError } from '../../../extension/core/errors';

test('batchPositions: index in the batch of each used row', () => {
  assert.deepEqual([...batchPositions(Uint32Array.of(3, 4, 6, 7, 9), Uint32Array.of(4, 7, 9))], [1, 3, 4]);
  assert.deepEqual([...batchPositions(Uint32Array.of(1, 2), Uint32Array.of())], []);
  assert.throws(() => batchPositions(Uint32Array.of(1, 2, 4), Uint32Array.of(2, 3)), (e: unknown) => e instanceof InspectorError && e.code === 'internal');
});

test('batchPositions: property, any ascending subset maps back to its rows', () => {
  fc.assert(fc.property(
    fc.uniqueArray(fc.integer({ min: 1, max: 5000 }), { maxLength: 200 }),
    fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
    (rows, keep) => {
      const batch = Uint32Array.from(rows.sort((a, b) => a - b));
      const used = batch.filter((_, i) => keep[i]);
      const positions = batchPositions(batch, used);
      assert.deepEqual([...positions].map((p) => batch[p]), [...used]);
    },
  ), { seed: 11, numRuns: 200 });
});

test('predictions mode reads scores of the used rows only when rows are skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-pred-read-'));
  try {
    // Rows 2 (missing label) and 4 (ragged) are skipped; their scores would flip the metrics if
    // the reader took the wrong row.
    const lines = [
      'label,sex,score,pred',
      '1,F,0.9,1',
      ',F,0.1,0',
      '0,M,0.2,0',
      '1,M,0.05',
      '1,M,0.8,1',
      '0,F,0.3,0',
    ];
    writeFileSync(join(dir, 'p.csv'), `${lines.join('\n')}\n`);
    const spec = await resolveSpec({
      data: 'p.csv', task: 'binary', label: 'label', groups: ['sex'],
      predictions: { file: 'p.csv', score: 'score', pred: 'pred' },
    }, { baseDir: dir });
    const report = await runGroups(spec, { providers: ['cpu'], batchSize: 4 });
    assert.equal(report.data.rows, 6);
    assert.equal(report.data.skippedRows, 2);
    assert.equal(report.groups.overall.count, 4);
    assert.equal((report.groups.overall as { accuracy?: number }).accuracy, 1);
    const expectedLoss = -(Math.log(0.9) + Math.log(0.8) + Math.log(0.8) + Math.log(0.7)) / 4;
    assert.ok(Math.abs(report.groups.overall.loss - expectedLoss) < 1e-12, `loss ${report.groups.overall.loss} vs ${expectedLoss}`);

    writeFileSync(join(dir, 'bad.csv'), 'label,sex,score,pred\n1,F,0.9,1\n0,M,high,0\n');
    const bad = await resolveSpec({
      data: 'bad.csv', task: 'binary', label: 'label', groups: ['sex'],
      predictions: { file: 'bad.csv', score: 'score', pred: 'pred' },
    }, { baseDir: dir });
    await assert.rejects(runGroups(bad, { providers: ['cpu'] }), (e: unknown) => e instanceof BadInputError
      && e.message.includes('bad.csv') && e.message.includes('row 2') && e.message.includes('"score"') && e.message.includes('"high"'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
