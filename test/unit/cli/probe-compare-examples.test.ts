// The demo's two LM checkpoints (issue 13): `compare --spec examples/tiny-lm-compare.bias.json`
// runs the yes/no probe on tiny-lm.onnx (A, the spec's referenceModel) and tiny-lm-debiased.onnx
// (B) over lm-prompts.csv. The expected per-group counts come from this test's own pass: the
// prompts tokenised with @huggingface/tokenizers, both models run with onnxruntime-node, s =
// logit(" yes") − logit(" no") at the last prompt token (the log-softmax normaliser cancels),
// prediction s > 0 against the `qualified` label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import type { CompareReport } from '../../../extension/protocol/compare';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');
const examples = join(root, 'examples');
const QUESTION = ' answer yes or no:';

interface Row { text: string; group: string; qualified: number }

function rows(): Row[] {
  const [, ...lines] = readFileSync(join(examples, 'lm-prompts.csv'), 'utf8').trimEnd().split('\n');
  return lines.map((line) => {
    const [text, group, , , qualified] = line.split(',');
    return { text: text!, group: group!, qualified: Number(qualified) };
  });
}

/** s per prompt for one model: right-padded batches, past_key_values of length 0. */
async function skews(model: string, prompts: readonly number[][], yes: number, no: number): Promise<Float64Array> {
  const session = await ort.InferenceSession.create(join(examples, model));
  const out = new Float64Array(prompts.length);
  try {
    for (let start = 0; start < prompts.length; start += 200) {
      const chunk = prompts.slice(start, start + 200);
      const b = chunk.length;
      const t = Math.max(...chunk.map((p) => p.length));
      const ids = new BigInt64Array(b * t);
      const mask = new BigInt64Array(b * t);
      const pos = new BigInt64Array(b * t);
      chunk.forEach((p, i) => { for (let j = 0; j < t; j++) { ids[i * t + j] = BigInt(p[j] ?? 0); mask[i * t + j] = j < p.length ? 1n : 0n; pos[i * t + j] = BigInt(j); } });
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', ids, [b, t]), attention_mask: new ort.Tensor('int64', mask, [b, t]), position_ids: new ort.Tensor('int64', pos, [b, t]),
      };
      for (const name of session.inputNames) if (name.startsWith('past_key_values.')) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [b, 2, 0, 16]);
      const logits = (await session.run(feeds, ['logits']))['logits']!;
      const v = Number(logits.dims[2]);
      const data = logits.data as Float32Array;
      chunk.forEach((p, i) => {
        const at = (i * t + p.length - 1) * v;
        out[start + i] = data[at + yes]! - data[at + no]!;
      });
    }
  } finally {
    await session.release();
  }
  return out;
}

test('compare --spec examples/tiny-lm-compare.bias.json: A = tiny-lm (referenceModel), B = tiny-lm-debiased; per-group accuracy, flips and verdicts equal a direct onnxruntime pass', async () => {
  const data = rows();
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(examples, 'tiny-lm.tokenizer.json'), 'utf8')) as object, {});
  const [yes] = tokenizer.encode(' yes', { add_special_tokens: false }).ids;
  const [no] = tokenizer.encode(' no', { add_special_tokens: false }).ids;
  const prompts = data.map((r) => tokenizer.encode(r.text + QUESTION).ids);
  const a = await skews('tiny-lm.onnx', prompts, yes!, no!);
  const b = await skews('tiny-lm-debiased.onnx', prompts, yes!, no!);
  const expected = new Map<string, { n: number; rightA: number; rightB: number; broken: number; fixed: number }>();
  data.forEach((r, i) => {
    for (const key of [r.group, 'overall']) {
      const e = expected.get(key) ?? { n: 0, rightA: 0, rightB: 0, broken: 0, fixed: 0 };
      const okA = (a[i]! > 0 ? 1 : 0) === r.qualified;
      const okB = (b[i]! > 0 ? 1 : 0) === r.qualified;
      e.n++;
      if (okA) e.rightA++;
      if (okB) e.rightB++;
      if (okA && !okB) e.broken++;
      if (!okA && okB) e.fixed++;
      expected.set(key, e);
    }
  });
  // The planted skew is F's: the debiased checkpoint fixes F's answers and leaves M's and N's.
  assert.ok(expected.get('F')!.fixed >= 40 && expected.get('F')!.broken === 0, JSON.stringify(expected.get('F')));

  const dir = mkdtempSync(join(tmpdir(), 'probe-compare-'));
  try {
    const json = join(dir, 'compare.json');
    const r = spawnSync(process.execPath, [cli, 'compare', '--spec', join(examples, 'tiny-lm-compare.bias.json'), '--ep', 'cpu', '--bootstrap', '40', '--json', json], { encoding: 'utf8', cwd: root });
    assert.equal(r.status, 0, r.stderr);
    const c = (JSON.parse(readFileSync(json, 'utf8')) as CompareReport).compare;
    assert.equal(c.source, 'referenceModel');
    assert.equal(c.a.model, join(examples, 'tiny-lm.onnx'));
    assert.equal(c.b.model, join(examples, 'tiny-lm-debiased.onnx'));
    assert.equal(c.rows, data.length);
    for (const g of c.byGroup) {
      const key = g.group === 'overall' ? 'overall' : g.group['group']!;
      const e = expected.get(key)!;
      assert.equal(g.count, e.n, key);
      assert.equal(g.metrics['accuracy']!.a, e.rightA / e.n, `${key}: accuracy A`);
      assert.equal(g.metrics['accuracy']!.b, e.rightB / e.n, `${key}: accuracy B`);
      assert.equal(g.flips.broken, e.broken, `${key}: broken`);
      assert.equal(g.flips.fixed, e.fixed, `${key}: fixed`);
      // F (and so overall): only fixed rows, many (McNemar: better); M and N: no flip at all (same).
      if (key === 'F' || key === 'overall') assert.equal(g.verdict, 'better', key);
      else assert.deepEqual([e.fixed, e.broken, g.verdict], [0, 0, 'same'], key);
    }
    // Same architecture and tokenizer, other weights: every tensor matched by name, some changed.
    assert.ok(c.parameters && c.parameters.changed.length > 0 && c.parameters.onlyA === 0 && c.parameters.onlyB === 0, JSON.stringify(c.parameters).slice(0, 300));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
