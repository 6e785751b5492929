import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSpec, type ResolvedSpec } from '../../../extension/core/data';
import { runCompare } from '../../../extension/core/analyze/compare';
import { mergeCompareStates, runCompareShard, type CompareShardState } from '../../../extension/core/analyze/compareShard';
import { Xoshiro128 } from '../../../extension/core/metrics/stats';
import { BadInputError } from '../../../extension/core/errors';
import { assertJsonClose } from '../jsonClose';

const dir = mkdtempSync(join(tmpdir(), 'sharded-compare-'));

/** Seeded predictions of two models on the same rows (B better on group F/B, worse on W), plus a text column shown for flipped rows. */
function writeData(rows: number, seed: number): [string, string] {
  const r = new Xoshiro128(seed);
  const header = 'id,label,score,pred,sex,race,note';
  const a = [header];
  const b = [header];
  for (let i = 0; i < rows; i++) {
    const sex = r.nextFloat() < 0.4 ? 'F' : 'M';
    const race = r.nextFloat() < 0.02 ? '' : ['A', 'B', 'W'][Math.floor(r.nextFloat() * 3)]!;
    const label = r.nextFloat() < 0.45 ? 1 : 0;
    const line = (bad: number): string => {
      const right = r.nextFloat() >= bad;
      const conf = 0.5 + 0.49 * r.nextFloat();
      const score = Number((right === (label === 1) ? conf : 1 - conf).toFixed(4));
      return [i, label, score, score > 0.5 ? 1 : 0, sex, race, `n${i % 13}`].join(',');
    };
    a.push(line(sex === 'F' && race === 'B' ? 0.3 : 0.15));
    b.push(line(race === 'W' ? 0.25 : 0.1));
  }
  const pa = join(dir, `a${seed}.csv`);
  const pb = join(dir, `b${seed}.csv`);
  writeFileSync(pa, `${a.join('\n')}\n`);
  writeFileSync(pb, `${b.join('\n')}\n`);
  return [pa, pb];
}

const [fileA, fileB] = writeData(4000, 5);

function specOf(extra: Record<string, unknown> = {}): Promise<ResolvedSpec> {
  return resolveSpec({ data: fileA, task: 'binary', label: 'label', groups: ['sex', 'race'], predictions: { file: fileA, score: 'score', pred: 'pred' }, ...extra }, { baseDir: dir });
}

function comparable(report: object): unknown {
  const { createdAt: _c, shards: _s, ...rest } = report as Record<string, unknown>;
  return rest;
}

const roundTrip = <T>(s: T): T => JSON.parse(JSON.stringify(s)) as T;

const target = { kind: 'predictions-b' as const, file: fileB };

test('compare: 3 shards through JSON merge to the single run with the Poisson paired bootstrap', async () => {
  const spec = await specOf();
  const single = await runCompare(spec, { target, bootstrap: 40, seed: 3, bootstrapScheme: 'poisson', flipRowsShown: 25 });
  const states: CompareShardState[] = [];
  for (let i = 2; i >= 0; i--) states.push(roundTrip(await runCompareShard(spec, { target, bootstrap: 40, seed: 3, flipRowsShown: 25, batchSize: 500, shard: { index: i, count: 3 } })));
  const merged = await mergeCompareStates(states);
  assert.equal(single.compare.bootstrap?.scheme, 'poisson');
  assert.equal(single.compare.flipRows.length, 25);
  assert.ok(single.compare.flipRows.some((r) => r.inputs && Object.keys(r.inputs).length > 0) || single.compare.flipRows.length > 0);
  // counts (rows, flips, McNemar inputs, flipped rows) equal; figures within 1e-12 relative
  assertJsonClose(comparable(merged), comparable(single), 1e-12);
  merged.compare.byGroup.forEach((g, i) => {
    const s = single.compare.byGroup[i]!;
    assert.deepEqual([g.group, g.count, g.flips.fixed, g.flips.broken, g.flips.count, g.verdict], [s.group, s.count, s.flips.fixed, s.flips.broken, s.flips.count, s.verdict]);
  });
  assert.deepEqual(merged.compare.flipRows, single.compare.flipRows);
  assert.equal(merged.data.rows, 4000);
  assert.deepEqual(merged.shards.map((s) => s.shard), [0, 1, 2]);
  // the multinomial single run differs (another resampling): the scheme is what makes them equal
  const multinomial = await runCompare(spec, { target, bootstrap: 40, seed: 3, flipRowsShown: 25 });
  assert.notDeepEqual(multinomial.compare.byGroup[0]!.metrics['accuracy']!.ci, single.compare.byGroup[0]!.metrics['accuracy']!.ci);
  assert.deepEqual(multinomial.compare.byGroup.map((g) => g.metrics['accuracy']!.delta), single.compare.byGroup.map((g) => g.metrics['accuracy']!.delta));
});

test('compare: the merge refuses other settings and missing shards; a shard refuses a row limit', async () => {
  const spec = await specOf();
  const run = (i: number, seed: number): Promise<CompareShardState> => runCompareShard(spec, { target, bootstrap: 5, seed, shard: { index: i, count: 2 } });
  const s0 = roundTrip(await run(0, 1));
  const s1 = roundTrip(await run(1, 2));
  await assert.rejects(mergeCompareStates([s0, s1]), (e: unknown) => e instanceof BadInputError && /other compare settings/.test(e.message));
  await assert.rejects(mergeCompareStates([s0]), (e: unknown) => e instanceof BadInputError && /1\/2 missing/.test(e.message));
  await assert.rejects(runCompareShard(spec, { target, maxRows: 100, shard: { index: 0, count: 2 } }), (e: unknown) => e instanceof BadInputError && /max rows 100/.test(e.message));
});
