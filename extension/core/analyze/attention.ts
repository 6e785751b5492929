/**
 * The attention analysis (issue #5): expose every layer's attention probabilities on an in-memory
 * copy of the model, stream the evaluation set through it in batches and fold each sample's maps
 * into an `AttentionAggregator` (memory flat in the number of samples); then evaluate the additive
 * biases of the logits at one length and analyse them (FORMULAS.md §D). The CLI and the VS Code
 * host call `runAttention` with the same spec; the webview asks for one sample at a time through
 * `AttentionSampler`.
 *
 * Matrices in the report are base64 of little-endian Float32 (see protocol/attention.ts).
 */
import { Buffer } from 'node:buffer';
import { availableParallelism } from 'node:os';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { BadInputError, InspectorError, throttleProgress, throwIfAborted, type ProgressFn } from '../errors';
import {
  createInputEncoder, intArrayCell, isIdsMapping, isTextMapping, openTable, type EncodedBatch, type InputEncoder, type ResolvedSpec,
  type RowBatch, type TableReader, type TensorData,
} from '../data';
import { encodeModel, loadModel, summarizeModel, type LoadedModel } from '../onnx';
import { loadOrt, openSession, type ProviderSetting } from '../runtime';
import { reportModel } from '../report';
import {
  analyzeBias, biasReportEntry, checkRowSums, classifyAdditiveTerm, float16ToFloat32, viewAttention,
  type AttentionAggregate, type AttentionLayout, type AttentionView, type FloatArray, type GroupKey,
} from '../attention';
import { exposeAttention, findAttention, resolveHeads, softmaxRows, type AttentionGraph, type AttentionSite } from '../attention/extract';
import { packFacts } from '../attention/aggregate';
import { localSink, workerSink, type AttentionSink } from '../attention/sink';
import { REPORT_SCHEMA, type ReportModel } from '../../protocol/report';
import type { RuntimeInfo } from '../../protocol/runtime';
import type { ModelSummary } from '../../protocol/model';
import type {
  AttentionBiasEntry, AttentionBiasMatrices, AttentionHeadMatrix, AttentionMaps, AttentionSampleResult, AttentionSection, AttentionSource,
} from '../../protocol/attention';

export interface AttentionRunOptions {
  readonly providers: ProviderSetting;
  /** Rows per inference batch (default 32). */
  readonly batchSize?: number;
  /** Stop after this many data rows (0 or absent = all). */
  readonly samples?: number;
  /** Length T at which biases are evaluated (default min(64, longest sequence seen)). */
  readonly length?: number;
  /** Mean maps cover positions < window (default 64). */
  readonly window?: number;
  /**
   * The bundled attention.worker.js (or the .ts under tsx, with workerExecArgv): aggregate in a
   * worker thread, overlapping the next run. Absent: aggregate in this thread.
   */
  readonly workerPath?: string | URL;
  readonly workerExecArgv?: readonly string[];
  /** Intra-op threads (default: every core but one, see defaultThreads). */
  readonly threads?: number;
  readonly minGroupSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
}

export interface AttentionReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'attention';
  readonly createdAt: string;
  readonly spec: string;
  readonly model: ReportModel;
  readonly runtime: RuntimeInfo;
  readonly data: { readonly path: string; readonly rows: number; readonly skippedRows: number; readonly skipReasons: Readonly<Record<string, number>> };
  readonly attention: AttentionSection;
}

/** Token strings that count as special tokens (first-token sinks are counted apart). */
const SPECIAL_TOKEN = /^(\[(CLS|SEP|PAD|UNK|MASK|BOS|EOS)\]|<\/?s>|<pad>|<unk>|<mask>|<\|[^|]*\|>)$/i;
const ROW_SUM_CHECK_EVERY = 16;

/** A model opened for attention: exposed graph, session with optimisations disabled, sites. */
interface AttentionModel {
  readonly path: string;
  readonly loaded: LoadedModel;
  readonly summary: ModelSummary;
  readonly graph: AttentionGraph;
  readonly session: InferenceSession;
  readonly runtime: RuntimeInfo;
  /** Constant-derived additive terms, exposed too, evaluated once on a dummy input. */
  readonly constantTerms: readonly { site: AttentionSite; tensor: string; node: string }[];
}

