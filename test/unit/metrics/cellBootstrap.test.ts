/**
 * The count-based bootstrap (docs/BOOTSTRAP.md): the binomial sampler against the exact pmf, the
 * multinomial over cells, the replicates against the row bootstrap in distribution, determinism,
 * and the paired comparison's draws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomial, multinomialBySizes } from '../../../extension/core/metrics/binomial';
import { CellResampler } from '../../../extension/core/metrics/cellBootstrap';
import { multinomialCounts } from '../../../extension/core/metrics/bootstrap';
import { compareBuilders } from '../../../extension/core/metrics/compare';
import { GroupMetricsBuilder } from '../../../extension/core/metrics/groups';
import { percentileInterval, Xoshiro128 } from '../../../extension/core/metrics/stats';
import { encode } from './fixtures';

/** log pmf of Binomial(n, p) for k = 0..n by the ratio recurrence in log space (exact enough for a test). */
function binomialPmf(n: number, p: number): Float64Array {
  const out = new Float64Array(n + 1);
  let logP = n * Math.log1p(-p);
  out[0] = Math.exp(logP);
  for (let k = 1; k <= n; k++) {
    logP += Math.log((n - k + 1) / k) + Math.log(p) - Math.log1p(-p);
    out[k] = Math.exp(logP);
  }
  return out;
}

/** Upper 1e-6 critical value of χ²(df) (Wilson–Hilferty, z = 4.753). */
function chiSquareCritical(df: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + 4.753 * Math.sqrt(a)) ** 3;
}

/** Pearson χ² of observed counts against the pmf, bins with expected < 5 pooled; returns [statistic, df]. */
function chiSquare(observed: Float64Array, pmf: Float64Array, draws: number): [number, number] {
  let stat = 0;
  let bins = 0;
  let o = 0;
  let e = 0;
  for (let k = 0; k < pmf.length; k++) {
    o += observed[k] as number;
    e += draws * (pmf[k] as number);
    if (e >= 5) {
      stat += ((o - e) * (o - e)) / e;
      bins++;
      o = 0;
      e = 0;
    }
  }
  if (e > 0) stat += ((o - e) * (o - e)) / Math.max(e, 1e-12);
  return [stat, Math.max(1, bins - 1)];
}

const CASES: readonly [number, number][] = [
  [10, 0.3], [40, 0.5], [200, 0.01], [29, 0.97], // inversion
  [100, 0.4], [1000, 0.05], [5000, 0.5], [100_000, 0.0004], [1_000_000, 0.3], [300, 0.9], // BTPE (also mirrored)
];

test('binomial: each (n, p) (inversion and BTPE, p on both sides of 0.5) matches the exact pmf (χ², 40k draws)', () => {
  const rng = new Xoshiro128(2024);
  for (const [n, p] of CASES) {
    const draws = 40_000;
    const pmf = binomialPmf(n, p);
    const observed = new Float64Array(n + 1);
    let sum = 0;
    for (let i = 0; i < draws; i++) {
      const x = binomial(rng, n, p);
      assert.ok(Number.isInteger(x) && x >= 0 && x <= n, `${x} outside [0, ${n}]`);
      observed[x] = (observed[x] as number) + 1;
      sum += x;
    }
    const [stat, df] = chiSquare(observed, pmf, draws);
    assert.ok(stat < chiSquareCritical(df), `Binomial(${n}, ${p}): χ² ${stat.toFixed(1)} on ${df} df`);
    const sd = Math.sqrt((n * p * (1 - p)) / draws);
    assert.ok(Math.abs(sum / draws - n * p) < 5 * sd + 1e-9, `Binomial(${n}, ${p}): mean ${sum / draws}`);
  }
  // edge cases
  assert.equal(binomial(rng, 0, 0.5), 0);
  assert.equal(binomial(rng, 17, 0), 0);
  assert.equal(binomial(rng, 17, 1), 17);
});

test('binomial: the χ² check has power (a draw with p off by 2% is rejected)', () => {
  const rng = new Xoshiro128(5);
  const [n, p] = [1000, 0.3];
  const pmf = binomialPmf(n, p);
  const observed = new Float64Array(n + 1);
  for (let i = 0; i < 40_000; i++) {
    const x = binomial(rng, n, p * 1.02);
    observed[x] = (observed[x] as number) + 1;
  }
  const [stat, df] = chiSquare(observed, pmf, 40_000);
  assert.ok(stat > chiSquareCritical(df), `χ² ${stat} should reject`);
});

