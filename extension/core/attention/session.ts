/**
 * A model opened for the attention analysis: every layer's attention probabilities exposed on an
 * in-memory copy of the graph (the file is only read), a session with graph optimisations off
 * (no fusion may remove an exposed tensor), batches run into per-layer views, and the constant
 * additive terms before each Softmax evaluated at one length and classified (bias or mask).
 */
import { Buffer } from 'node:buffer';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { BadInputError, InspectorError, throwIfAborted } from '../errors';
import type { EncodedBatch, ResolvedSpec, RowBatch, TensorData } from '../data';
import { encodeModel, externalizeInitializers, loadModel, summarizeModel, type LoadedModel } from '../onnx';
import { LARGE_MODEL_BYTES, loadOrt, openSession, sessionThreads, type ProviderSetting } from '../runtime';
import { releaseBytes } from '../runtime/release';
import { analyzeBias, biasReportEntry, classifyAdditiveTerm } from './bias';
import { exposeAttention, resolveHeads, softmaxRows, type AttentionGraph, type AttentionSite } from './extract';
import { checkFirstBatch, firstBatchFetches, needsFirstBatchCheck, prepareAttention, type PreparedAttention } from './prepare';
import { float16ToFloat32, viewAttention, type AttentionView } from './layout';
import { rowFacts } from './rowFacts';
import type { RuntimeInfo } from '../../protocol/runtime';
import type { ModelSummary } from '../../protocol/model';
import type { AttentionBiasEntry, AttentionBiasMatrices, AttentionSource } from '../../protocol/attention';

/** A model opened for attention: exposed graph, session with optimisations disabled, sites. */
export interface AttentionModel {
  readonly path: string;
  readonly loaded: LoadedModel;
  readonly summary: ModelSummary;
  /** Sites as confirmed so far (the first batch may drop undecided ones). */
  graph: AttentionGraph;
  readonly session: InferenceSession;
  readonly runtime: RuntimeInfo;
  /** Constant-derived additive terms, exposed too, evaluated once on a dummy input. */
  constantTerms: readonly { site: AttentionSite; tensor: string; node: string }[];
  /** Fused ops rewritten and undecided sites: checked on the first batch (./prepare.ts). */
  firstBatch: { readonly prepared: PreparedAttention; readonly providers: ProviderSetting; readonly threads: number | undefined } | undefined;
}

function constantTermsOf(graph: AttentionGraph): AttentionModel['constantTerms'] {
  return graph.sites.flatMap((site) => site.terms.filter((t) => t.source === 'constant').map((t) => ({ site, tensor: t.tensor, node: t.node })));
}

export async function openAttentionModel(
  path: string,
  options: { providers: ProviderSetting; threads?: number; signal?: AbortSignal; beforeSession?: (summary: ModelSummary) => Promise<void> },
): Promise<AttentionModel> {
  const loaded = await loadModel(path, options.signal ? { signal: options.signal } : {});
  const summary = summarizeModel(loaded);
  // Fused attention ops are rewritten into primitives first (issue 13).
  const prepared = prepareAttention(loaded.proto, path);
  const graph = prepared.graph;
  if (loaded.externalFiles.length > 0) {
    throw new BadInputError('model.expose-external', `${path}: exposing the attention tensors needs an in-memory copy of the graph, and this model keeps its weights in external files (${loaded.externalFiles.map((f) => f.location).join(', ')}); save it as a single file to use this analysis`, { file: path });
  }
  // Data and input mapping are checked before the runtime loads (a typo costs no session).
  await options.beforeSession?.(summary);
  const constantTerms = constantTermsOf(graph);
  const proto = exposeAttention(prepared.proto, graph, [...new Set(constantTerms.map((t) => t.tensor))], path);
  // No fusion may remove an exposed tensor (FORMULAS.md §D): run the graph as written.
  // 0 / unset: sessionThreads (every physical core for a large model, else all but one).
  const threads = options.threads || sessionThreads(loaded.bytes.byteLength, false);
  // A large model's exposed copy refers to the weights in the file instead of holding a second
  // copy of them (onnx/externalize.ts); the file's bytes are then freed before onnxruntime loads
  // it (only the graph's structure is read afterwards).
  const external = loaded.bytes.byteLength >= LARGE_MODEL_BYTES ? externalizeInitializers(loaded, proto) : null;
  if (external) await releaseBytes(loaded.bytes);
  const { session, info } = await openSession(external ? external.bytes : encodeModel(proto), path, {
    providers: options.providers, disableOptimizations: true, threads, ...(external ? { externalDataFolder: external.folder } : {}),
  });
  const firstBatch = needsFirstBatchCheck(prepared) ? { prepared, providers: options.providers, threads } : undefined;
  return { path, loaded, summary, graph, session, runtime: info, constantTerms, firstBatch };
}

function toOrt(feeds: Readonly<Record<string, TensorData>>): Record<string, Tensor> {
  const ort = loadOrt();
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
  return out;
}