async function openAttentionModel(
  path: string,
  options: { providers: ProviderSetting; threads?: number; signal?: AbortSignal; beforeSession?: (summary: ModelSummary) => Promise<void> },
): Promise<AttentionModel> {
  const loaded = await loadModel(path, options.signal ? { signal: options.signal } : {});
  const summary = summarizeModel(loaded);
  const graph = findAttention(loaded.proto, path);
  if (loaded.externalFiles.length > 0) {
    throw new BadInputError('model.expose-external', `${path}: exposing the attention tensors needs an in-memory copy of the graph, and this model keeps its weights in external files (${loaded.externalFiles.map((f) => f.location).join(', ')}); save it as a single file to use this analysis`, { file: path });
  }
  // Data and input mapping are checked before the runtime loads (a typo costs no session).
  await options.beforeSession?.(summary);
  const constantTerms = graph.sites.flatMap((site) => site.terms.filter((t) => t.source === 'constant').map((t) => ({ site, tensor: t.tensor, node: t.node })));
  const proto = exposeAttention(loaded.proto, graph, [...new Set(constantTerms.map((t) => t.tensor))], path);
  // No fusion may remove an exposed tensor (FORMULAS.md §D): run the graph as written.
  const { session, info } = await openSession(encodeModel(proto), path, {
    providers: options.providers, disableOptimizations: true, ...(options.threads ? { threads: options.threads } : {}),
  });
  return { path, loaded, summary, graph, session, runtime: info, constantTerms };
}

function toOrt(feeds: Readonly<Record<string, TensorData>>): Record<string, Tensor> {
  const ort = loadOrt();
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
  return out;
}

function asFloat32(tensor: Tensor): Float32Array {
  if (tensor.data instanceof Float32Array) return tensor.data;
  if (tensor.type === 'float16' && tensor.data instanceof Uint16Array) return float16ToFloat32(tensor.data);
  return Float32Array.from(tensor.data as ArrayLike<number>, Number);
}

/** One layer's output of a batch: its view and the contiguous [B, H, T, T] data under it. */
type LayerView = AttentionView & { readonly data: Float32Array };

