/**
 * Structural check of protobuf wire data against the reflected ONNX schema, run before decoding.
 *
 * protobufjs decoders trust the wire type of known fields and read past corrupt data in ways
 * that give silent garbage or a bare RangeError. This walk reads only tags and lengths (it skips
 * `bytes` payloads, so a 100 MB model costs a few milliseconds), checks each known field has the
 * wire type the schema declares, and tells a file that ends early (truncated) from one whose
 * bytes are inconsistent (corrupt), with the field path where it happened.
 */
import protobuf from 'protobufjs';

export type WireIssueKind = 'truncated' | 'corrupt';

/** Where and why the wire data is not a well-formed message of the expected type. */
export interface WireIssue {
  kind: WireIssueKind;
  /** Field path such as `graph.node[3].attribute[0]`, '' for the top level. */
  path: string;
  /** Byte offset in the buffer where the problem was found. */
  offset: number;
  detail: string;
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const WIRE_NAMES: Record<number, string> = {
  0: 'varint',
  1: 'fixed64',
  2: 'length-delimited',
  3: 'start-group',
  4: 'end-group',
  5: 'fixed32',
  6: 'invalid (6)',
  7: 'invalid (7)',
};

/** Human name of a wire type. */
export function wireTypeName(wireType: number): string {
  return WIRE_NAMES[wireType] ?? `invalid (${wireType})`;
}

/** Result of reading one varint: the value (exact below 2^53) and the offset after it. */
export type VarintRead = { ok: true; value: number; next: number } | { ok: false; reason: 'eof' | 'too-long' };

/** Reads a base-128 varint at `pos`, not beyond `end`. At most 10 bytes, as protobuf allows. */
export function readVarint(bytes: Uint8Array, pos: number, end: number): VarintRead {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) return { ok: false, reason: 'eof' };
    const byte = bytes[pos + i] ?? 0;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return { ok: true, value, next: pos + i + 1 };
  }
  return { ok: false, reason: 'too-long' };
}

const MAX_DEPTH = 100;

class WireError extends Error {
  constructor(readonly issue: WireIssue) {
    super(issue.detail);
  }
}

interface Span {
  /** First byte after the message. */
  end: number;
  /** True when the message runs to the end of the buffer: running out of bytes means truncation. */
  atBufferEnd: boolean;
}

/**
 * Checks `bytes` is a well-formed `type` message; returns the first problem found, or null.
 * A well-formed file takes the quick walk only (`wireIsClean`); the walk that names the field
 * path, offset and cause runs when that one finds a problem.
 */
export function checkWire(bytes: Uint8Array, type: protobuf.Type): WireIssue | null {
  return wireIsClean(bytes, type) ? null : findWireIssue(bytes, type);
}

/** The first problem of `bytes` as a `type` message, with its field path, or null (the detailed walk). */
export function findWireIssue(bytes: Uint8Array, type: protobuf.Type): WireIssue | null {
  try {
    walkMessage(bytes, type, 0, { end: bytes.length, atBufferEnd: true }, '', 0);
    return null;
  } catch (e) {
    if (e instanceof WireError) return e.issue;
    throw e;
  }
}

/** What the quick walk needs of a known field: its wire type, its packed form, its message type. */
interface QuickField {
  readonly expected: number;
  /** The wire type of a packed element; undefined when the field is not packable. */
  readonly packed: number | undefined;
  readonly message: protobuf.Type | null;
}

const quickPlans = new WeakMap<protobuf.Type, ReadonlyMap<number, QuickField>>();

function quickPlan(type: protobuf.Type): ReadonlyMap<number, QuickField> {
  let plan = quickPlans.get(type);
  if (!plan) {
    const fields = new Map<number, QuickField>();
    for (const field of type.fieldsArray) {
      field.resolve();
      fields.set(field.id, {
        expected: expectedWireType(field),
        packed: packedWireType(field),
        message: field.resolvedType instanceof protobuf.Type ? field.resolvedType : null,
      });
    }
    plan = fields;
    quickPlans.set(type, plan);
  }
  return plan;
}

/** The value of the varint `quickVarint` read last (exact below 2^53). */
let varintValue = 0;