export function asFloat32(tensor: Tensor): Float32Array {
  if (tensor.data instanceof Float32Array) return tensor.data;
  if (tensor.type === 'float16' && tensor.data instanceof Uint16Array) return float16ToFloat32(tensor.data);
  return Float32Array.from(tensor.data as ArrayLike<number>, Number);
}

/** One layer's output of a batch: its view and the contiguous [B, H, T, T] data under it. */
export type LayerView = AttentionView & { readonly data: Float32Array };

/** Runs a batch and returns one view per layer (softmax applied to MultiHeadAttention logits). */
export async function runViews(model: AttentionModel, feeds: Readonly<Record<string, TensorData>>, batch: number): Promise<LayerView[]> {
  let results: Record<string, Tensor> | undefined;
  if (model.firstBatch) {
    // The rewrite is checked against the original, and undecided sites are decided, on real data:
    // one run of the exposed copy gives the check's outputs and this batch's maps.
    const { prepared, providers, threads } = model.firstBatch;
    const ortFeeds = toOrt(feeds);
    const originalOutputs = model.summary.outputs.map((o) => o.name);
    results = await model.session.run(ortFeeds, [...new Set([...model.graph.sites.map((s) => s.tensor), ...firstBatchFetches(prepared, originalOutputs)])]);
    model.graph = await checkFirstBatch(prepared, model.session, ortFeeds, {
      file: model.path, original: model.path, originalOutputs, providers, ...(threads ? { threads } : {}), results,
    });
    model.constantTerms = constantTermsOf(model.graph);
    model.firstBatch = undefined;
  }
  const fetches = model.graph.sites.map((s) => s.tensor);
  results ??= await model.session.run(toOrt(feeds), fetches);
  return model.graph.sites.map((site) => {
    const tensor = results[site.tensor];
    if (!tensor) throw new InspectorError('attention.missing-output', 'failure', `${model.path}: the run returned no '${site.tensor}' (layer ${site.layer})`, { file: model.path });
    const dims = tensor.dims.map(Number);
    const data = asFloat32(tensor);
    if (site.applySoftmax) softmaxRows(data, dims[dims.length - 1] ?? 1);
    const { heads } = resolveHeads(site, dims, batch, model.path);
    return Object.assign(viewAttention(data, dims, { heads, tensor: site.tensor, file: model.path }), { data });
  });
}

/** Feeds for one dummy sample of length T: batch 1, symbolic sequence axes T, masks 1, ids 0. */
export function dummyFeeds(summary: ModelSummary, T: number): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {};
  for (const input of summary.inputs) {
    const dims = (input.shape ?? [1, T]).map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : T));
    const n = dims.reduce((a, b) => a * b, 1);
    const fill = /mask/i.test(input.name) ? 1 : 0;
    const dtype = input.dtype;
    if (dtype === 'int64') feeds[input.name] = { dtype: 'int64', data: new BigInt64Array(n).fill(BigInt(fill)), dims };
    else if (dtype === 'int32') feeds[input.name] = { dtype: 'int32', data: new Int32Array(n).fill(fill), dims };
    else if (dtype === 'bool') feeds[input.name] = { dtype: 'bool', data: new Uint8Array(n).fill(fill), dims };
    else feeds[input.name] = { dtype: 'float32', data: new Float32Array(n).fill(fill), dims };
  }
  return feeds;
}

async function runsAtLength(model: AttentionModel, T: number): Promise<boolean> {
  try {
    await model.session.run(toOrt(dummyFeeds(model.summary, T)), [model.graph.sites[0]!.tensor]);
    return true;
  } catch {
    return false;
  }
}

