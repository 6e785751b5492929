/**
 * A model for onnxruntime without a second copy of its weights: the graph (possibly rewritten,
 * e.g. with tensors exposed as outputs) is encoded with every large initializer stored in the
 * model file itself replaced by an external-data reference to its bytes in that file (location =
 * the file's name, offset and length of its raw data). onnxruntime then reads or maps the weights
 * from the file, which is only read, never written, instead of parsing a whole in-memory copy:
 * a 438 MB encoder peaked at ~1.3x its size beside a ~100 MB process while onnxruntime parsed the
 * file (and an exposed copy encoded in JavaScript doubled that), and at ~1.0x from references.
 *
 * The session must be created from the returned bytes with `folder` as its external data folder
 * (runtime/session.ts `externalDataFolder`). Tensors are the same bytes, so results are identical.
 */
import { basename, dirname, isAbsolute } from 'node:path';
import type { LoadedModel } from './model';
import { DATA_LOCATION_EXTERNAL, type ModelProto, type TensorProto } from './proto';
import { encodeModel } from './write';

/** Initializers smaller than this stay inline (a reference would cost more than it saves). */
export const EXTERNALIZE_MIN_BYTES = 4096;

export interface ExternalizedModel {
  /** The encoded graph, its large initializers referring to the model file. */
  readonly bytes: Uint8Array;
  /** The folder the references resolve against (the model file's). */
  readonly folder: string;
  /** Initializers turned into references, and their bytes. */
  readonly tensors: number;
  readonly tensorBytes: number;
}

/**
 * `proto` (the loaded model's graph, or a rewrite of it that keeps its initializers) encoded with
 * references into `loaded`'s file; null when that is not possible: the model was not read from an
 * absolute path, or it already keeps weights in external files (then onnxruntime reads the file
 * by its path as before).
 */
export function externalizeInitializers(loaded: LoadedModel, proto: ModelProto = loaded.proto, minBytes = EXTERNALIZE_MIN_BYTES): ExternalizedModel | null {
  if (!isAbsolute(loaded.path) || loaded.externalFiles.length > 0 || !proto.graph) return null;
  const file = loaded.bytes;
  const location = basename(loaded.path);
  let tensors = 0;
  let tensorBytes = 0;
  const initializer = proto.graph.initializer.map((t): TensorProto => {
    const raw = t.rawData;
    // Only bytes that are a view into the file read (a rewrite's new tensors are not).
    if (!raw || raw.byteLength < minBytes || raw.buffer !== file.buffer || t.dataLocation === DATA_LOCATION_EXTERNAL) return t;
    const offset = raw.byteOffset - file.byteOffset;
    if (offset < 0 || offset + raw.byteLength > file.byteLength) return t;
    tensors++;
    tensorBytes += raw.byteLength;
    return {
      ...t,
      rawData: new Uint8Array(0),
      dataLocation: DATA_LOCATION_EXTERNAL,
      externalData: [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(raw.byteLength) }],
    };
  });
  const bytes = encodeModel({ ...proto, graph: { ...proto.graph, initializer } });
  return { bytes, folder: dirname(loaded.path), tensors, tensorBytes };
}
