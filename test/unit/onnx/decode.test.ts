/**
 * onnx/decode.ts decodes without protobufjs's generated code: on every model of examples/ and
 * test/fixtures, and on seeded random messages (merged by concatenation, oneofs set twice, unknown
 * enum values, fields with the wrong wire type, unknown fields), it returns exactly what
 * protobufjs's `toObject(decode(bytes), TO_OBJECT_OPTIONS)` returns — values, prototypes and key
 * order — and it refuses what protobufjs refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import protobuf from 'protobufjs';
import descriptor from '../../../extension/core/onnx/onnx-proto.json';
import { TO_OBJECT_OPTIONS } from '../../../extension/core/onnx/proto';
import { decodeModelProto } from '../../../extension/core/onnx/decode';
import { decodeModel, encodeModel } from '../../../extension/core/onnx';
import { Xoshiro128 } from '../../../extension/core/metrics/stats';
import { REPO_ROOT } from './helpers';

function onnxFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return onnxFiles(path);
    return name.endsWith('.onnx') ? [path] : [];
  });
}

const models = [...onnxFiles(join(REPO_ROOT, 'examples')), ...onnxFiles(join(REPO_ROOT, 'test/fixtures'))].sort();

/** A root built the ordinary way, with protobufjs's own generated decoder and converter. */
const root = protobuf.Root.fromJSON(descriptor).resolveAll();
const reference = root.lookupType('onnx.ModelProto');
const expected = (bytes: Uint8Array): unknown => reference.toObject(reference.decode(bytes), TO_OBJECT_OPTIONS);

/** deepStrictEqual plus the same key order at every level (the converter's order). */
function assertSame(got: unknown, want: unknown, where: string): void {
  assert.deepStrictEqual(got, want, where);
  const keys = (a: unknown, b: unknown, path: string): void => {
    if (a === null || typeof a !== 'object' || ArrayBuffer.isView(a)) return;
    if (Array.isArray(a)) {
      a.forEach((x, i) => keys(x, (b as unknown[])[i], `${path}[${i}]`));
      return;
    }
    assert.deepEqual(Object.keys(a), Object.keys(b as object), `${where}: key order at ${path || 'the top'}`);
    for (const k of Object.keys(a)) keys((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
  };
  keys(got, want, '');
}

/** Both decoders throw, or both return the same object. */
function assertAgrees(bytes: Uint8Array, where: string): 'decoded' | 'refused' {
  let want: unknown;
  try {
    want = expected(bytes);
  } catch (error) {
    assert.throws(() => decodeModelProto(bytes), (e: Error) => e.message === (error as Error).message, `${where}: the same error`);
    return 'refused';
  }
  assertSame(decodeModelProto(bytes), want, where);
  return 'decoded';
}

test('every model of examples/ and test/fixtures decodes exactly as protobufjs decodes it', () => {
  assert.ok(models.length > 40, `${models.length} models`);
  let decoded = 0;
  for (const path of models) {
    if (assertAgrees(new Uint8Array(readFileSync(path)), relative(REPO_ROOT, path)) === 'decoded') decoded++;
  }
  assert.ok(decoded > 40, `${decoded} decoded`);
});

// Random messages over the reflected schema.
const rng = new Xoshiro128(20261206);
const Long = protobuf.util.Long as unknown as { fromBits(lo: number, hi: number, unsigned: boolean): unknown };
const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
const chance = (p: number): boolean => rng.nextFloat() < p;

function randomScalar(type: string): unknown {
  switch (type) {
    case 'int64':
    case 'uint64': {
      const unsigned = type === 'uint64';
      if (chance(0.3)) return Long.fromBits(rng.nextU32() | 0, rng.nextU32() | 0, unsigned);
      const small = pick([0, 1, 7, 127, 128, 300, 2 ** 31, 2 ** 40 + 3, 2 ** 53 - 1]);
      return unsigned || chance(0.5) ? small : -small;
    }
    case 'int32':
      return chance(0.5) ? rng.nextInt(200) - 100 : rng.nextU32() | 0;
    case 'float':
      return Math.fround(pick([0, -0, 1.5, -2.25, 3.4e38, 1e-45, Number.NaN, Infinity, (rng.nextFloat() - 0.5) * 1e6]));
    case 'double':
      return pick([0, -0, Math.PI, -1e308, 5e-324, Number.NaN, -Infinity, rng.nextFloat()]);
    case 'string':
      return pick(['', 'x', 'Add', 'input_ids', 'naïve', '東京', '😀', 'a\u0000b', 'x'.repeat(rng.nextInt(40))]);
    case 'bytes':
      return Uint8Array.from({ length: rng.nextInt(12) }, () => rng.nextInt(256));
    default:
      throw new Error(`no random value for ${type}`);
  }
}

function randomMessage(type: protobuf.Type, depth: number): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    if (!chance(depth === 0 ? 0.7 : 0.45)) continue;
    // Only one member of a oneof through fromObject (twice is tested by concatenation).
    if (field.partOf && field.partOf.oneof.some((name) => name !== field.name && name in m)) continue;
    const one = (): unknown => {
      const resolved = field.resolvedType;
      if (resolved instanceof protobuf.Type) return depth >= 3 ? {} : randomMessage(resolved, depth + 1);
      if (resolved instanceof protobuf.Enum) return pick(Object.values(resolved.values));
      return randomScalar(field.type);
    };
    m[field.name] = field.repeated ? Array.from({ length: rng.nextInt(4) }, one) : one();
  }
  return m;
}

