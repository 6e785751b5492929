/**
 * NumPy `.npy` reader (format versions 1-3): a small header parser plus row-range reads with
 * positioned fs reads, so a large array is never loaded whole unless asked (`readNpy`).
 * Supported: little-endian or byte-order-free dtypes <f4 <f8 <i8 <i4 |u1 |b1, C order.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { BadInputError, fsCause } from '../errors';

export type NpyDtype = '<f4' | '<f8' | '<i8' | '<i4' | '|u1' | '|b1';
export type NpyArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface NpyHeader {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  /** Byte offset of the data. */
  readonly dataOffset: number;
}

/** An open .npy file read by ranges of its first axis (rows). */
export interface NpyFile extends NpyHeader {
  readonly path: string;
  /** Size of the first axis (1 for a 0-d array). */
  readonly rows: number;
  /** Elements per row (product of shape[1:]). */
  readonly rowSize: number;
  /** Reads rows [start, end) as a fresh typed array of (end - start) * rowSize elements. */
  readRows(start: number, end: number): Promise<NpyArray>;
  close(): Promise<void>;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ITEM_BYTES: Record<NpyDtype, number> = { '<f4': 4, '<f8': 8, '<i8': 8, '<i4': 4, '|u1': 1, '|b1': 1 };
const DTYPE_ALIASES: Record<string, NpyDtype> = {
  '<f4': '<f4', '<f8': '<f8', '<i8': '<i8', '<i4': '<i4', '|u1': '|u1', '|b1': '|b1', '<u1': '|u1', '<b1': '|b1',
};

/** Parses the header bytes of a .npy file (the first few hundred bytes suffice for v1 headers). */
export function parseNpyHeader(path: string, bytes: Uint8Array): NpyHeader {
  const fail = (cause: string): never => {
    throw new BadInputError('bad-npy', `${path}: not a supported .npy file (${cause})`, { file: path });
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('missing the \\x93NUMPY magic');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let start: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated header');
    headerLength = view.getUint32(8, true);
    start = 12;
  } else {
    return fail(`format version ${major} is not supported`);
  }
  if (bytes.length < start + headerLength) fail('truncated header');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return fail(`unreadable header ${JSON.stringify(text.trim())}`);
  const dtype = DTYPE_ALIASES[descr];
  if (!dtype) return fail(`dtype ${descr} is not supported; use one of <f4 <f8 <i8 <i4 |u1 |b1`);
  if (fortran === 'True') fail('Fortran order; save it with np.ascontiguousarray first');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`bad shape (${shapeText})`);
  return { dtype, shape, dataOffset: start + headerLength };
}

/** Opens a .npy file for row-range reads. */
export async function openNpy(path: string): Promise<NpyFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    }
  } catch (err) {
    throw new BadInputError('file-not-found', `${path}: cannot open the .npy file (${fsCause(err)})`, { file: path, cause: err });
  }
  try {
    const probe = new Uint8Array(4096);
    const { bytesRead } = await handle.read(probe, 0, probe.length, 0);
    let header = tryParse(path, probe.subarray(0, bytesRead));
    if (!header) {
      // A v2/v3 header longer than the probe: read exactly what it declares.
      const length = new DataView(probe.buffer).getUint32(8, true) + 12;
      const full = new Uint8Array(length);
      await handle.read(full, 0, length, 0);
      header = parseNpyHeader(path, full);
    }
    const { size } = await handle.stat();
    return npyFile(path, handle, header, size);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

function tryParse(path: string, bytes: Uint8Array): NpyHeader | undefined {
  try {
    return parseNpyHeader(path, bytes);
  } catch (err) {
    if (err instanceof BadInputError && err.message.includes('truncated header') && bytes.length >= 4096) return undefined;
    throw err;
  }
}

function npyFile(path: string, handle: FileHandle, header: NpyHeader, size: number): NpyFile {
  const rows = header.shape.length === 0 ? 1 : header.shape[0]!;
  const rowSize = header.shape.slice(1).reduce((a, b) => a * b, 1);
  const item = ITEM_BYTES[header.dtype];
  const expected = header.dataOffset + rows * rowSize * item;
  if (size < expected) {
    throw new BadInputError('bad-npy', `${path}: truncated: shape (${header.shape.join(', ')}) ${header.dtype} needs ${expected} bytes, the file has ${size}`, { file: path });
  }
  return {
    ...header,
    path,
    rows,
    rowSize,
    async readRows(start, end) {
      if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= rows)) {
        throw new BadInputError('npy-range', `${path}: rows ${start + 1}-${end} requested, the array has ${rows} rows`, { file: path });
      }
      const bytes = new Uint8Array((end - start) * rowSize * item);
      if (bytes.length > 0) await handle.read(bytes, 0, bytes.length, header.dataOffset + start * rowSize * item);
      return typedView(header.dtype, bytes.buffer);
    },
    close: () => handle.close(),
  };
}

/** Typed array over a fresh (hence aligned) buffer; the host is little-endian (x64, arm64). */
function typedView(dtype: NpyDtype, buffer: ArrayBuffer): NpyArray {
  switch (dtype) {
    case '<f4': return new Float32Array(buffer);
    case '<f8': return new Float64Array(buffer);
    case '<i8': return new BigInt64Array(buffer);
    case '<i4': return new Int32Array(buffer);
    case '|u1':
    case '|b1': return new Uint8Array(buffer);
  }
}

/** Reads a whole .npy file: its typed data, dtype and shape. */
export async function readNpy(path: string): Promise<{ dtype: NpyDtype; shape: number[]; data: NpyArray }> {
  const file = await openNpy(path);
  try {
    return { dtype: file.dtype, shape: [...file.shape], data: await file.readRows(0, file.rows) };
  } finally {
    await file.close();
  }
}
