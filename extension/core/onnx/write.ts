/** Writing ONNX models: protobufjs encoding of (possibly rewritten) model messages. */
import { rename, unlink, writeFile } from 'node:fs/promises';
import type { ModelProto } from './proto';
import { modelProtoType } from './proto';

/**
 * Encodes a model message to ONNX bytes. Fields are written in field-number order, as the
 * ONNX reference serializer does, so decode → encode of a file written by `onnx` gives the
 * same bytes. Tensor byte payloads are written from their views without an extra copy.
 */
export function encodeModel(model: ModelProto): Uint8Array {
  const type = modelProtoType();
  return type.encode(type.fromObject(model)).finish();
}

/** Encodes and writes a model to `path` through a temporary file, so readers never see half a file. */
export async function saveModel(path: string, model: ModelProto): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temporary, encodeModel(model));
    await rename(temporary, path);
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    throw e;
  }
}
