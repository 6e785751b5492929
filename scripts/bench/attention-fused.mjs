// Fused-attention benchmark (issue 13): the attention analysis of a model whose attention is
// com.microsoft Attention (4 layers, hidden 64, 4 heads: test/fixtures/attention/bench_fused.onnx),
// rewritten in memory into primitive ops and checked on the first batch against the original,
// against the same analysis of the unfused export of the same weights (bench_unfused.onnx).
// Same data (seeded ids, lengths 16..64), same options; best of --rounds, runs alternated (the
// best of several is what survives a shared, loaded machine).
// Usage: node --import tsx scripts/bench/attention-fused.mjs [--samples 1000] [--batch 64] [--rounds 5]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const args = process.argv.slice(2);
const flag = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : fallback; };
const samples = flag('--samples', 1000);
const rounds = flag('--rounds', 5);
const batchSize = flag('--batch', 64);
const fixtures = join(root, 'test/fixtures/attention');

const data = await import(join(root, 'extension/core/data/index.ts'));
const analyze = await import(join(root, 'extension/core/analyze/attention.ts'));

/** Seeded rows: ids in [1, 1000), length 16..64, a group column. */
function writeData(dir) {
  let state = 13;
  const next = () => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648; };
  const lines = Array.from({ length: samples }, (_, i) => {
    const n = 16 + Math.floor(next() * 49);
    const ids = Array.from({ length: n }, () => 1 + Math.floor(next() * 999));
    return JSON.stringify({ ids, group: i % 3 === 0 ? 'a' : 'b' });
  });
  const path = join(dir, 'rows.jsonl');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function worker() {
  const bundled = join(root, 'dist/workers/attention.worker.js');
  return existsSync(bundled) ? { workerPath: bundled } : {};
}

async function once(model, rows) {
  const spec = await data.resolveSpec({ model: join(fixtures, model), data: rows, inputs: { input_ids: { column: 'ids' } }, groups: ['group'] }, { baseDir: fixtures });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const report = await analyze.runAttention(spec, { providers: ['cpu'], batchSize, ...worker() });
  const c = process.cpuUsage(c0); // every thread of the process: the worker's and onnxruntime's included
  return { ms: performance.now() - t0, cpu: (c.user + c.system) / 1000, report };
}

const dir = mkdtempSync(join(tmpdir(), 'bi-bench-fused-'));
try {
  const rows = writeData(dir);
  await once('bench_unfused.onnx', rows); // warm-up (file cache, onnxruntime load)
  const fused = [];
  const unfused = [];
  const fusedCpu = [];
  const unfusedCpu = [];
  let reports;
  for (let i = 0; i < rounds; i++) {
    const a = await once('bench_fused.onnx', rows);
    const b = await once('bench_unfused.onnx', rows);
    fused.push(a.ms);
    unfused.push(b.ms);
    fusedCpu.push(a.cpu);
    unfusedCpu.push(b.cpu);
    reports = [a.report, b.report];
  }
  // Same weights: the per-head statistics of both runs agree.
  let worst = 0;
  reports[0].attention.perHead.forEach((h, i) => { worst = Math.max(worst, Math.abs(h.entropy - reports[1].attention.perHead[i].entropy)); });
  const best = (xs) => Math.min(...xs);
  const ratio = best(fused) / best(unfused);
  console.log(`attention over ${samples} rows (lengths 16..64, 4 layers × 4 heads, batch ${batchSize})`);
  console.log(`| case | best of ${rounds} | runs |`);
  console.log('|---|---|---|');
  console.log(`| rewritten com.microsoft Attention (bench_fused.onnx) | ${best(fused).toFixed(0)} ms | ${fused.map((x) => x.toFixed(0)).join(' / ')} ms |`);
  console.log(`| unfused export, same weights (bench_unfused.onnx) | ${best(unfused).toFixed(0)} ms | ${unfused.map((x) => x.toFixed(0)).join(' / ')} ms |`);
  console.log(`CPU time (all threads), best: fused ${best(fusedCpu).toFixed(0)} ms, unfused ${best(unfusedCpu).toFixed(0)} ms, ratio ${(best(fusedCpu) / best(unfusedCpu)).toFixed(2)}x; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`fused / unfused: ${ratio.toFixed(2)}x (target ≤ 1.20x): ${ratio <= 1.2 ? 'PASS' : 'MISS'}; largest per-head entropy difference ${worst.toExponential(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
