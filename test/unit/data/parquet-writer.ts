/**
 * A minimal Parquet writer for test fixtures (no Parquet writer is installed: no pyarrow,
 * fastparquet or hyparquet-writer). It follows the format spec (apache/parquet-format):
 * PLAIN-encoded v1 data pages, UNCOMPRESSED, one page per column chunk, REQUIRED or OPTIONAL
 * flat columns (definition levels as RLE runs), several row groups, thrift compact metadata.
 */

export type ParquetColumn =
  | { name: string; type: 'INT32' | 'INT64' | 'DOUBLE'; values: (number | null)[] }
  | { name: string; type: 'BOOLEAN'; values: (boolean | null)[] }
  | { name: string; type: 'UTF8'; values: (string | null)[] };

const PHYSICAL = { BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, UTF8: 6 } as const;
const T = { I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

class Bytes {
  readonly parts: number[] = [];
  byte(b: number): void { this.parts.push(b & 0xff); }
  bytes(a: ArrayLike<number>): void { for (let i = 0; i < a.length; i++) this.parts.push(a[i]! & 0xff); }
  varint(v: bigint): void {
    let x = v;
    while (x >= 0x80n) { this.byte(Number(x & 0x7fn) | 0x80); x >>= 7n; }
    this.byte(Number(x));
  }
  zigzag(v: number | bigint): void {
    const x = BigInt(v);
    this.varint(x >= 0n ? x << 1n : ((-x) << 1n) - 1n);
  }
}

type Field = [id: number, type: number, value: number | bigint | string | Field[] | { list: number; items: (number | string | Field[])[] }];

/** Thrift compact protocol struct. */
function struct(out: Bytes, fields: Field[]): void {
  let last = 0;
  for (const [id, type, value] of fields) {
    const delta = id - last;
    if (delta > 0 && delta <= 15) out.byte((delta << 4) | type);
    else { out.byte(type); out.zigzag(id); }
    last = id;
    writeValue(out, type, value);
  }
  out.byte(0);
}

function writeValue(out: Bytes, type: number, value: Field[2]): void {
  if (type === T.I32 || type === T.I64) out.zigzag(value as number | bigint);
  else if (type === T.BINARY) { const b = new TextEncoder().encode(value as string); out.varint(BigInt(b.length)); out.bytes(b); }
  else if (type === T.STRUCT) struct(out, value as Field[]);
  else if (type === T.LIST) {
    const { list, items } = value as { list: number; items: (number | string | Field[])[] };
    if (items.length < 15) out.byte((items.length << 4) | list);
    else { out.byte(0xf0 | list); out.varint(BigInt(items.length)); }
    for (const item of items) writeValue(out, list, item);
  }
}

function plain(column: ParquetColumn, values: unknown[]): number[] {
  const out = new Bytes();
  const view = new DataView(new ArrayBuffer(8));
  if (column.type === 'BOOLEAN') {
    for (let i = 0; i < values.length; i += 8) {
      let b = 0;
      for (let k = 0; k < 8 && i + k < values.length; k++) if (values[i + k]) b |= 1 << k;
      out.byte(b);
    }
  }
  for (const v of column.type === 'BOOLEAN' ? [] : values) {
    if (column.type === 'INT32') { view.setInt32(0, v as number, true); out.bytes(new Uint8Array(view.buffer, 0, 4)); }
    else if (column.type === 'INT64') { view.setBigInt64(0, BigInt(v as number), true); out.bytes(new Uint8Array(view.buffer, 0, 8)); }
    else if (column.type === 'DOUBLE') { view.setFloat64(0, v as number, true); out.bytes(new Uint8Array(view.buffer, 0, 8)); }
    else { const b = new TextEncoder().encode(v as string); view.setInt32(0, b.length, true); out.bytes(new Uint8Array(view.buffer, 0, 4)); out.bytes(b); }
  }
  return out.parts;
}

/** Definition levels (bit width 1) as RLE runs, with the v1 page's 4-byte length prefix. */
function definitionLevels(values: unknown[]): number[] {
  const runs = new Bytes();
  for (let i = 0; i < values.length;) {
    const defined = values[i] !== null;
    let j = i;
    while (j < values.length && (values[j] !== null) === defined) j++;
    runs.varint(BigInt(j - i) << 1n);
    runs.byte(defined ? 1 : 0);
    i = j;
  }
  const n = runs.parts.length;
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24, ...runs.parts];
}

/** Writes a Parquet file with `rowGroupSize` rows per row group. */
export function writeParquet(columns: ParquetColumn[], rowGroupSize: number): Uint8Array {
  const rows = columns[0]?.values.length ?? 0;
  const optional = columns.map((c) => (c.values as unknown[]).some((v) => v === null));
  const out = new Bytes();
  out.bytes(new TextEncoder().encode('PAR1'));
  const groups: Field[][] = [];
  for (let start = 0; start < rows || (rows === 0 && start === 0); start += rowGroupSize) {
    const end = Math.min(rows, start + rowGroupSize);
    const chunks: Field[][] = [];
    let groupBytes = 0;
    columns.forEach((column, c) => {
      const values = (column.values as unknown[]).slice(start, end);
      const data = [...(optional[c] ? definitionLevels(values) : []), ...plain(column, values.filter((v) => v !== null))];
      const header = new Bytes();
      struct(header, [
        [1, T.I32, 0], [2, T.I32, data.length], [3, T.I32, data.length],
        [5, T.STRUCT, [[1, T.I32, values.length], [2, T.I32, 0], [3, T.I32, 3], [4, T.I32, 3]]],
      ]);
      const offset = out.parts.length;
      out.bytes(header.parts);
      out.bytes(data);
      const size = header.parts.length + data.length;
      groupBytes += size;
      chunks.push([
        [2, T.I64, BigInt(offset)],
        [3, T.STRUCT, [
          [1, T.I32, PHYSICAL[column.type]], [2, T.LIST, { list: T.I32, items: [0, 3] }], [3, T.LIST, { list: T.BINARY, items: [column.name] }],
          [4, T.I32, 0], [5, T.I64, BigInt(values.length)], [6, T.I64, BigInt(size)], [7, T.I64, BigInt(size)], [9, T.I64, BigInt(offset)],
        ]],
      ]);
    });
    groups.push([[1, T.LIST, { list: T.STRUCT, items: chunks }], [2, T.I64, BigInt(groupBytes)], [3, T.I64, BigInt(end - start)]]);
    if (rows === 0) break;
  }
  const schema: Field[][] = [
    [[4, T.BINARY, 'schema'], [5, T.I32, columns.length]],
    ...columns.map((column, c): Field[] => [
      [1, T.I32, PHYSICAL[column.type]], [3, T.I32, optional[c] ? 1 : 0], [4, T.BINARY, column.name],
      ...(column.type === 'UTF8' ? [[6, T.I32, 0] as Field] : []),
    ]),
  ];
  const meta = new Bytes();
  struct(meta, [
    [1, T.I32, 1], [2, T.LIST, { list: T.STRUCT, items: schema }], [3, T.I64, BigInt(rows)],
    [4, T.LIST, { list: T.STRUCT, items: groups }], [6, T.BINARY, 'bias-inspector test writer'],
  ]);
  out.bytes(meta.parts);
  const n = meta.parts.length;
  out.bytes([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]);
  out.bytes(new TextEncoder().encode('PAR1'));
  return Uint8Array.from(out.parts);
}