function encode(type: protobuf.Type, object: Record<string, unknown>): Uint8Array {
  return type.encode(type.fromObject(object)).finish();
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A raw field: tag (id, wire type) and its payload (a varint value, or length-delimited bytes). */
function rawField(id: number, wire: number, payload: number | Uint8Array): Uint8Array {
  const w = protobuf.Writer.create().uint32((id << 3) | wire);
  if (wire === 0) w.uint64(payload as number);
  else if (wire === 1) w.fixed64(payload as number);
  else if (wire === 5) w.fixed32(payload as number);
  else w.bytes(payload as Uint8Array);
  return w.finish();
}

test('random ModelProto messages, and two of them concatenated (a merge), decode as protobufjs decodes them', () => {
  for (let i = 0; i < 300; i++) {
    const a = encode(reference, randomMessage(reference, 0));
    assertAgrees(a, `random message ${i}`);
    const b = encode(reference, randomMessage(reference, 0));
    assertAgrees(concat(a, b), `random messages ${i} merged`);
  }
});

test('oneofs set twice, a singular message merged, unknown enum values, wrong wire types and unknown fields', () => {
  const typeProto = root.lookupType('onnx.TypeProto');
  const valueInfo = root.lookupType('onnx.ValueInfoProto');
  const graph = root.lookupType('onnx.GraphProto');
  const tensor = root.lookupType('onnx.TensorProto');
  const dim = root.lookupType('onnx.TensorShapeProto.Dimension');
  const tensorType = encode(typeProto, { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 3 }, { dimParam: 'batch' }] } }, denotation: 'x' });
  const sequenceType = encode(typeProto, { sequenceType: { elemType: { tensorType: { elemType: 7 } } } });
  const cases: Record<string, Uint8Array> = {
    // ValueInfo.type (field 2) three times: tensor, sequence, tensor again (the oneof keeps the last member, fresh)
    'oneof TypeProto.value set three times': rawField(7, 2, rawField(11, 2, concat(
      encode(valueInfo, { name: 'v' }), rawField(2, 2, tensorType), rawField(2, 2, sequenceType), rawField(2, 2, tensorType),
    ))),
    'oneof Dimension.value: a value, then a parameter, then a value': rawField(7, 2, rawField(11, 2, rawField(2, 2, rawField(1, 2, rawField(2, 2, rawField(1, 2,
      concat(encode(dim, { dimValue: 4 }), encode(dim, { dimParam: 'n' }), encode(dim, { dimValue: 5 })))))))),
    'a singular message (graph) twice: merged, later scalars win': concat(
      rawField(7, 2, encode(graph, { name: 'first', docString: 'doc', node: [{ opType: 'Relu' }] })),
      rawField(7, 2, encode(graph, { name: 'second', node: [{ opType: 'Add' }] })),
    ),
    'fields out of id order (key order rebuilt)': concat(rawField(8, 2, encode(root.lookupType('onnx.OperatorSetIdProto'), { version: 13 })), rawField(2, 2, new TextEncoder().encode('producer')), rawField(1, 0, 7)),
    'unknown enum value (TensorProto.dataLocation = 9) dropped, known one kept': rawField(7, 2, rawField(5, 2, concat(encode(tensor, { name: 't', dataType: 1 }), rawField(14, 0, 9)))),
    'a known field with the wrong wire type is skipped': concat(rawField(1, 2, new Uint8Array([1, 2])), rawField(2, 0, 5), rawField(7, 0, 1), rawField(1, 0, 8)),
    'unknown fields of every wire type': concat(rawField(99, 0, 12345), rawField(100, 1, 7), rawField(101, 5, 3), rawField(102, 2, new Uint8Array([9, 9])), rawField(1, 0, 9)),
    'packed and unpacked int64 dims in one tensor': rawField(7, 2, rawField(5, 2, concat(rawField(1, 0, 3), rawField(1, 2, new Uint8Array([2, 4])), rawField(1, 0, 5)))),
    'truncated sub-message': rawField(7, 2, new Uint8Array([0x0a, 0x05, 0x61])),
    'field number 0': new Uint8Array([0x02, 0x00]),
    'a length past the end': new Uint8Array([0x3a, 0x7f, 0x01]),
  };
  const outcomes: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(cases)) outcomes[name] = assertAgrees(bytes, name);
  // The cases do what their names say (so this test cannot pass on decoders that both ignore them).
  assert.equal(outcomes['truncated sub-message'], 'refused');
  assert.equal(outcomes['field number 0'], 'refused');
  assert.equal(outcomes['a length past the end'], 'refused');
  const merged = decodeModelProto(cases['a singular message (graph) twice: merged, later scalars win']!);
  assert.equal(merged.graph?.name, 'second');
  assert.equal(merged.graph?.docString, 'doc');
  assert.deepEqual(merged.graph?.node.map((n) => n.opType), ['Relu', 'Add']);
  const oneof = decodeModelProto(cases['oneof TypeProto.value set three times']!);
  const type = oneof.graph?.input[0]?.type as Record<string, unknown> | undefined;
  assert.ok(type && 'tensorType' in type && !('sequenceType' in type), 'the last member only');
  const enumCase = decodeModelProto(cases['unknown enum value (TensorProto.dataLocation = 9) dropped, known one kept']!);
  assert.equal(enumCase.graph?.initializer[0]?.dataType, 1);
  assert.ok(!('dataLocation' in (enumCase.graph?.initializer[0] ?? {})));
  const order = decodeModelProto(cases['fields out of id order (key order rebuilt)']!);
  assert.deepEqual(Object.keys(order).filter((k) => !Array.isArray((order as unknown as Record<string, unknown>)[k])), ['irVersion', 'producerName']);
  const dims = decodeModelProto(cases['packed and unpacked int64 dims in one tensor']!);
  assert.deepEqual(dims.graph?.initializer[0]?.dims, [3, 2, 4, 5]);
});

test('writing a model still round-trips (protobufjs sets up its encoder on first use)', () => {
  const path = join(REPO_ROOT, 'examples/tiny-lm.onnx');
  const loaded = decodeModel(new Uint8Array(readFileSync(path)), path);
  const again = decodeModel(encodeModel(loaded.proto), path);
  assert.deepEqual(again.proto, loaded.proto);
});
