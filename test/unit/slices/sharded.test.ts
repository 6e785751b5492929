import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { resolveSpec, type ResolvedSpec } from '../../../extension/core/data';
import { runSlices } from '../../../extension/core/analyze/slices';
import { runThresholds } from '../../../extension/core/analyze/thresholds';
import { mergeSlicesStates, runSlicesShard, type SlicesShardState } from '../../../extension/core/analyze/slicesShard';
import { mergeThresholdsStates, runThresholdsShard, type ThresholdsShardState } from '../../../extension/core/analyze/thresholdsShard';
import { findSlices } from '../../../extension/core/metrics/slices';
import { searchSlices } from '../../../extension/core/metrics/sliceBitsets';
import { buildCube, columnSets, moments, CELL_WIDTH } from '../../../extension/core/metrics/slicesState';
import { searchCube } from '../../../extension/core/metrics/slicesState';
import { Xoshiro128 } from '../../../extension/core/metrics/stats';
import { BadInputError } from '../../../extension/core/errors';
import { assertJsonClose } from '../jsonClose';

const dir = mkdtempSync(join(tmpdir(), 'sharded-slices-'));

/**
 * Seeded predictions with a planted slice, a numeric column with many values (binned at global
 * edges), a float column, missing cells, a column that turns to text late in the file (numeric in
 * some shards, text in others) and an id column (too many values: skipped by default).
 */
