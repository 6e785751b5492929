/**
 * Comparison benchmarks (issue 12 item 5), never tests:
 *   (a) `runCompare` over two 1M-row prediction files (binary, 2 sensitive columns), 200 paired
 *       bootstrap replicates: wall and CPU time and peak RSS (VmHWM) of a fresh process.
 *       Targets: < 5 s on 2 cores, < 500 MB.
 *   (b) `runCompare` of the two income demo models over 100k rows (no bootstrap) vs two raw
 *       onnxruntime passes (read CSV + encode + session.run, once per model), with onnxruntime's
 *       default session settings and with the paired pass's (threads sleep between runs).
 *       Wall and CPU time, medians. Target ≤ 1.1x.
 * Usage: node --import tsx scripts/bench/compare-impl.ts [predictions] [models]
 *        node --import tsx scripts/bench/compare-impl.ts child <a.csv> <b.csv>   (internal)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Tensor } from 'onnxruntime-node';
import { runCompare } from '../../extension/core/analyze/compare';
import { prepareModel } from '../../extension/core/analyze/session';
import { createInputEncoder, loadSpec, openTable, resolveSpec, type ResolvedSpec } from '../../extension/core/data';
import { Xoshiro128 } from '../../extension/core/metrics/stats';
import { loadOrt } from '../../extension/core/runtime';
import { printTable, writeLines } from './benchTable';

const root = resolve(__dirname, '../..');
const examples = join(root, 'examples');
const PRED_ROWS = 1_000_000;
const REPLICATES = 200;
const MODEL_ROWS = 100_000;
const BATCH = 4096;
const RUNS = 5;



/** Two prediction files of the same rows: B agrees with A on ~90% of rows. */
async function makePredictions(dir: string): Promise<[string, string]> {
  const rng = new Xoshiro128(12);
  const sexes = ['F', 'M'];
  const races = ['A', 'B', 'C'];
  const rows = Array.from({ length: PRED_ROWS }, () => {
    const y = rng.nextU32() & 1;
    const s = rng.nextFloat();
    const pa = Math.min(0.999, Math.max(0.001, y ? 0.35 + 0.6 * s : 0.65 - 0.6 * s));
    const pb = rng.nextFloat() < 0.9 ? pa : 1 - pa;
    return { y, sex: sexes[rng.nextU32() & 1]!, race: races[rng.nextInt(3)]!, pa, pb };
  });
  const a = join(dir, 'a.csv');
  const b = join(dir, 'b.csv');
  await writeLines(a, 'label,sex,race,score', PRED_ROWS, (i) => { const r = rows[i]!; return `${r.y},${r.sex},${r.race},${r.pa.toFixed(4)}`; });
  await writeLines(b, 'label,sex,race,score', PRED_ROWS, (i) => { const r = rows[i]!; return `${r.y},${r.sex},${r.race},${r.pb.toFixed(4)}`; });
  return [a, b];
}

function vmHwmMb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return (match ? Number(match[1]) : process.memoryUsage().rss / 1024) / 1024;
}

async function child(a: string, b: string): Promise<void> {
  const spec = await resolveSpec({ data: a, task: 'binary', label: 'label', groups: ['sex', 'race'], predictions: { file: a, score: 'score' } }, { baseDir: root });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await runCompare(spec, { providers: ['cpu'], target: { kind: 'predictions-b', file: b }, bootstrap: REPLICATES, seed: 1 });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (report.compare.rows !== PRED_ROWS) throw new Error(`expected ${PRED_ROWS} rows`);
  console.log(JSON.stringify({ wall, cpu: (cpu.user + cpu.system) / 1000, hwm: vmHwmMb() }));
}

async function benchPredictions(dir: string): Promise<void> {
  const [a, b] = await makePredictions(dir);
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, 'child', a, b], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(r.stderr);
  const m = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { wall: number; cpu: number; hwm: number };
  printTable(`Compare: two 1M-row prediction files (binary, sex × race), ${REPLICATES} paired bootstrap replicates, fresh process`, [
    { name: 'runCompare wall clock (read both files, metrics, flips, McNemar, paired bootstrap)', value: `${(m.wall / 1000).toFixed(2)} s (CPU ${(m.cpu / 1000).toFixed(2)} s)`, target: '< 5 s', pass: m.wall < 5000 },
    { name: 'peak RSS (VmHWM) of the process', value: `${m.hwm.toFixed(0)} MB`, target: '< 500 MB', pass: m.hwm < 500 },
  ]);
}

