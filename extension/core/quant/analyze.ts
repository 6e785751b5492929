/**
 * Quantization error of a checkpoint's weights (issue 6, item 2): every float weight with at
 * least `minElements` elements, in every requested format, with the error metrics of
 * FORMULAS.md §C, a value histogram, outliers per block and the per-tensor formats' grids.
 * Big tensors go to worker threads when a worker script is given; the rest run in-process.
 */
import { BadInputError, CancelledError, InspectorError, throttleProgress, throwIfAborted } from '../errors';
import type { ProgressFn } from '../errors';
import { loadModel, tensorToFloat32 } from '../onnx';
import type { LoadedModel } from '../onnx';
import type {
  QuantFormatId,
  QuantFormatSummary,
  QuantGrid,
  QuantizationSection,
  QuantSkipped,
  QuantTensorError,
  QuantTensorInfo,
} from '../../protocol/quant';
import { tensorError } from './error';
import type { TensorError } from './error';
import { FORMATS, parseFormats } from './formats';
import type { FormatId } from './formats';
import type { Rounding } from './minifloat';
import { QuantPool } from './pool';
import type { QuantJob } from './job';
import { fakeQuantize } from './quantize';
import type { QuantizeOptions } from './quantize';
import { selectWeights } from './select';
import type { WeightCandidate, WeightSelection } from './select';
import { finiteRange, isPerTensorFormat, outlierBlockSizes, outlierSummary, perTensorGrid, valueHistogram } from './stats';

// The protocol's format ids must be exactly the registry's (compile-time check, no runtime cost).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _formatIdsAgree: Same<FormatId, QuantFormatId> = true;

/** Default minimum size of an analysed weight (FORMULAS.md §C). */
export const DEFAULT_MIN_ELEMENTS = 1024;
/** Tensors with at least this many elements go to the worker pool (when there is one). */
export const DEFAULT_WORKER_THRESHOLD = 1 << 18;

