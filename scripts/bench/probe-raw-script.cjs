// The raw side of `probe.mjs --cli N`: what a user's own script does for the demo LM's yes/no
// probe, as one fresh process. It reads the prompts with a plain split (the CSV has no quotes:
// cheaper than any CSV parser), tokenises each distinct prompt once with tokenizers.js, runs
// onnxruntime over the same right-padded batches with past_key_values of length 0, fetches the
// logits and releases the session. No scores, statistics or report.
// Usage: node scripts/bench/probe-raw-script.cjs <model> <tokenizer.json> <csv> <prompt with {text}> <rows> <batch> <threads> <pad id>
const { readFileSync } = require('node:fs');
const ort = require('onnxruntime-node');
const { Tokenizer } = require('@huggingface/tokenizers');

async function main() {
  const [model, tokenizerPath, csv, template, rowsArg, batchArg, threadsArg, padArg] = process.argv.slice(2);
  const rows = Number(rowsArg);
  const batch = Number(batchArg);
  const lines = readFileSync(csv, 'utf8').split('\n');
  const column = lines[0].split(',').indexOf('text');
  const texts = lines.slice(1, rows + 1).map((line) => template.replace('{text}', line.split(',')[column]));
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: Number(threadsArg) });
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(tokenizerPath, 'utf8')), {});
  const seen = new Map();
  const ids = texts.map((t) => {
    let row = seen.get(t);
    if (!row) seen.set(t, (row = tokenizer.encode(t, { add_special_tokens: true }).ids));
    return row;
  });
  const pad = Number(padArg);
  const past = session.inputMetadata.filter((m) => m.name.startsWith('past_key_values'));
  for (let s = 0; s < ids.length; s += batch) {
    const chunk = ids.slice(s, s + batch);
    const b = chunk.length;
    let t = 0;
    for (const r of chunk) if (r.length > t) t = r.length;
    const int64 = (fill) => {
      const a = new BigInt64Array(b * t);
      const w = new Int32Array(a.buffer);
      for (let i = 0; i < b; i++) for (let j = 0; j < t; j++) w[(i * t + j) * 2] = fill(i, j);
      return a;
    };
    const feeds = {
      input_ids: new ort.Tensor('int64', int64((i, j) => (j < chunk[i].length ? chunk[i][j] : pad)), [b, t]),
      attention_mask: new ort.Tensor('int64', int64((i, j) => (j < chunk[i].length ? 1 : 0)), [b, t]),
      position_ids: new ort.Tensor('int64', int64((_i, j) => j), [b, t]),
    };
    for (const p of past) feeds[p.name] = new ort.Tensor('float32', new Float32Array(0), p.shape.map((d) => (typeof d === 'number' ? d : /past/.test(d) ? 0 : b)));
    await session.run(feeds, ['logits']);
  }
  await session.release();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