test('multinomial over sizes: counts add up to n and each category is Binomial(n, size/total) (χ²)', () => {
  const rng = new Xoshiro128(9);
  const sizes = [5, 0, 120, 1, 74];
  const total = 200;
  const n = 200;
  const out = new Float64Array(sizes.length);
  const draws = 20_000;
  const hist = sizes.map(() => new Float64Array(n + 1));
  for (let i = 0; i < draws; i++) {
    multinomialBySizes(rng, n, sizes, out);
    assert.equal(out.reduce((a, b) => a + b, 0), n);
    out.forEach((m, j) => (hist[j]![m] = (hist[j]![m] as number) + 1));
  }
  assert.equal(hist[1]![0], draws); // an empty category is never drawn
  sizes.forEach((s, j) => {
    if (s === 0) return;
    const [stat, df] = chiSquare(hist[j] as Float64Array, binomialPmf(n, s / total), draws);
    assert.ok(stat < chiSquareCritical(df), `category ${j}: χ² ${stat.toFixed(1)} on ${df} df`);
  });
});

/** Binary data with scores, weights, a missing group value and three columns' worth of variety. */
function scoredBuilder(seed: number, n: number, options: { weights?: boolean; scores?: boolean; expect?: number } = {}): GroupMetricsBuilder {
  const r = new Xoshiro128(seed);
  const y: number[] = [];
  const pred: number[] = [];
  const score: number[] = [];
  const loss: number[] = [];
  const weight: number[] = [];
  const g1: string[] = [];
  const g2: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = r.nextFloat() < 0.3 ? 'F' : 'M';
    const b = ['x', 'y', 'z'][r.nextInt(3)] as string;
    const label = r.nextFloat() < (a === 'F' ? 0.3 : 0.5) ? 1 : 0;
    const p = Math.min(0.99, Math.max(0.01, label ? 0.3 + 0.6 * r.nextFloat() : 0.7 * r.nextFloat()));
    y.push(label);
    score.push(p);
    pred.push(p >= 0.5 ? 1 : 0);
    loss.push(-Math.log(label ? p : 1 - p));
    weight.push(options.weights ? 0.5 + r.nextInt(4) : 1);
    g1.push(a);
    g2.push(i % 97 === 0 ? '' : b);
  }
  const e1 = encode(g1);
  const e2 = encode(g2);
  const builder = new GroupMetricsBuilder({ task: 'binary', sensitive: ['a', 'b'] });
  if (options.expect !== undefined) {
    // sized from an estimate, then two batches, so that rows past it grow the columns again
    builder.expectRows(options.expect);
    const half = Math.floor(n / 2);
    for (const [from, to] of [[0, half], [half, n]] as const) {
      builder.add({
        label: y.slice(from, to), pred: pred.slice(from, to), loss: loss.slice(from, to), score: score.slice(from, to),
        groups: [e1.codes.slice(from, to), e2.codes.slice(from, to)], groupValues: [e1.dict, e2.dict],
      });
    }
    return builder;
  }
  builder.add({
    label: y, pred, loss: options.scores === false ? y.map(() => NaN) : loss,
    ...(options.scores === false ? {} : { score }),
    ...(options.weights ? { weight } : {}),
    groups: [e1.codes, e2.codes], groupValues: [e1.dict, e2.dict],
  });
  return builder;
}

type Records = ReturnType<GroupMetricsBuilder['replicate']>;

/** Metric values of one replicate: overall, each intersection and column group, a few metrics. */
function values(r: Records): number[] {
  const out: number[] = [];
  const metrics = ['accuracy', 'tpr', 'selection_rate', 'loss', 'brier', 'ece', 'macro_f1', 'mse', 'mae', 'count'];
  for (const rec of [r.overall, ...r.byGroup, ...r.byColumn.flat()]) {
    for (const m of metrics) out.push(rec === null ? NaN : ((rec as unknown as Record<string, number>)[m] ?? NaN));
  }
  out.push(...r.fairness);
  return out;
}

/** Mean and variance of each value over replicates (NaN replicates skipped). */
function moments(reps: number[][]): { mean: number[]; variance: number[] } {
  const width = reps[0]!.length;
  const mean: number[] = [];
  const variance: number[] = [];
  for (let j = 0; j < width; j++) {
    const xs = reps.map((r) => r[j]!).filter((x) => x === x);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    mean.push(m);
    variance.push(xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (xs.length - 1));
  }
  return { mean, variance };
}

