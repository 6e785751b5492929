/**
 * Malformed-file table: each case builds a broken file (from fixture bytes, byte surgery or an
 * edited, re-encoded fixture) in a temp folder → exact error code and a stable message phrase.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { BadInputError } from '../../../extension/core/errors';
import type { ModelProto, TensorProto } from '../../../extension/core/onnx';
import { checkExternalData, cloneModel, decodeModel, encodeModel, loadModel, readTensorData, weightTensors } from '../../../extension/core/onnx';
import { fixture, fixtureBytes, tempDir } from './helpers';

const MLP = fixtureBytes('mlp.onnx');

/** What to do with the file: load it, or load it and check/read its external data. */
type Operation = 'load' | 'external';

interface Case {
  name: string;
  /** Writes the file(s) into `dir` and returns the path to open. */
  make: (dir: string) => string;
  op?: Operation;
  code: string;
  phrase: string | RegExp;
  /** Extra text the message must contain (e.g. a second file name). */
  alsoMentions?: (dir: string) => string[];
}

function write(dir: string, name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function ascii(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

/** Bytes from a protobuf writer callback. */
function wire(build: (w: protobuf.Writer) => void): Uint8Array {
  const w = protobuf.Writer.create();
  build(w);
  return w.finish();
}

/** A field tag. */
function tag(w: protobuf.Writer, field: number, wireType: number): protobuf.Writer {
  return w.uint32(field * 8 + wireType);
}

/** The mlp fixture, decoded, edited by `edit` on a copy, re-encoded. */
function editedMlp(edit: (model: ModelProto) => void): Uint8Array {
  const model = cloneModel(decodeModel(MLP, 'mlp.onnx').proto);
  edit(model);
  return encodeModel(model);
}

function firstInitializer(model: ModelProto): TensorProto {
  const tensor = model.graph?.initializer[0];
  assert.ok(tensor);
  return tensor;
}

/** A model whose W1 initializer is external, with the given external_data entries. */
function externalMlp(entries: Record<string, string>): Uint8Array {
  return editedMlp((m) => {
    const w1 = firstInitializer(m);
    delete w1.rawData;
    w1.dataLocation = 1;
    w1.externalData = Object.entries(entries).map(([key, value]) => ({ key, value }));
  });
}

const cases: Case[] = [
  { name: 'zero-byte file', make: (d) => write(d, 'empty.onnx', new Uint8Array(0)), code: 'onnx.empty', phrase: 'not an ONNX model: the file is empty (0 bytes)' },
  ...[1, 3, 10].map((n): Case => ({
    name: `truncated to ${n} bytes`,
    make: (d) => write(d, `cut${n}.onnx`, MLP.subarray(0, n)),
    code: 'onnx.truncated',
    phrase: 'the ONNX file is truncated',
  })),
  {
    name: 'truncated right after ir_version (2 bytes: a valid message without a graph)',
    make: (d) => write(d, 'cut2.onnx', MLP.subarray(0, 2)),
    code: 'onnx.no-graph',
    phrase: 'it has no graph (field 7); the file may be truncated',
  },
  ...[0.25, 0.5, 0.9].map((f): Case => ({
    name: `truncated at ${f * 100}%`,
    make: (d) => write(d, `cut-${f}.onnx`, MLP.subarray(0, Math.floor(MLP.length * f))),
    code: 'onnx.truncated',
    phrase: /the ONNX file is truncated: .* in graph /,
  })),
  { name: 'truncated by one byte', make: (d) => write(d, 'cut-1.onnx', MLP.subarray(0, MLP.length - 1)), code: 'onnx.truncated', phrase: 'a length-delimited value needs 14 bytes but the file has only 13 left in metadataProps[1]' },
  { name: 'truncated by ten bytes', make: (d) => write(d, 'cut-10.onnx', MLP.subarray(0, MLP.length - 10)), code: 'onnx.truncated', phrase: 'the ONNX file is truncated' },
  { name: 'PNG image', make: (d) => write(d, 'png.onnx', new Uint8Array([0x89, ...ascii('PNG\r\n'), 0x1a, 0x0a, 0, 0, 0, 13])), code: 'onnx.not-onnx', phrase: 'looks like a PNG image' },
  { name: 'ZIP / PyTorch .pt', make: (d) => write(d, 'model.pt', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, ...ascii('archive/data.pkl')])), code: 'onnx.not-onnx', phrase: 'looks like a ZIP archive (a PyTorch .pt/.pth checkpoint is one' },
  { name: 'legacy pickle .pt', make: (d) => write(d, 'legacy.pt', new Uint8Array([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc])), code: 'onnx.not-onnx', phrase: 'looks like a Python pickle' },
  { name: 'JSON', make: (d) => write(d, 'model.json', '  {"nodes": []}\n'), code: 'onnx.not-onnx', phrase: 'looks like JSON text' },
  { name: 'plain text', make: (d) => write(d, 'readme.onnx', 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n'), code: 'onnx.not-onnx', phrase: 'looks like a text file' },
  { name: 'HDF5 / Keras', make: (d) => write(d, 'model.h5', new Uint8Array([0x89, ...ascii('HDF\r\n'), 0x1a, 0x0a, 0, 0, 0, 0])), code: 'onnx.not-onnx', phrase: 'looks like an HDF5 file' },
  {
    name: 'safetensors',
    make: (d) => {
      const header = ascii('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
      const bytes = new Uint8Array(8 + header.length + 4);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
      bytes.set(header, 8);
      return write(d, 'model.safetensors', bytes);
    },
    code: 'onnx.not-onnx',
    phrase: 'looks like a safetensors weights file',
  },
  { name: 'GGUF', make: (d) => write(d, 'model.gguf', new Uint8Array([...ascii('GGUF'), 3, 0, 0, 0])), code: 'onnx.not-onnx', phrase: 'looks like a GGUF model' },
  { name: 'gzip', make: (d) => write(d, 'model.onnx.gz', new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0])), code: 'onnx.not-onnx', phrase: 'looks like a gzip-compressed file' },
  { name: 'TensorFlow Lite', make: (d) => write(d, 'model.tflite', new Uint8Array([0x1c, 0, 0, 0, ...ascii('TFL3'), 0, 0])), code: 'onnx.not-onnx', phrase: 'looks like a TensorFlow Lite model' },
  {
    name: 'binary whose first field is not a ModelProto field',
    make: (d) => write(d, 'other.pb', wire((w) => tag(w, 9, 0).uint32(1))),
    code: 'onnx.not-onnx',
    phrase: "its first protobuf field (9) is not a ModelProto field",
  },
  {
    name: 'ir_version with the wrong wire type (first field)',
    make: (d) => write(d, 'ir-len.onnx', wire((w) => tag(w, 1, 2).bytes(new Uint8Array([1, 2])))),
    code: 'onnx.not-onnx',
    phrase: "first field 'irVersion' (1) has wire type length-delimited, expected varint",
  },
  {
    name: 'graph with the wrong wire type (varint)',
    make: (d) => write(d, 'graph-varint.onnx', wire((w) => tag(tag(w, 1, 0).uint32(8), 7, 0).uint32(5))),
    code: 'onnx.corrupt',
    phrase: "field 'graph' (7) has wire type varint but the schema declares GraphProto",
  },
  {
    name: 'model_version with the wrong wire type (fixed32)',
    make: (d) => write(d, 'mv-fixed32.onnx', wire((w) => tag(tag(w, 1, 0).uint32(8), 5, 5).fixed32(1))),
    code: 'onnx.corrupt',
    phrase: "field 'modelVersion' (5) has wire type fixed32",
  },
  {
    name: 'node op_type with the wrong wire type, nested in the graph',
    make: (d) => {
      const node = wire((w) => tag(w, 4, 0).uint32(3));
      const graph = wire((w) => tag(w, 1, 2).bytes(node));
      return write(d, 'optype-varint.onnx', wire((w) => tag(tag(w, 1, 0).uint32(8), 7, 2).bytes(graph)));
    },
    code: 'onnx.corrupt',
    phrase: "in graph.node[0].opType",
  },
  {
    name: 'corrupt varint (11 continuation bytes) in ir_version',
    make: (d) => write(d, 'varint.onnx', new Uint8Array([0x08, ...new Array<number>(11).fill(0xff), 0x01])),
    code: 'onnx.corrupt',
    phrase: 'a varint value is corrupt: a varint longer than 10 bytes in irVersion',
  },
  {
    name: 'nested message longer than its parent',
    make: (d) => {
      // graph (3 bytes) holds a node that claims 100 bytes.
      const graph = new Uint8Array([0x0a, 100, 0x00]);
      return write(d, 'nested.onnx', wire((w) => tag(tag(w, 1, 0).uint32(8), 7, 2).bytes(graph)));
    },
    code: 'onnx.corrupt',
    phrase: 'the enclosing message has only',
  },
  {
    name: 'field number 0',
    make: (d) => write(d, 'field0.onnx', new Uint8Array([0x08, 0x08, 0x00, 0x01])),
    code: 'onnx.corrupt',
    phrase: 'field number 0',
  },
  {
    name: 'invalid wire type 7',
    make: (d) => write(d, 'wire7.onnx', new Uint8Array([0x08, 0x08, (30 << 3) | 7, 0x01])),
    code: 'onnx.corrupt',
    phrase: 'wire type invalid (7)',
  },
  {
    name: 'packed float_data not a multiple of 4 bytes',
    make: (d) => {
      const tensor = wire((w) => tag(tag(tag(w, 1, 0).uint32(1), 2, 0).uint32(1), 4, 2).bytes(new Uint8Array([0, 0, 128])));
      const graph = wire((w) => tag(w, 5, 2).bytes(tensor));
      return write(d, 'packed.onnx', wire((w) => tag(tag(w, 1, 0).uint32(8), 7, 2).bytes(graph)));
    },
    code: 'onnx.corrupt',
    phrase: 'packed float data of 3 bytes is not a multiple of 4',
  },
  {
    name: 'no graph',
    make: (d) => write(d, 'nograph.onnx', editedMlp((m) => delete m.graph)),
    code: 'onnx.no-graph',
    phrase: 'it has no graph (field 7)',
  },
  {
    name: 'truncated right after the graph (no opset_import)',
    make: (d) => write(d, 'cut-opset.onnx', editedMlp((m) => { m.opsetImport = []; m.metadataProps = []; })),
    code: 'onnx.no-opset',
    phrase: 'it imports no operator set (opset_import, field 8), which IR version 8 requires; the file may be truncated',
  },
  {
    name: 'no ir_version',
    make: (d) => write(d, 'noir.onnx', wire((w) => tag(w, 2, 2).string('exporter').uint32((7 << 3) | 2).bytes(new Uint8Array(0)))),
    code: 'onnx.no-ir-version',
    phrase: 'ir_version (field 1) is missing',
  },
  {
    name: 'dimension 2^50',
    make: (d) => write(d, 'dim50.onnx', editedMlp((m) => { firstInitializer(m).dims = [2 ** 50, 1]; })),
    code: 'onnx.huge-dim',
    phrase: "tensor 'W1' has dimension 1125899906842624 on axis 0, above the limit of 2^40",
  },
  {
    name: 'dims whose product overflows',
    make: (d) => write(d, 'overflow.onnx', editedMlp((m) => { firstInitializer(m).dims = [2 ** 30, 2 ** 30, 2 ** 30]; })),
    code: 'onnx.huge-dim',
    phrase: 'whose product overflows',
  },
  {
    name: 'dims asking for more bytes than the file has',
    make: (d) => write(d, 'bigger.onnx', editedMlp((m) => { firstInitializer(m).dims = [100000, 1000]; })),
    code: 'onnx.huge-dim',
    phrase: 'more than the whole file',
  },
  {
    name: 'negative dimension',
    make: (d) => write(d, 'negdim.onnx', editedMlp((m) => { firstInitializer(m).dims = [-4, 8]; })),
    code: 'onnx.bad-dim',
    phrase: "tensor 'W1' has dimension -4 on axis 0",
  },
  {
    name: 'raw_data shorter than its dims say',
    make: (d) => write(d, 'short-raw.onnx', editedMlp((m) => { const t = firstInitializer(m); t.rawData = t.rawData?.subarray(0, 100) ?? new Uint8Array(0); })),
    code: 'onnx.data-size',
    phrase: "tensor 'W1' has dims [4, 8] of float32 (128 bytes) but its raw_data holds 100 bytes",
  },
  {
    name: 'float_data with the wrong count',
    make: (d) => write(d, 'short-float.onnx', editedMlp((m) => { const t = firstInitializer(m); delete t.rawData; t.floatData = [1, 2, 3]; })),
    code: 'onnx.data-size',
    phrase: 'but its float_data holds 3 values',
  },
  {
    name: 'tensor with dims but no data',
    make: (d) => write(d, 'nodata.onnx', editedMlp((m) => { delete firstInitializer(m).rawData; })),
    code: 'onnx.data-size',
    phrase: "tensor 'W1' has dims [4, 8] but no data",
  },
  {
    name: 'external location escaping the folder (..)',
    make: (d) => write(d, 'escape.onnx', externalMlp({ location: '../secret.bin' })),
    code: 'onnx.external-path',
    phrase: "points at external data '../secret.bin' outside the model's folder",
  },
  {
    name: 'external location that is absolute',
    make: (d) => write(d, 'absolute.onnx', externalMlp({ location: '/etc/passwd' })),
    code: 'onnx.external-path',
    phrase: "'/etc/passwd' outside the model's folder",
  },
  {
    name: 'external tensor without a location',
    make: (d) => write(d, 'noloc.onnx', externalMlp({ offset: '0' })),
    code: 'onnx.corrupt',
    phrase: "is marked EXTERNAL but has no external_data 'location'",
  },
  {
    name: 'external offset that is not a number',
    make: (d) => write(d, 'badoffset.onnx', externalMlp({ location: 'w.bin', offset: '-5' })),
    code: 'onnx.corrupt',
    phrase: "external_data offset '-5', which is not a non-negative integer",
  },
  {
    name: 'missing external data file',
    make: (d) => write(d, 'missing-ext.onnx', externalMlp({ location: 'weights.bin' })),
    op: 'external',
    code: 'onnx.external-missing',
    phrase: 'which does not exist',
    alsoMentions: (d) => [join(d, 'missing-ext.onnx'), join(d, 'weights.bin')],
  },
  {
    name: 'external data file that is a directory',
    make: (d) => {
      mkdirSync(join(d, 'weights-dir.bin'));
      return write(d, 'dir-ext.onnx', externalMlp({ location: 'weights-dir.bin' }));
    },
    op: 'external',
    code: 'onnx.external-missing',
    phrase: 'which is not a regular file',
  },
  {
    name: 'external offset beyond the end of the data file',
    make: (d) => {
      write(d, 'short.bin', new Uint8Array(64));
      return write(d, 'range.onnx', externalMlp({ location: 'short.bin', offset: '32' }));
    },
    op: 'external',
    code: 'onnx.external-range',
    phrase: 'needs bytes 32..160 of',
    alsoMentions: (d) => [join(d, 'short.bin'), 'which has only 64 bytes'],
  },
  {
    name: 'external length disagreeing with the dims',
    make: (d) => {
      write(d, 'w.bin', new Uint8Array(256));
      return write(d, 'len.onnx', externalMlp({ location: 'w.bin', length: '64' }));
    },
    op: 'external',
    code: 'onnx.data-size',
    phrase: 'but its external_data length is 64',
  },
  {
    name: 'path that does not exist',
    make: (d) => join(d, 'nope.onnx'),
    code: 'onnx.unreadable',
    phrase: 'cannot read the model: the file does not exist',
  },
  {
    name: 'path that is a directory',
    make: (d) => {
      mkdirSync(join(d, 'folder.onnx'));
      return join(d, 'folder.onnx');
    },
    code: 'onnx.unreadable',
    phrase: 'cannot read the model: it is a directory',
  },
];

async function run(path: string, op: Operation): Promise<void> {
  const model = await loadModel(path);
  if (op === 'external') await checkExternalData(model);
}

describe('onnx malformed table', () => {
  let dir = '';
  let cleanup = (): void => undefined;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  it('has at least 30 cases', () => {
    assert.ok(cases.length >= 30, `${cases.length} cases`);
  });

  for (const c of cases) {
    it(`${c.name} → ${c.code}`, async () => {
      const path = c.make(dir);
      await assert.rejects(run(path, c.op ?? 'load'), (e: unknown) => {
        assert.ok(e instanceof BadInputError, `expected BadInputError, got ${String(e)}`);
        assert.equal(e.code, c.code, e.message);
        assert.equal(e.kind, 'bad-input');
        assert.ok(e.message.startsWith(`${path}: `), `message names the file: ${e.message}`);
        if (typeof c.phrase === 'string') assert.ok(e.message.includes(c.phrase), `message has '${c.phrase}': ${e.message}`);
        else assert.match(e.message, c.phrase);
        for (const text of c.alsoMentions?.(dir) ?? []) assert.ok(e.message.includes(text), `message mentions '${text}': ${e.message}`);
        return true;
      });
    });
  }

  it('readTensorData raises the same external errors as checkExternalData, and loading alone does not', async () => {
    const path = write(dir, 'lazy-missing.onnx', externalMlp({ location: 'later.bin' }));
    const model = await loadModel(path);
    assert.deepEqual(model.externalFiles, [{ location: 'later.bin', path: join(dir, 'later.bin'), exists: false, bytes: null }]);
    const w1 = weightTensors(model.proto).find((w) => w.name === 'W1');
    assert.ok(w1);
    await assert.rejects(readTensorData(model, w1.tensor), { code: 'onnx.external-missing' });
    copyFileSync(fixture('external-data.bin'), join(dir, 'later.bin'));
    const bytes = await readTensorData(model, w1.tensor);
    assert.equal(bytes.length, 128);
  });
});
