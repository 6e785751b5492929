/**
 * Benchmarks of the per-group analysis (issue #4 item 10), run through tsx by groups.mjs:
 *
 *   (a) end-to-end `runGroups` over 100k rows of the tabular demo vs raw onnxruntime over the
 *       same batches: with a session opened beforehand (read + encode + `session.run`; judged,
 *       target <= 1.10x), and as a raw script runs it (the session opened from the model file
 *       and released inside the timing, as runGroups does).
 *   (b) GroupMetricsBuilder over 1M precomputed predictions, two sensitive columns, one core;
 *       target >= 5M rows/s.
 *   (c) peak RSS (VmHWM) of a child process streaming a 1M-row predictions CSV through the
 *       groups pipeline; target <= 400 MB. Its time end to end (issue 14: <= 0.28 s), and the
 *       same run with --bootstrap 200 (issue 14: <= 2 s).
 *   (d) the same two runs through the CLI as a user runs it (`node dist/cli.js groups --predictions …`,
 *       start-up included), three of each, CPU time (user + system) and peak RSS from /usr/bin/time,
 *       next to the floors (node running an empty script; node reading the file's bytes) and the
 *       NumPy anchor, all in the same run.
 *
 * Benchmarks, never tests: nothing asserts a time; each line prints its target and PASS/MISS.
 * Usage: node --import tsx scripts/bench/groups-impl.ts [e2e] [metrics] [rss] [cli]
 *        node --import tsx scripts/bench/groups-impl.ts rss-child <predictions.csv>   (internal)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Tensor } from 'onnxruntime-node';
import { runGroups } from '../../extension/core/analyze/groups';
import { prepareModel } from '../../extension/core/analyze/session';
import { createInputEncoder, loadSpec, openTable, resolveSpec, type EncodedBatch, type ResolvedSpec } from '../../extension/core/data';
import { GroupMetricsBuilder } from '../../extension/core/metrics/groups';
import { Xoshiro128 } from '../../extension/core/metrics/stats';
import { loadOrt, openSession, sessionThreads } from '../../extension/core/runtime';
import { printTable, writeLines, type ResultRow } from './benchTable';

const root = resolve(__dirname, '../..');
const examples = join(root, 'examples');
const BATCH = 4096;
const E2E_ROWS = 100_000;
const METRICS_ROWS = 1_000_000;
const METRICS_BATCH = 65_536;
const RSS_ROWS = 1_000_000;
const RUNS = 3;
const BOOTSTRAP_REPLICATES = 200;


function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}



/** 100k rows resampled (seeded) from examples/income.csv. */
async function makeIncomeCsv(dir: string): Promise<string> {
  const [header = '', ...rows] = readFileSync(join(examples, 'income.csv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const rng = new Xoshiro128(20240611);
  const path = join(dir, 'income-100k.csv');
  await writeLines(path, header, E2E_ROWS, () => rows[rng.nextU32() % rows.length]!);
  return path;
}

interface Timing {
  /** Wall-clock milliseconds. */
  readonly wall: number;
  /** CPU milliseconds of the whole process (user + system, all threads). */
  readonly cpu: number;
}

async function time(fn: () => Promise<unknown>): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

/** Median wall and median CPU time of some runs. */
function medians(runs: readonly Timing[]): Timing {
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
}

/** (a) runGroups end to end vs session.run alone over the same pre-encoded batches. */
async function benchEndToEnd(dir: string): Promise<ResultRow[]> {
  const data = await makeIncomeCsv(dir);
  const spec: ResolvedSpec = { ...(await loadSpec(join(examples, 'income-mlp.bias.json'))), data };
  const model = spec.model!;

  // The raw passes share the session, the reader and the encoder with the pipeline: feeds are
  // prepared exactly as runGroups prepares them; nothing else (losses, groups, metrics) is done.
  const prepared = await prepareModel(model, { providers: ['cpu'], ...(spec.output ? { output: spec.output } : {}) });
  const ort = loadOrt();
  const toTensors = (feeds: EncodedBatch['feeds']): Record<string, Tensor> => {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) out[name] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
    return out;
  };
  const rawPass = async (run: (feeds: Record<string, Tensor>) => Promise<void>): Promise<number> => {
    const table = await openTable(data, { batchRows: BATCH });
    const encoder = await createInputEncoder(spec, prepared.summary.inputs, table);
    let batches = 0;
    for await (const batch of table.batches()) {
      await run(toTensors((await encoder.encode(batch)).feeds));
      batches++;
    }
    await encoder.close();
    await table.close();
    return batches;
  };
  const encoded: Record<string, Tensor>[] = [];
  const batchCount = await rawPass(async (feeds) => { encoded.push(feeds); });
  const runOnly = async (): Promise<void> => {
    for (const feeds of encoded) await prepared.session.run(feeds, [prepared.output]);
  };
  const readAndRun = async (): Promise<void> => {
    await rawPass(async (feeds) => { await prepared.session.run(feeds, [prepared.output]); });
  };
  // A raw script's whole run: open the session from the file (the same options as ours), read,
  // encode, run, release. runGroups pays the same open (plus its model read, hash and summary).
  const threads = sessionThreads(statSync(model).size, true);
  const openReadRun = async (): Promise<void> => {
    const { session } = await openSession(model, model, { providers: ['cpu'], threads });
    try {
      await rawPass(async (feeds) => { await session.run(feeds, [prepared.output]); });
    } finally {
      await session.release();
    }
  };
  const pipeline = async (): Promise<void> => {
    const report = await runGroups(spec, { providers: ['cpu'], batchSize: BATCH, bootstrap: 0 });
    if (report.data.rows !== E2E_ROWS) throw new Error(`expected ${E2E_ROWS} rows, the report has ${report.data.rows}`);
  };
  // Warm up once each, then interleave the runs so a change in the machine's load hits all three alike.
  await runOnly();
  await readAndRun();
  await openReadRun();
  await pipeline();
  const runs = { runOnly: [] as Timing[], readAndRun: [] as Timing[], openReadRun: [] as Timing[], pipeline: [] as Timing[] };
  for (let r = 0; r < RUNS; r++) {
    runs.runOnly.push(await time(runOnly));
    runs.readAndRun.push(await time(readAndRun));
    runs.openReadRun.push(await time(openReadRun));
    runs.pipeline.push(await time(pipeline));
  }
  await prepared.session.release();
  const runOnlyT = medians(runs.runOnly);
  const readAndRunT = medians(runs.readAndRun);
  const pipelineT = medians(runs.pipeline);
  const openReadRunT = medians(runs.openReadRun);
  const fmt = (t: Timing): string => `${t.wall.toFixed(0)} ms (${((E2E_ROWS / t.wall) * 1000 / 1e6).toFixed(2)}M rows/s); CPU ${t.cpu.toFixed(0)} ms`;
  const ratio = pipelineT.wall / readAndRunT.wall;
  return [
    { name: `raw onnxruntime: read CSV + encode feeds + session.run, ${batchCount} batches`, value: fmt(readAndRunT), target: '', pass: null },
    { name: 'runGroups end to end (the same + losses, group codes, metrics; no bootstrap)', value: fmt(pipelineT), target: '', pass: null },
    { name: '**ratio** runGroups / raw onnxruntime (wall clock)', value: `${ratio.toFixed(2)}x (CPU time: ${(pipelineT.cpu / readAndRunT.cpu).toFixed(2)}x)`, target: '<= 1.10x', pass: ratio <= 1.1 },
    { name: 'raw onnxruntime as a script runs it: open the session from the file + read + encode + session.run + release', value: fmt(openReadRunT), target: '', pass: null },
    { name: 'ratio runGroups / that raw script (wall clock)', value: `${(pipelineT.wall / openReadRunT.wall).toFixed(2)}x (CPU time: ${(pipelineT.cpu / openReadRunT.cpu).toFixed(2)}x)`, target: '', pass: null },
    { name: 'session.run alone over the same pre-encoded batches (the model\'s share)', value: fmt(runOnlyT), target: '', pass: null },
    { name: 'ratio runGroups / session.run alone (wall clock)', value: `${(pipelineT.wall / runOnlyT.wall).toFixed(1)}x`, target: '', pass: null },
  ];
}

interface PredictionColumns {
  label: Float64Array;
  pred: Float64Array;
  score: Float64Array;
  loss: Float64Array;
  sex: Int32Array;
  race: Int32Array;
}

function makePredictions(rows: number): PredictionColumns {
  const rng = new Xoshiro128(7);
  const u = (): number => rng.nextU32() / 4294967296;
  const c: PredictionColumns = {
    label: new Float64Array(rows), pred: new Float64Array(rows), score: new Float64Array(rows), loss: new Float64Array(rows),
    sex: new Int32Array(rows), race: new Int32Array(rows),
  };
  for (let i = 0; i < rows; i++) {
    const label = u() < 0.4 ? 1 : 0;
    const score = Math.min(0.999, Math.max(0.001, label ? 0.35 + 0.6 * u() : 0.6 * u()));
    c.label[i] = label;
    c.score[i] = score;
    c.pred[i] = score >= 0.5 ? 1 : 0;
    c.loss[i] = -Math.log(label ? score : 1 - score);
    c.sex[i] = u() < 0.5 ? 0 : 1;
    c.race[i] = rng.nextU32() % 4;
  }
  return c;
}

/** (b) GroupMetricsBuilder.add over 64k-row batches + finish, no bootstrap. */
async function benchMetrics(): Promise<ResultRow[]> {
  const c = makePredictions(METRICS_ROWS);
  const groupValues = [['F', 'M'], ['A', 'B', 'C', 'D']];
  const once = async (keepRows: boolean): Promise<void> => {
    const builder = new GroupMetricsBuilder({ task: 'binary', sensitive: ['sex', 'race'], keepRows });
    for (let start = 0; start < METRICS_ROWS; start += METRICS_BATCH) {
      const end = Math.min(METRICS_ROWS, start + METRICS_BATCH);
      builder.add({
        label: c.label.subarray(start, end), pred: c.pred.subarray(start, end), loss: c.loss.subarray(start, end),
        score: c.score.subarray(start, end), groups: [c.sex.subarray(start, end), c.race.subarray(start, end)],
        groupValues, rowOffset: start + 1,
      });
    }
    const section = await builder.finish({ bootstrap: 0 });
    if (section.overall.count !== METRICS_ROWS) throw new Error(`expected ${METRICS_ROWS} rows, overall has ${section.overall.count}`);
  };
  const rows: ResultRow[] = [];
  for (const keepRows of [true, false]) {
    await once(keepRows); // warm-up
    const runs: Timing[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(await time(() => once(keepRows)));
    // Single-threaded: rows per CPU-second is the one-core rate even when the machine is shared.
    const t = medians(runs);
    const rate = (METRICS_ROWS / t.cpu) * 1000;
    rows.push({
      name: `1M rows, 2 sensitive columns (2 x 4 values), batches of 64k, add + finish, keepRows ${keepRows}${keepRows ? ' (the pipeline\'s setting)' : ''}`,
      value: `${(rate / 1e6).toFixed(1)}M rows per CPU-second (CPU ${t.cpu.toFixed(0)} ms; wall clock ${t.wall.toFixed(0)} ms = ${(METRICS_ROWS / t.wall / 1e3).toFixed(1)}M rows/s)`,
      target: '>= 5M rows/s', pass: rate >= 5e6,
    });
  }
  return rows;
}

/** The 1M-row predictions CSV of (c) and (d): label, sex, race, score (6 decimals), pred. */
async function writePredictions(path: string): Promise<void> {
  const c = makePredictions(RSS_ROWS);
  const sex = ['F', 'M'];
  const race = ['A', 'B', 'C', 'D'];
  await writeLines(path, 'label,sex,race,score,pred', RSS_ROWS, (i) => `${c.label[i]},${sex[c.sex[i]!]},${race[c.race[i]!]},${c.score[i]!.toFixed(6)},${c.pred[i]}`);
}

/** (c) the parent: writes the 1M-row predictions CSV and measures a child's peak RSS. */
async function benchRss(dir: string): Promise<ResultRow[]> {
  const path = join(dir, 'predictions-1m.csv');
  await writePredictions(path);
  type ChildResult = { hwmKb: number; baseKb: number; ms: number; cpuMs: number; rows: number };
  const runChild = (bootstrap: number): ChildResult => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, 'rss-child', path, String(bootstrap)], { encoding: 'utf8', cwd: root });
    if (child.status !== 0) throw new Error(`the RSS child failed (${child.status}): ${child.stderr}`);
    return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as ChildResult;
  };
  const result = runChild(0);
  const boot = runChild(BOOTSTRAP_REPLICATES);
  const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;
  // Anchor: Fairlearn is not installed; a vectorized NumPy read + groupby instead.
  const py = spawnSync('/usr/bin/python3', [join(root, 'scripts/bench/groups_reference.py'), path], { encoding: 'utf8' });
  const anchor = py.status === 0 ? (JSON.parse(py.stdout.trim()) as { read_cpu_s: number; read_wall_s: number; metrics_cpu_s: number; metrics_wall_s: number }) : null;
  const anchorRows: ResultRow[] = anchor === null ? [{ name: 'NumPy anchor', value: `not run (${py.stderr.trim().split('\n').pop() ?? py.error?.message ?? ''})`, target: '', pass: null }] : [
    {
      name: 'anchor (Fairlearn is not installed): vectorized NumPy, numpy.loadtxt of the same CSV + unique/bincount group metrics (sex, race, sex x race)',
      value: `read ${anchor.read_cpu_s.toFixed(2)} s CPU + metrics ${anchor.metrics_cpu_s.toFixed(2)} s CPU (wall ${(anchor.read_wall_s + anchor.metrics_wall_s).toFixed(2)} s)`,
      target: '', pass: null,
    },
    {
      name: 'ours (end to end, parse included) vs that anchor, CPU time',
      value: `${(result.cpuMs / 1000).toFixed(2)} s vs ${(anchor.read_cpu_s + anchor.metrics_cpu_s).toFixed(2)} s: ours / NumPy = ${(result.cpuMs / 1000 / (anchor.read_cpu_s + anchor.metrics_cpu_s)).toFixed(2)}x`,
      target: '<= 0.28 s (issue 14)', pass: result.cpuMs <= 280,
    },
  ];
  return [
    { name: 'child peak RSS after start-up (node + tsx + core loaded)', value: mb(result.baseKb), target: '', pass: null },
    {
      name: `peak RSS (VmHWM), ${result.rows.toLocaleString('en-US')}-row predictions CSV (label, sex, race, score, pred), batches of ${BATCH}, bootstrap off, per-row columns kept (61 bytes/row)`,
      value: mb(result.hwmKb), target: '<= 400 MB', pass: result.hwmKb / 1024 <= 400,
    },
    { name: 'time of that run (end to end, parse included)', value: `${(result.ms / 1000).toFixed(1)} s wall, ${(result.cpuMs / 1000).toFixed(2)} s CPU (${((result.rows / result.ms) * 1000 / 1e6).toFixed(2)}M rows/s)`, target: '', pass: null },
    {
      name: `the same with --bootstrap ${BOOTSTRAP_REPLICATES} (multinomial, count-based draws, docs/BOOTSTRAP.md), end to end`,
      value: `${(boot.ms / 1000).toFixed(1)} s wall, ${(boot.cpuMs / 1000).toFixed(2)} s CPU; peak RSS ${mb(boot.hwmKb)}`,
      target: '<= 2 s (issue 14)', pass: boot.cpuMs <= 2000,
    },
    ...anchorRows,
  ];
}

