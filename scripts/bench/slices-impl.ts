// Slice discovery and threshold what-if benchmarks (issue #11 item 6). Synthetic data, seeded:
// (a) SliceLine over 1M rows × 20 metadata columns (12 numeric columns cut into 8 quantile bins,
//     8 categorical with 2–50 values), 0/1 errors with one planted 2-column slice; the column
//     binning, the search (levels ≤ 3, k = 10, default min support) and the holdout tests on the
//     odd rows, as runSlices does after its row pass. Target < 30 s on 2 cores, RSS < 1 GB.
// (c) runSlices end to end on a 1M-row predictions CSV with 20 metadata columns (read, errors,
//     compact column storage, binning, search, tests): wall, CPU, peak RSS. SLICES_BENCH_KEEP=1
//     keeps the CSV (path printed) for a CLI run.
// (b) ThresholdOptimizer (demographic parity, accuracy) + the 21-point relaxed front + per-group
//     curves over 1M rows and 6 groups. Target < 2 s.
import { binOf, fillQValues, findSlices, quantileEdges, sliceTest, type SliceSearchColumn } from '../../extension/core/metrics/slices';
import { chosenSearch, findSlicesBitset } from '../../extension/core/metrics/sliceBitsets';
import { optimizeThresholds, thresholdCurves, DEFAULT_TOLERANCES } from '../../extension/core/metrics/thresholds';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSpec } from '../../extension/core/data';
import { runSlices } from '../../extension/core/analyze/slices';

const parts = process.argv.slice(2);
const want = (p: string): boolean => parts.length === 0 || parts.includes(p);
let seed = 12345;
const rnd = (): number => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 4294967296; };
const mb = (): string => `${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`;
let peak = 0;
const track = (): void => { peak = Math.max(peak, process.memoryUsage().rss); };