export interface AnalyzeWeightsOptions {
  /** Format ids (or names to parse, `all` allowed); default: every format. */
  formats?: readonly string[] | string;
  /** Smallest analysed tensor, in elements (default 1024). */
  minElements?: number;
  /** Element rounding of the MX formats (default 'rne'). */
  mxRounding?: Rounding;
  /** The quantization worker script; without it everything runs in-process. */
  workerPath?: string | URL;
  /** Node flags of the workers (tests: ['--require', 'tsx/cjs']). */
  workerExecArgv?: string[];
  /** Worker count (default min(cores, 2)). */
  workers?: number;
  /** Tensors at least this big use the workers (default 262144 elements). */
  workerThreshold?: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

/** Results of one analysed tensor. */
interface TensorResult {
  info: QuantTensorInfo;
  errors: Map<FormatId, TensorError>;
  grids: QuantGrid[];
}

/** Relative cost of one format per element, to split a tensor's formats evenly over workers. */
const FAMILY_COST = { int: 1, fp8: 2, mx: 3, nvfp4: 4 } as const;

/**
 * Analyses every float weight of the model at `model` (a path, or a model already loaded).
 * @throws BadInputError `quant.no-float-weights` when no float weight reaches `minElements`
 *   (the message says whether the model is already quantized and whether smaller float tensors
 *   exist), `quant.nothing-analysed` when every candidate was unreadable or all NaN/Inf, the
 *   formats module's `quant.unknown-format`, the ONNX layer's load errors; CancelledError.
 */
export async function analyzeWeights(model: string | LoadedModel, options: AnalyzeWeightsOptions = {}): Promise<QuantizationSection> {
  const { signal } = options;
  const formats = options.formats === undefined ? parseFormats('all') : parseFormats(options.formats);
  const minElements = options.minElements ?? DEFAULT_MIN_ELEMENTS;
  if (!Number.isSafeInteger(minElements) || minElements < 1) {
    throw new BadInputError('quant.bad-min-elements', `minimum tensor size must be a positive integer, got ${minElements}`);
  }
  const mxRounding = options.mxRounding ?? 'rne';
  const progress = throttleProgress(options.onProgress);
  progress(0, 'loading the model');
  const loaded = typeof model === 'string' ? await loadModel(model, signal ? { signal } : {}) : model;
  const selection = selectWeights(loaded, minElements);
  if (selection.candidates.length === 0) throw noWeightsError(loaded.path, minElements, selection);

  const totalWork = selection.candidates.reduce((sum, c) => sum + c.elements, 0) * (formats.length + 1);
  let done = 0;
  const advance = (work: number, message: string): void => {
    done += work;
    progress(Math.min(0.999, done / totalWork), message);
  };

  const wantPool = options.workerPath !== undefined && selection.candidates.some((c) => c.elements >= (options.workerThreshold ?? DEFAULT_WORKER_THRESHOLD));
  const pool = wantPool && options.workerPath !== undefined ? new QuantPool(poolOptions(options.workerPath, options)) : null;
  const skipped: QuantSkipped[] = [...selection.skipped];
  const results: (TensorResult | null)[] = [];
  const inflight: InFlight[] = [];
  try {
    for (const [k, candidate] of selection.candidates.entries()) {
      throwIfAborted(signal);
      const label = `'${candidate.name}' (${k + 1}/${selection.candidates.length})`;
      const data = await readWeight(loaded, candidate, skipped, signal);
      if (data === null) {
        results.push(null);
        advance(candidate.elements * (formats.length + 1), `skipped ${label}`);
        continue;
      }
      const range = finiteRange(data);
      if (range.nonFinite === data.length) {
        skipped.push({ name: candidate.name, code: 'non-finite', reason: `all ${data.length} values are NaN or ±Inf` });
        results.push(null);
        advance(candidate.elements * (formats.length + 1), `skipped ${label}`);
        continue;
      }
      const result: TensorResult = {
        info: tensorInfo(candidate, data, range.amax, range.nonFinite, formats),
        errors: new Map(),
        grids: formats.filter(isPerTensorFormat).map((f) => perTensorGrid(candidate.name, f, range)),
      };
      results.push(result);
      advance(candidate.elements, `reading ${label}`);
      const qopts: Omit<QuantizeOptions, 'tensor'> = { ...candidate.axes, mxRounding };
      if (pool && candidate.elements >= (options.workerThreshold ?? DEFAULT_WORKER_THRESHOLD)) {
        for (const job of splitJobs(candidate, data, formats, qopts, pool.size)) {
          const elements = job.data.length; // before run(): dispatch detaches the buffer
          const p = pool.run(job, signal ? { signal } : {}).then((r) => {
            for (const f of r.results) result.errors.set(f.format, f.error);
            advance(candidate.elements * job.formats.length, `quantized ${label}`);
          });
          p.catch(() => undefined); // awaited below; this only avoids an unhandled rejection meanwhile
          inflight.push({ promise: p, elements });
        }
        await bound(inflight, candidate.elements * pool.size);
      } else {
        for (const format of formats) {
          throwIfAborted(signal);
          const q = fakeQuantize(data, candidate.shape, format, { ...qopts, tensor: candidate.name, transient: true });
          result.errors.set(format, tensorError(data, q, candidate.name));
          advance(candidate.elements, `quantized ${label}`);
        }
      }
    }
    await Promise.all(inflight.map((j) => j.promise));
  } catch (e) {
    if (pool) await pool.dispose(); // stops the other jobs at once
    await Promise.allSettled(inflight.map((j) => j.promise));
    throw e;
  } finally {
    if (pool) await pool.dispose();
  }
  throwIfAborted(signal);
  const analysed = results.filter((r): r is TensorResult => r !== null);
  if (analysed.length === 0) {
    const reasons = skipped.filter((s) => s.code === 'unreadable' || s.code === 'non-finite').map((s) => `'${s.name}': ${s.reason}`);
    throw new BadInputError('quant.nothing-analysed', `${loaded.path}: no float weight could be analysed: ${reasons.join('; ')}`, { file: loaded.path });
  }
  progress(1, 'done');
  return assemble(analysed, formats, skipped, minElements, mxRounding);
}

function poolOptions(workerPath: string | URL, options: AnalyzeWeightsOptions): ConstructorParameters<typeof QuantPool>[0] {
  return {
    workerPath,
    ...(options.workers !== undefined ? { size: options.workers } : {}),
    ...(options.workerExecArgv !== undefined ? { execArgv: options.workerExecArgv } : {}),
  };
}

/** Reads a candidate as float32, or records why it cannot be read (null). Cancellation propagates. */
async function readWeight(model: LoadedModel, c: WeightCandidate, skipped: QuantSkipped[], signal: AbortSignal | undefined): Promise<Float32Array | null> {
  try {
    return await tensorToFloat32(model, c.tensor, signal ? { signal } : {});
  } catch (e) {
    if (e instanceof CancelledError || !(e instanceof InspectorError) || e.kind !== 'bad-input') throw e;
    skipped.push({ name: c.name, code: 'unreadable', reason: e.message });
    return null;
  }
}

/**
 * One job per worker for a big tensor, its formats balanced by estimated cost; the first job
 * takes the tensor's buffer, the others a copy (each is transferred to its worker).
 */
function splitJobs(c: WeightCandidate, data: Float32Array, formats: readonly FormatId[], options: Omit<QuantizeOptions, 'tensor'>, workers: number): QuantJob[] {
  const groups: { formats: FormatId[]; cost: number }[] = Array.from({ length: Math.min(workers, formats.length) }, () => ({ formats: [], cost: 0 }));
  const byCost = [...formats].sort((a, b) => FAMILY_COST[FORMATS[b].family] - FAMILY_COST[FORMATS[a].family]);
  for (const f of byCost) {
    const g = groups.reduce((best, x) => (x.cost < best.cost ? x : best));
    g.formats.push(f);
    g.cost += FAMILY_COST[FORMATS[f].family];
  }
  return groups.map((g, i) => ({
    tensor: c.name,
    data: i === groups.length - 1 ? data : data.slice(),
    shape: c.shape,
    formats: g.formats,
    options,
    returnValues: false,
  }));
}

/** Elements (copies included) the worker jobs may hold in flight before the reader waits. */
const MAX_IN_FLIGHT_ELEMENTS = 1 << 26;

interface InFlight {
  promise: Promise<void>;
  elements: number;
}

/** Waits for the oldest jobs while more than max(64M, `atLeast`) elements are in flight. */
async function bound(inflight: InFlight[], atLeast: number): Promise<void> {
  let total = inflight.reduce((sum, j) => sum + j.elements, 0);
  while (total > Math.max(MAX_IN_FLIGHT_ELEMENTS, atLeast)) {
    const oldest = inflight.shift();
    if (!oldest) return;
    await oldest.promise;
    total -= oldest.elements;
  }
}

function tensorInfo(c: WeightCandidate, data: Float32Array, amax: number, nonFinite: number, formats: readonly FormatId[]): QuantTensorInfo {
  return {
    name: c.name,
    shape: c.shape,
    dtype: c.dtype,
    elements: c.elements,
    source: c.source,
    graphPath: c.graphPath,
    op: c.consumer?.op ?? null,
    node: c.consumer?.node ?? '',
    inputIndex: c.consumer?.inputIndex ?? -1,
    via: c.consumer?.via ?? [],
    channelAxis: c.axes.channelAxis,
    blockAxis: c.axes.blockAxis,
    blockFlattenTrailing: c.axes.blockFlattenTrailing,
    axisConflicts: c.axisConflicts,
    graphIndex: c.graphIndex,
    histogram: valueHistogram(data, amax),
    nonFinite,
    outliers: outlierSummary(data, c.shape, c.axes, outlierBlockSizes(formats)),
  };
}

function assemble(
  analysed: TensorResult[],
  formats: FormatId[],
  skipped: QuantSkipped[],
  minElements: number,
  mxRounding: Rounding,
): QuantizationSection {
  const tensors: QuantTensorError[] = [];
  for (const r of analysed) {
    for (const format of formats) {
      const e = r.errors.get(format);
      if (!e) throw new InspectorError('quant.missing-result', 'failure', `no result for tensor '${r.info.name}' in ${format}`);
      tensors.push({ name: r.info.name, format, mse: e.mse, sqnr_db: e.sqnr_db, max_abs: e.max_abs, rel_fro: e.rel_fro, cosine: e.cosine });
    }
  }
  return {
    formats,
    tensors,
    tensorInfo: analysed.map((r) => r.info),
    grids: analysed.flatMap((r) => r.grids),
    skipped,
    summaryByFormat: formats.map((f) => summarize(f, analysed)),
    settings: { minElements, mxRounding },
  };
}

/** Per-format summary; MSE weighted by each tensor's finite element count. */
export function summarize(format: FormatId, analysed: readonly { info: QuantTensorInfo; errors: ReadonlyMap<FormatId, TensorError> }[]): QuantFormatSummary {
  let sum = 0;
  let finiteCount = 0;
  let worstTensor = '';
  let worstSqnrDb = Infinity;
  let weighted = 0;
  let count = 0;
  for (const r of analysed) {
    const e = r.errors.get(format);
    if (!e) continue;
    if (Number.isFinite(e.sqnr_db)) {
      sum += e.sqnr_db;
      finiteCount++;
    }
    if (worstTensor === '' || e.sqnr_db < worstSqnrDb) {
      worstTensor = r.info.name;
      worstSqnrDb = e.sqnr_db;
    }
    weighted += e.mse * e.count;
    count += e.count;
  }
  return { format, meanSqnrDb: finiteCount === 0 ? NaN : sum / finiteCount, worstTensor, worstSqnrDb, totalMse: count === 0 ? NaN : weighted / count };
}

/** The error for a model with no float weight of at least `minElements` elements. */
function noWeightsError(file: string, minElements: number, s: WeightSelection): BadInputError {
  const quantized = s.lowBitTensors > 0 || s.quantOps > 0;
  const head = `${file}: no float weight tensors with ≥ ${minElements} elements`;
  const already = quantized
    ? `the model is already quantized (${s.lowBitTensors} low-bit weight tensor${s.lowBitTensors === 1 ? '' : 's'}, ${s.quantOps} quantization op${s.quantOps === 1 ? '' : 's'}); use Compare Models against its float checkpoint`
    : '';
  if (s.floatTensors.length === 0) {
    return new BadInputError('quant.no-float-weights', `${head}: ${already || 'the model stores no float weights'}`, { file });
  }
  const largest = s.floatTensors.reduce((a, b) => (b.elements > a.elements ? b : a));
  const small = `its ${s.floatTensors.length} float tensor${s.floatTensors.length === 1 ? ' is' : 's are'} smaller (largest '${largest.name}', ${largest.elements} element${largest.elements === 1 ? '' : 's'}); lower the minimum size (--min-elements) to analyse ${s.floatTensors.length === 1 ? 'it' : 'them'}`;
  return new BadInputError('quant.no-float-weights', `${head}: ${already ? `${already}; ` : ''}${small}`, { file });
}