/**
 * Asserts two sets of replicates agree in distribution on every value: means within 5 standard
 * errors, variances within 30% (2000 replicates each: the ratio's sd is about 4.5%).
 */
function assertSameDistribution(a: number[][], b: number[][], what: string): void {
  const ma = moments(a);
  const mb = moments(b);
  for (let j = 0; j < ma.mean.length; j++) {
    const va = ma.variance[j]!;
    const vb = mb.variance[j]!;
    if (va === 0 && vb === 0) {
      assert.equal(ma.mean[j], mb.mean[j], `${what} #${j}: constant values differ`);
      continue;
    }
    const se = Math.sqrt(va / a.length + vb / b.length);
    assert.ok(Math.abs(ma.mean[j]! - mb.mean[j]!) < 5 * se, `${what} #${j}: means ${ma.mean[j]} vs ${mb.mean[j]} (se ${se})`);
    assert.ok(va / vb > 0.7 && va / vb < 1.3, `${what} #${j}: variances ${va} vs ${vb}`);
  }
}

function rowReplicates(builder: GroupMetricsBuilder, count: number, seed: number, size = builder.rowCount): number[][] {
  const draw = multinomialCounts(builder.rowCount, seed);
  const out: number[][] = [];
  for (let b = 0; b < count; b++) {
    let counts = draw(b);
    if (size !== builder.rowCount) {
      // a deliberately wrong resample (size rows instead of n), to show the check has power
      const rng = new Xoshiro128(seed + b);
      counts = new Int32Array(builder.rowCount);
      for (let j = 0; j < size; j++) counts[rng.nextInt(builder.rowCount)]! += 1;
    }
    out.push(values(builder.replicate(counts)));
  }
  return out;
}

function cellReplicates(builder: GroupMetricsBuilder, count: number, seed: number): { reps: number[][]; method: string } {
  const rows = builder.storedRows();
  const side = builder.bootstrapRows();
  assert.ok(side);
  const cells = new CellResampler({ n: rows.n, slot: rows.slot, codes: rows.codes, slots: builder.intersectionSlots, sides: [side] });
  const rng = new Xoshiro128(seed);
  const reps: number[][] = [];
  for (let b = 0; b < count; b++) {
    cells.draw(rng);
    reps.push(values(builder.replicateFrom((raw) => cells.fill(0, raw))));
  }
  return { reps, method: cells.method };
}

test('count-based replicates equal the row bootstrap in distribution: weighted scores, missing values (cells+rows)', () => {
  const builder = scoredBuilder(1, 1500, { weights: true });
  const cell = cellReplicates(builder, 2000, 3);
  assert.equal(cell.method, 'cells+rows');
  assertSameDistribution(cell.reps, rowReplicates(builder, 2000, 4), 'weighted');
});

test('count-based replicates equal the row bootstrap in distribution: predictions only (cells, nothing per row)', () => {
  const builder = scoredBuilder(2, 1500, { scores: false });
  const cell = cellReplicates(builder, 2000, 5);
  assert.equal(cell.method, 'cells');
  assertSameDistribution(cell.reps, rowReplicates(builder, 2000, 6), 'unscored');
});

test('the distribution check has power: resamples of n/2 rows are told apart', () => {
  const builder = scoredBuilder(1, 1500);
  assert.throws(() => assertSameDistribution(cellReplicates(builder, 2000, 3).reps, rowReplicates(builder, 2000, 4, 750), 'half'), /variances/);
});

/**
 * Seeded rows of a 3-class model (labels, argmax predictions, probabilities, cross-entropy) and of
 * a regression beside it (targets, predictions with noise `noise(i)` wide, squared errors, NaN
 * every 50th row), with a group from `group`, drawn in this order per row.
 */
function threeClassRows(r: Xoshiro128, n: number, noise: (i: number) => number, group: (r: Xoshiro128, i: number) => string) {
  const cols = { label: [] as number[], pred: [] as number[], probs: [] as number[], loss: [] as number[], yr: [] as number[], pr: [] as number[], lr: [] as number[], g: [] as string[] };
  for (let i = 0; i < n; i++) {
    const y = r.nextInt(3);
    const raw = [r.nextFloat(), r.nextFloat(), r.nextFloat()];
    raw[y]! += 0.6;
    const s = raw.reduce((a, b) => a + b, 0);
    const p = raw.map((v) => v / s);
    cols.label.push(y);
    cols.pred.push(p.indexOf(Math.max(...p)));
    cols.probs.push(...p);
    cols.loss.push(-Math.log(p[y]!));
    const t = r.nextFloat() * 10;
    cols.yr.push(t);
    cols.pr.push(t + (r.nextFloat() - 0.5) * noise(i));
    cols.lr.push(i % 50 === 0 ? NaN : (cols.pr[i]! - t) ** 2);
    cols.g.push(group(r, i));
  }
  return cols;
}