interface Timed {
  readonly wall: number;
  readonly cpu: number;
  readonly rssMb: number;
}

/** One process under /usr/bin/time: wall and CPU seconds (user + system), peak RSS. */
function timedRun(args: readonly string[]): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIMED %e %U %S %M', ...args], { encoding: 'utf8', cwd: root });
  const line = /TIMED ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  if (r.status !== 0 || !line) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { wall: Number(line[1]), cpu: Number(line[2]) + Number(line[3]), rssMb: Number(line[4]) / 1024 };
}

/** (d) the CLI end to end, three runs each, with the floors and the NumPy anchor in the same run. */
async function benchCli(dir: string): Promise<ResultRow[]> {
  const cli = join(root, 'dist/cli.js');
  if (!existsSync(cli)) return [{ name: 'CLI', value: 'not run: dist/cli.js missing (npm run build)', target: '', pass: null }];
  if (!existsSync('/usr/bin/time')) return [{ name: 'CLI', value: 'not run: /usr/bin/time missing', target: '', pass: null }];
  const path = join(dir, 'predictions-1m.csv');
  if (!existsSync(path)) await writePredictions(path);
  const groups = (bootstrap: number): string[] => [process.execPath, cli, 'groups', '--predictions', path, '--label', 'label', '--group', 'sex,race',
    '--score', 'score', '--pred', 'pred', '--task', 'binary', '--bootstrap', String(bootstrap), '--json', join(dir, 'out.json')];
  timedRun(groups(0)); // writes the CLI's compile cache (extension/cli/launch.ts), as any first run does
  const runs = { empty: [] as Timed[], read: [] as Timed[], plain: [] as Timed[], boot: [] as Timed[], numpy: [] as { cpu: number; wall: number }[] };
  for (let r = 0; r < RUNS; r++) {
    runs.empty.push(timedRun([process.execPath, '-e', '0']));
    runs.read.push(timedRun([process.execPath, '-e', `require('node:fs').readFileSync(${JSON.stringify(path)})`]));
    runs.plain.push(timedRun(groups(0)));
    runs.boot.push(timedRun(groups(BOOTSTRAP_REPLICATES)));
    const py = spawnSync('/usr/bin/python3', [join(root, 'scripts/bench/groups_reference.py'), path], { encoding: 'utf8' });
    if (py.status === 0) {
      const a = JSON.parse(py.stdout.trim()) as { read_cpu_s: number; read_wall_s: number; metrics_cpu_s: number; metrics_wall_s: number };
      runs.numpy.push({ cpu: a.read_cpu_s + a.metrics_cpu_s, wall: a.read_wall_s + a.metrics_wall_s });
    }
  }
  const fmt = (ts: readonly Timed[]): string => ts.map((t) => `${t.cpu.toFixed(2)} s CPU / ${t.wall.toFixed(2)} s wall`).join('; ');
  const rss = (ts: readonly Timed[]): string => `peak RSS ${Math.min(...ts.map((t) => t.rssMb)).toFixed(0)}–${Math.max(...ts.map((t) => t.rssMb)).toFixed(0)} MiB`;
  const median = (ts: readonly Timed[]): number => [...ts.map((t) => t.cpu)].sort((a, b) => a - b)[Math.floor(ts.length / 2)] ?? Number.NaN;
  return [
    { name: 'floor: node running an empty script (`node -e 0`)', value: fmt(runs.empty), target: '', pass: null },
    { name: 'floor: node reading the 17 MB file\'s bytes (`readFileSync`)', value: fmt(runs.read), target: '', pass: null },
    { name: `CLI \`groups --predictions\` 1M rows, 2 sensitive columns, --bootstrap 0, end to end (three runs; PASS/MISS on the median CPU time)`, value: `${fmt(runs.plain)}; ${rss(runs.plain)}`, target: '<= 0.28 s (issue 14)', pass: median(runs.plain) <= 0.28 },
    { name: `the same with --bootstrap ${BOOTSTRAP_REPLICATES}`, value: `${fmt(runs.boot)}; ${rss(runs.boot)}`, target: '<= 2 s (issue 14)', pass: median(runs.boot) <= 2 },
    {
      name: 'anchor: vectorized NumPy (numpy.loadtxt + unique/bincount, scripts/bench/groups_reference.py; Fairlearn is not installed)',
      value: runs.numpy.length ? runs.numpy.map((t) => `${t.cpu.toFixed(2)} s CPU / ${t.wall.toFixed(2)} s wall`).join('; ') : 'not run (python3/numpy missing)', target: '', pass: null,
    },
  ];
}

