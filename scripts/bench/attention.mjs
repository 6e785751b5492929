// Attention benchmark (issue #5): dataset-mean attention of the demo transformer over 10k samples
// (comments.jsonl repeated) against a raw onnxruntime run of the same model with the attention
// outputs exposed, over the same pre-encoded batches; and peak RSS for 1k vs 10k samples, each in
// a fresh process. Usage: node --import tsx scripts/bench/attention.mjs [--samples 10000] [--batch 64] [--no-worker]
// (aggregation runs in a worker thread unless --no-worker: the bundled worker after `npm run build`)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const args = process.argv.slice(2);
const flag = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : fallback; };
const samples = flag('--samples', 10000);
const batchSize = flag('--batch', 64);

const core = async () => ({
  data: await import(join(root, 'extension/core/data/index.ts')),
  analyze: await import(join(root, 'extension/core/analyze/attention.ts')),
  extract: await import(join(root, 'extension/core/attention/extract.ts')),
  onnx: await import(join(root, 'extension/core/onnx/index.ts')),
  runtime: await import(join(root, 'extension/core/runtime/index.ts')),
});

function repeatedData(dir, n) {
  const lines = readFileSync(join(root, 'examples/comments.jsonl'), 'utf8').split('\n').filter(Boolean);
  const out = Array.from({ length: n }, (_, i) => lines[i % lines.length]);
  const path = join(dir, `comments-${n}.jsonl`);
  writeFileSync(path, `${out.join('\n')}\n`);
  return path;
}

async function spec(m, data) {
  const base = JSON.parse(readFileSync(join(root, 'examples/tiny-transformer.bias.json'), 'utf8'));
  return m.data.resolveSpec({ ...base, model: join(root, 'examples/tiny-transformer.onnx'), data }, { baseDir: join(root, 'examples') });
}

/**
 * The worker the CLI and the extension use: the bundled dist/workers/attention.worker.js (after
 * `npm run build`), else the TypeScript source through tsx (which compiles it at every start).
 */
function aggregationWorker() {
  const bundled = join(root, 'dist/workers/attention.worker.js');
  if (existsSync(bundled)) return { workerPath: bundled };
  return { workerPath: join(root, 'extension/core/attention/attention.worker.ts'), workerExecArgv: ['--require', 'tsx/cjs'] };
}

async function ours(m, s) {
  const t0 = performance.now();
  const worker = args.includes('--no-worker') ? {} : aggregationWorker();
  const report = await m.analyze.runAttention(s, { providers: ['cpu'], batchSize, ...worker });
  return { ms: performance.now() - t0, samples: report.attention.samples };
}

/** Raw onnxruntime: the exposed model, same session options, the same batches encoded beforehand. */
async function raw(m, s, threads) {
  const loaded = await m.onnx.loadModel(s.model);
  const graph = m.extract.findAttention(loaded.proto);
  const bytes = m.onnx.encodeModel(m.extract.exposeAttention(loaded.proto, graph));
  const { session } = await m.runtime.openSession(bytes, s.model, { providers: ['cpu'], disableOptimizations: true, ...(threads ? { threads } : {}) });
  const ort = m.runtime.loadOrt();
  const table = await m.data.openTable(s.data, { batchRows: batchSize });
  const encoder = await m.data.createInputEncoder(s, m.onnx.summarizeModel(loaded).inputs, table);
  const tEncode = performance.now();
  const batches = [];
  for await (const batch of table.batches()) {
    const e = await encoder.encode(batch);
    batches.push(Object.fromEntries(Object.entries(e.feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype, t.data, [...t.dims])])));
  }
  const encodeMs = performance.now() - tEncode;
  await table.close();
  const fetches = graph.sites.map((x) => x.tensor);
  const t0 = performance.now();
  for (const feeds of batches) await session.run(feeds, fetches);
  const ms = performance.now() - t0;
  await session.release();
  return { ms, encodeMs };
}

async function child(n) {
  const m = await core();
  const dir = mkdtempSync(join(tmpdir(), 'attn-bench-'));
  try {
    const s = await spec(m, repeatedData(dir, n));
    const r = await ours(m, s);
    process.stdout.write(JSON.stringify({ n, ms: r.ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (args[0] === '--child') return child(Number(args[1]));
  const m = await core();
  const dir = mkdtempSync(join(tmpdir(), 'attn-bench-'));
  try {
    const s = await spec(m, repeatedData(dir, samples));
    await ours(m, await spec(m, repeatedData(dir, 500))); // warm up
    const runs = [];
    const threads = m.analyze.defaultThreads();
    for (let r = 0; r < 3; r++) runs.push({ ours: await ours(m, s), raw: await raw(m, s, threads), rawDefault: await raw(m, s, 0) });
    const best = (k) => Math.min(...runs.map((r) => r[k].ms));
    const oursMs = best('ours');
    const rawMs = best('raw');
    const encodeMs = Math.min(...runs.map((r) => r.raw.encodeMs));
    console.log(`machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
    console.log(`samples ${samples}, batch ${batchSize}, best of 3`);
    console.log(`ours (read + encode + run + aggregate + bias): ${oursMs.toFixed(0)} ms`);
    console.log(`raw onnxruntime run, attention exposed, pre-encoded batches, same session options (${threads} intra-op threads): ${rawMs.toFixed(0)} ms (+ ${encodeMs.toFixed(0)} ms read + encode)`);
    console.log(`raw run with onnxruntime's default thread pool: ${best('rawDefault').toFixed(0)} ms`);
    console.log(`ratio vs raw run: ${(oursMs / rawMs).toFixed(3)}x; vs raw run + read/encode: ${(oursMs / (rawMs + encodeMs)).toFixed(3)}x (target <= 1.20x)`);
    for (const n of [1000, 10000]) {
      const out = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(n)], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(out.stderr);
      const r = JSON.parse(out.stdout);
      console.log(`peak RSS, ${n} samples (fresh process): ${r.maxRssMiB.toFixed(0)} MiB (${r.ms.toFixed(0)} ms)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
