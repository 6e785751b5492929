/**
 * The loaded-model value every ONNX function takes: the decoded message, the file bytes its
 * tensor data points into, and how to reach external data files (never read until asked).
 */
import type { ModelProto } from './proto';

/** Size and kind of a file, or null when it does not exist. */
export interface FileStat {
  size: number;
  /** False for directories, FIFOs and other non-regular files. */
  isFile: boolean;
}

/**
 * File access for external data, injectable so tests can count reads and hosts can substitute
 * a virtual file system. `read` is the only method that touches file contents.
 */
export interface FileAccess {
  stat(path: string): Promise<FileStat | null>;
  read(path: string, offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** The canonical path (symlinks followed), for the containment check of external data. */
  realpath?(path: string): Promise<string>;
}

/** What is known about one external data file a model refers to. */
export interface ExternalFileStatus {
  /** The `location` as written in the model (relative to the model's folder). */
  location: string;
  /** Absolute path, or null when the model has no folder (decoded from memory). */
  path: string | null;
  /** Whether the file exists; null when not checked (model decoded from memory). */
  exists: boolean | null;
  /** Size in bytes of a regular file; null when missing, not a regular file, or not checked. */
  bytes: number | null;
}

/** A decoded, validated ONNX model. Treat every part as read-only: tensor data are views. */
export interface LoadedModel {
  /** The file path (or label) every message names. */
  path: string;
  /** Folder external data resolves against; null for models decoded from memory without one. */
  modelDir: string | null;
  /** The whole file; `rawData` of in-model tensors are views into it. */
  bytes: Uint8Array;
  proto: ModelProto;
  /** One entry per distinct external data location, sorted by location. */
  externalFiles: ExternalFileStatus[];
  files: FileAccess;
}