test('count-based replicates, multiclass with probabilities and regression, equal the row bootstrap in distribution', () => {
  const k = 3;
  const { label, pred, probs, loss, yr, pr, lr, g } = threeClassRows(new Xoshiro128(7), 1200, (i) => (i % 3 === 0 ? 4 : 1), (r) => ['a', 'b', 'c', 'd'][r.nextInt(4)] as string);
  const e = encode(g);
  const multi = new GroupMetricsBuilder({ task: 'multiclass', numClasses: k, sensitive: ['g'] });
  multi.add({ label, pred, loss, probs, groups: [e.codes], groupValues: [e.dict] });
  assertSameDistribution(cellReplicates(multi, 2000, 1).reps, rowReplicates(multi, 2000, 2), 'multiclass');
  const reg = new GroupMetricsBuilder({ task: 'regression', sensitive: ['g'] });
  reg.add({ label: yr, pred: pr, loss: lr, groups: [e.codes], groupValues: [e.dict] });
  assertSameDistribution(cellReplicates(reg, 2000, 1).reps, rowReplicates(reg, 2000, 2), 'regression');
});

test('predictions only: the intervals are the percentiles of multinomial cell counts, by hand', async () => {
  // cells of one column: (group, label, prediction) in first-seen order; accuracy per replicate from the counts
  const y = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1];
  const yhat = [1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0];
  const g = ['a', 'a', 'a', 'b', 'b', 'b', 'b', 'a', 'b', 'a', 'a', 'b'];
  const e = encode(g);
  const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  b.add({ label: y, pred: yhat, loss: y.map(() => NaN), groups: [e.codes], groupValues: [e.dict] });
  const s = await b.finish({ bootstrap: 60, seed: 4, minGroupSize: 1 });
  assert.equal(s.bootstrap?.sampler, 'cells');
  const keys: string[] = [];
  const sizes: number[] = [];
  y.forEach((label, i) => {
    const key = `${g[i]}|${label}|${yhat[i]}`;
    const at = keys.indexOf(key);
    if (at < 0) {
      keys.push(key);
      sizes.push(1);
    } else {
      sizes[at]! += 1;
    }
  });
  const rng = new Xoshiro128(4);
  const counts = new Float64Array(keys.length);
  const accOverall: number[] = [];
  const accA: number[] = [];
  for (let r = 0; r < 60; r++) {
    multinomialBySizes(rng, y.length, sizes, counts);
    let right = 0;
    let rightA = 0;
    let nA = 0;
    keys.forEach((key, c) => {
      const [group, label, p] = key.split('|');
      const m = counts[c] as number;
      if (label === p) right += m;
      if (group === 'a') {
        nA += m;
        if (label === p) rightA += m;
      }
    });
    accOverall.push(right / y.length);
    accA.push(nA === 0 ? NaN : rightA / nA);
  }
  assert.deepEqual(s.overall.ci?.accuracy, percentileInterval(accOverall, 0.95));
  assert.deepEqual(s.byGroup[0]?.ci?.accuracy, percentileInterval(accA, 0.95));
});

test('count-based intervals: same seed, same intervals; another seed, others; the point estimates do not move', async () => {
  const one = await scoredBuilder(3, 800).finish({ bootstrap: 40, seed: 7 });
  const two = await scoredBuilder(3, 800).finish({ bootstrap: 40, seed: 7 });
  const other = await scoredBuilder(3, 800).finish({ bootstrap: 40, seed: 8 });
  const plain = await scoredBuilder(3, 800).finish();
  assert.deepEqual(one, two);
  assert.notDeepEqual(one.overall.ci, other.overall.ci);
  assert.equal(one.bootstrap?.sampler, 'cells+rows');
  const { ci: _ci, ...point } = one.overall;
  assert.deepEqual(point, plain.overall);
});

