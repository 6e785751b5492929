/**
 * External tensor data (TensorProto.data_location = EXTERNAL): weights kept in side files next
 * to the model. Resolved lazily: loading and summarising only stat the files; bytes are read
 * when `readTensorData` asks for one tensor.
 */
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { BadInputError, CancelledError, throwIfAborted } from '../errors';
import type { ExternalFileStatus, FileAccess, FileStat, LoadedModel } from './model';
import type { TensorProto } from './proto';
import { allStoredTensors } from './graph';
import { elementCount, isExternal, packedByteLength, tensorLabel } from './tensor';

/** Where one tensor's bytes are in an external file. */
export interface ExternalRef {
  location: string;
  offset: number;
  /** Declared length, or null when the tensor runs from `offset` for its dims' byte size. */
  length: number | null;
}

/** Node's file system, reading only the requested byte range. */
export const nodeFileAccess: FileAccess = {
  async stat(path: string): Promise<FileStat | null> {
    try {
      const info = await stat(path);
      return { size: info.size, isFile: info.isFile() };
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return null;
      throw e;
    }
  },
  async read(path: string, offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const handle = await open(path, 'r');
    try {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        throwIfAborted(signal);
        const chunk = Math.min(length - done, 64 * 1024 * 1024);
        const { bytesRead } = await handle.read(out, done, chunk, offset + done);
        if (bytesRead === 0) throw new Error(`unexpected end of file after ${offset + done} bytes`);
        done += bytesRead;
      }
      return out;
    } finally {
      await handle.close();
    }
  },
  realpath: (path: string) => realpath(path),
};

/**
 * Refuses an external file whose real path (symlinks followed, in the location or its folders)
 * is not inside the model's real folder: a checked-in symlink must not make the runtime read
 * files elsewhere on the machine. Missing files are left to the existence checks.
 */
async function checkContained(model: Pick<LoadedModel, 'path' | 'modelDir' | 'files'>, path: string, location: string): Promise<void> {
  const { files, modelDir } = model;
  if (!files.realpath || modelDir === null) return;
  let real: string;
  let folder: string;
  try {
    [real, folder] = await Promise.all([files.realpath(path), files.realpath(modelDir)]);
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return;
    throw e;
  }
  if (!real.startsWith(folder.endsWith(sep) ? folder : folder + sep)) {
    throw new BadInputError('onnx.external-path',
      `${model.path}: external data '${location}' resolves to ${real}, outside the model's folder ${folder} (through a symbolic link); only files inside it are read`,
      { file: model.path });
  }
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && (e as { code: unknown }).code === code;
}

/** True when a location is absolute or climbs out of the model's folder. */
function escapesFolder(location: string): boolean {
  if (isAbsolute(location) || location.startsWith('/') || location.startsWith('\\') || /^[A-Za-z]:/.test(location)) return true;
  return location.split(/[\\/]/).some((segment) => segment === '..');
}

function parseNonNegative(value: string | undefined, key: string, tensor: TensorProto, file: string): number | null {
  if (value === undefined) return null;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new BadInputError('onnx.corrupt', `${file}: ${tensorLabel(tensor)} has external_data ${key} '${value}', which is not a non-negative integer`, { file });
  }
  return Number(value);
}

/**
 * Parses and checks a tensor's external_data entries. Throws `onnx.corrupt` when `location`
 * is missing or offset/length are not integers, `onnx.external-path` when the location is
 * absolute or leaves the model's folder.
 */
