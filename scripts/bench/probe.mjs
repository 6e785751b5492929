// Language-model probe benchmark (issue 13): the yes/no probe of the demo LM (examples/tiny-lm.onnx)
// over 1k prompts (lm-prompts.csv rows) against raw onnxruntime over the same batches. Every side
// does the whole job from the files: open the session (same options, same intra-op threads),
// tokenise the 1k filled prompts with the model's tokenizer.json, run the same right-padded batches
// of 64 with past_key_values of length 0 and fetch the logits, release the session. "Ours" is
// runProbe: it also reads the spec's CSV through the encoder (groups, labels), decodes and
// summarises the model for the report, reads the answers' logits, per-group statistics and §B
// metrics (bootstrap 0) and builds the report. Two raw sides: tokenising all 1k prompts, and the
// strong baseline that tokenises each distinct prompt once (runProbe's own cache). The raw sides
// tokenise with tokenizers.js itself (`new Tokenizer(json).encode`), as a script would, not with
// our loader (which memoizes byte-level pieces: core/data/byteLevelMemo.ts).
// Raw builds its int64 feeds as runProbe does (32-bit low words, no BigInt per element).
// The sides run in turn, the order rotating every repeat; ratios are of the medians.
// Usage: node --import tsx scripts/bench/probe.mjs [--prompts 1000] [--batch 64] [--repeats 9]
//   [--warmup 1] [--threads N (default: runProbe's own choice)] [--ort-default (also time the strong
//   baseline with onnxruntime's default intra-op threads)] [--cold N (also N fresh processes per side,
//   one call each: the CLI's case, no JIT warm-up)] [--cli N (N runs of the built CLI against a raw
//   script, each a fresh process: the whole job as a user runs it; default 8 when dist/cli.js and
//   /usr/bin/time exist, --cli 0 skips it)]
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const args = process.argv.slice(2);
const flag = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : fallback; };
const prompts = flag('--prompts', 1000);
const batchSize = flag('--batch', 64);
const repeats = flag('--repeats', 9);
const warmup = flag('--warmup', 1);
const ortDefault = args.includes('--ort-default');

const data = await import(join(root, 'extension/core/data/index.ts'));
const probe = await import(join(root, 'extension/core/analyze/probe.ts'));
const session = await import(join(root, 'extension/core/analyze/session.ts'));
const lmFeeds = await import(join(root, 'extension/core/onnx/language-model.ts'));
const runtime = await import(join(root, 'extension/core/runtime/index.ts'));

const spec = await data.loadSpec(join(root, 'examples/tiny-lm.bias.json'));
const { Tokenizer } = createRequire(join(root, 'package.json'))('@huggingface/tokenizers');
// The pad id a script would write down (the same one runProbe pads with).
const padId = (await data.loadTokenizer(spec.probe.tokenizer)).padId;
const providers = ['cpu'];
// runProbe's default (probe.ts probeThreads): every physical core but one for a small model.
const threads = flag('--threads', runtime.sessionThreads(statSync(spec.model).size, false));

/** The filled prompts, read once (raw onnxruntime gets its text without a CSV pass of its own). */
async function promptTexts() {
  const table = await data.openTable(spec.data, { batchRows: 4096 });
  const out = [];
  try {
    for await (const batch of table.batches()) {
      const text = batch.column('text');
      for (let i = 0; i < batch.length && out.length < prompts; i++) out.push(spec.probe.prompt.replace('{text}', text[i]));
      if (out.length >= prompts) break;
    }
  } finally {
    await table.close();
  }
  return out;
}

/** A [b, t] int64 tensor's data filled through its low 32-bit words (little-endian; values are small and non-negative). */
function int64(b, t, fill) {
  const a = new BigInt64Array(b * t);
  const w = new Int32Array(a.buffer);
  for (let i = 0; i < b; i++) for (let j = 0; j < t; j++) w[(i * t + j) * 2] = fill(i, j);
  return a;
}

/**
 * Raw onnxruntime: open, tokenise, the same batches, run with the logits fetched, release.
 * `cache`: tokenise each distinct prompt once, as runProbe does (the strong baseline).
 * `sessionThreads` 0: onnxruntime's default.
 */
async function raw(texts, inputs, cache, sessionThreads = threads) {
  const ort = runtime.loadOrt();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { session } = await runtime.openSession(spec.model, spec.model, { providers, ...(sessionThreads ? { threads: sessionThreads } : {}) });
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(spec.probe.tokenizer, 'utf8')), {});
  const encode = (t) => tokenizer.encode(t, { add_special_tokens: true }).ids;
  const seen = new Map();
  const rows = texts.map((t) => {
    if (!cache) return encode(t);
    let ids = seen.get(t);
    if (!ids) seen.set(t, (ids = encode(t)));
    return ids;
  });
  const pad = padId;
  for (let s = 0; s < rows.length; s += batchSize) {
    const chunk = rows.slice(s, s + batchSize);
    const b = chunk.length;
    let t = 0;
    for (const r of chunk) if (r.length > t) t = r.length;
    const feeds = {
      [inputs.ids.name]: new ort.Tensor('int64', int64(b, t, (i, j) => (j < chunk[i].length ? chunk[i][j] : pad)), [b, t]),
      [inputs.mask.name]: new ort.Tensor('int64', int64(b, t, (i, j) => (j < chunk[i].length ? 1 : 0)), [b, t]),
      [inputs.positions.name]: new ort.Tensor('int64', int64(b, t, (_i, j) => j), [b, t]),
    };
    for (const p of inputs.past) feeds[p.name] = new ort.Tensor('float32', new Float32Array(0), p.dims.map((d) => (d === -1 ? b : d)));
    await session.run(feeds, [inputs.logits]);
  }
  await session.release();
  return { ms: performance.now() - t0, cpu: cpuMs(c0), rows: rows.length };
}

