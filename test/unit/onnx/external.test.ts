/**
 * External data is lazy: loading and summarising stat the side file and never read it; the bytes
 * are read (only the requested range) when a tensor's data is asked for.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FileAccess } from '../../../extension/core/onnx';
import {
  checkExternalData,
  externalRef,
  inspectModel,
  loadModel,
  nodeFileAccess,
  readTensorData,
  summarizeModel,
  tensorToFloat32,
  weightTensors,
} from '../../../extension/core/onnx';
import { fixture, tempDir } from './helpers';

/** node:fs access that records every call. */
function countingAccess(): { files: FileAccess; stats: string[]; reads: { path: string; offset: number; length: number }[] } {
  const stats: string[] = [];
  const reads: { path: string; offset: number; length: number }[] = [];
  const files: FileAccess = {
    stat: (path) => {
      stats.push(path);
      return nodeFileAccess.stat(path);
    },
    read: (path, offset, length, signal) => {
      reads.push({ path, offset, length });
      return nodeFileAccess.read(path, offset, length, signal);
    },
  };
  return { files, stats, reads };
}

describe('onnx external data', () => {
  it('summarising stats the side file once and reads nothing; reading a tensor reads only its range', async () => {
    const spy = countingAccess();
    const model = await loadModel(fixture('external-data.onnx'), { files: spy.files });
    const summary = summarizeModel(model);
    assert.deepEqual(spy.stats, [fixture('external-data.bin')]);
    assert.deepEqual(spy.reads, []);
    assert.deepEqual(summary.externalData, { files: [{ location: 'external-data.bin', bytes: 232, exists: true }], tensors: 4 });
    assert.ok(summary.parameters.largest.every((t) => t.external));

    await checkExternalData(model);
    assert.deepEqual(spy.reads, [], 'checking ranges is stat-only');

    const w2 = weightTensors(model.proto).find((w) => w.name === 'W2');
    assert.ok(w2);
    const ref = externalRef(w2.tensor, model.path);
    const values = await tensorToFloat32(model, w2.tensor);
    assert.deepEqual(spy.reads, [{ path: fixture('external-data.bin'), offset: ref.offset, length: 64 }]);
    const side = readFileSync(fixture('external-data.bin'));
    const expected = new Float32Array(side.buffer.slice(side.byteOffset + ref.offset, side.byteOffset + ref.offset + 64));
    assert.deepEqual(Array.from(values), Array.from(expected));
    assert.equal(values.length, 16);
  });

  it('a FIFO in place of the side file: inspecting completes (opening it for reading would block)', { timeout: 10_000 }, async () => {
    const { dir, cleanup } = tempDir();
    try {
      copyFileSync(fixture('external-data.onnx'), join(dir, 'external-data.onnx'));
      execFileSync('mkfifo', [join(dir, 'external-data.bin')]);
      const summary = await inspectModel(join(dir, 'external-data.onnx'));
      assert.deepEqual(summary.externalData.files, [{ location: 'external-data.bin', bytes: null, exists: true }]);
      assert.equal(summary.parameters.total, 58);
      // Reading is where the FIFO would be opened; the range check refuses it first.
      const model = await loadModel(join(dir, 'external-data.onnx'));
      const w1 = weightTensors(model.proto)[0];
      assert.ok(w1);
      await assert.rejects(readTensorData(model, w1.tensor), { code: 'onnx.external-missing' });
    } finally {
      cleanup();
    }
  });

  it('a missing side file is reported, not thrown, by the summary', async () => {
    const { dir, cleanup } = tempDir();
    try {
      copyFileSync(fixture('external-data.onnx'), join(dir, 'external-data.onnx'));
      const summary = await inspectModel(join(dir, 'external-data.onnx'));
      assert.deepEqual(summary.externalData, { files: [{ location: 'external-data.bin', bytes: null, exists: false }], tensors: 4 });
    } finally {
      cleanup();
    }
  });

  it('raw_data of in-model tensors are views into the file buffer, not copies', async () => {
    const model = await loadModel(fixture('mlp.onnx'));
    for (const { tensor } of weightTensors(model.proto)) {
      const data = await readTensorData(model, tensor);
      assert.equal(data.buffer, model.bytes.buffer);
      assert.equal(Object.getPrototypeOf(data), Uint8Array.prototype);
    }
  });

  it('reports coarse load progress ending at 1', async () => {
    const seen: number[] = [];
    await loadModel(fixture('mlp.onnx'), { onProgress: (fraction) => seen.push(fraction) });
    assert.deepEqual(seen, [0, 0.5, 0.9, 1]);
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(loadModel(fixture('mlp.onnx'), { signal: controller.signal }), { code: 'cancelled' });
    const model = await loadModel(fixture('external-data.onnx'));
    const w1 = weightTensors(model.proto)[0];
    assert.ok(w1);
    await assert.rejects(readTensorData(model, w1.tensor, { signal: controller.signal }), { code: 'cancelled' });
  });
});
