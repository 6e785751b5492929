/**
 * Cheap look at the first bytes of a file, before any parsing: is this plausibly an ONNX
 * ModelProto, and if not, what does it look like? Returns a value; `read.ts` turns a negative
 * answer into a typed error at the public API.
 */
import { modelProtoType } from './proto';
import { readVarint, wireTypeName, WIRE_LEN, WIRE_VARINT } from './wire';

export type SniffResult =
  | { kind: 'onnx' }
  | { kind: 'empty' }
  /** `looksLike` completes "not an ONNX model: the file looks like ..." */
  | { kind: 'not-onnx'; looksLike: string };

interface Magic {
  offset: number;
  bytes: number[];
  looksLike: string;
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

const MAGICS: Magic[] = [
  { offset: 0, bytes: [0x50, 0x4b, 0x03, 0x04], looksLike: 'a ZIP archive (a PyTorch .pt/.pth checkpoint is one; export it to ONNX first)' },
  { offset: 0, bytes: [0x50, 0x4b, 0x05, 0x06], looksLike: 'an empty ZIP archive' },
  { offset: 0, bytes: [0x89, ...ascii('HDF\r\n'), 0x1a, 0x0a], looksLike: 'an HDF5 file (for example a Keras .h5 model)' },
  { offset: 0, bytes: [0x89, ...ascii('PNG\r\n'), 0x1a, 0x0a], looksLike: 'a PNG image' },
  { offset: 0, bytes: [0xff, 0xd8, 0xff], looksLike: 'a JPEG image' },
  { offset: 0, bytes: ascii('GGUF'), looksLike: 'a GGUF model (llama.cpp)' },
  { offset: 0, bytes: ascii('GGML'), looksLike: 'a GGML model (llama.cpp)' },
  { offset: 0, bytes: [0x93, ...ascii('NUMPY')], looksLike: 'a NumPy .npy array' },
  { offset: 0, bytes: [0x1f, 0x8b], looksLike: 'a gzip-compressed file (decompress it first)' },
  { offset: 0, bytes: ascii('PAR1'), looksLike: 'a Parquet file' },
  { offset: 0, bytes: ascii('%PDF'), looksLike: 'a PDF document' },
  { offset: 0, bytes: [0x7f, ...ascii('ELF')], looksLike: 'an ELF executable or shared library' },
  { offset: 4, bytes: ascii('TFL3'), looksLike: 'a TensorFlow Lite model' },
  { offset: 4, bytes: ascii('ORTM'), looksLike: 'an ONNX Runtime .ort model (open the .onnx it was converted from)' },
];

function matches(bytes: Uint8Array, magic: Magic): boolean {
  if (bytes.length < magic.offset + magic.bytes.length) return false;
  return magic.bytes.every((b, i) => bytes[magic.offset + i] === b);
}

/** Python pickle protocol 2-5 starts with PROTO (0x80) and the protocol number. */
function isPickle(bytes: Uint8Array): boolean {
  const version = bytes[1] ?? 0;
  return bytes[0] === 0x80 && version >= 2 && version <= 5;
}

/** safetensors: u64 little-endian header length, then a JSON object of that length. */
function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  return bytes[8] === 0x7b && headerLength > 1n && headerLength <= BigInt(bytes.length - 8);
}

/** True when the first bytes are (nearly all) printable text: UTF-8 or ASCII with line breaks. */
function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 512);
  let printable = 0;
  for (const b of head) {
    if (b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0x80) printable++;
    else return false;
  }
  return printable === head.length;
}

function firstNonSpace(bytes: Uint8Array): number | undefined {
  for (const b of bytes.subarray(0, 512)) {
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0xef && b !== 0xbb && b !== 0xbf) return b;
  }
  return undefined;
}

function describeText(bytes: Uint8Array): string {
  const first = firstNonSpace(bytes);
  if (first === 0x7b || first === 0x5b) return 'JSON text';
  if (first === 0x3c) return 'XML or HTML text';
  if (first === undefined) return 'a text file of only whitespace';
  if (bytes.subarray(0, 200).every((b) => b !== 0x0a) && bytes.length > 200) return 'text';
  return 'a text file';
}

/** Checks the first field tag is a ModelProto field with the wire type the schema declares. */
function firstTagProblem(bytes: Uint8Array): string | null {
  const tag = readVarint(bytes, 0, Math.min(bytes.length, 10));
  if (!tag.ok) return 'its first bytes are not a protobuf field tag';
  const fieldNumber = Math.floor(tag.value / 8);
  const wireType = tag.value % 8;
  const field = modelProtoType().fieldsById[fieldNumber];
  if (!field) return `its first protobuf field (${fieldNumber}) is not a ModelProto field`;
  const expected = field.type === 'int64' ? WIRE_VARINT : WIRE_LEN;
  if (wireType !== expected) {
    return `its first field '${field.name}' (${fieldNumber}) has wire type ${wireTypeName(wireType)}, expected ${wireTypeName(expected)}`;
  }
  return null;
}

/** Looks at the first bytes of a file and says whether it can be an ONNX model. */
export function sniffOnnx(bytes: Uint8Array): SniffResult {
  if (bytes.length === 0) return { kind: 'empty' };
  for (const magic of MAGICS) if (matches(bytes, magic)) return { kind: 'not-onnx', looksLike: magic.looksLike };
  if (isPickle(bytes)) return { kind: 'not-onnx', looksLike: 'a Python pickle (for example a legacy PyTorch .pt file; export it to ONNX first)' };
  if (isSafetensors(bytes)) return { kind: 'not-onnx', looksLike: 'a safetensors weights file (weights only, no graph)' };
  if (looksLikeText(bytes)) return { kind: 'not-onnx', looksLike: describeText(bytes) };
  const problem = firstTagProblem(bytes);
  if (problem) return { kind: 'not-onnx', looksLike: `binary data that is not an ONNX protobuf (${problem})` };
  return { kind: 'onnx' };
}