async function ours() {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const report = await probe.runProbe(spec, { providers, batchSize, bootstrap: 0, maxRows: prompts, threads });
  return { ms: performance.now() - t0, cpu: cpuMs(c0), rows: report.probe.prompts };
}

/** CPU time of the whole process (every thread, onnxruntime's and V8's included) since `c0`, in ms. */
function cpuMs(c0) {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** The prompts and the raw sides' inputs (this reads the CSV and decodes the model with our code). */
async function rawSetup() {
  const texts = await promptTexts();
  const prepared = await session.prepareModel(spec.model, { providers });
  const inputs = lmFeeds.languageModelFeeds(prepared.proto, prepared.summary.inputs, prepared.summary.outputs, prepared.output, spec.model);
  await prepared.session.release();
  if (!inputs.mask || !inputs.positions || inputs.ids.dtype !== 'int64') throw new Error('the bench expects int64 input_ids, attention_mask and position_ids');
  return { texts, inputs };
}

// --one <side>: one call of that side in this fresh process (onnxruntime initialised first on
// another model), printed as JSON: the cold case a CLI run is (no JIT warm-up). For `ours` the
// process reads no CSV and decodes no model before the call: its first run of that code is timed.
const one = args.includes('--one') ? args[args.indexOf('--one') + 1] : undefined;
if (one) {
  const warm = await runtime.openSession(join(root, 'examples/income-mlp.onnx'), 'income-mlp.onnx', { providers });
  await warm.session.release();
  let res;
  if (one === 'ours') res = await ours();
  else {
    const { texts, inputs } = await rawSetup();
    res = await raw(texts, inputs, one === 'cached');
  }
  process.stdout.write(`${JSON.stringify(res)}\n`);
  process.exit(0);
}

const { texts, inputs } = await rawSetup();

// No collection is forced between calls: a full GC shrinks the young generation, and the next
// call then pays extra scavenges in proportion to what it allocates (measured: ours 0.1–0.15x
// worse against the strong baseline with a gc() before every call); a process that runs analyses
// one after another never does that.
const sides = {
  ours: { run: ours, ms: [], cpu: [] },
  raw: { run: () => raw(texts, inputs, false), ms: [], cpu: [] },
  cached: { run: () => raw(texts, inputs, true), ms: [], cpu: [] },
  ...(ortDefault ? { cachedOrtDefault: { run: () => raw(texts, inputs, true, 0), ms: [], cpu: [] } } : {}),
};
// --sides ours,cached: time only these sides
const only = args.includes('--sides') ? args[args.indexOf('--sides') + 1].split(',') : null;
const names = Object.keys(sides).filter((name) => !only || only.includes(name));
const loadBefore = loadavg();
for (let r = 0; r < warmup; r++) for (const name of names) await sides[name].run();
let n = 0;
for (let r = 0; r < repeats; r++) {
  // rotate the order so that no side always runs right after another's garbage
  for (let k = 0; k < names.length; k++) {
    const side = sides[names[(r + k) % names.length]];
    const res = await side.run();
    side.ms.push(res.ms);
    side.cpu.push(res.cpu);
    if (side === sides.ours) n = res.rows;
  }
}
const loadAfter = loadavg();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const best = (xs) => Math.min(...xs);
const f0 = (x) => x.toFixed(0);
const line = (label, side) => `${label}: median ${f0(median(side.ms))} ms wall, ${f0(median(side.cpu))} ms CPU (best ${f0(best(side.ms))} / ${f0(best(side.cpu))})`;
const verdict = (a, b) => {
  const wall = median(a.ms) / median(b.ms);
  const cpu = median(a.cpu) / median(b.cpu);
  return `ratio of medians ${wall.toFixed(2)}x wall, ${cpu.toFixed(2)}x CPU   target <= 1.20x: ${wall <= 1.2 && cpu <= 1.2 ? 'PASS' : 'MISS'}`;
};
console.log(`probe (yes/no, ${n} prompts of examples/tiny-lm, batch ${batchSize}, ${threads} intra-op thread(s), ${repeats} repeats after ${warmup} warm-up round(s)):`);
console.log(`  ${line('ours (runProbe)', sides.ours)}`);
if (names.includes('raw')) {
  console.log(`  ${line('raw onnxruntime (open, tokenise every prompt, same batches, release)', sides.raw)}`);
  console.log(`    ${verdict(sides.ours, sides.raw)}`);
}
console.log(`  ${line('strong baseline: raw onnxruntime tokenising each distinct prompt once (as ours)', sides.cached)}`);
console.log(`    ${verdict(sides.ours, sides.cached)}`);
if (names.includes('cachedOrtDefault')) console.log(`  ${line("the strong baseline with onnxruntime's default intra-op threads", sides.cachedOrtDefault)}`);
console.log(`  load average ${loadBefore.map((x) => x.toFixed(1)).join(' ')} before, ${loadAfter.map((x) => x.toFixed(1)).join(' ')} after (1, 5, 15 min)`);
for (const name of names) console.log(`  ${name}: wall ${sides[name].ms.map(f0).join(', ')} ms; CPU ${sides[name].cpu.map(f0).join(', ')} ms`);

// Cold: --cold N fresh processes per side, each timing a single call (the sides alternate).
const cold = flag('--cold', 0);
if (cold > 0) {
  const { spawnSync } = await import('node:child_process');
  const coldSides = { ours: { ms: [], cpu: [] }, cached: { ms: [], cpu: [] } };
  for (let r = 0; r < cold; r++) {
    for (const name of r % 2 ? ['cached', 'ours'] : ['ours', 'cached']) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--one', name, '--prompts', String(prompts), '--batch', String(batchSize), '--threads', String(threads)], { encoding: 'utf8', cwd: root });
      if (child.status !== 0) throw new Error(`--one ${name} failed: ${child.stderr}`);
      const res = JSON.parse(child.stdout.trim().split('\n').pop());
      coldSides[name].ms.push(res.ms);
      coldSides[name].cpu.push(res.cpu);
    }
  }
  console.log(`cold: one call per fresh process (onnxruntime initialised on another model first), ${cold} processes per side:`);
  console.log(`  ${line('ours (runProbe)', coldSides.ours)}`);
  console.log(`  ${line('strong baseline', coldSides.cached)}`);
  console.log(`    ${verdict(coldSides.ours, coldSides.cached)}`);
  console.log(`  load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} after`);
}

