import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Tensor } from 'onnxruntime-node';
import { exposeAttention, findAttention } from '../../../extension/core/attention/extract';
import { decodeModel, encodeModel, externalizeInitializers, loadModel, summarizeModel, type LoadedModel } from '../../../extension/core/onnx';
import { loadOrt, openSession, LARGE_MODEL_BYTES } from '../../../extension/core/runtime';
import { LARGE_MODEL_BATCH, modelDefaults, resolveRunOptions, ATTENTION_DEFAULTS, RUN_DEFAULTS } from '../../../extension/core/analyze/options';

const examples = resolve(__dirname, '../../../examples');
const work = mkdtempSync(join(tmpdir(), 'bias-inspector-externalize-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Deterministic feeds for every input: symbolic batch 3, other symbolic axes 7; ids in [1, 9]. */
function feedsFor(loaded: LoadedModel): Record<string, Tensor> {
  const ort = loadOrt();
  const feeds: Record<string, Tensor> = {};
  let seed = 14;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const input of summarizeModel(loaded).inputs) {
    const dims = (input.shape ?? [3, 7]).map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 3 : 7));
    const n = dims.reduce((a, b) => a * b, 1);
    if (input.dtype === 'int64') feeds[input.name] = new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => (/mask/i.test(input.name) ? 1n : BigInt(1 + Math.floor(next() * 9)))), dims);
    else feeds[input.name] = new ort.Tensor('float32', Float32Array.from({ length: n }, () => next() * 2 - 1), dims);
  }
  return feeds;
}

async function outputs(model: Uint8Array | string, path: string, feeds: Record<string, Tensor>, fetches: string[], folder?: string, disableOptimizations = false): Promise<Float32Array[]> {
  const { session } = await openSession(model, path, { providers: ['cpu'], threads: 1, disableOptimizations, ...(folder !== undefined ? { externalDataFolder: folder } : {}) });
  try {
    const results = await session.run(feeds, fetches);
    return fetches.map((f) => Float32Array.from(results[f]!.data as Float32Array));
  } finally {
    await session.release();
  }
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('large initializers as references into the model file (onnx/externalize.ts)', () => {
  for (const name of ['income-mlp.onnx', 'tiny-transformer.onnx', 'shapes-cnn.onnx']) {
    it(`${name}: a session from the references gives bit-identical outputs, and the file is unchanged`, async () => {
      const path = join(work, name);
      copyFileSync(join(examples, name), path);
      const before = sha(path);
      const loaded = await loadModel(path);
      const feeds = feedsFor(loaded);
      const fetches = loaded.proto.graph!.output.map((o) => o.name!);
      const external = externalizeInitializers(loaded, loaded.proto, 16);
      assert.ok(external);
      assert.ok(external.tensors > 0, 'some initializers became references');
      assert.ok(external.bytes.byteLength < loaded.bytes.byteLength - external.tensorBytes / 2, 'the encoded graph does not hold the referenced bytes');
      // the references are the file's bytes: decoding them from the file gives the same tensors
      const reread = decodeModel(external.bytes, path, { modelDir: work });
      const moved = reread.proto.graph!.initializer.filter((t) => t.dataLocation === 1);
      assert.equal(moved.length, external.tensors);
      const expected = await outputs(path, path, feeds, fetches);
      const actual = await outputs(external.bytes, path, feeds, fetches, external.folder);
      assert.deepEqual(actual, expected);
      assert.equal(sha(path), before);
    });
  }

  it('an exposed copy (attention maps) with references runs as the whole encoded copy does', async () => {
    const path = join(work, 'tiny-transformer.onnx');
    copyFileSync(join(examples, 'tiny-transformer.onnx'), path);
    const loaded = await loadModel(path);
    const graph = findAttention(loaded.proto, path);
    const exposed = exposeAttention(loaded.proto, graph, [], path);
    const fetches = graph.sites.map((s) => s.tensor);
    assert.ok(fetches.length > 0);
    const feeds = feedsFor(loaded);
    const whole = await outputs(encodeModel(exposed), path, feeds, fetches, undefined, true);
    const external = externalizeInitializers(loaded, exposed, 16)!;
    assert.ok(external.tensors > 0);
    assert.deepEqual(await outputs(external.bytes, path, feeds, fetches, external.folder, true), whole);
  });

  it('leaves a model alone when it was not read from a file path or keeps external data', async () => {
    const bytes = readFileSync(join(examples, 'income-mlp.onnx'));
    assert.equal(externalizeInitializers(decodeModel(bytes, 'income-mlp.onnx', { modelDir: null }), undefined, 16), null);
    const loaded = await loadModel(join(examples, 'income-mlp.onnx'));
    const withExternal: LoadedModel = { ...loaded, externalFiles: [{ location: 'weights.bin', path: join(examples, 'weights.bin'), exists: true, bytes: 1 } as LoadedModel['externalFiles'][number]] };
    assert.equal(externalizeInitializers(withExternal, undefined, 16), null);
    // below the size threshold nothing moves
    assert.equal(externalizeInitializers(loaded, loaded.proto, 1 << 30)!.tensors, 0);
  });
});

describe('batch size of a large model (options.ts modelDefaults)', () => {
  it('keeps a small model\'s defaults and gives a large one LARGE_MODEL_BATCH rows, unless a batch size is set', () => {
    assert.equal(modelDefaults(RUN_DEFAULTS, LARGE_MODEL_BYTES - 1), RUN_DEFAULTS);
    assert.equal(modelDefaults(RUN_DEFAULTS, LARGE_MODEL_BYTES).batchSize, LARGE_MODEL_BATCH);
    assert.equal(modelDefaults(ATTENTION_DEFAULTS, 500 << 20).batchSize, Math.min(ATTENTION_DEFAULTS.batchSize, LARGE_MODEL_BATCH));
    assert.equal(resolveRunOptions(undefined, {}, modelDefaults(RUN_DEFAULTS, 500 << 20)).batchSize, LARGE_MODEL_BATCH);
    assert.equal(resolveRunOptions(undefined, { batchSize: 64 }, modelDefaults(RUN_DEFAULTS, 500 << 20)).batchSize, 64);
    assert.equal(resolveRunOptions(undefined, {}, modelDefaults(RUN_DEFAULTS, 1000)).batchSize, RUN_DEFAULTS.batchSize);
  });
});