/** Largest length in [1, upTo) the model runs at (binary search on dummy inputs); 0 when none. */
async function longestAccepted(model: AttentionModel, upTo: number): Promise<number> {
  if (!(await runsAtLength(model, 1))) return 0;
  let lo = 1;
  let hi = upTo;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await runsAtLength(model, mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Position tables: Gather from an initializer with indices that derive only from shapes. */
function positionTables(model: AttentionModel): string[] {
  const graph = model.loaded.proto.graph;
  if (!graph) return [];
  const inits = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
  const inputs = new Set(graph.input.map((i) => i.name ?? ''));
  const byOutput = new Map<string, (typeof graph.node)[number]>();
  for (const node of graph.node) for (const o of node.output) byOutput.set(o, node);
  const shapeOnly = (name: string, depth: number): boolean => {
    if (inits.has(name)) return true;
    if (inputs.has(name) || depth > 12) return false;
    const node = byOutput.get(name);
    if (!node) return false;
    if (node.opType === 'Shape' || node.opType === 'Size' || node.opType === 'Constant') return true;
    return node.input.every((i) => i === '' || shapeOnly(i, depth + 1));
  };
  return graph.node
    .filter((n) => n.opType === 'Gather' && inits.has(n.input[0] ?? '') && !inits.has(n.input[1] ?? '') && shapeOnly(n.input[1] ?? '', 0))
    .map((n) => `${n.input[0]} (${inits.get(n.input[0] ?? '')?.dims[0] ?? '?'} rows)`);
}

export function base64(values: Float32Array | Float64Array): string {
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64');
}

/** Bias entries and matrices per head of every constant additive term, evaluated at length T. */
export async function evaluateBiases(model: AttentionModel, heads: number, T: number, signal: AbortSignal | undefined): Promise<{ bias: AttentionBiasEntry[]; matrices: AttentionBiasMatrices['matrices'] }> {
  const bias: AttentionBiasEntry[] = [];
  const matrices: AttentionBiasMatrices['matrices'][number][] = [];
  if (model.constantTerms.length === 0) return { bias, matrices };
  const tensors = [...new Set(model.constantTerms.map((t) => t.tensor))];
  const results = await model.session.run(toOrt(dummyFeeds(model.summary, T)), tensors);
  for (const term of model.constantTerms) {
    const tensor = results[term.tensor];
    if (!tensor) continue;
    const data = asFloat32(tensor);
    const dims = tensor.dims.map(Number);
    while (dims.length > 2 && dims[0] === 1 && dims.length > 3) dims.shift();
    const perHead = dims.length === 2 ? 1 : dims.length === 3 ? dims[0]! : 0;
    if (dims.at(-1) !== T || dims.at(-2) !== T || (perHead !== 1 && perHead < heads)) continue; // not a T×T term per head
    for (let h = 0; h < heads; h++) {
      throwIfAborted(signal);
      const matrix = data.subarray((perHead === 1 ? 0 : h) * T * T, ((perHead === 1 ? 0 : h) + 1) * T * T);
      const analysis = analyzeBias(matrix, T, signal ? { signal } : {});
      if (!analysis) continue; // a mask (causal or padding), not a bias
      const entry = biasReportEntry(term.site.layer, h, analysis);
      const keep = Math.min(entry.energy.length, Math.max(32, entry.rank + 8));
      bias.push({ ...entry, energy: entry.energy.slice(0, keep) });
      matrices.push({ layer: term.site.layer, head: h, kind: analysis.kind, data: base64(matrix) });
    }
  }
  return { bias, matrices };
}

/** Which constant terms of each site are masks at length T, for the report's sources. */
export async function maskNodes(model: AttentionModel, T: number): Promise<Map<AttentionSite, string>> {
  const out = new Map<AttentionSite, string>();
  for (const site of model.graph.sites) {
    const input = site.terms.find((t) => t.source === 'input');
    if (input) out.set(site, `${input.node} (derives from model input ${input.inputs.join(', ')})`);
  }
  if (model.constantTerms.length === 0) return out;
  const results = await model.session.run(toOrt(dummyFeeds(model.summary, T)), [...new Set(model.constantTerms.map((t) => t.tensor))]);
  for (const term of model.constantTerms) {
    const tensor = results[term.tensor];
    if (!tensor || out.has(term.site)) continue;
    const data = asFloat32(tensor);
    if (data.length >= T * T && classifyAdditiveTerm(data.subarray(0, T * T), T).kind === 'mask') out.set(term.site, `${term.node} (constant: only 0 and ≤ −1e4)`);
  }
  return out;
}

export function sources(model: AttentionModel, masks: Map<AttentionSite, string>, biasLayers: Set<number>): AttentionSource[] {
  return model.graph.sites.map((site) => {
    const biasTerm = site.terms.find((t) => t.source === 'constant');
    const mask = masks.get(site);
    return {
      layer: site.layer, node: site.node, tensor: site.tensor, kind: site.kind,
      ...(biasTerm && biasLayers.has(site.layer) ? { biasNode: biasTerm.node } : {}),
      ...(mask ? { maskNode: mask } : {}),
    };
  });
}

/** Runs a batch; when the run fails, finds whether a row is longer than the model accepts. */
export async function runChecked(model: AttentionModel, spec: ResolvedSpec, encoded: EncodedBatch, batch: RowBatch): Promise<LayerView[]> {
  try {
    return await runViews(model, encoded.feeds, encoded.rowsUsed);
  } catch (error) {
    if (error instanceof InspectorError) throw error;
    const T = Object.values(encoded.feeds).find((t) => t.dims.length >= 2)?.dims[1];
    if (T === undefined || T <= 1) throw error;
    const limit = await longestAccepted(model, T);
    if (limit === 0 || limit >= T) throw error;
    const facts = rowFacts(spec, batch, encoded, T);
    const row = facts.find((f) => f.length > limit) ?? facts[0]!;
    const tables = positionTables(model);
    throw new BadInputError('attention.too-long',
      `${spec.data}: row ${row.rowNumber} has ${row.length} tokens, and ${model.path} accepts sequences of at most ${limit}` +
      `${tables.length > 0 ? ` (position table ${tables.join(', ')})` : ''}; set "maxLength" in the input mapping to truncate`,
      { file: spec.data, cause: error });
  }
}

/**
 * Intra-op threads of a session over a small model (the demo's): every physical core but one.
 * The aggregation runs on the main thread between runs, and onnxruntime's spinning pool threads
 * on every core slow it down (measured 2.7x slower end to end on 2 cores with the default pool).
 * A large model gets every physical core (sessionThreads).
 */
export function defaultThreads(): number {
  return sessionThreads(0, false);
}
