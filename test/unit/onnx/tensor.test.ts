/** Data types, element counts and float32 conversion of tensors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TensorProto } from '../../../extension/core/onnx';
import {
  bfloat16ToNumber,
  bytesPerElement,
  cloneModel,
  decodeModel,
  dtypeName,
  elementCount,
  encodeModel,
  float16ToNumber,
  loadModel,
  packedByteLength,
  readTensorData,
  tensorToFloat32,
  weightTensors,
} from '../../../extension/core/onnx';
import { fixture, fixtureBytes } from './helpers';

function emptyTensor(partial: Partial<TensorProto>): TensorProto {
  return { dims: [], floatData: [], int32Data: [], stringData: [], int64Data: [], externalData: [], doubleData: [], uint64Data: [], ...partial };
}

describe('onnx dtypes', () => {
  it('names every ONNX DataType up to FLOAT8E8M0', () => {
    const names = Array.from({ length: 25 }, (_, i) => dtypeName(i));
    assert.deepEqual(names, [
      'undefined', 'float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool', 'float16', 'float64',
      'uint32', 'uint64', 'complex64', 'complex128', 'bfloat16', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2',
      'float8e5m2fnuz', 'uint4', 'int4', 'float4e2m1', 'float8e8m0',
    ]);
    assert.equal(dtypeName(99), 'dtype(99)');
  });

  it('sizes elements, sub-byte types included', () => {
    assert.equal(bytesPerElement(1), 4);
    assert.equal(bytesPerElement(22), 0.5);
    assert.equal(bytesPerElement(23), 0.5);
    assert.equal(bytesPerElement(17), 1);
    assert.equal(bytesPerElement(15), 16);
    assert.equal(bytesPerElement(8), undefined);
    assert.equal(packedByteLength(21, 33), 17);
    assert.equal(packedByteLength(10, 3), 6);
  });

  it('counts elements from dims: scalars are 1, a zero dim is 0', () => {
    assert.equal(elementCount(emptyTensor({ dims: [] }), 'f'), 1);
    assert.equal(elementCount(emptyTensor({ dims: [0, 7] }), 'f'), 0);
    assert.equal(elementCount(emptyTensor({ dims: [2 ** 20, 2 ** 20] }), 'f'), 2 ** 40);
    assert.throws(() => elementCount(emptyTensor({ dims: [2 ** 40 + 1] }), 'f'), { code: 'onnx.huge-dim' });
  });
});

describe('onnx float conversion', () => {
  it('decodes float16 special values', () => {
    assert.equal(float16ToNumber(0x3c00), 1);
    assert.equal(float16ToNumber(0xc000), -2);
    assert.equal(float16ToNumber(0x7bff), 65504);
    assert.equal(float16ToNumber(0x0001), 2 ** -24);
    assert.equal(float16ToNumber(0x7c00), Infinity);
    assert.equal(float16ToNumber(0xfc00), -Infinity);
    assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
    assert.ok(Object.is(float16ToNumber(0x8000), -0));
  });

  it('bfloat16 is the upper half of a float32 (property, seeded)', () => {
    const view = new DataView(new ArrayBuffer(4));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (high) => {
        view.setUint32(0, high << 16);
        const expected = view.getFloat32(0);
        const actual = bfloat16ToNumber(high);
        assert.ok(Object.is(actual, expected) || (Number.isNaN(actual) && Number.isNaN(expected)));
      }),
      { seed: 11, numRuns: 2000 },
    );
  });

  it('float16 normal values round-trip through float32 bit patterns (property, seeded)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 1023 }), fc.boolean(), (exponent, fraction, negative) => {
        const bits = (negative ? 0x8000 : 0) | (exponent << 10) | fraction;
        const expected = (negative ? -1 : 1) * 2 ** (exponent - 15) * (1 + fraction / 1024);
        assert.equal(float16ToNumber(bits), expected);
      }),
      { seed: 12, numRuns: 1000 },
    );
  });

  it('converts the float16 and bfloat16 weights of low-bit.onnx, and refuses int4', async () => {
    const model = await loadModel(fixture('low-bit.onnx'));
    const byName = new Map(weightTensors(model.proto).map((w) => [w.name, w.tensor]));
    const f16 = byName.get('w_f16');
    const bf16 = byName.get('w_bf16');
    const int4 = byName.get('w_int4');
    assert.ok(f16 && bf16 && int4);
    assert.deepEqual(Array.from(await tensorToFloat32(model, f16)), [1, -2, 0.5, 65504]);
    assert.deepEqual(Array.from(await tensorToFloat32(model, bf16)), [1, -3.5, 0.15625]);
    await assert.rejects(tensorToFloat32(model, int4), { code: 'onnx.unsupported', message: /tensor 'w_int4' is int4; only float32/ });
    const packed = await readTensorData(model, int4);
    assert.equal(packed.length, 16);
    assert.deepEqual(Array.from(packed), Array.from({ length: 16 }, (_, i) => i));
  });

  it('converts typed float_data, double_data and float16-in-int32_data tensors', async () => {
    const base = decodeModel(fixtureBytes('mlp.onnx'), fixture('mlp.onnx'));
    const proto = cloneModel(base.proto);
    const [w1, b1, w2, b2] = proto.graph?.initializer ?? [];
    assert.ok(w1 && b1 && w2 && b2);
    delete w1.rawData;
    w1.floatData = Array.from({ length: 32 }, (_, i) => i / 4);
    delete b1.rawData;
    b1.dataType = 11;
    b1.doubleData = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    delete b2.rawData;
    b2.dataType = 10;
    b2.int32Data = [0x3c00, 0xb800];
    const model = decodeModel(encodeModel(proto), fixture('mlp.onnx'));
    const [t1, t2, , t4] = model.proto.graph?.initializer ?? [];
    assert.ok(t1 && t2 && t4);
    assert.deepEqual(Array.from(await tensorToFloat32(model, t1)), Array.from({ length: 32 }, (_, i) => i / 4));
    assert.deepEqual(Array.from(await tensorToFloat32(model, t2)), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8].map(Math.fround));
    assert.deepEqual(Array.from(await tensorToFloat32(model, t4)), [1, -0.5]);
    // Typed fields read back as little-endian bytes too.
    const bytes = await readTensorData(model, t4);
    assert.deepEqual(Array.from(bytes), [0x00, 0x3c, 0x00, 0xb8]);
  });

  it('reads the int8 weight of the QDQ model as bytes', async () => {
    const model = await loadModel(fixture('qdq.onnx'));
    const w = weightTensors(model.proto).find((t) => t.name === 'W_q');
    assert.ok(w);
    const bytes = await readTensorData(model, w.tensor);
    assert.equal(bytes.length, 12);
    const values = Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    assert.ok(values.every((v) => v >= -127 && v <= 127));
  });
});