// --cli N: the whole job as a user runs it, N fresh processes per side, alternating: the built
// CLI (`node dist/cli.js probe --bootstrap 0 --samples <prompts>`: node start, the bundle, spec,
// model decode and summary, CSV, encoder, scoring, statistics, the JSON report written) against
// probe-raw-script.cjs (node start, onnxruntime and tokenizers.js loaded, the prompts split from
// the file, each distinct prompt tokenised once, the same batches). Wall and CPU (user + system
// of every thread) from /usr/bin/time; needs `npm run build`.
// The default (`npm run bench`, which builds first): 8 when the build and /usr/bin/time are there.
const { existsSync } = await import('node:fs');
const cli = join(root, 'dist/cli.js');
const cliRuns = flag('--cli', existsSync(cli) && existsSync('/usr/bin/time') ? 8 : 0);
if (cliRuns === 0 && !args.includes('--cli')) console.log('CLI end to end: skipped (needs npm run build and /usr/bin/time; --cli N)');
if (cliRuns > 0) {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  if (!existsSync(cli)) throw new Error('--cli needs the build (npm run build)');
  if (!existsSync('/usr/bin/time')) throw new Error('--cli needs /usr/bin/time');
  const dir = mkdtempSync(join(tmpdir(), 'probe-bench-'));
  const commands = {
    cli: [process.execPath, cli, 'probe', '--spec', join(root, 'examples/tiny-lm.bias.json'), '--ep', 'cpu', '--bootstrap', '0', '--samples', String(prompts), '--batch-size', String(batchSize), '--json', join(dir, 'report.json')],
    raw: [process.execPath, join(root, 'scripts/bench/probe-raw-script.cjs'), spec.model, spec.probe.tokenizer, spec.data, spec.probe.prompt, String(prompts), String(batchSize), String(threads), String(padId)],
  };
  const timed = { cli: { ms: [], cpu: [] }, raw: { ms: [], cpu: [] } };
  // one untimed run each first: the CLI writes its compile cache, the OS caches the files
  for (const name of ['cli', 'raw']) spawnSync(commands[name][0], commands[name].slice(1), { cwd: root });
  for (let r = 0; r < cliRuns; r++) {
    for (const name of r % 2 ? ['raw', 'cli'] : ['cli', 'raw']) {
      const child = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', ...commands[name]], { cwd: root, encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`${name} failed: ${child.stderr}`);
      const [, wall, user, sys] = /TIME (\S+) (\S+) (\S+)\s*$/.exec(child.stderr) ?? [];
      timed[name].ms.push(Number(wall) * 1000);
      timed[name].cpu.push((Number(user) + Number(sys)) * 1000);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`CLI end to end: ${cliRuns} fresh processes per side, alternating (/usr/bin/time, 10 ms resolution):`);
  console.log(`  ${line('bias-inspector probe (the built CLI, JSON report)', timed.cli)}`);
  console.log(`  ${line("a user's raw script (probe-raw-script.cjs)", timed.raw)}`);
  console.log(`    ${verdict(timed.cli, timed.raw)}`);
  console.log(`  load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} after`);
}
