/**
 * Decodes ModelProto bytes into plain objects without generating code at run time.
 *
 * protobufjs decodes by generating a decoder and a to-object converter per message type (as
 * JavaScript source that V8 then compiles). For the ~20 ONNX message types that cost ~15–20 ms of
 * CPU in every fresh process — every CLI run and every VS Code analysis (each runs in a new
 * worker) — before the first byte was read. This decoder walks the reflected schema instead, with
 * protobufjs's own Reader for every value, and builds the objects `toObject(decode(bytes),
 * TO_OBJECT_OPTIONS)` gives, key order included: repeated fields always present as arrays, a
 * singular field present when it is on the wire, int64 as numbers (protobufjs's LongBits
 * rounding), enums as numbers, `bytes` as views into the buffer.
 *
 * It follows protobufjs 8's generated decoder case by case: a singular message seen twice merges,
 * setting a oneof member removes the others, a closed enum's unknown value is dropped, a field
 * with an unexpected wire type is skipped as unknown, packed and unpacked repeated scalars are
 * both read, sub-message lengths and the depth limit are checked with the same errors.
 * test/unit/onnx/decode.test.ts checks it against protobufjs on every model of examples/ and
 * test/fixtures and on random messages (merges, oneofs and wire-type mismatches included).
 */
import protobuf from 'protobufjs';
import type { ModelProto } from './proto';
import { modelProtoType } from './proto';

type Reader = protobuf.Reader;
type Long = { low: number; high: number };
type Obj = Record<string, unknown>;

const KIND_MESSAGE = 0;
const KIND_ENUM = 1;
const KIND_SCALAR = 2;

interface FieldPlan {
  readonly id: number;
  readonly name: string;
  readonly repeated: boolean;
  readonly kind: number;
  /** Wire type of one value (unpacked). */
  readonly wire: number;
  /** A repeated scalar whose packed form (wire type 2) is read too. */
  readonly packable: boolean;
  readonly read: (r: Reader) => unknown;
  readonly readPacked: ((r: Reader, into: unknown[]) => void) | null;
  readonly enumValues: Readonly<Record<number, string>> | null;
  /** The other members of the field's oneof, removed when it is set. */
  readonly siblings: readonly string[] | null;
  message: MessagePlan | null;
}

interface MessagePlan {
  readonly byId: ReadonlyMap<number, FieldPlan>;
  /** Fields by id, as protobufjs's converter orders its output. */
  readonly sorted: readonly FieldPlan[];
  readonly repeated: readonly string[];
}

const LongBits = (protobuf.util as unknown as { LongBits: new (lo: number, hi: number) => { toNumber(unsigned?: boolean): number } }).LongBits;

/** A 64-bit value as the converter gives it with `longs: Number`. */
function longNumber(v: unknown, unsigned: boolean): number {
  if (typeof v === 'number') return v;
  const long = v as Long;
  return new LongBits(long.low >>> 0, long.high >>> 0).toNumber(unsigned);
}

function packedLongs(method: 'int64s' | 'uint64s', unsigned: boolean): (r: Reader, into: unknown[]) => void {
  return (r, into) => {
    const from = into.length;
    (r as unknown as Record<string, (a: unknown[]) => unknown[]>)[method]!(into);
    for (let i = from; i < into.length; i++) into[i] = longNumber(into[i], unsigned);
  };
}

/** Readers of the scalar types ONNX uses (a schema with another type fails at plan time). */
const SCALARS: Record<string, { read: (r: Reader) => unknown; packed: ((r: Reader, into: unknown[]) => void) | null }> = {
  int64: { read: (r) => longNumber(r.int64(), false), packed: packedLongs('int64s', false) },
  uint64: { read: (r) => longNumber(r.uint64(), true), packed: packedLongs('uint64s', true) },
  int32: { read: (r) => r.int32(), packed: (r, into) => void (r as unknown as { int32s(a: unknown[]): void }).int32s(into) },
  float: { read: (r) => r.float(), packed: (r, into) => void (r as unknown as { floats(a: unknown[]): void }).floats(into) },
  double: { read: (r) => r.double(), packed: (r, into) => void (r as unknown as { doubles(a: unknown[]): void }).doubles(into) },
  string: { read: (r) => r.string(), packed: null },
  bytes: { read: (r) => r.bytes(), packed: null },
};

function unsupported(type: protobuf.Type, field: protobuf.Field, what: string): Error {
  return new Error(`onnx/decode.ts: ${type.fullName}.${field.name} is ${what}, which this decoder does not handle`);
}

function fieldPlan(type: protobuf.Type, field: protobuf.Field): FieldPlan {
  field.resolve();
  const resolved = field.resolvedType;
  if (field.map || field.delimited || field.required) throw unsupported(type, field, 'a map, group or required field');
  const siblings = field.partOf ? field.partOf.oneof.filter((name) => name !== field.name) : null;
  const base = { id: field.id, name: field.name, repeated: field.repeated, siblings, message: null };
  if (resolved instanceof protobuf.Type) {
    return { ...base, kind: KIND_MESSAGE, wire: 2, packable: false, read: () => undefined, readPacked: null, enumValues: null };
  }
  if (resolved instanceof protobuf.Enum) {
    const closed = (resolved as unknown as { _features: { enum_type?: string } })._features.enum_type === 'CLOSED';
    if (!closed || field.repeated) throw unsupported(type, field, 'an open or repeated enum');
    return { ...base, kind: KIND_ENUM, wire: 0, packable: false, read: (r) => r.int32(), readPacked: null, enumValues: resolved.valuesById };
  }
  const scalar = SCALARS[field.type];
  const wire = protobuf.types.basic[field.type as keyof typeof protobuf.types.basic];
  if (!scalar || wire === undefined) throw unsupported(type, field, `of type ${field.type}`);
  const packable = field.repeated && protobuf.types.packed[field.type as keyof typeof protobuf.types.packed] !== undefined;
  if (packable && !scalar.packed) throw unsupported(type, field, `a packable ${field.type} without a packed reader`);
  return { ...base, kind: KIND_SCALAR, wire, packable, read: scalar.read, readPacked: packable ? scalar.packed : null, enumValues: null };
}