/** Runs a batch and returns one view per layer (softmax applied to MultiHeadAttention logits). */
async function runViews(model: AttentionModel, feeds: Readonly<Record<string, TensorData>>, batch: number): Promise<LayerView[]> {
  const fetches = model.graph.sites.map((s) => s.tensor);
  const results = await model.session.run(toOrt(feeds), fetches);
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
function dummyFeeds(summary: ModelSummary, T: number): Record<string, TensorData> {
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

/** Per-row facts the aggregator needs, read from the batch and the encoded feeds. */
interface RowFacts {
  readonly rowNumber: number;
  readonly length: number;
  readonly validity: Uint8Array | number;
  readonly tokens: readonly string[] | undefined;
  readonly spans: Record<string, readonly number[] | undefined>;
  readonly groups: GroupKey[];
  readonly group: Record<string, string>;
}

/** A cell's array of strings (a JSON array in a string cell parsed); an array of strings as it is (read only). */
function jsonStrings(cell: unknown): readonly string[] | undefined {
  let value = cell;
  if (typeof value === 'string') {
    try { value = JSON.parse(value); } catch { return undefined; }
  }
  if (!Array.isArray(value)) return undefined;
  return value.every((v) => typeof v === 'string') ? (value as string[]) : value.map((v) => String(v));
}

function rowFacts(spec: ResolvedSpec, batch: RowBatch, encoded: EncodedBatch, T: number): RowFacts[] {
  const position = new Map<number, number>();
  batch.rowNumbers.forEach((row, i) => position.set(row, i));
  const maskFeed = Object.entries(encoded.feeds).find(([name, t]) => /mask/i.test(name) && t.dims.length === 2 && t.dims[1] === T)?.[1];
  const sequence = Object.entries(spec.inputs).find(([, m]) => isIdsMapping(m) || isTextMapping(m));
  const tokenColumn = spec.attention?.tokens;
  const tokenCells = tokenColumn && batch.has(tokenColumn) ? batch.column(tokenColumn) : undefined;
  const spanColumns = Object.entries(spec.attention?.spans ?? {}).map(([name, column]) => [name, column, batch.has(column) ? batch.column(column) : undefined] as const);
  const idsCells = sequence && isIdsMapping(sequence[1]) ? batch.column(sequence[1].column) : undefined;
  const textTokens = sequence && isTextMapping(sequence[1]) ? encoded.tokens[sequence[0]] : undefined;
  return Array.from({ length: encoded.rowsUsed }, (_, r): RowFacts => {
    const rowNumber = encoded.rowNumbers[r]!;
    const at = position.get(rowNumber) ?? -1;
    const where = `row ${rowNumber} of ${spec.data}`;
    let validity: Uint8Array | number = T;
    let length = T;
    if (maskFeed) {
      const mask = new Uint8Array(T);
      const data = maskFeed.data;
      let n = 0;
      if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
        for (let j = 0; j < T; j++) n += mask[j] = data[r * T + j]! !== 0n ? 1 : 0;
      } else {
        for (let j = 0; j < T; j++) n += mask[j] = Number(data[r * T + j]) !== 0 ? 1 : 0;
      }
      validity = mask;
      length = n;
    } else if (idsCells) {
      const ids = intArrayCell(idsCells[at]);
      if (Array.isArray(ids)) length = Math.min(T, ids.length);
      validity = length;
    } else if (textTokens?.[r]) {
      length = Math.min(T, textTokens[r]!.length);
      validity = length;
    }
    const tokens = tokenCells ? jsonStrings(tokenCells[at]) : textTokens?.[r]?.slice();
    const spans: Record<string, readonly number[] | undefined> = {};
    for (const [name, column, cells] of spanColumns) {
      if (!cells) throw new BadInputError('missing-column', `${spec.data}: no column "${column}" (field "attention.spans.${name}" of ${spec.specPath || 'the spec'})`, { file: spec.data });
      const value = intArrayCell(cells[at]);
      if (value === 'invalid') throw new BadInputError('attention.span-cell', `${where}, column "${column}": expected a JSON array of integer key positions`, { file: spec.data });
      spans[name] = value === null ? undefined : value.filter((p) => p < T);
    }
    const group: Record<string, string> = {};
    for (const column of spec.groups) {
      const v = encoded.groups[column]?.[r];
      if (v !== null && v !== undefined) group[column] = v;
    }
    const keys = Object.keys(group);
    const groups: GroupKey[] = keys.map((k) => ({ [k]: group[k]! }));
    // An intersection names every sensitive column (FORMULAS.md §B): a row with a missing value
    // joins its columns' groups but no intersection, not a partial one over the columns it has.
    if (spec.groups.length > 1 && keys.length === spec.groups.length) groups.push({ ...group });
    return { rowNumber, length, validity, tokens, spans, groups, group };
  });
}

/** Per position: the token is special (SPECIAL_TOKEN); `seen` caches the test per token string. */
function specialMask(tokens: readonly string[] | undefined, T: number, seen: Map<string, number>): Uint8Array | undefined {
  if (!tokens) return undefined;
  const out = new Uint8Array(T);
  for (let j = 0; j < Math.min(T, tokens.length); j++) {
    const token = tokens[j]!;
    let special = seen.get(token);
    if (special === undefined) {
      special = SPECIAL_TOKEN.test(token) ? 1 : 0;
      if (seen.size < 100_000) seen.set(token, special);
    }
    out[j] = special;
  }
  return out;
}

/** Every map's strictly upper triangle (over valid positions) is ~0: the model attends causally. */
function looksCausal(views: readonly AttentionView[], facts: readonly RowFacts[]): boolean {
  let checked = 0;
  for (const view of views) {
    const T = view.seqLen;
    for (let b = 0; b < view.batch; b++) {
      const n = typeof facts[b]?.validity === 'number' ? (facts[b]!.validity as number) : T;
      if (n < 2) continue;
      for (let h = 0; h < view.heads; h++) {
        const map = view.map(b, h);
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (map[i * T + j]! > 1e-6) return false;
        checked++;
      }
    }
  }
  return checked > 0;
}

/** Feeds restricted to one row of a batch (for the too-long check and the per-sample view). */
class SingleRowBatch implements RowBatch {
  readonly length = 1;
  readonly firstRow: number;
  readonly rowNumbers: Uint32Array;
  readonly skipped = [];
  constructor(private readonly batch: RowBatch, private readonly at: number) {
    this.firstRow = batch.rowNumbers[at]!;
    this.rowNumbers = Uint32Array.of(this.firstRow);
  }
  has(name: string): boolean { return this.batch.has(name); }
  column(name: string): readonly unknown[] { return [this.batch.column(name)[this.at]]; }
}

function base64(values: Float32Array | Float64Array): string {
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64');
}

function crop(map: Float32Array | Float64Array, from: number, to: number): Float32Array {
  const out = new Float32Array(to * to);
  for (let i = 0; i < to; i++) for (let j = 0; j < to; j++) out[i * to + j] = map[i * from + j]!;
  return out;
}

function encodeMaps(maps: readonly Float32Array[], heads: number, from: number, to: number): AttentionHeadMatrix[] {
  return maps.map((m, hd) => ({ layer: Math.floor(hd / heads), head: hd % heads, data: base64(crop(m, from, to)) }));
}

/** Bias entries and matrices per head of every constant additive term, evaluated at length T. */
async function evaluateBiases(model: AttentionModel, heads: number, T: number, signal: AbortSignal | undefined): Promise<{ bias: AttentionBiasEntry[]; matrices: AttentionBiasMatrices['matrices'] }> {
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
async function maskNodes(model: AttentionModel, T: number): Promise<Map<AttentionSite, string>> {
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

function sources(model: AttentionModel, masks: Map<AttentionSite, string>, biasLayers: Set<number>): AttentionSource[] {
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

/** Streams batches up to a row limit, with cancellation and progress by bytes read. */
async function* limited(table: TableReader, maxRows: number, signal: AbortSignal | undefined, progress: ProgressFn): AsyncGenerator<RowBatch> {
  let rows = 0;
  for await (const batch of table.batches()) {
    throwIfAborted(signal);
    const take = maxRows > 0 ? Math.min(batch.length, maxRows - rows) : batch.length;
    if (take <= 0) break;
    yield take === batch.length ? batch : sliceBatch(batch, take);
    rows += take;
    const { bytesRead, bytesTotal } = table.progress();
    progress(maxRows > 0 ? rows / maxRows : bytesTotal > 0 ? bytesRead / bytesTotal : 0, `attention: ${rows.toLocaleString('en-US')} rows`);
    if (maxRows > 0 && rows >= maxRows) break;
  }
}

function sliceBatch(batch: RowBatch, take: number): RowBatch {
  const last = batch.rowNumbers[take - 1] ?? 0;
  return {
    length: take, firstRow: batch.firstRow, rowNumbers: batch.rowNumbers.subarray(0, take),
    skipped: batch.skipped.filter((s) => s.row <= last),
    has: (name) => batch.has(name), column: (name) => batch.column(name).slice(0, take),
  };
}

/** Runs a batch; when the run fails, finds whether a row is longer than the model accepts. */
async function runChecked(model: AttentionModel, spec: ResolvedSpec, encoded: EncodedBatch, batch: RowBatch): Promise<LayerView[]> {
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
 * Intra-op threads of the session: every core but one. The aggregation runs on the main thread
 * between runs, and onnxruntime's spinning pool threads on every core slow it down (measured 2.7x
 * slower end to end on 2 cores with the default pool).
 */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Longest sequence at which additive biases are evaluated (a T × T map per head and layer). */
export const MAX_BIAS_LENGTH = 4096;

/** Refuses a bias-evaluation length above MAX_BIAS_LENGTH before any work; `source` names the flag or option. */
export function checkBiasLength(length: number | undefined, source = 'length'): void {
  if (length !== undefined && length > MAX_BIAS_LENGTH) {
    throw new BadInputError('run.too-large', `${source} ${length}: additive biases are evaluated at sequence lengths up to ${MAX_BIAS_LENGTH.toLocaleString('en-US')} (each layer and head holds a length × length map)`);
  }
}

/** Runs the attention analysis over the spec's data and returns the report. */
export async function runAttention(spec: ResolvedSpec, options: AttentionRunOptions): Promise<AttentionReport> {
  checkBiasLength(options.length);
  if (!spec.model) throw new BadInputError('spec.model', `${spec.specPath || 'the spec'}: field "model": the attention analysis needs a model`, { file: spec.specPath });
  const progress = throttleProgress(options.onProgress);
  progress(0, 'loading the model');
  const signal = options.signal;
  const table = await openTable(spec.data, { batchRows: options.batchSize ?? 32, ...(signal ? { signal } : {}) });
  let model: AttentionModel | undefined;
  let sink: AttentionSink | undefined;
  try {
    let created: InputEncoder | undefined;
    model = await openAttentionModel(spec.model, {
      providers: options.providers, threads: options.threads ?? defaultThreads(), ...(signal ? { signal } : {}),
      beforeSession: async (summary) => { created = await createInputEncoder(spec, summary.inputs, table); },
    });
    const encoder: InputEncoder | undefined = created;
    if (!encoder) throw new InspectorError('internal', 'failure', 'the input encoder was not created');
    const spans = Object.keys(spec.attention?.spans ?? {});
    const window = options.window ?? 64;
    let causal = false;
    const minGroupSize = options.minGroupSize ?? spec.minGroupSize ?? 30;
    let layout: AttentionLayout | undefined;
    let longest = 0;
    let headCount = 0;
    let batches = 0;
    let rowSums = { rows: 0, maxDeviation: 0, where: undefined as string | undefined };
    const specialTokens = new Map<string, number>();
    for await (const batch of limited(table, options.samples ?? 0, signal, progress)) {
      const encoded = await encoder.encode(batch);
      if (encoded.rowsUsed === 0) continue;
      const views = await runChecked(model, spec, encoded, batch);
      const T = views[0]!.seqLen;
      const facts = rowFacts(spec, batch, encoded, T);
      const heads = views[0]!.heads;
      if (views.some((v) => v.heads !== heads || v.seqLen !== T)) {
        throw new BadInputError('attention.heads-differ', `${model.path}: layers have different head counts or lengths (${views.map((v) => `${v.heads}×${v.seqLen}`).join(', ')}); the aggregate needs one head count`, { file: model.path });
      }
      layout ??= views[0]!.layout;
      if (!sink) {
        headCount = heads;
        causal = looksCausal(views, facts);
        const aggregatorOptions = { layers: views.length, heads, maxLen: window, spans, causal, minGroupSize };
        sink = options.workerPath === undefined ? localSink(aggregatorOptions) : workerSink(aggregatorOptions, options.workerPath, options.workerExecArgv);
      }
      if (batches % ROW_SUM_CHECK_EVERY === 0) {
        views.forEach((view, layer) => {
          const check = checkRowSums(view, { validity: facts.map((f) => f.validity) });
          rowSums.rows += check.rowsChecked;
          if (check.worst && (check.worst.deviation > rowSums.maxDeviation || Number.isNaN(check.worst.deviation))) {
            rowSums = { ...rowSums, maxDeviation: check.worst.deviation, where: `row ${facts[check.worst.sample]?.rowNumber} of ${spec.data}, layer ${layer}, head ${check.worst.head}, query ${check.worst.row}` };
          }
        });
      }
      batches++;
      const samples = facts.map((f) => {
        longest = Math.max(longest, f.length);
        const special = specialMask(f.tokens, T, specialTokens);
        return { validity: f.validity, spans: f.spans, groups: f.groups, where: `row ${f.rowNumber} of ${spec.data}`, ...(special ? { special } : {}) };
      });
      await sink.add({ T, heads, layers: views.map((v) => v.data), facts: packFacts(samples, T, spans) });
    }
    const summary = encoder.finish();
    await encoder.close();
    if (!sink || !layout) throw new BadInputError('data.empty', `${spec.data}: no rows to analyse`, { file: spec.data });
    progress(0.97, 'evaluating attention biases');
    // A worker finishes the aggregate while this thread evaluates the biases.
    const finishing = sink.finish();
    finishing.catch(() => undefined); // awaited below, after the biases
    const biasT = options.length ?? Math.max(2, Math.min(64, longest));
    const { bias, matrices } = await evaluateBiases(model, headCount, biasT, signal);
    const masks = await maskNodes(model, biasT);
    const aggregate = await finishing;
    progress(1, 'done');
    return {
      schema: REPORT_SCHEMA, kind: 'attention', createdAt: new Date().toISOString(), spec: spec.specPath,
      model: reportModel(model.summary), runtime: model.runtime,
      data: { path: spec.data, rows: summary.rows, skippedRows: summary.skippedRows, skipReasons: summary.skipReasons },
      attention: attentionSection(aggregate, {
        layout, spans, sensitive: spec.groups, causal, minGroupSize,
        sources: sources(model, masks, new Set(bias.map((b) => b.layer))),
        rowSums: { rows: rowSums.rows, maxDeviation: rowSums.maxDeviation, ...(rowSums.where ? { where: rowSums.where } : {}) },
        window: Math.min(window, Math.max(1, longest)), bias, matrices, biasT,
      }),
    };
  } finally {
    await sink?.close();
    await table.close();
    await model?.session.release();
  }
}

/** What the section takes besides the aggregate: its own fields as the section types them, and the bias results. */
type SectionExtras = Pick<AttentionSection, 'layout' | 'spans' | 'sensitive' | 'causal' | 'minGroupSize' | 'sources' | 'rowSums'> & {
  readonly window: number;
  readonly bias: readonly AttentionBiasEntry[];
  readonly matrices: AttentionBiasMatrices['matrices'];
  readonly biasT: number;
};

/** The report section from an aggregate: DESIGN.md §4 keys first, maps cropped to `window`. */
export function attentionSection(aggregate: AttentionAggregate, x: SectionExtras): AttentionSection {
  const { heads, maxLen } = aggregate;
  const W = Math.min(x.window, maxLen);
  const maps: AttentionMaps = {
    encoding: 'float32-base64-le', window: W, cellCounts: base64(crop(aggregate.cellCounts, maxLen, W)),
    overall: encodeMaps(aggregate.meanMaps, heads, maxLen, W),
    byGroup: aggregate.groupDetail.map((g) => ({ group: g.group, mean: encodeMaps(g.meanMaps, heads, maxLen, W), difference: encodeMaps(g.differenceMaps, heads, maxLen, W) })),
  };
  return {
    layers: aggregate.layers, heads, layout: x.layout, perHead: aggregate.perHead, byGroup: aggregate.byGroup,
    ...(x.bias.length > 0 ? { bias: x.bias } : {}),
    samples: aggregate.samples, spans: x.spans, sensitive: x.sensitive, minGroupSize: x.minGroupSize, causal: x.causal,
    sources: x.sources, rowSums: x.rowSums, maps,
    entropy: { overall: aggregate.entropyDistribution, byGroup: aggregate.groupDetail.map((g) => ({ group: g.group, distributions: g.entropyDistribution })) },
    ranking: aggregate.ranking,
    ...(x.matrices.length > 0 ? { biasMatrices: { encoding: 'float32-base64-le' as const, T: x.biasT, matrices: x.matrices } } : {}),
  };
}

/**
 * One sample at a time for the per-sample view: the model stays open between requests. Each
 * request re-reads the data up to the row (rows are not indexed) and runs that row alone, so its
 * maps have exactly its length.
 */
export class AttentionSampler {
  private constructor(private readonly spec: ResolvedSpec, private readonly model: AttentionModel) {}

  static async open(spec: ResolvedSpec, options: { providers: ProviderSetting; threads?: number; signal?: AbortSignal }): Promise<AttentionSampler> {
    if (!spec.model) throw new BadInputError('spec.model', `${spec.specPath || 'the spec'}: field "model": the attention view needs a model`, { file: spec.specPath });
    // The data and input mapping are checked before the runtime loads.
    const beforeSession = async (summary: ModelSummary): Promise<void> => {
      const table = await openTable(spec.data, { batchRows: 1, ...(options.signal ? { signal: options.signal } : {}) });
      try {
        await (await createInputEncoder(spec, summary.inputs, table)).close();
      } finally {
        await table.close();
      }
    };
    return new AttentionSampler(spec, await openAttentionModel(spec.model, { ...options, beforeSession }));
  }

  get runtime(): RuntimeInfo { return this.model.runtime; }

  /** Maps of data row `row` (0-based among the data rows, header excluded). */
  async sample(row: number, options: { signal?: AbortSignal } = {}): Promise<AttentionSampleResult> {
    if (!Number.isInteger(row) || row < 0) throw new BadInputError('attention.row', `${this.spec.data}: row ${row} is not a row index (0, 1, …)`, { file: this.spec.data });
    const rowNumber = row + 1;
    const table = await openTable(this.spec.data, { batchRows: 256, ...(options.signal ? { signal: options.signal } : {}) });
    try {
      const encoder = await createInputEncoder(this.spec, this.model.summary.inputs, table);
      for await (const batch of table.batches()) {
        throwIfAborted(options.signal);
        const at = batch.rowNumbers.indexOf(rowNumber);
        if (at < 0) {
          if ((batch.rowNumbers[batch.length - 1] ?? 0) > rowNumber) break;
          continue;
        }
        const one = new SingleRowBatch(batch, at);
        const encoded = await encoder.encode(one);
        if (encoded.rowsUsed === 0) {
          const reason = encoded.skipped[0]?.reason ?? 'unusable';
          throw new BadInputError('attention.row-skipped', `${this.spec.data}: row ${rowNumber} is skipped (${reason})`, { file: this.spec.data });
        }
        const views = await runChecked(this.model, this.spec, encoded, one);
        const T = views[0]!.seqLen;
        const facts = rowFacts(this.spec, one, encoded, T)[0]!;
        const tokens = facts.tokens ? Array.from({ length: T }, (_, j) => facts.tokens?.[j] ?? '') : Array.from({ length: T }, (_, j) => String(j));
        return {
          tokens, layout: views[0]!.layout, validLength: facts.length, group: facts.group,
          layers: views.map((v, layer) => {
            const data = new Float32Array(v.heads * T * T);
            v.maps(0).forEach((m: FloatArray, h) => data.set(m, h * T * T));
            return { layer, heads: v.heads, T, data: data.buffer };
          }),
        };
      }
      throw new BadInputError('attention.row', `${this.spec.data}: there is no data row ${row} (0-based)`, { file: this.spec.data });
    } finally {
      await table.close();
    }
  }

  async close(): Promise<void> {
    await this.model.session.release();
  }
}

/** One-shot per-sample maps (opens and closes the model): see AttentionSampler for repeated use. */
export async function attentionForSample(spec: ResolvedSpec, rowIndex: number, options: { providers: ProviderSetting; threads?: number; signal?: AbortSignal }): Promise<AttentionSampleResult> {
  const sampler = await AttentionSampler.open(spec, options);
  try {
    return await sampler.sample(rowIndex, options.signal ? { signal: options.signal } : {});
  } finally {
    await sampler.close();
  }
}

/** Result of running the same rows on two execution providers. */
export interface ProviderComparison {
  readonly providers: readonly [RuntimeInfo, RuntimeInfo];
  readonly rows: number;
  /** Largest |p_a − p_b| over every layer, head and cell of every compared row. */
  readonly maxAbsDifference: number;
  readonly worst: { readonly row: number; readonly layer: number } | undefined;
}

/**
 * Attention maps of the first `rows` data rows on two providers, each opened alone (no fallback:
 * a provider that cannot run fails here instead of quietly running on the CPU).
 */
export async function compareAttentionProviders(spec: ResolvedSpec, providers: readonly [ProviderSetting, ProviderSetting], rows: number, options: { signal?: AbortSignal } = {}): Promise<ProviderComparison> {
  const a = await AttentionSampler.open(spec, { providers: providers[0], ...(options.signal ? { signal: options.signal } : {}) });
  try {
    const b = await AttentionSampler.open(spec, { providers: providers[1], ...(options.signal ? { signal: options.signal } : {}) });
    try {
      let max = 0;
      let worst: ProviderComparison['worst'];
      let compared = 0;
      for (let row = 0; row < rows; row++) {
        let x: AttentionSampleResult;
        try {
          x = await a.sample(row, options);
        } catch (error) {
          if (error instanceof BadInputError && error.code === 'attention.row' && compared > 0) break; // fewer rows than asked
          throw error;
        }
        const y = await b.sample(row, options);
        x.layers.forEach((layer, l) => {
          const p = new Float32Array(layer.data);
          const q = new Float32Array(y.layers[l]!.data);
          for (let c = 0; c < p.length; c++) {
            const d = Math.abs(p[c]! - q[c]!);
            if (d > max || Number.isNaN(d)) { max = Number.isNaN(d) ? Number.NaN : d; worst = { row, layer: l }; }
          }
        });
        compared++;
      }
      return { providers: [a.runtime, b.runtime], rows: compared, maxAbsDifference: max, worst };
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
}
