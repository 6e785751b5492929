import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GroupAccumulator, eceBin, type MetricRecord } from '../../../extension/core/metrics/accumulator';
import { GroupMetricsBuilder, type GroupsSection } from '../../../extension/core/metrics/groups';
import { differenceBetween, ratioBetween, ratioToOverall } from '../../../extension/core/metrics/disparity';
import { binaryBatch } from './fixtures';

const SEED = 20240611;
const EXACT = new Set(['count', 'positives', 'negatives', 'nan_losses', 'missing', 'missingGroup', 'bin', 'per_class_support']);

/** Deep comparison: counts exactly, other numbers within 1e-12 relative, NaN equal to NaN. */
function approx(a: unknown, b: unknown, path = '$', exact = false): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return;
    if (exact) assert.equal(a, b, path);
    else assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b)), `${path}: ${a} vs ${b}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${path}.length`);
    a.forEach((v, i) => approx(v, b[i], `${path}[${i}]`, exact));
    return;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    assert.deepEqual(ka, Object.keys(b), `${path} keys`);
    for (const k of ka) approx((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, EXACT.has(k));
    return;
  }
  assert.equal(a, b, path);
}

interface Row {
  y: number;
  p: number;
  w: number;
  sex: string;
  race: string;
}

const row: fc.Arbitrary<Row> = fc.record({
  y: fc.integer({ min: 0, max: 1 }),
  p: fc.double({ min: 0.001, max: 0.999, noNaN: true }),
  w: fc.integer({ min: 1, max: 3 }),
  sex: fc.constantFrom('F', 'M', ''),
  race: fc.constantFrom('A', 'B', 'C'),
});

async function section(rows: readonly Row[], batches = 1): Promise<GroupsSection> {
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['sex', 'race'] });
  // one dictionary per column for all batches (the builder's contract: dictionaries only grow)
  const all = binaryBatch(
    rows.map((r) => r.y),
    rows.map((r) => r.p),
    [rows.map((r) => r.sex), rows.map((r) => r.race)],
    { weight: Float64Array.from(rows, (r) => r.w) },
  );
  const size = Math.ceil(rows.length / batches);
  for (let o = 0; o < rows.length; o += size) {
    const cut = (a: Float64Array | undefined): Float64Array => (a as Float64Array).subarray(o, o + size);
    b.add({
      label: cut(all.label as Float64Array),
      pred: cut(all.pred as Float64Array),
      score: cut(all.score as Float64Array),
      loss: cut(all.loss as Float64Array),
      weight: cut(all.weight as Float64Array),
      groups: all.groups.map((g) => g.subarray(o, o + size)),
      groupValues: all.groupValues,
    });
  }
  return b.finish();
}

test('property: row order does not change the section', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 80 }), fc.integer(), async (rows, salt) => {
      const shuffled = [...rows].map((r, i) => ({ r, k: Math.imul(i + 1, salt | 1) >>> 0 })).sort((a, b) => a.k - b.k).map((x) => x.r);
      approx(await section(rows), await section(shuffled));
    }),
    { seed: SEED, numRuns: 100 },
  );
});

test('property: splitting into batches gives the identical section', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 60 }), fc.integer({ min: 2, max: 7 }), async (rows, k) => {
      assert.deepEqual(await section(rows, k), await section(rows));
    }),
    { seed: SEED, numRuns: 60 },
  );
});

function accumulate(rows: readonly Row[]): GroupAccumulator {
  const a = new GroupAccumulator({ task: 'binary', numClasses: 2 });
  for (const r of rows) {
    const pred = r.p > 0.5 ? 1 : 0;
    const conf = Math.max(r.p, 1 - r.p);
    const loss = -Math.log(r.y === 1 ? r.p : 1 - r.p);
    a.addClassified(r.y, pred, conf, eceBin(conf), (r.p - r.y) ** 2, loss, r.w, 1);
  }
  return a;
}

test('property: merge is associative and commutative; two halves merged equal one run', () => {
  fc.assert(
    fc.property(fc.array(row, { maxLength: 60 }), fc.nat(), fc.nat(), (rows, i, j) => {
      const [x, y] = [i % (rows.length + 1), j % (rows.length + 1)].sort((u, v) => u - v) as [number, number];
      const a = accumulate(rows.slice(0, x));
      const b = accumulate(rows.slice(x, y));
      const c = accumulate(rows.slice(y));
      const whole = accumulate(rows);
      const left = a.clone().merge(b).merge(c);
      const right = a.clone().merge(b.clone().merge(c));
      const swapped = c.clone().merge(a).merge(b);
      for (const m of [left, right, swapped]) {
        approx(m, whole);
        if (rows.length > 0) approx(m.finalize() as MetricRecord, whole.finalize());
      }
      // merge does not touch its argument
      approx(b, accumulate(rows.slice(x, y)));
    }),
    { seed: SEED, numRuns: 200 },
  );
});

test('property: overall and per-column results equal a direct accumulation of their rows', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 80 }), async (rows) => {
      const s = await section(rows);
      approx(strip(s.overall), accumulate(rows).finalize());
      const sexTable = s.byColumn[0];
      for (const g of sexTable?.byGroup ?? []) approx(strip(g), accumulate(rows.filter((r) => r.sex === g.group.sex)).finalize());
      // race tables include the rows whose sex is missing
      for (const g of s.byColumn[1]?.byGroup ?? []) approx(strip(g), accumulate(rows.filter((r) => r.race === g.group.race)).finalize());
      for (const g of s.byGroup) {
        approx(strip(g), accumulate(rows.filter((r) => r.sex === g.group.sex && r.race === g.group.race)).finalize());
      }
      assert.equal(s.missingGroup, rows.filter((r) => r.sex === '').length);
    }),
    { seed: SEED, numRuns: 100 },
  );
});

/** A report entry without its non-metric keys. */
function strip(entry: object): MetricRecord {
  const { group: _g, calibration: _c, small: _s, ci: _ci, ...record } = entry as Record<string, unknown>;
  return record as MetricRecord;
}

test('property: disparity bounds for non-negative metrics', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (values, overall) => {
      assert.ok(differenceBetween(values) >= 0);
      const r = ratioBetween(values);
      assert.ok(Number.isNaN(r) ? Math.max(...values) === 0 : r >= 0 && r <= 1);
      const t = ratioToOverall(values, overall);
      assert.ok(t >= 0 && t <= 1);
    }),
    { seed: SEED, numRuns: 200 },
  );
});