let cachedPlan: MessagePlan | undefined;

/** The plans of every message type reachable from ModelProto (built once). */
function modelPlan(): MessagePlan {
  if (cachedPlan) return cachedPlan;
  const plans = new Map<protobuf.Type, MessagePlan>();
  const pending: { field: FieldPlan; type: protobuf.Type }[] = [];
  const build = (type: protobuf.Type): MessagePlan => {
    const known = plans.get(type);
    if (known) return known;
    const fields = type.fieldsArray.map((f) => fieldPlan(type, f));
    const sorted = [...fields].sort((a, b) => a.id - b.id);
    const plan: MessagePlan = { byId: new Map(fields.map((f) => [f.id, f])), sorted, repeated: sorted.filter((f) => f.repeated).map((f) => f.name) };
    plans.set(type, plan);
    type.fieldsArray.forEach((f, i) => {
      if (f.resolvedType instanceof protobuf.Type) pending.push({ field: fields[i]!, type: f.resolvedType });
    });
    return plan;
  };
  const root = build(modelProtoType());
  for (let next = pending.pop(); next; next = pending.pop()) next.field.message = build(next.type);
  cachedPlan = root;
  return root;
}

/** A message's object before any field is read: every repeated field as an empty array. */
function emptyMessage(plan: MessagePlan): Obj {
  const m: Obj = {};
  for (const name of plan.repeated) m[name] = [];
  return m;
}

/** The same fields in the converter's order: repeated fields first, then the singular ones, each by id. */
function inOrder(m: Obj, plan: MessagePlan): Obj {
  const d: Obj = {};
  for (const f of plan.sorted) if (f.repeated) d[f.name] = m[f.name];
  for (const f of plan.sorted) if (!f.repeated && Object.prototype.hasOwnProperty.call(m, f.name)) d[f.name] = m[f.name];
  return d;
}

function clearSiblings(m: Obj, siblings: readonly string[] | null): void {
  if (siblings) for (const name of siblings) delete m[name];
}

/** Reads one field's value into `m`; false when the wire type is not the field's (protobufjs then skips it as unknown). */
function readField(r: Reader, f: FieldPlan, wire: number, m: Obj, depth: number): boolean {
  if (f.kind === KIND_MESSAGE) {
    if (wire !== 2) return false;
    if (f.repeated) {
      (m[f.name] as unknown[]).push(decodeMessage(r, f.message!, r.size(), depth + 1, undefined));
      return true;
    }
    m[f.name] = decodeMessage(r, f.message!, r.size(), depth + 1, m[f.name] as Obj | undefined);
    clearSiblings(m, f.siblings);
    return true;
  }
  if (f.kind === KIND_ENUM) {
    if (wire !== 0) return false;
    const v = r.int32();
    if (f.enumValues![v] !== undefined) {
      m[f.name] = v;
      clearSiblings(m, f.siblings);
    }
    return true;
  }
  if (f.repeated) {
    if (f.packable && wire === 2) {
      f.readPacked!(r, m[f.name] as unknown[]);
      return true;
    }
    if (wire !== f.wire) return false;
    (m[f.name] as unknown[]).push(f.read(r));
    return true;
  }
  if (wire !== f.wire) return false;
  m[f.name] = f.read(r);
  clearSiblings(m, f.siblings);
  return true;
}

/**
 * One message: to the reader's end (`length` undefined) or over `length` bytes; into `target`
 * (a singular message field seen again merges).
 */
function decodeMessage(r: Reader, plan: MessagePlan, length: number | undefined, depth: number, target: Obj | undefined): Obj {
  if (depth > protobuf.Reader.recursionLimit) throw Error('max depth exceeded');
  let end = r.len;
  let outer = 0;
  if (length !== undefined) {
    end = r.pos + length;
    if (end > r.len) throw RangeError('index out of range');
    outer = r.len;
    r.len = end;
  }
  const m = target ?? emptyMessage(plan);
  // Singular fields set in ascending id order keep the converter's key order; a merge or a
  // field out of order rebuilds the object in order at the end.
  let ordered = target === undefined;
  let last = 0;
  while (r.pos < end) {
    const tag = r.tag();
    const wire = tag & 7;
    const id = tag >>> 3;
    const f = plan.byId.get(id);
    if (f !== undefined && readField(r, f, wire, m, depth)) {
      if (!f.repeated) {
        if (id < last) ordered = false;
        last = id;
      }
      continue;
    }
    r.skipType(wire, depth, id);
  }
  if (length !== undefined) {
    if (r.pos !== end) throw RangeError('index out of range');
    r.len = outer;
  }
  return ordered ? m : inOrder(m, plan);
}

/** `bytes` as a ModelProto: what protobufjs's `toObject(decode(bytes), TO_OBJECT_OPTIONS)` returns. Throws on malformed data. */
export function decodeModelProto(bytes: Uint8Array): ModelProto {
  return decodeMessage(protobuf.Reader.create(bytes), modelPlan(), undefined, 0, undefined) as unknown as ModelProto;
}
