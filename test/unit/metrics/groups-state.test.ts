import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupMetricsBuilder, type GroupsSection } from '../../../extension/core/metrics/groups';
import type { GroupsState } from '../../../extension/core/metrics/groupsState';
import { poissonWeights, rowKeysOf } from '../../../extension/core/metrics/poisson';
import { percentileInterval, Xoshiro128 } from '../../../extension/core/metrics/stats';
import { binaryBatch } from './fixtures';
import { assertJsonClose } from '../jsonClose';

/** 2000 rows over sex × race with a missing race now and then; seeded. */
function dataset(seed: number, n = 2000): { y: number[]; p: number[]; sex: string[]; race: string[]; rows: number[] } {
  const r = new Xoshiro128(seed);
  const out = { y: [] as number[], p: [] as number[], sex: [] as string[], race: [] as string[], rows: [] as number[] };
  for (let i = 0; i < n; i++) {
    const sex = r.nextFloat() < 0.4 ? 'F' : 'M';
    const u = r.nextFloat();
    const race = u < 0.02 ? '' : u < 0.3 ? 'B' : u < 0.35 ? 'A' : 'W';
    const label = r.nextFloat() < 0.5 ? 1 : 0;
    const right = r.nextFloat() < (sex === 'F' && race === 'B' ? 0.65 : 0.85);
    const conf = 0.5 + 0.5 * r.nextFloat();
    out.y.push(label);
    out.p.push(right === (label === 1) ? conf : 1 - conf);
    out.sex.push(sex);
    out.race.push(race);
    out.rows.push(i + 1 + Math.floor(i / 97)); // global row numbers with gaps (skipped rows)
  }
  return out;
}

type Data = ReturnType<typeof dataset>;

/** Codes of values in dictionaries that grow across batches (as the encoder's do). */
function codes(values: readonly string[], dict: string[]): Int32Array {
  return Int32Array.from(values, (v) => {
    if (v === '') return -1;
    const c = dict.indexOf(v);
    return c >= 0 ? c : dict.push(v) - 1;
  });
}

function builderOf(d: Data, from: number, to: number, batch = 300): GroupMetricsBuilder {
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['sex', 'race'] });
  const dicts: string[][] = [[], []];
  for (let s = from; s < to; s += batch) {
    const e = Math.min(to, s + batch);
    const groups = [codes(d.sex.slice(s, e), dicts[0]!), codes(d.race.slice(s, e), dicts[1]!)];
    b.add(binaryBatch(d.y.slice(s, e), d.p.slice(s, e), [], { rowNumbers: Float64Array.from(d.rows.slice(s, e)), groups, groupValues: dicts.map((x) => [...x]) }));
  }
  return b;
}


const roundTrip = (s: GroupsState): GroupsState => JSON.parse(JSON.stringify(s)) as GroupsState;

test('sharded states merge to the single Poisson-bootstrap run (counts exact, figures within 1e-12)', async () => {
  const d = dataset(4);
  const single = await builderOf(d, 0, d.y.length).finish({ bootstrap: 40, seed: 9, scheme: 'poisson' });
  assert.equal(single.bootstrap?.scheme, 'poisson');
  // three uneven shards, in an order other than the file's; each state goes through JSON
  const cuts = [[1300, 2000], [0, 700], [700, 1300]] as const;
  const states = cuts.map(([a, b]) => roundTrip(builderOf(d, a, b, 128).exportState({ bootstrap: 40, seed: 9 })));
  const merged = await GroupMetricsBuilder.fromStates(states).finish({});
  assertJsonClose(merged, single, 1e-12);
  assert.equal(merged.overall.count, 2000);
  assert.deepEqual(merged.byGroup.map((g) => [g.group, g.count]), single.byGroup.map((g) => [g.group, g.count]));
  assert.equal(merged.missingGroup, single.missingGroup);
  assert.ok(merged.missingGroup > 0);
});

test('the Poisson scheme weighs each row by its keyed Poisson(1) draw (replicates by hand)', async () => {
  const d = dataset(7, 400);
  const s: GroupsSection = await builderOf(d, 0, 400).finish({ bootstrap: 30, seed: 3, scheme: 'poisson' });
  const keys = rowKeysOf(3, d.rows);
  const w = new Int32Array(400);
  const acc: number[] = [];
  for (let b = 0; b < 30; b++) {
    poissonWeights(keys, b, w);
    let right = 0;
    let total = 0;
    for (let i = 0; i < 400; i++) {
      right += w[i]! * (((d.p[i] as number) > 0.5 ? 1 : 0) === d.y[i] ? 1 : 0);
      total += w[i]!;
    }
    acc.push(right / total);
  }
  const ci = percentileInterval(acc, 0.95);
  assertJsonClose(s.overall.ci?.accuracy, ci, 1e-14);
  assert.deepEqual(s.bootstrap, { replicates: 30, seed: 3, confidence: 0.95, method: 'percentile', scheme: 'poisson' });
});

test('merging without a bootstrap gives the point estimates; mismatched states are refused', async () => {
  const d = dataset(5, 600);
  const single = await builderOf(d, 0, 600).finish({});
  const merged = await GroupMetricsBuilder.fromStates([builderOf(d, 0, 250).exportState({ bootstrap: 0, seed: 0 }), builderOf(d, 250, 600).exportState({ bootstrap: 0, seed: 0 })]).finish({});
  assertJsonClose(merged, single, 1e-12);
  const a = builderOf(d, 0, 100).exportState({ bootstrap: 5, seed: 1 });
  const b = builderOf(d, 100, 200).exportState({ bootstrap: 5, seed: 2 });
  assert.throws(() => GroupMetricsBuilder.fromStates([a, b]), /different bootstrap settings/);
  const other = new GroupMetricsBuilder({ task: 'binary', sensitive: ['sex'] });
  other.add(binaryBatch([1], [0.9], [['F']]));
  assert.throws(() => GroupMetricsBuilder.fromStates([a, other.exportState({ bootstrap: 5, seed: 1 })]), /different tasks, classes, losses or sensitive columns/);
});