if (want('slices')) {
  const n = 1_000_000;
  const numeric = Array.from({ length: 12 }, () => Float64Array.from({ length: n }, () => Math.round(rnd() * rnd() * 1000) / 10));
  const cards = [2, 3, 4, 5, 8, 12, 30, 50];
  const categorical = cards.map((c) => Int32Array.from({ length: n }, () => Math.floor(rnd() * c)));
  const errors = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const planted = categorical[2]![i] === 1 && categorical[4]![i] === 3;
    errors[i] = rnd() < (planted ? 0.45 : 0.1) ? 1 : 0;
  }
  track();
  const t0 = performance.now();
  // holdout: search the even rows
  const even = Int32Array.from({ length: n / 2 }, (_, k) => 2 * k);
  const columns: SliceSearchColumn[] = [];
  numeric.forEach((x, c) => {
    const searched = Float64Array.from(even, (i) => x[i]!).sort();
    const edges = quantileEdges(searched);
    const codes = Int32Array.from(even, (i) => binOf(x[i]!, edges));
    columns.push({ name: `num${c}`, codes, cardinality: edges.length + 1, valueText: (v) => `bin${v}` });
  });
  categorical.forEach((codesAll, c) => columns.push({ name: `cat${c}`, codes: Int32Array.from(even, (i) => codesAll[i]!), cardinality: cards[c]!, valueText: (v) => `v${v}` }));
  const searchErrors = Float64Array.from(even, (i) => errors[i]!);
  track();
  // Both search strategies on the same codes (same top k); the default's time counts in the total.
  const c0 = process.cpuUsage();
  const h0 = performance.now();
  const hash = findSlices(columns, searchErrors, {});
  const h1 = performance.now();
  const c1 = process.cpuUsage(c0);
  track();
  const c2 = process.cpuUsage();
  const b0 = performance.now();
  const bitset = findSlicesBitset(columns, searchErrors, {});
  const b1 = performance.now();
  const c3 = process.cpuUsage(c2);
  track();
  if (JSON.stringify(hash.top) !== JSON.stringify(bitset.top)) throw new Error('hash and bitset searches disagree');
  const auto = chosenSearch(searchErrors);
  const found = auto === 'bitset' ? bitset : hash;
  const binning = (h0 - t0) / 1000;
  const search = (auto === 'bitset' ? b1 - b0 : h1 - h0) / 1000;
  const t2 = performance.now();
  const cpu = (c: NodeJS.CpuUsage): string => `${((c.user + c.system) / 1e6).toFixed(2)} s CPU`;
  const odd = Int32Array.from({ length: n / 2 }, (_, k) => 2 * k + 1);
  const oddErrors = Float64Array.from(odd, (i) => errors[i]!);
  const colIndex = new Map(columns.map((c, k) => [c.name, k]));
  const tests = found.top.map((s) => sliceTest(Array.from(odd, (i) => s.predicates.every(([c, v]) => {
    const name = columns[c]!.name;
    if (name.startsWith('cat')) return categorical[Number(name.slice(3))]![i] === v;
    const x = numeric[Number(name.slice(3))]![i]!;
    void colIndex;
    return binOf(x, quantileEdges(Float64Array.from(even, (j) => numeric[Number(name.slice(3))]![j]!).sort())) === v;
  })), oddErrors, true, false));
  fillQValues(tests);
  const t3 = performance.now();
  track();
  const total = binning + search + (t3 - t2) / 1000;
  console.log('| part | value |');
  console.log('|---|---|');
  console.log(`| slices: rows × columns | 1,000,000 × 20 (search on 500,000 even rows, tests on the odd rows) |`);
  console.log(`| binning + codes | ${binning.toFixed(2)} s |`);
  console.log(`| search, hash (grouped row passes), levels ≤ 3, k 10, min support ${found.minSupport} | ${((h1 - h0) / 1000).toFixed(2)} s (${cpu(c1)}); ${hash.evaluated} slices evaluated, ${hash.pruned} expansions cut |`);
  console.log(`| search, bitset (AND + popcount) | ${((b1 - b0) / 1000).toFixed(2)} s (${cpu(c3)}); ${bitset.evaluated} slices evaluated, ${bitset.pruned} expansions cut; same top 10 |`);
  console.log(`| default search (auto) on 0/1 errors | ${auto} |`);
  console.log(`| holdout tests of the top ${found.top.length} | ${((t3 - t2) / 1000).toFixed(2)} s |`);
  console.log(`| total (binning + default search + tests) | ${total.toFixed(2)} s (target < 30 s: ${total < 30 ? 'PASS' : 'MISS'}) |`);
  track();
  console.log(`| peak RSS | ${(peak / 1048576).toFixed(0)} MiB (target < 1024 MiB: ${peak < 1024 * 1048576 ? 'PASS' : 'MISS'}) |`);
  // Real-valued errors (the loss error kind): the bitset search sums them over the set bits.
  const lossErrors = Float64Array.from(searchErrors, (e) => (e === 1 ? 0.5 + rnd() : rnd() * 0.2));
  const l0 = process.cpuUsage(); const lh0 = performance.now();
  const lossHash = findSlices(columns, lossErrors, {});
  const lh1 = performance.now(); const l1 = process.cpuUsage(l0);
  const l2 = process.cpuUsage(); const lb0 = performance.now();
  const lossBitset = findSlicesBitset(columns, lossErrors, {});
  const lb1 = performance.now(); const l3 = process.cpuUsage(l2);
  track();
  if (JSON.stringify(lossHash.top) !== JSON.stringify(lossBitset.top)) throw new Error('hash and bitset searches disagree on real-valued errors');
  console.log(`| search on real-valued errors (loss): hash / bitset | ${((lh1 - lh0) / 1000).toFixed(2)} s (${cpu(l1)}) / ${((lb1 - lb0) / 1000).toFixed(2)} s (${cpu(l3)}); same top 10; auto picks ${chosenSearch(lossErrors)} |`);
  console.log(`| top slice | ${found.top[0]?.text ?? '(none)'} (size ${found.top[0]?.size}, score ${found.top[0]?.score.toFixed(3)}; q ${tests[0]?.q.toExponential(1)}) |`);
}