function writeData(name: string, rows: number, seed: number): string {
  const r = new Xoshiro128(seed);
  const lines = ['id,label,score,pred,sex,race,region,device,age,hours,batch'];
  for (let i = 0; i < rows; i++) {
    const sex = r.nextFloat() < 0.4 ? 'F' : 'M';
    const race = ['A', 'B', 'C'][Math.floor(r.nextFloat() * 3)]!;
    const region = r.nextFloat() < 0.03 ? '' : ['N', 'S', 'E', 'W'][Math.floor(r.nextFloat() * 4)]!;
    const device = r.nextFloat() < 0.5 ? 'mobile' : 'desktop';
    const age = r.nextFloat() < 0.02 ? '' : String(18 + Math.floor(r.nextFloat() * 60));
    const hours = (r.nextFloat() * 60).toFixed(3);
    const batch = i > rows * 0.8 && i % 7 === 0 ? 'late' : String(i % 5);
    const label = r.nextFloat() < 0.45 ? 1 : 0;
    const bad = region === 'W' && device === 'mobile' ? 0.35 : sex === 'F' && race === 'B' ? 0.3 : 0.1;
    const right = r.nextFloat() >= bad;
    const conf = 0.5 + 0.49 * r.nextFloat();
    const score = Number((right === (label === 1) ? conf : 1 - conf).toFixed(4));
    lines.push([i, label, score, score > 0.5 ? 1 : 0, sex, race, region, device, age, hours, batch].join(','));
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const big = writeData('big.csv', 5000, 7);
const small = writeData('small.csv', 1500, 11);

function specOf(file: string, extra: Record<string, unknown> = {}): Promise<ResolvedSpec> {
  return resolveSpec({ data: file, task: 'binary', label: 'label', groups: ['sex', 'race'], predictions: { file, score: 'score', pred: 'pred' }, ...extra }, { baseDir: dir });
}

/** Without the run's time and the shards' timing: what a single run and a merge must share. */
function comparable(report: object): unknown {
  const { createdAt: _c, shards: _s, ...rest } = report as Record<string, unknown>;
  return rest;
}

const roundTrip = <T>(s: T): T => JSON.parse(JSON.stringify(s)) as T;

async function shardsOf<T>(count: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  // out of order: the merge sorts by shard
  for (let i = count - 1; i >= 0; i--) out.push(roundTrip(await run(i)));
  return out;
}

test('slices: 3 shards through JSON merge to the single run (default columns, holdout, global bin edges)', async () => {
  const spec = await specOf(big);
  const single = await runSlices(spec, { providers: ['cpu'] });
  const states = await shardsOf(3, (i) => runSlicesShard(spec, { providers: ['cpu'], batchSize: 700, shard: { index: i, count: 3 } }));
  const merged = mergeSlicesStates(states);
  assert.equal(single.slices.holdout, true);
  assert.deepEqual(single.slices.skippedColumns.map((s) => s.column), ['id', 'hours'], 'columns with over 1000 values are skipped in both');
  assert.ok(single.slices.columns.some((c) => c.name === 'age' && c.kind === 'numeric'), 'age is binned');
  assert.ok(single.slices.columns.some((c) => c.name === 'batch' && c.kind === 'categorical'), 'batch turned to text');
  assert.equal(single.slices.top[0]!.text, 'region = W & device = mobile');
  // counts, codes, texts, evaluated/pruned: equal; figures within 1e-12
  assertJsonClose(comparable(merged), comparable(single), 1e-12);
  assert.equal(merged.slices.evaluated, single.slices.evaluated);
  assert.equal(merged.slices.pruned, single.slices.pruned);
  assert.deepEqual(merged.shards?.map((s) => s.rows), states.map((s) => s.data.rows).reverse());
  assert.equal(merged.data.rows, 5000);
  // nothing per row: the state is the cube of value combinations, far below the rows' size
  assert.ok(states.every((s) => !JSON.stringify(s).includes('"rowNumbers"')));
});

test('slices: loss errors over named numeric columns, level 3, and a small file without holdout', async () => {
  const spec = await specOf(big);
  const options = { providers: ['cpu'] as ['cpu'], columns: ['hours', 'age', 'region', 'device', 'sex'], errorKind: 'loss' as const, maxLevel: 3, k: 15 };
  const single = await runSlices(spec, options);
  const merged = mergeSlicesStates(await shardsOf(3, (i) => runSlicesShard(spec, { ...options, shard: { index: i, count: 3 } })));
  assert.equal(single.slices.maxLevel, 3);
  assert.ok(single.slices.columns.some((c) => c.name === 'hours' && c.kind === 'numeric' && c.edges!.length === 7), 'named: hours is binned at 7 edges');
  assertJsonClose(comparable(merged), comparable(single), 1e-12);

  const few = await specOf(small);
  const one = await runSlices(few, { providers: ['cpu'], columns: ['region', 'device', 'age'], minSupport: 20 });
  const parts = mergeSlicesStates(await shardsOf(2, (i) => runSlicesShard(few, { providers: ['cpu'], columns: ['region', 'device', 'age'], minSupport: 20, shard: { index: i, count: 2 } })));
  assert.equal(one.slices.holdout, false);
  assert.ok(one.slices.top[0]!.test.selectedOnSameData);
  assertJsonClose(comparable(parts), comparable(one), 1e-12);
});

test('slices: the merge refuses other settings, missing shards and other analyses', async () => {
  const spec = await specOf(small);
  const a = roundTrip(await runSlicesShard(spec, { providers: ['cpu'], k: 5, shard: { index: 0, count: 2 } }));
  const b = roundTrip(await runSlicesShard(spec, { providers: ['cpu'], k: 6, shard: { index: 1, count: 2 } }));
  assert.throws(() => mergeSlicesStates([a, b]), (e: unknown) => e instanceof BadInputError && /other slice settings/.test(e.message));
  assert.throws(() => mergeSlicesStates([a]), (e: unknown) => e instanceof BadInputError && /shard 1\/2 missing/.test(e.message));
  const t = roundTrip(await runThresholdsShard(spec, { providers: ['cpu'], shard: { index: 1, count: 2 } }));
  assert.throws(() => mergeSlicesStates([a, t as unknown as SlicesShardState]), (e: unknown) => e instanceof BadInputError && /thresholds state/.test(e.message));
  await assert.rejects(runSlicesShard(spec, { providers: ['cpu'], maxRows: 100, shard: { index: 0, count: 2 } }), (e: unknown) => e instanceof BadInputError && /covers every row/.test(e.message));
  await assert.rejects(runThresholdsShard(spec, { providers: ['cpu'], maxRows: 100, shard: { index: 0, count: 2 } }), (e: unknown) => e instanceof BadInputError && /covers every row/.test(e.message));
});

test('thresholds: 3 shards through JSON merge to the single run (operating points, front, curves, baseline)', async () => {
  const spec = await specOf(big);
  for (const constraint of ['demographic_parity', 'equalized_odds', 'true_positive_rate_parity']) {
    const options = { providers: ['cpu'] as ['cpu'], constraint, front: true };
    const single = await runThresholds(spec, options);
    const states: ThresholdsShardState[] = await shardsOf(3, (i) => runThresholdsShard(spec, { ...options, shard: { index: i, count: 3 } }));
    const merged = mergeThresholdsStates(states);
    // counts and thresholds exact; expected rates are sums of per-row probabilities, added in
    // score order after a merge: equal to rounding (a disparity of 0 is 0 within 1e-14)
    assertJsonClose(comparable(merged), comparable(single), 1e-12, 1e-14);
    assert.deepEqual(merged.thresholds.curves, single.thresholds.curves);
    assert.deepEqual(merged.thresholds.groups.map((g) => [g.threshold0, g.threshold1, g.count]), single.thresholds.groups.map((g) => [g.threshold0, g.threshold1, g.count]));
    // the state is per distinct score, not per row
    const distinct = states.reduce((n, s) => n + s.thresholds.groups.reduce((m, g) => m + g.scores.length, 0), 0);
    assert.ok(distinct < 5000, `${distinct} score entries for 5000 rows`);
  }
});

test('searchCube over a cube equals findSlices and the bitset search over the rows (top-k, evaluated, pruned): seeded property', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), (seed, cols, maxLevel, binary) => {
    const r = new Xoshiro128(seed);
    const n = 300 + Math.floor(r.nextFloat() * 400);
    const card = Array.from({ length: cols }, () => 2 + Math.floor(r.nextFloat() * 4));
    const codes = card.map((k) => Int32Array.from({ length: n }, () => Math.floor(r.nextFloat() * k)));
    const errors = Float64Array.from({ length: n }, (_, i) => (codes[0]![i] === 0 && r.nextFloat() < 0.5 ? r.nextFloat() * 3 : r.nextFloat() < 0.2 ? r.nextFloat() : 0));
    // 0/1 errors: the single run's default (auto) is the bitset search
    if (binary) errors.forEach((e, i) => { errors[i] = e > 0 ? 1 : 0; });
    const columns = card.map((k, c) => ({ name: `c${c}`, codes: codes[c]!, cardinality: k, valueText: (v: number) => `v${v}` }));
    const options = { maxLevel, minSupport: 10, k: 6 };
    const rows = findSlices(columns, errors, options);
    const auto = searchSlices(columns, errors, options);
    assert.deepEqual([auto.top, auto.evaluated, auto.pruned], [rows.top, rows.evaluated, rows.pruned]);
    // every row even (no holdout): the cube's "both" part is every row
    const cube = buildCube({
      task: 'regression', codes, cardinality: card, errors, defined: new Uint8Array(n).fill(1),
      rowNumbers: Uint32Array.from({ length: n }, (_, i) => i + 1), labels: new Float64Array(n), pred: new Float64Array(n), loss: new Float64Array(n).fill(Number.NaN),
    }, columnSets(card.map((_, c) => c), maxLevel));
    const lookup = new Map(cube.map((s) => [s.columns.join(','), s]));
    const found = searchCube(columns, (cs, vs) => {
      const s = lookup.get(cs.join(','))!;
      for (let m = 0; m * cs.length < s.keys.length || (cs.length === 0 && m === 0); m++) {
        if (cs.every((_, t) => s.keys[m * cs.length + t] === vs[t])) {
          const [size, errorSum, maxError] = moments(s.stats, m * CELL_WIDTH, 'both');
          return { size, errorSum, maxError };
        }
      }
      return undefined;
    }, n, errors.reduce((a, b) => a + b, 0), options);
    assert.deepEqual(found.top.map((t) => [t.text, t.size]), rows.top.map((t) => [t.text, t.size]));
    found.top.forEach((t, i) => assert.ok(Math.abs(t.score - rows.top[i]!.score) <= 1e-12 * Math.abs(t.score)));
    assert.equal(found.evaluated, rows.evaluated);
    assert.equal(found.pruned, rows.pruned);
  }), { numRuns: 60, seed: 15 });
});