function vmHwmKb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : Math.round(process.memoryUsage().rss / 1024);
}

/** (c) the child: one predictions-mode run, then its VmHWM as JSON on stdout. */
async function rssChild(path: string, bootstrap: number): Promise<void> {
  const spec = await resolveSpec({
    data: path, task: 'binary', label: 'label', groups: ['sex', 'race'],
    predictions: { file: path, score: 'score', pred: 'pred' },
  }, { baseDir: root });
  const baseKb = vmHwmKb();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const report = await runGroups(spec, { providers: ['cpu'], batchSize: BATCH, bootstrap });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  console.log(JSON.stringify({ hwmKb: vmHwmKb(), baseKb, ms, cpuMs: (cpu.user + cpu.system) / 1000, rows: report.data.rows }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === 'rss-child') return rssChild(args[1] ?? '', Number(args[2] ?? 0));
  const parts = args.length > 0 ? args : ['e2e', 'metrics', 'rss', 'cli'];
  const dir = mkdtempSync(join(tmpdir(), 'bench-groups-'));
  try {
    if (parts.includes('e2e')) printTable(`Per-group analysis: end to end vs raw onnxruntime (income MLP, 100k rows, CPU provider, batch size ${BATCH}, median of ${RUNS} after a warm-up)`, await benchEndToEnd(dir));
    if (parts.includes('metrics')) printTable(`Per-group analysis: group metrics over precomputed predictions (one core, median of ${RUNS} after a warm-up)`, await benchMetrics());
    if (parts.includes('rss')) printTable('Per-group analysis: peak memory streaming a 1M-row CSV (predictions mode)', await benchRss(dir));
    if (parts.includes('cli')) printTable(`Per-group analysis: the CLI end to end on a 1M-row predictions CSV (/usr/bin/time, ${RUNS} runs, interleaved with the floors and the anchor)`, await benchCli(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
