// Language-model probe benchmark (issue 13): the yes/no probe of the demo LM (examples/tiny-lm.onnx)
// over 1k prompts (lm-prompts.csv rows) against raw onnxruntime over the same batches. Both sides
// do the whole job from the files: open the session (same options and threads), tokenise the 1k
// filled prompts with the model's tokenizer.json, run the same right-padded batches of 64 with
// past_key_values of length 0 and fetch the logits, release the session. "Ours" is runProbe:
// it also reads the spec's CSV through the encoder (groups, labels), summarises the model, takes
// the float64 log-softmax, per-group statistics and §B metrics (bootstrap 0) and builds the report.
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

/** The filled prompts, read once (raw onnxruntime gets its text without a CSV pass of its own). */
async function promptTexts() {
  const table = await data.openTable(spec.data, { batchRows: 4096 });
  const out = [];
  for await (const batch of table.batches()) {
    const text = batch.column('text');
    for (let i = 0; i < batch.length && out.length < prompts; i++) out.push(spec.probe.prompt.replace('{text}', text[i]));
  }
  await table.close();
  return out;
}

/**
 * Raw onnxruntime: open, tokenise, the same batches, run with the logits fetched, release.
 * `cache`: tokenise each distinct prompt once, as runProbe does (the strong baseline).
 */
async function raw(texts, inputs, cache = false) {
  const ort = runtime.loadOrt();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { session } = await runtime.openSession(spec.model, spec.model, { providers });
  const tokenizer = await data.loadTokenizer(spec.probe.tokenizer);
  const seen = new Map();
  const rows = texts.map((t) => {
    if (!cache) return tokenizer.ids(t, true);
    let ids = seen.get(t);
    if (!ids) seen.set(t, (ids = tokenizer.ids(t, true)));
    return ids;
  });
  for (let s = 0; s < rows.length; s += batchSize) {
    const chunk = rows.slice(s, s + batchSize);
    const b = chunk.length;
    const t = Math.max(...chunk.map((r) => r.length));
    const ids = new BigInt64Array(b * t);
    const mask = new BigInt64Array(b * t);
    const pos = new BigInt64Array(b * t);
    chunk.forEach((r, i) => { for (let j = 0; j < t; j++) { ids[i * t + j] = BigInt(r[j] ?? tokenizer.padId); mask[i * t + j] = j < r.length ? 1n : 0n; pos[i * t + j] = BigInt(j); } });
    const feeds = { [inputs.ids.name]: new ort.Tensor('int64', ids, [b, t]), [inputs.mask.name]: new ort.Tensor('int64', mask, [b, t]), [inputs.positions.name]: new ort.Tensor('int64', pos, [b, t]) };
    for (const p of inputs.past) feeds[p.name] = new ort.Tensor('float32', new Float32Array(0), p.dims.map((d) => (d === -1 ? b : d)));
    await session.run(feeds, [inputs.logits]);
  }
  await session.release();
  return { ms: performance.now() - t0, cpu: cpuMs(c0), rows: rows.length };
}

async function ours() {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const report = await probe.runProbe(spec, { providers, batchSize, bootstrap: 0, maxRows: prompts });
  return { ms: performance.now() - t0, cpu: cpuMs(c0), rows: report.probe.prompts };
}

/** CPU time of the whole process (every thread, onnxruntime's included) since `c0`, in ms. */
function cpuMs(c0) {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const texts = await promptTexts();
const prepared = await session.prepareModel(spec.model, { providers });
const inputs = lmFeeds.languageModelFeeds(prepared.proto, prepared.summary.inputs, prepared.summary.outputs, prepared.output, spec.model);
await prepared.session.release();
const oursMs = [];
const rawMs = [];
const oursCpu = [];
const rawCpu = [];
const cachedMs = [];
const cachedCpu = [];
let n = 0;
for (let r = 0; r < repeats; r++) {
  const a = await raw(texts, inputs);
  const b = await ours();
  const c = await raw(texts, inputs, true);
  cachedMs.push(c.ms);
  cachedCpu.push(c.cpu);
  rawMs.push(a.ms);
  oursMs.push(b.ms);
  rawCpu.push(a.cpu);
  oursCpu.push(b.cpu);
  n = b.rows;
}
const best = (xs) => Math.min(...xs);
const ratio = best(oursMs) / best(rawMs);
console.log(`probe (yes/no, ${n} prompts of examples/tiny-lm, batch ${batchSize}, best of ${repeats}):`);
console.log(`  ours (runProbe) ${best(oursMs).toFixed(0)} ms   raw onnxruntime (open, tokenise, same batches, release) ${best(rawMs).toFixed(0)} ms   ratio ${ratio.toFixed(2)}x   target <= 1.20x: ${ratio <= 1.2 ? 'PASS' : 'MISS'}`);
const cpuRatio = best(oursCpu) / best(rawCpu);
console.log(`  CPU time (all threads): ours ${best(oursCpu).toFixed(0)} ms   raw ${best(rawCpu).toFixed(0)} ms   ratio ${cpuRatio.toFixed(2)}x`);
const cached = best(oursMs) / best(cachedMs);
const cachedCpuRatio = best(oursCpu) / best(cachedCpu);
console.log(`  strong baseline, raw onnxruntime tokenising each distinct prompt once (as ours): ${best(cachedMs).toFixed(0)} ms, CPU ${best(cachedCpu).toFixed(0)} ms   ratio ${cached.toFixed(2)}x wall, ${cachedCpuRatio.toFixed(2)}x CPU   target <= 1.20x: ${cached <= 1.2 ? 'PASS' : 'MISS'}`);
console.log(`  load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`  all runs: ours ${oursMs.map((x) => x.toFixed(0)).join(', ')} ms; raw ${rawMs.map((x) => x.toFixed(0)).join(', ')} ms; raw (cached tokens) ${cachedMs.map((x) => x.toFixed(0)).join(', ')} ms`);