export function externalRef(tensor: TensorProto, file: string): ExternalRef {
  const entries = new Map(tensor.externalData.map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (location === undefined || location === '') {
    throw new BadInputError('onnx.corrupt', `${file}: ${tensorLabel(tensor)} is marked EXTERNAL but has no external_data 'location'`, { file });
  }
  if (escapesFolder(location)) {
    throw new BadInputError(
      'onnx.external-path',
      `${file}: ${tensorLabel(tensor)} points at external data '${location}' outside the model's folder; only relative paths inside it are allowed`,
      { file },
    );
  }
  const offset = parseNonNegative(entries.get('offset'), 'offset', tensor, file) ?? 0;
  const length = parseNonNegative(entries.get('length'), 'length', tensor, file);
  return { location, offset, length };
}

/** Every external tensor of the model with its parsed reference (validated). */
export function externalTensors(model: LoadedModel | { proto: LoadedModel['proto']; path: string }): { tensor: TensorProto; ref: ExternalRef }[] {
  return allStoredTensors(model.proto)
    .filter(isExternal)
    .map((tensor) => ({ tensor, ref: externalRef(tensor, model.path) }));
}

/** Absolute path of an external location, or null for a model without a folder. */
export function externalPath(modelDir: string | null, location: string): string | null {
  return modelDir === null ? null : join(modelDir, location);
}

/** The distinct external locations, unchecked (for models decoded from memory). */
export function uncheckedExternalFiles(model: Pick<LoadedModel, 'proto' | 'path' | 'modelDir'>): ExternalFileStatus[] {
  const locations = [...new Set(externalTensors(model).map((t) => t.ref.location))].sort();
  return locations.map((location) => ({ location, path: externalPath(model.modelDir, location), exists: null, bytes: null }));
}

/** Stats (never reads) each distinct external file of the model. */
export async function statExternalFiles(model: Pick<LoadedModel, 'proto' | 'path' | 'modelDir' | 'files'>, signal?: AbortSignal): Promise<ExternalFileStatus[]> {
  const statuses = uncheckedExternalFiles(model);
  for (const status of statuses) {
    throwIfAborted(signal);
    if (status.path === null) continue;
    await checkContained(model, status.path, status.location);
    const info = await model.files.stat(status.path);
    status.exists = info !== null;
    status.bytes = info?.isFile ? info.size : null;
  }
  return statuses;
}

/** Byte range of an external tensor, checked against the file's size (stat only). */
async function checkedRange(model: LoadedModel, tensor: TensorProto, ref: ExternalRef): Promise<{ path: string; offset: number; length: number }> {
  const file = model.path;
  const path = externalPath(model.modelDir, ref.location);
  if (path === null) {
    throw new BadInputError('onnx.external-missing', `${file}: ${tensorLabel(tensor)} keeps its data in '${ref.location}', but the model was loaded without a folder to find it in`, { file });
  }
  await checkContained(model, path, ref.location);
  const info = await model.files.stat(path);
  if (info === null || !info.isFile) {
    const why = info === null ? 'which does not exist' : 'which is not a regular file';
    throw new BadInputError('onnx.external-missing', `${file}: ${tensorLabel(tensor)} keeps its data in ${path}, ${why}`, { file: path });
  }
  const expected = packedByteLength(tensor.dataType, elementCount(tensor, file));
  const length = ref.length ?? expected ?? info.size - ref.offset;
  if (expected !== undefined && length !== expected) {
    throw new BadInputError(
      'onnx.data-size',
      `${file}: ${tensorLabel(tensor)} has dims [${tensor.dims.join(', ')}] (${expected} bytes) but its external_data length is ${length}`,
      { file },
    );
  }
  if (ref.offset + length > info.size) {
    throw new BadInputError(
      'onnx.external-range',
      `${file}: ${tensorLabel(tensor)} needs bytes ${ref.offset}..${ref.offset + length} of ${path}, which has only ${info.size} bytes`,
      { file: path },
    );
  }
  return { path, offset: ref.offset, length };
}

/**
 * Checks that every external tensor's file exists and holds its byte range, by stat alone.
 * Throws the same typed errors `readTensorData` would (`onnx.external-missing`,
 * `onnx.external-range`, `onnx.data-size`).
 */
export async function checkExternalData(model: LoadedModel, options: { signal?: AbortSignal } = {}): Promise<void> {
  for (const { tensor, ref } of externalTensors(model)) {
    throwIfAborted(options.signal);
    await checkedRange(model, tensor, ref);
  }
}

/**
 * The raw little-endian bytes of a tensor's data: a view into the model file for raw_data, a
 * read of just its range for external data, an encoding of typed fields otherwise. Strings are
 * not supported (`onnx.unsupported`).
 */
export async function readTensorData(model: LoadedModel, tensor: TensorProto, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
  throwIfAborted(options.signal);
  if (isExternal(tensor)) {
    const range = await checkedRange(model, tensor, externalRef(tensor, model.path));
    try {
      return await model.files.read(range.path, range.offset, range.length, options.signal);
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      const why = e instanceof Error ? e.message : String(e);
      throw new BadInputError('onnx.unreadable', `${model.path}: cannot read the data of ${tensorLabel(tensor)} from ${range.path}: ${why}`, { file: range.path, cause: e });
    }
  }
  if (tensor.rawData !== undefined) return tensor.rawData;
  return encodeTypedData(tensor, elementCount(tensor, model.path), model.path);
}

/** Little-endian bytes of a tensor stored in its typed data fields. */
function encodeTypedData(tensor: TensorProto, count: number, file: string): Uint8Array {
  const bytes = packedByteLength(tensor.dataType, count);
  if (bytes === undefined) {
    throw new BadInputError('onnx.unsupported', `${file}: ${tensorLabel(tensor)} has data type ${tensor.dataType ?? 0}, whose data cannot be read as bytes`, { file });
  }
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  const bits = (bytes * 8) / Math.max(count, 1);
  for (let i = 0; i < count; i++) writeElement(view, tensor, i, bits);
  return out;
}

function writeElement(view: DataView, tensor: TensorProto, i: number, bits: number): void {
  switch (tensor.dataType) {
    case 1: view.setFloat32(4 * i, tensor.floatData[i] ?? 0, true); return;
    case 11: view.setFloat64(8 * i, tensor.doubleData[i] ?? 0, true); return;
    case 14: view.setFloat32(8 * i, tensor.floatData[2 * i] ?? 0, true); view.setFloat32(8 * i + 4, tensor.floatData[2 * i + 1] ?? 0, true); return;
    case 15: view.setFloat64(16 * i, tensor.doubleData[2 * i] ?? 0, true); view.setFloat64(16 * i + 8, tensor.doubleData[2 * i + 1] ?? 0, true); return;
    case 7: view.setBigInt64(8 * i, BigInt(tensor.int64Data[i] ?? 0), true); return;
    case 12: view.setUint32(4 * i, tensor.uint64Data[i] ?? 0, true); return;
    case 13: view.setBigUint64(8 * i, BigInt(tensor.uint64Data[i] ?? 0), true); return;
    case 6: view.setInt32(4 * i, tensor.int32Data[i] ?? 0, true); return;
    case 4: case 5: case 10: case 16: view.setUint16(2 * i, (tensor.int32Data[i] ?? 0) & 0xffff, true); return;
    case 21: case 22: case 23: writeNibble(view, tensor, i); return;
    default:
      if (bits === 8) view.setUint8(i, (tensor.int32Data[i] ?? 0) & 0xff);
  }
}

/** 4-bit elements: int32_data holds either one element per entry or already-packed bytes. */
function writeNibble(view: DataView, tensor: TensorProto, i: number): void {
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (tensor.int32Data.length !== count) {
    if (i % 2 === 0) view.setUint8(i / 2, (tensor.int32Data[i / 2] ?? 0) & 0xff);
    return;
  }
  const nibble = (tensor.int32Data[i] ?? 0) & 0x0f;
  const at = Math.floor(i / 2);
  const current = view.getUint8(at);
  view.setUint8(at, i % 2 === 0 ? (current & 0xf0) | nibble : (current & 0x0f) | (nibble << 4));
}
