// Language-model probe benchmark (issue 13): the yes/no probe of the demo LM (examples/tiny-lm.onnx)
// over 1k prompts (lm-prompts.csv rows) against raw onnxruntime over the same batches: the same
// session options and threads, the same right-padded [prompt] sequences of 64, tokenised beforehand,
// logits fetched. "Ours" is the whole runProbe after the model is loaded: read the CSV, fill and
// tokenise the prompts, build the feeds (past_key_values with past length 0), run, log-softmax
// in float64, per-group statistics and §B metrics (bootstrap 0) and report assembly.
// Usage: node --import tsx scripts/bench/probe.mjs [--prompts 1000] [--batch 64] [--repeats 5]
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const args = process.argv.slice(2);
const flag = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : fallback; };
const prompts = flag('--prompts', 1000);
const batchSize = flag('--batch', 64);
const repeats = flag('--repeats', 5);

const data = await import(join(root, 'extension/core/data/index.ts'));
const probe = await import(join(root, 'extension/core/analyze/probe.ts'));
const session = await import(join(root, 'extension/core/analyze/session.ts'));
const lmFeeds = await import(join(root, 'extension/core/onnx/language-model.ts'));
const runtime = await import(join(root, 'extension/core/runtime/index.ts'));

const spec = await data.loadSpec(join(root, 'examples/tiny-lm.bias.json'));
const providers = ['cpu'];

/** Raw onnxruntime: the prepared session, the batches built beforehand, only session.run timed. */
async function raw(prepared) {
  const ort = runtime.loadOrt();
  const lm = lmFeeds.languageModelFeeds(prepared.loaded.proto, prepared.summary.inputs, prepared.summary.outputs, prepared.output, spec.model);
  const tokenizer = await data.loadTokenizer(spec.probe.tokenizer);
  const table = await data.openTable(spec.data, { batchRows: 4096 });
  const rows = [];
  for await (const batch of table.batches()) {
    const text = batch.column('text');
    for (let i = 0; i < batch.length && rows.length < prompts; i++) rows.push(tokenizer.ids(spec.probe.prompt.replace('{text}', text[i]), true));
  }
  await table.close();
  const batches = [];
  for (let s = 0; s < rows.length; s += batchSize) {
    const chunk = rows.slice(s, s + batchSize);
    const b = chunk.length;
    const t = Math.max(...chunk.map((r) => r.length));
    const ids = new BigInt64Array(b * t);
    const mask = new BigInt64Array(b * t);
    const pos = new BigInt64Array(b * t);
    chunk.forEach((r, i) => { for (let j = 0; j < t; j++) { ids[i * t + j] = BigInt(r[j] ?? tokenizer.padId); mask[i * t + j] = j < r.length ? 1n : 0n; pos[i * t + j] = BigInt(j); } });
    const feeds = { [lm.ids.name]: new ort.Tensor('int64', ids, [b, t]), [lm.mask.name]: new ort.Tensor('int64', mask, [b, t]), [lm.positions.name]: new ort.Tensor('int64', pos, [b, t]) };
    for (const p of lm.past) feeds[p.name] = new ort.Tensor('float32', new Float32Array(0), p.dims.map((d) => (d === -1 ? b : d)));
    batches.push(feeds);
  }
  const t0 = performance.now();
  for (const feeds of batches) await prepared.session.run(feeds, [lm.logits]);
  return { ms: performance.now() - t0, rows: rows.length };
}

async function ours() {
  const t0 = performance.now();
  const report = await probe.runProbe(spec, { providers, batchSize, bootstrap: 0, maxRows: prompts });
  return { ms: performance.now() - t0, rows: report.probe.prompts, load: 0 };
}

// Session creation is timed apart: both sides open the same model the same way.
const prepared = await session.prepareModel(spec.model, { providers });
const oursMs = [];
const rawMs = [];
let n = 0;
for (let r = 0; r < repeats; r++) {
  const a = await raw(prepared);
  const tLoad = performance.now();
  const probeLoad = await session.prepareModel(spec.model, { providers });
  const loadMs = performance.now() - tLoad;
  await probeLoad.session.release();
  const b = await ours();
  rawMs.push(a.ms);
  oursMs.push(b.ms - loadMs);
  n = b.rows;
}
await prepared.session.release();
const best = (xs) => Math.min(...xs);
const ratio = best(oursMs) / best(rawMs);
console.log(`probe (yes/no, ${n} prompts of examples/tiny-lm, batch ${batchSize}, best of ${repeats}):`);
console.log(`  ours (runProbe less one model load) ${best(oursMs).toFixed(0)} ms   raw onnxruntime (same batches) ${best(rawMs).toFixed(0)} ms   ratio ${ratio.toFixed(2)}x   target <= 1.20x: ${ratio <= 1.2 ? 'PASS' : 'MISS'}`);
console.log(`  all runs: ours ${oursMs.map((x) => x.toFixed(0)).join(', ')} ms; raw ${rawMs.map((x) => x.toFixed(0)).join(', ')} ms`);