test('paired bootstrap: count-based Δ replicates equal the row sampler\'s in distribution', async () => {
  const a = scoredBuilder(11, 1200);
  // B: the same rows, a different model (some predictions and scores flipped)
  const r = new Xoshiro128(12);
  const flip = Array.from({ length: a.rowCount }, () => r.nextFloat() < 0.15);
  const rebuilt = (flipRows: boolean[]): GroupMetricsBuilder => {
    const src = scoredBuilder(11, 1200);
    const rows = src.storedRows();
    const side = src.bootstrapRows()!;
    const b = new GroupMetricsBuilder({ task: 'binary', sensitive: ['a', 'b'] });
    const p = Array.from(side.label, (_, i) => {
      const s = side.pred[i] === 1 ? (side.conf[i] as number) : 1 - (side.conf[i] as number);
      return flipRows[i] ? 1 - s : s;
    });
    const label = Array.from(rows.label);
    b.add({
      label, pred: p.map((x) => (x >= 0.5 ? 1 : 0)), score: p, loss: p.map((x, i) => -Math.log(label[i] ? x : 1 - x)),
      groups: rows.codes.map((c) => c.slice()), groupValues: [dictionaryOf(src, 0), dictionaryOf(src, 1)],
    });
    return b;
  };
  const bSide = rebuilt(flip);
  const cellRun = await compareBuilders(a, bSide, { bootstrap: 2000, seed: 1, minGroupSize: 1 });
  const rowRun = await compareBuilders(a, bSide, { bootstrap: 2000, seed: 2, minGroupSize: 1, sampler: 'rows' });
  for (const [i, g] of cellRun.byGroup.entries()) {
    for (const m of ['accuracy', 'loss', 'brier', 'tpr']) {
      const x = g.metrics[m]!.ci!;
      const y = rowRun.byGroup[i]!.metrics[m]!.ci!;
      const width = y[1] - y[0];
      // percentile intervals of 2000 replicates: endpoints within 15% of the width of each other
      assert.ok(Math.abs(x[0] - y[0]) < 0.15 * width + 1e-12 && Math.abs(x[1] - y[1]) < 0.15 * width + 1e-12, `${JSON.stringify(g.group)} ${m}: ${x} vs ${y}`);
    }
  }
});

/** The builder's dictionary of column c (the fixture encodes in first-seen order). */
function dictionaryOf(b: GroupMetricsBuilder, c: number): string[] {
  const layout = b.groupLayout();
  const rank = layout.columnRank[c]!;
  const keys = layout.columnKeys[c]!;
  const out: string[] = [];
  rank.forEach((g, code) => (out[code] = g >= 0 ? (Object.values(keys[g]!)[0] as string) : `(unused ${code})`));
  return out;
}

test('the generator\'s fillU32 gives the values of as many nextU32 calls, and the state after them', () => {
  const a = new Xoshiro128(99);
  const b = new Xoshiro128(99);
  for (const k of [0, 1, 5, 64, 257]) {
    const out = new Uint32Array(k + 3).fill(7);
    a.fillU32(out, k);
    const want = Array.from({ length: k }, () => b.nextU32());
    assert.deepEqual([...out.subarray(0, k)], want);
    assert.deepEqual([...out.subarray(k)], [7, 7, 7]);
  }
  assert.equal(a.nextU32(), b.nextU32());
});