async function benchModels(dir: string): Promise<void> {
  const [header = '', ...lines] = readFileSync(join(examples, 'income.csv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const rng = new Xoshiro128(20240611);
  const data = join(dir, 'income-100k.csv');
  await writeLines(data, header, MODEL_ROWS, () => lines[rng.nextU32() % lines.length]!);
  const spec: ResolvedSpec = { ...(await loadSpec(join(examples, 'income-compare.bias.json'))), data, bootstrap: 0 };
  const ort = loadOrt();
  // A raw pass: read the CSV, encode, session.run; nothing else. `spinning: false` gives the raw
  // passes the session settings the comparison's paired pass uses (intra-op threads sleep between
  // runs); the default is onnxruntime's (they spin).
  const rawPass = async (model: string, spinning?: false): Promise<void> => {
    const prepared = await prepareModel(model, { providers: ['cpu'], ...(spec.output ? { output: spec.output } : {}), ...(spinning === false ? { spinning } : {}) });
    const table = await openTable(data, { batchRows: BATCH });
    const encoder = await createInputEncoder(spec, prepared.summary.inputs, table);
    for await (const batch of table.batches()) {
      const feeds: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries((await encoder.encode(batch)).feeds)) feeds[name] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
      await prepared.session.run(feeds, [prepared.output]);
    }
    await encoder.close();
    await table.close();
    await prepared.session.release();
  };
  const raw = async (): Promise<void> => { await rawPass(spec.referenceModel!); await rawPass(spec.model!); };
  const rawSleeping = async (): Promise<void> => { await rawPass(spec.referenceModel!, false); await rawPass(spec.model!, false); };
  const ours = async (): Promise<void> => { await runCompare(spec, { providers: ['cpu'], batchSize: BATCH, target: { kind: 'referenceModel' }, bootstrap: 0 }); };
  /** Wall clock and CPU time (all threads of the process: onnxruntime's included). */
  const time = async (fn: () => Promise<void>): Promise<[number, number]> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const c = process.cpuUsage(c0);
    return [performance.now() - t0, (c.user + c.system) / 1000];
  };
  await raw();
  await rawSleeping();
  await ours();
  const runs = { raw: [] as [number, number][], sleeping: [] as [number, number][], ours: [] as [number, number][] };
  for (let i = 0; i < RUNS; i++) {
    runs.raw.push(await time(raw));
    runs.sleeping.push(await time(rawSleeping));
    runs.ours.push(await time(ours));
  }
  const med = (v: number[]): number => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] ?? NaN;
  const wall = (k: keyof typeof runs): number => med(runs[k].map((r) => r[0]));
  const cpu = (k: keyof typeof runs): number => med(runs[k].map((r) => r[1]));
  const ms = (k: keyof typeof runs): string => `${wall(k).toFixed(0)} ms (CPU ${cpu(k).toFixed(0)} ms)`;
  const ratio = wall('ours') / wall('raw');
  const ratioSleeping = wall('ours') / wall('sleeping');
  printTable(`Compare: the two income demo models over ${MODEL_ROWS / 1000}k rows, CPU provider, batch ${BATCH}, no bootstrap, median of ${RUNS} after a warm-up (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} CPUs)`, [
    { name: 'two raw onnxruntime passes (read CSV + encode + session.run, per model), onnxruntime defaults', value: ms('raw'), target: '', pass: null },
    { name: 'two raw passes, intra-op threads sleeping between runs (the paired pass\'s session setting)', value: ms('sleeping'), target: '', pass: null },
    { name: 'runCompare (one read feeds both sessions + metrics, flips, McNemar, flipped rows with inputs)', value: ms('ours'), target: '', pass: null },
    { name: '**ratio** runCompare / two raw passes (wall clock)', value: `${ratio.toFixed(2)}x (CPU ${(cpu('ours') / cpu('raw')).toFixed(2)}x)`, target: '<= 1.10x', pass: ratio <= 1.1 },
    { name: 'ratio runCompare / two raw passes with sleeping threads (wall clock)', value: `${ratioSleeping.toFixed(2)}x (CPU ${(cpu('ours') / cpu('sleeping')).toFixed(2)}x)`, target: '<= 1.10x', pass: ratioSleeping <= 1.1 },
  ]);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === 'child') return child(args[1] ?? '', args[2] ?? '');
  const parts = args.length ? args : ['predictions', 'models'];
  const dir = mkdtempSync(join(tmpdir(), 'bi-bench-compare-'));
  try {
    if (parts.includes('predictions')) await benchPredictions(dir);
    if (parts.includes('models')) await benchModels(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => { console.error(e); process.exit(1); });
