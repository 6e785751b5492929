/**
 * proto.ts installs only the decoders and plain-object converters (setupDecoding) instead of
 * protobufjs's whole lazy setup: on every model of examples/ and test/fixtures the decoded object
 * equals the one a root with protobufjs's own setup gives, and writing a model still round-trips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import protobuf from 'protobufjs';
import descriptor from '../../../extension/core/onnx/onnx-proto.json';
import { modelProtoType, TO_OBJECT_OPTIONS } from '../../../extension/core/onnx/proto';
import { decodeModel, encodeModel } from '../../../extension/core/onnx';
import { REPO_ROOT } from './helpers';

function onnxFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return onnxFiles(path);
    return name.endsWith('.onnx') ? [path] : [];
  });
}

const models = [...onnxFiles(join(REPO_ROOT, 'examples')), ...onnxFiles(join(REPO_ROOT, 'test/fixtures'))].sort();

/** A root built the ordinary way: its first decode runs protobufjs's own Type.setup. */
const reference = protobuf.Root.fromJSON(descriptor).resolveAll().lookupType('onnx.ModelProto');

test('the decode-only setup decodes every model of examples/ and test/fixtures as protobufjs\'s own setup does', () => {
  assert.ok(models.length > 40, `${models.length} models`);
  const ours = modelProtoType();
  // The decoder was installed before any decode (not Type.prototype's lazy decode_setup).
  assert.notEqual(ours.decode, protobuf.Type.prototype.decode);
  let decoded = 0;
  for (const path of models) {
    const bytes = new Uint8Array(readFileSync(path));
    let want: unknown;
    try {
      want = reference.toObject(reference.decode(bytes), TO_OBJECT_OPTIONS);
    } catch (error) {
      // Deliberately malformed fixtures: both decoders refuse them.
      assert.throws(() => ours.toObject(ours.decode(bytes), TO_OBJECT_OPTIONS), relative(REPO_ROOT, path));
      void error;
      continue;
    }
    assert.deepEqual(ours.toObject(ours.decode(bytes), TO_OBJECT_OPTIONS), want, relative(REPO_ROOT, path));
    decoded++;
  }
  assert.ok(decoded > 40, `${decoded} decoded`);
});

test('writing a model after the decode-only setup: encode round-trips (protobufjs sets up the encoder on first use)', () => {
  const path = join(REPO_ROOT, 'examples/tiny-lm.onnx');
  const loaded = decodeModel(new Uint8Array(readFileSync(path)), path);
  const again = decodeModel(encodeModel(loaded.proto), path);
  assert.deepEqual(again.proto, loaded.proto);
});