test('cells+rows, by hand: block counts of 16 replicates, then block by block 8-bit row draws (full block) and rejected 6-bit chunks (the 44-row block)', () => {
  // one cell (one group, label 1, prediction 1, ECE bin 14) of 300 rows: blocks of 256 and 44 rows
  const n = 300;
  const r = new Xoshiro128(21);
  const score = Array.from({ length: n }, () => 0.94 + 0.05 * r.nextFloat());
  const loss = score.map((p) => -Math.log(p));
  const e = encode(score.map(() => 'g'));
  const builder = new GroupMetricsBuilder({ task: 'binary', sensitive: ['g'] });
  builder.add({ label: score.map(() => 1), pred: score.map(() => 1), score, loss, groups: [e.codes], groupValues: [e.dict] });
  const rows = builder.storedRows();
  const side = builder.bootstrapRows();
  assert.ok(side);
  const cells = new CellResampler({ n: rows.n, slot: rows.slot, codes: rows.codes, slots: builder.intersectionSlots, sides: [side] });
  assert.equal(cells.method, 'cells+rows');
  assert.equal(cells.cells, 1);

  const rng = new Xoshiro128(5);
  const hand = new Xoshiro128(5);
  const replicates = 32;
  for (let batch = 0; batch < replicates / 16; batch++) {
    const counts = Array.from({ length: 16 }, () => {
      const c = new Float64Array(2);
      multinomialBySizes(hand, n, [256, 44], c);
      return c;
    });
    const lossSums = new Float64Array(16);
    for (const [block, base, size] of [[0, 0, 256], [1, 256, 44]] as const) {
      for (let rep = 0; rep < 16; rep++) {
        const m = counts[rep]![block]!;
        let sum = 0;
        if (size === 256) {
          let u = 0;
          for (let j = 0; j < m; j++) {
            if (j % 4 === 0) u = hand.nextU32();
            sum += loss[base + (u & 255)]!;
            u >>>= 8;
          }
        } else {
          let u = 0;
          let left = 0;
          for (let j = 0; j < m; j++) {
            let k: number;
            do {
              if (left === 0) {
                u = hand.nextU32();
                left = 5;
              }
              k = u & 63;
              u >>>= 6;
              left--;
            } while (k >= size);
            sum += loss[base + k]!;
          }
        }
        if (m > 0) lossSums[rep] = lossSums[rep]! + sum;
      }
    }
    for (let rep = 0; rep < 16; rep++) {
      cells.draw(rng);
      const replicate = builder.replicateFrom((raw) => cells.fill(0, raw));
      assert.equal(replicate.overall.count, n);
      assert.equal(replicate.overall.loss, lossSums[rep]! / n, `replicate ${batch * 16 + rep}`);
    }
  }
});

test('the WebAssembly row drawing (bootstrapKernel.ts) gives the TypeScript loops\' replicates bit for bit: 3 values a row, weighted (4), multiclass, regression, blocks of 1 to 256 rows', () => {
  const k = 3;
  // a dominant group (full blocks) and rare ones (blocks of a few rows, some of one)
  const cols = threeClassRows(new Xoshiro128(17), 2600, () => 2, (r, i) => (i % 10 === 0 ? ['b', 'c', 'd', 'e', 'f', 'h', 'i'][r.nextInt(7)] as string : 'a'));
  const e = encode(cols.g);
  const multi = new GroupMetricsBuilder({ task: 'multiclass', numClasses: k, sensitive: ['g'] });
  multi.add({ label: cols.label, pred: cols.pred, loss: cols.loss, probs: cols.probs, groups: [e.codes], groupValues: [e.dict] });
  const reg = new GroupMetricsBuilder({ task: 'regression', sensitive: ['g'] });
  reg.add({ label: cols.yr, pred: cols.pr, loss: cols.lr, groups: [e.codes], groupValues: [e.dict] });
  const builders: [string, GroupMetricsBuilder][] = [
    ['binary scored', scoredBuilder(31, 3000)], ['binary weighted', scoredBuilder(32, 3000, { weights: true })], ['multiclass', multi], ['regression', reg],
  ];
  for (const [what, builder] of builders) {
    const rows = builder.storedRows();
    const side = builder.bootstrapRows();
    assert.ok(side);
    const make = (wasm: boolean): CellResampler => new CellResampler({ n: rows.n, slot: rows.slot, codes: rows.codes, slots: builder.intersectionSlots, sides: [side] }, { wasm });
    const kernel = make(true);
    const loops = make(false);
    assert.equal(kernel.wasm, true, what);
    assert.equal(loops.wasm, false, what);
    assert.equal(kernel.method, 'cells+rows', what);
    const ra = new Xoshiro128(3);
    const rb = new Xoshiro128(3);
    for (let b = 0; b < 40; b++) {
      kernel.draw(ra);
      loops.draw(rb);
      assert.deepEqual(values(builder.replicateFrom((raw) => kernel.fill(0, raw))), values(builder.replicateFrom((raw) => loops.fill(0, raw))), `${what}, replicate ${b}`);
    }
    assert.equal(ra.nextU32(), rb.nextU32(), `${what}: the generators end in the same state`);
  }
});

test('expectRows (per-row columns sized from an estimate, under or over the rows that come): the same section and intervals', async () => {
  const plain = await scoredBuilder(5, 2000).finish({ bootstrap: 30, seed: 2 });
  for (const estimate of [10, 1500, 2000, 50_000]) {
    const sized = await scoredBuilder(5, 2000, { expect: estimate }).finish({ bootstrap: 30, seed: 2 });
    assert.deepEqual(sized, plain, `estimate ${estimate}`);
  }
});
