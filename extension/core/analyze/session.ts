/**
 * A model prepared for a data pass: the session (with the provider actually used), the output
 * to read, and optionally an intermediate tensor exposed as an extra output on an in-memory copy
 * of the graph (the model file is never written).
 */
import { stat } from 'node:fs/promises';
import type { InferenceSession } from 'onnxruntime-node';
import { BadInputError } from '../errors';
import { addGraphOutput, encodeModel, externalizeInitializers, loadModel, summarizeModel, type LoadedModel } from '../onnx';
import type { ModelSummary } from '../../protocol/model';
import type { RuntimeInfo } from '../../protocol/runtime';
import { LARGE_MODEL_BYTES, loadOrt, openSession, sessionThreads, type ProviderSetting } from '../runtime';
import type { TensorData } from '../data';
import { RELEASE_MIN_BYTES, releaseBytes } from '../runtime/release';

export { releaseBytes } from '../runtime/release';

/**
 * The decoded model is not kept: its weights are views into the whole file's bytes, which would
 * stay in memory beside onnxruntime's own copy for the whole pass (a 440 MB encoder twice).
 */
export interface PreparedModel {
  /** The model file. */
  readonly path: string;
  /**
   * The decoded graph, for structure only (names, shapes, dims): the bytes of a file of
   * RELEASE_MIN_BYTES or more are released once onnxruntime has the model, so tensor data read
   * from it is empty.
   */
  readonly proto: LoadedModel['proto'];
  readonly summary: ModelSummary;
  readonly session: InferenceSession;
  readonly runtime: RuntimeInfo;
  readonly output: string;
  readonly extraOutputs: readonly string[];
}

export interface PrepareOptions {
  readonly providers: ProviderSetting;
  /** Intra-op threads (default: sessionThreads, every physical core: a groups pass does little between runs). */
  readonly threads?: number;
  /** false: intra-op threads sleep between runs (see SessionOptions.spinning). */
  readonly spinning?: false;
  /** The output to read (default: the model's first output). */
  readonly output?: string;
  /** Intermediate tensors to expose as outputs (e.g. the feature map of the Bias Loss). */
  readonly expose?: readonly string[];
  readonly signal?: AbortSignal;
  /**
   * Runs after the model file is read and before the runtime is loaded: checks of the data and
   * spec against the model's inputs and output go here, so a typo costs no session.
   */
  readonly beforeSession?: (summary: ModelSummary, output: string) => Promise<void>;
}

export async function prepareModel(path: string, options: PrepareOptions): Promise<PreparedModel> {
  const loaded = await loadModel(path, options.signal ? { signal: options.signal } : {});
  const summary = summarizeModel(loaded);
  const output = options.output ?? summary.outputs[0]?.name;
  if (!output) throw new BadInputError('model.no-output', `${path}: the model has no outputs`, { file: path });
  if (!summary.outputs.some((o) => o.name === output)) {
    throw new BadInputError('spec.output', `${path}: the model has no output "${output}" (outputs: ${summary.outputs.map((o) => o.name).join(', ')})`, { file: path });
  }
  const expose = (options.expose ?? []).filter((name) => !summary.outputs.some((o) => o.name === name));
  let proto = loaded.proto;
  for (const name of expose) proto = addGraphOutput(proto, name, { file: path });
  if (expose.length > 0 && loaded.externalFiles.length > 0) {
    throw new BadInputError('model.expose-external', `${path}: exposing ${expose.join(', ')} needs an in-memory copy of the graph, and this model keeps its weights in external files (${loaded.externalFiles.map((f) => f.location).join(', ')}); save it as a single file to use this analysis`, { file: path });
  }
  await options.beforeSession?.(summary, output);
  // Exposing a tensor rewrites an in-memory copy; the file on disk is only ever read. A large
  // model goes to onnxruntime as its graph with references to the weights in the file (no copy
  // of them in JavaScript, none parsed by onnxruntime: onnx/externalize.ts).
  const external = loaded.bytes.byteLength >= LARGE_MODEL_BYTES ? externalizeInitializers(loaded, proto) : null;
  const model: Uint8Array | string = external ? external.bytes : expose.length > 0 ? encodeModel(proto) : path;
  const threads = options.threads ?? sessionThreads(loaded.bytes.byteLength, true);
  // onnxruntime reads the file (or the exposed copy) itself: free the JS copy of the file first,
  // so that the two are not in memory together while it builds the session (a 440 MB encoder
  // peaked at ~3x its size instead of onnxruntime's own ~2x). A small file is left to the collector.
  if (loaded.bytes.byteLength >= RELEASE_MIN_BYTES) await releaseBytes(loaded.bytes);
  const { session, info } = await openSession(model, path, {
    providers: options.providers, threads, ...(options.spinning === false ? { spinning: false as const } : {}), ...(external ? { externalDataFolder: external.folder } : {}),
  });
  return { path, proto: loaded.proto, summary, session, runtime: info, output, extraOutputs: options.expose ?? [] };
}

/** Bytes of the largest of these model files (0 for one that cannot be read: loading it reports why). */
export async function largestFile(paths: readonly string[]): Promise<number> {
  let largest = 0;
  for (const path of paths) largest = Math.max(largest, await stat(path).then((s) => s.size, () => 0));
  return largest;
}

/** Runs one batch; returns the requested outputs as float32 arrays with their dims. */
export async function runBatch(prepared: PreparedModel, feeds: Readonly<Record<string, TensorData>>): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const ort = loadOrt();
  const ortFeeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const [name, t] of Object.entries(feeds)) {
    ortFeeds[name] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
  }
  const fetches = [prepared.output, ...prepared.extraOutputs];
  const results = await prepared.session.run(ortFeeds, fetches);
  const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
  for (const name of fetches) {
    const tensor = results[name];
    if (!tensor) continue;
    const data = tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data as ArrayLike<number>, Number);
    out[name] = { data, dims: tensor.dims };
  }
  return out;
}