/** Reads the varint at `pos` (at most 10 bytes, before `end`) into `varintValue`; returns the offset after it, or −1. */
function quickVarint(bytes: Uint8Array, pos: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) return -1;
    const byte = bytes[pos + i] ?? 0;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) {
      varintValue = value;
      return pos + i + 1;
    }
  }
  return -1;
}

/**
 * True when the detailed walk (`findWireIssue`) finds nothing: the same checks (depth, tags, wire
 * types of known fields, lengths, packed data, nested messages), without field paths or
 * allocation. test/unit/onnx/wire-quick.test.ts checks the two agree on every fixture and on
 * thousands of truncated and corrupted copies.
 */
export function wireIsClean(bytes: Uint8Array, type: protobuf.Type): boolean {
  return quickMessage(bytes, type, 0, bytes.length, 0);
}

function quickMessage(bytes: Uint8Array, type: protobuf.Type, start: number, end: number, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  const plan = quickPlan(type);
  let pos = start;
  while (pos < end) {
    pos = quickVarint(bytes, pos, end);
    if (pos < 0) return false;
    const fieldNumber = Math.floor(varintValue / 8);
    const wireType = varintValue % 8;
    if (fieldNumber === 0) return false;
    const field = plan.get(fieldNumber);
    if (field && wireType !== field.expected && !(wireType === WIRE_LEN && field.packed !== undefined)) return false;
    switch (wireType) {
      case WIRE_VARINT:
        pos = quickVarint(bytes, pos, end);
        if (pos < 0) return false;
        break;
      case WIRE_FIXED64:
        if (8 > end - pos) return false;
        pos += 8;
        break;
      case WIRE_FIXED32:
        if (4 > end - pos) return false;
        pos += 4;
        break;
      case WIRE_LEN: {
        pos = quickVarint(bytes, pos, end);
        if (pos < 0 || varintValue > end - pos) return false;
        const from = pos;
        pos += varintValue;
        if (field && !quickLengthDelimited(bytes, field, from, pos, depth)) return false;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

function quickLengthDelimited(bytes: Uint8Array, field: QuickField, start: number, end: number, depth: number): boolean {
  if (field.message) return quickMessage(bytes, field.message, start, end, depth + 1);
  const packed = field.packed;
  if (packed === undefined || field.expected === WIRE_LEN) return true;
  const length = end - start;
  if (packed === WIRE_FIXED32) return length % 4 === 0;
  if (packed === WIRE_FIXED64) return length % 8 === 0;
  if (packed === WIRE_VARINT) {
    for (let pos = start; pos < end;) {
      pos = quickVarint(bytes, pos, end);
      if (pos < 0) return false;
    }
  }
  return true;
}

function fail(span: Span, eof: boolean, path: string, offset: number, detail: string): never {
  const kind: WireIssueKind = eof && span.atBufferEnd ? 'truncated' : 'corrupt';
  throw new WireError({ kind, path, offset, detail });
}

function varintAt(bytes: Uint8Array, pos: number, span: Span, path: string, what: string): { value: number; next: number } {
  const read = readVarint(bytes, pos, span.end);
  if (read.ok) return read;
  if (read.reason === 'eof') {
    const where = span.atBufferEnd ? 'the file ends' : 'the enclosing message ends';
    fail(span, true, path, pos, `${what} is cut off: ${where} inside a varint`);
  }
  fail(span, false, path, pos, `${what} is corrupt: a varint longer than 10 bytes`);
}

function need(span: Span, pos: number, count: number, path: string, what: string): number {
  if (count > span.end - pos) {
    const where = span.atBufferEnd ? 'the file has' : 'the enclosing message has';
    fail(span, true, path, pos, `${what} needs ${count} bytes but ${where} only ${span.end - pos} left`);
  }
  return pos + count;
}

function expectedWireType(field: protobuf.Field): number {
  if (field.resolvedType instanceof protobuf.Type) return WIRE_LEN;
  if (field.resolvedType instanceof protobuf.Enum) return WIRE_VARINT;
  return protobuf.types.basic[field.type as keyof typeof protobuf.types.basic] ?? WIRE_LEN;
}

function packedWireType(field: protobuf.Field): number | undefined {
  if (!field.repeated) return undefined;
  if (field.resolvedType instanceof protobuf.Enum) return WIRE_VARINT;
  return protobuf.types.packed[field.type as keyof typeof protobuf.types.packed];
}

function walkMessage(bytes: Uint8Array, type: protobuf.Type, start: number, span: Span, path: string, depth: number): void {
  if (depth > MAX_DEPTH) fail(span, false, path, start, `messages nest deeper than ${MAX_DEPTH} levels`);
  const counts = new Map<number, number>();
  let pos = start;
  while (pos < span.end) {
    const tagStart = pos;
    const tag = varintAt(bytes, pos, span, path, 'a field tag');
    pos = tag.next;
    const fieldNumber = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (fieldNumber === 0) fail(span, false, path, tagStart, 'a field tag has field number 0');
    const field = type.fieldsById[fieldNumber];
    const index = counts.get(fieldNumber) ?? 0;
    counts.set(fieldNumber, index + 1);
    const fieldPath = field ? joinPath(path, field, index) : joinUnknown(path, fieldNumber);
    if (field) checkFieldWireType(field, wireType, span, fieldPath, tagStart);
    pos = skipValue(bytes, pos, wireType, span, fieldPath, tagStart, field, depth);
  }
}

function joinPath(path: string, field: protobuf.Field, index: number): string {
  const name = field.repeated ? `${field.name}[${index}]` : field.name;
  return path === '' ? name : `${path}.${name}`;
}

function joinUnknown(path: string, fieldNumber: number): string {
  const name = `#${fieldNumber}`;
  return path === '' ? name : `${path}.${name}`;
}

function checkFieldWireType(field: protobuf.Field, wireType: number, span: Span, path: string, offset: number): void {
  const expected = expectedWireType(field);
  if (wireType === expected) return;
  if (wireType === WIRE_LEN && packedWireType(field) !== undefined) return;
  fail(
    span,
    false,
    path,
    offset,
    `field '${field.name}' (${field.id}) has wire type ${wireTypeName(wireType)} but the schema declares ${field.type} (${wireTypeName(expected)})`,
  );
}

function skipValue(
  bytes: Uint8Array,
  pos: number,
  wireType: number,
  span: Span,
  path: string,
  tagStart: number,
  field: protobuf.Field | undefined,
  depth: number,
): number {
  switch (wireType) {
    case WIRE_VARINT:
      return varintAt(bytes, pos, span, path, 'a varint value').next;
    case WIRE_FIXED64:
      return need(span, pos, 8, path, 'a fixed64 value');
    case WIRE_FIXED32:
      return need(span, pos, 4, path, 'a fixed32 value');
    case WIRE_LEN: {
      const length = varintAt(bytes, pos, span, path, 'a length prefix');
      const end = need(span, length.next, length.value, path, 'a length-delimited value');
      if (field) checkLengthDelimited(bytes, field, length.next, end, span, path, depth);
      return end;
    }
    default:
      return fail(span, false, path, tagStart, `a field tag has wire type ${wireTypeName(wireType)}, which ONNX files never use`);
  }
}

function checkLengthDelimited(
  bytes: Uint8Array,
  field: protobuf.Field,
  start: number,
  end: number,
  parent: Span,
  path: string,
  depth: number,
): void {
  // A child that runs to the end of the buffer inherits "truncated" only if it could not be
  // bounded by its own length (it was); inside it, running out of bytes is corruption.
  const span: Span = { end, atBufferEnd: false };
  if (field.resolvedType instanceof protobuf.Type) {
    walkMessage(bytes, field.resolvedType, start, span, path, depth + 1);
    return;
  }
  const packed = packedWireType(field);
  if (packed === undefined || expectedWireType(field) === WIRE_LEN) return;
  const length = end - start;
  if (packed === WIRE_FIXED32 && length % 4 !== 0) fail(parent, false, path, start, `packed ${field.type} data of ${length} bytes is not a multiple of 4`);
  if (packed === WIRE_FIXED64 && length % 8 !== 0) fail(parent, false, path, start, `packed ${field.type} data of ${length} bytes is not a multiple of 8`);
  if (packed === WIRE_VARINT) {
    let pos = start;
    while (pos < end) pos = varintAt(bytes, pos, span, path, `a packed ${field.type} element`).next;
  }
}
