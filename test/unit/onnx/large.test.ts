/** A 100 MB model loads and summarises with tensor data as views over the one file buffer. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ModelProto } from '../../../extension/core/onnx';
import { encodeModel, loadModel, summarizeModel } from '../../../extension/core/onnx';
import { tempDir } from './helpers';

const SIDE = 5120; // 5120 × 5120 float32 = 100 MiB

function bigModel(): ModelProto {
  const raw = new Uint8Array(SIDE * SIDE * 4);
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    metadataProps: [],
    trainingInfo: [],
    functions: [],
    graph: {
      name: 'big',
      node: [{ name: 'mm', opType: 'MatMul', input: ['x', 'W'], output: ['y'], attribute: [] }],
      initializer: [{ name: 'W', dims: [SIDE, SIDE], dataType: 1, rawData: raw, floatData: [], int32Data: [], stringData: [], int64Data: [], externalData: [], doubleData: [], uint64Data: [] }],
      sparseInitializer: [],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: SIDE }] } } } }],
      output: [{ name: 'y' }],
      valueInfo: [],
      quantizationAnnotation: [],
    },
  };
}

/** A full garbage collection, so the memory the loaded model holds can be measured. */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as () => void;
  // Buffers are released by weak callbacks after a collection: collect, yield, collect again.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

it('a 100 MB model summarises without copying its weights', async (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'big.onnx');
    writeFileSync(path, encodeModel(bigModel()));
    await collectGarbage();
    const before = process.memoryUsage().arrayBuffers;
    const started = Date.now();
    const model = await loadModel(path);
    const summary = summarizeModel(model);
    const elapsed = Date.now() - started;
    await collectGarbage();
    const grown = process.memoryUsage().arrayBuffers - before;
    t.diagnostic(`load + summary of ${summary.fileBytes} bytes: ${elapsed} ms, array buffers grew by ${grown} bytes`);
    const weight = model.proto.graph?.initializer[0];
    assert.equal(weight?.rawData?.buffer, model.bytes.buffer, 'raw_data is a view into the file buffer');
    assert.equal(weight?.rawData?.length, SIDE * SIDE * 4);
    // The model holds the file buffer and nothing else of that size.
    assert.ok(grown > summary.fileBytes * 0.9 && grown < summary.fileBytes * 1.25, `memory grew by ${grown} for a ${summary.fileBytes}-byte file`);
    assert.equal(summary.parameters.total, SIDE * SIDE);
    assert.equal(summary.parameters.bytes, SIDE * SIDE * 4);
    assert.deepEqual(summary.parameters.largest[0]?.shape, [SIDE, SIDE]);
    assert.deepEqual(summary.inputs, [{ name: 'x', dtype: 'float32', shape: ['batch', SIDE] }]);
  } finally {
    cleanup();
  }
});
