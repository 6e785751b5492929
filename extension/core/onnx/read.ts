/**
 * Reading ONNX models: file → sniff → wire check → decode (decode.ts, over protobufjs's schema
 * and reader) → validation. Reads the
 * model file only (never writes); external data files are stat'ed, not read.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ProgressFn } from '../errors';
import { BadInputError, CancelledError, throwIfAborted } from '../errors';
import { externalTensors, nodeFileAccess, statExternalFiles, uncheckedExternalFiles } from './external';
import { allStoredTensors } from './graph';
import type { FileAccess, LoadedModel } from './model';
import type { ModelProto } from './proto';
import { decodeModelProto } from './decode';
import { modelProtoType } from './proto';
import { sniffOnnx } from './sniff';
import { validateTensorData } from './tensor';
import { checkWire } from './wire';

/** Options of `decodeModel`. */
export interface DecodeOptions {
  /** Folder external data resolves against; default: the folder of an absolute `fileLabel`. */
  modelDir?: string | null;
  /** File access for external data (default: node:fs). */
  files?: FileAccess;
}

/** Options of `loadModel`. */
export interface LoadOptions {
  signal?: AbortSignal;
  /** Coarse progress: reading, decoding, checking external files, done. */
  onProgress?: ProgressFn;
  /** File access for external data (default: node:fs); the model file itself is read with node:fs. */
  files?: FileAccess;
}

function notOnnx(file: string, cause: string): BadInputError {
  return new BadInputError('onnx.not-onnx', `${file}: not an ONNX model: ${cause}`, { file });
}

/** Throws the typed error for bytes that are not a well-formed ModelProto, or returns the message. */
function decodeProto(bytes: Uint8Array, file: string): ModelProto {
  const sniff = sniffOnnx(bytes);
  if (sniff.kind === 'empty') throw new BadInputError('onnx.empty', `${file}: not an ONNX model: the file is empty (0 bytes)`, { file });
  if (sniff.kind === 'not-onnx') throw notOnnx(file, `the file looks like ${sniff.looksLike}`);
  const type = modelProtoType();
  const issue = checkWire(bytes, type);
  if (issue) {
    const where = issue.path === '' ? '' : ` in ${issue.path}`;
    if (issue.kind === 'truncated') {
      throw new BadInputError('onnx.truncated', `${file}: the ONNX file is truncated: ${issue.detail}${where} (at byte ${issue.offset} of ${bytes.length})`, { file });
    }
    throw new BadInputError('onnx.corrupt', `${file}: the ONNX file is corrupt: ${issue.detail}${where} (at byte ${issue.offset})`, { file });
  }
  try {
    return decodeModelProto(bytes);
  } catch (e) {
    // The wire check accepts only data the decoder reads; reaching here is a bug of ours or of
    // protobufjs, still reported against the file so the user knows which one.
    const why = e instanceof Error ? e.message : String(e);
    throw new BadInputError('onnx.corrupt', `${file}: the ONNX file is corrupt: protobuf decoding failed: ${why}`, { file, cause: e });
  }
}

function validateModel(model: ModelProto, file: string, fileBytes: number): void {
  if (model.irVersion === undefined) {
    throw new BadInputError('onnx.no-ir-version', `${file}: not a usable ONNX model: ir_version (field 1) is missing`, { file });
  }
  if (!model.graph) {
    throw new BadInputError('onnx.no-graph', `${file}: not a usable ONNX model: it has no graph (field 7); the file may be truncated`, { file });
  }
  if (model.opsetImport.length === 0 && model.irVersion >= 3) {
    throw new BadInputError(
      'onnx.no-opset',
      `${file}: not a usable ONNX model: it imports no operator set (opset_import, field 8), which IR version ${model.irVersion} requires; the file may be truncated`,
      { file },
    );
  }
  for (const tensor of allStoredTensors(model)) validateTensorData(tensor, file, fileBytes);
  // Parses every external reference so bad locations fail at load, not at first use.
  externalTensors({ proto: model, path: file });
}

/** View of a Node Buffer as a plain Uint8Array, so decoded `bytes` fields are plain views too. */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes and validates model bytes already in memory. `fileLabel` names the model in every
 * error message. External data files are not checked (`exists: null`); see `loadModel`.
 */
export function decodeModel(bytes: Uint8Array, fileLabel: string, options: DecodeOptions = {}): LoadedModel {
  const view = plainBytes(bytes);
  const proto = decodeProto(view, fileLabel);
  validateModel(proto, fileLabel, view.length);
  const modelDir = options.modelDir !== undefined ? options.modelDir : isAbsolute(fileLabel) ? dirname(fileLabel) : null;
  const files = options.files ?? nodeFileAccess;
  const partial = { path: fileLabel, modelDir, bytes: view, proto, files };
  return { ...partial, externalFiles: uncheckedExternalFiles(partial) };
}

async function readModelFile(path: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new BadInputError('onnx.unreadable', `${path}: cannot read the model: it is a directory`, { file: path });
    return await readFile(path, signal ? { signal } : {});
  } catch (e) {
    if (e instanceof BadInputError) throw e;
    if (signal?.aborted) throw new CancelledError();
    const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
    const why = code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'permission denied' : e instanceof Error ? e.message : String(e);
    throw new BadInputError('onnx.unreadable', `${path}: cannot read the model: ${why}`, { file: path, cause: e });
  }
}

/**
 * Reads, decodes and validates the model at `path` (resolved to an absolute path, which every
 * error names), and stats its external data files. Throws `BadInputError` with codes
 * `onnx.unreadable`, `onnx.empty`, `onnx.not-onnx`, `onnx.truncated`, `onnx.corrupt`,
 * `onnx.no-ir-version`, `onnx.no-graph`, `onnx.no-opset`, `onnx.huge-dim`, `onnx.bad-dim`, `onnx.data-size`,
 * `onnx.external-path`; `CancelledError` when the signal fires.
 */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const absolute = resolve(path);
  const progress = options.onProgress ?? ((): void => undefined);
  throwIfAborted(options.signal);
  progress(0, 'reading the model');
  const bytes = await readModelFile(absolute, options.signal);
  throwIfAborted(options.signal);
  progress(0.5, 'decoding the model');
  const model = decodeModel(bytes, absolute, options.files ? { files: options.files } : {});
  progress(0.9, 'checking external data files');
  model.externalFiles = await statExternalFiles(model, options.signal);
  progress(1, 'model loaded');
  return model;
}