if (want('thresholds')) {
  const n = 1_000_000;
  const group = Int32Array.from({ length: n }, () => Math.floor(rnd() * 6));
  const labels = Uint8Array.from({ length: n }, () => (rnd() < 0.35 ? 1 : 0));
  const scores = Float64Array.from(labels, (y, i) => Math.round(1e6 / (1 + Math.exp(-(2.2 * (2 * y - 1) + (group[i]! - 2.5) * 0.2 + (rnd() - 0.5) * 4)))) / 1e6);
  const data = { scores, labels, group, groupNames: ['a', 'b', 'c', 'd', 'e', 'f'] };
  optimizeThresholds({ ...data, scores: scores.subarray(0, 20000), labels: labels.subarray(0, 20000), group: group.subarray(0, 20000) }, { constraint: 'demographic_parity', objective: 'accuracy_score', tolerances: DEFAULT_TOLERANCES });
  const t0 = performance.now();
  const r = optimizeThresholds(data, { constraint: 'demographic_parity', objective: 'accuracy_score', tolerances: DEFAULT_TOLERANCES });
  const t1 = performance.now();
  thresholdCurves(data, 1000);
  const t2 = performance.now();
  const eo = optimizeThresholds(data, { constraint: 'equalized_odds', objective: 'accuracy_score' });
  const t3 = performance.now();
  const s = (t1 - t0) / 1000;
  console.log('\n| thresholds over 1,000,000 rows, 6 groups | time |');
  console.log('|---|---|');
  console.log(`| demographic parity + 21-point front | ${s.toFixed(2)} s (target < 2 s: ${s < 2 ? 'PASS' : 'MISS'}); objective ${r.optimized.objective.toFixed(4)} |`);
  console.log(`| per-group curves, 1001 thresholds | ${((t2 - t1) / 1000).toFixed(2)} s |`);
  console.log(`| equalized odds | ${((t3 - t2) / 1000).toFixed(2)} s; objective ${eo.optimized.objective.toFixed(4)} |`);
  console.log(`| RSS after | ${mb()} |`);
}

async function pipeline(): Promise<void> {
  const n = Number(process.env.SLICES_BENCH_ROWS ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'slices-bench-'));
  const file = join(dir, 'p.csv');
  const out = createWriteStream(file);
  const cats = [2, 3, 4, 5, 8, 12, 30, 50];
  out.write(['label', 'pred', ...Array.from({ length: 12 }, (_, c) => `num${c}`), ...cats.map((_, c) => `cat${c}`)].join(',') + '\n');
  for (let i = 0; i < n; i++) {
    const codes = cats.map((c) => Math.floor(rnd() * c));
    const planted = codes[2] === 1 && codes[4] === 3;
    const y = rnd() < 0.4 ? 1 : 0;
    const p = rnd() < (planted ? 0.45 : 0.1) ? 1 - y : y;
    const line = `${y},${p},${Array.from({ length: 12 }, () => (Math.round(rnd() * rnd() * 1000) / 10)).join(',')},${codes.map((v) => `v${v}`).join(',')}\n`;
    if (!out.write(line)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  const spec = await resolveSpec({ data: 'p.csv', task: 'binary', label: 'label', predictions: { file: 'p.csv', pred: 'pred' } }, { baseDir: dir });
  let rssPeak = process.memoryUsage().rss;
  const timer = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 50);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await runSlices(spec, { providers: ['cpu'], onProgress: () => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); } });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  clearInterval(timer);
  if (process.env.SLICES_BENCH_KEEP) console.log(`\nCSV kept: ${file}`);
  else rmSync(dir, { recursive: true, force: true });
  console.log(`\n| runSlices end to end: ${n.toLocaleString('en-US')}-row predictions CSV, 20 metadata columns | value |`);
  console.log('|---|---|');
  console.log(`| time (read + errors + columns + search + tests) | ${seconds.toFixed(1)} s (target < 30 s: ${seconds < 30 ? 'PASS' : 'MISS'}) |`);
  console.log(`| CPU time (user + sys) | ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (user ${(cpu.user / 1e6).toFixed(1)}, sys ${(cpu.system / 1e6).toFixed(1)}) |`);
  console.log(`| load average (1 min) at the end | ${loadavg()[0]!.toFixed(2)} |`);
  console.log(`| peak RSS | ${(rssPeak / 1048576).toFixed(0)} MiB (target < 1024 MiB: ${rssPeak < 1024 * 1048576 ? 'PASS' : 'MISS'}) |`);
  console.log(`| top slice | ${report.slices.top[0]?.text ?? '(none)'} |`);
}

if (want('pipeline')) void pipeline();
