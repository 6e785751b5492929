/**
 * Model-level impact of quantization (issue 6 item 3, FORMULAS.md §C "Model-level"): for each
 * format, an in-memory copy of the model whose float weights (≥ minElements) hold their
 * fake-quantized values, run over the spec's data together with the FP32 model on the same
 * batches: agreement, KL, loss and accuracy deltas overall, per group and per intersection, the
 * quantized model's own group metrics and the samples whose prediction flips.
 */
import { InspectorError } from '../errors';
import type { ProgressFn } from '../errors';
import type { ResolvedSpec } from '../data';
import type { GroupsSection } from '../../protocol/groups';
import { loadModel } from '../onnx';
import type { QuantImpact } from '../../protocol/quant';
import { DEFAULT_MIN_ELEMENTS } from '../quant/analyze';
import { parseFormats } from '../quant/formats';
import type { FormatId } from '../quant/formats';
import type { Rounding } from '../quant/minifloat';
import { fakeQuantizedModel, readFloatWeights } from '../quant/weights';
import { comparisonPass } from './quantPass';
import type { PassOptions, PassResult, Variant, VariantResult } from './quantPass';

export interface ImpactOptions extends PassOptions {
  /** Format ids (or names to parse, `all` allowed); default: every format. */
  readonly formats?: readonly string[] | string;
  readonly minElements?: number;
  readonly mxRounding?: Rounding;
}

export interface ImpactResult {
  readonly impact: QuantImpact[];
  readonly baseline: GroupsSection;
  readonly pass: Omit<PassResult, 'variants' | 'baselineMetrics'>;
}

/** Bytes of fake-quantized copies held at once; more formats run in further passes. */
const MAX_VARIANT_BYTES = 1024 ** 3;

/** One impact entry from a variant's pass result. */
export function impactEntry(format: QuantImpact['format'], label: string, quantizedTensors: number, r: VariantResult): QuantImpact {
  const c = r.comparison;
  if (!r.metrics) throw new InspectorError('internal', 'failure', `no group metrics for ${label}`);
  return {
    format, label, quantizedTensors,
    count: c.count, agreement: c.agreement, kl: c.kl, lossDelta: c.lossDelta, accuracyDelta: c.accuracyDelta,
    lossFp32: c.lossFp32, lossQ: c.lossQ, accuracyFp32: c.accuracyFp32, accuracyQ: c.accuracyQ, flipCount: c.flipCount,
    byGroup: c.byGroup, byColumn: c.byColumn, worstGroup: c.worstGroup, worstGroupLossDelta: c.worstGroupLossDelta,
    metrics: r.metrics, flips: c.flips,
  };
}

/**
 * The impact of every format on the model at `modelPath` over the spec's data. One data pass
 * when the copies fit in 1 GiB together, else one pass per group of formats that fits.
 */
export async function quantImpact(spec: ResolvedSpec, modelPath: string, options: ImpactOptions): Promise<ImpactResult> {
  const { signal } = options;
  const formats = options.formats === undefined ? parseFormats('all') : parseFormats(options.formats);
  const report = options.onProgress ?? ((): void => undefined);
  report(0, 'quantizing the weights');
  const loaded = await loadModel(modelPath, signal ? { signal } : {});
  const weights = await readFloatWeights(loaded, options.minElements ?? DEFAULT_MIN_ELEMENTS, signal);
  const perCopy = Math.max(1, loaded.bytes.length);
  const chunk = Math.max(1, Math.floor(MAX_VARIANT_BYTES / perCopy));
  const chunks: FormatId[][] = [];
  for (let i = 0; i < formats.length; i += chunk) chunks.push(formats.slice(i, i + chunk));
  const impact: QuantImpact[] = [];
  let baseline: GroupsSection | undefined;
  let header: ImpactResult['pass'] | undefined;
  for (const [k, group] of chunks.entries()) {
    const variants: Variant[] = [];
    for (const format of group) {
      variants.push({ id: format, model: await fakeQuantizedModel(loaded, weights, format, { ...(options.mxRounding ? { mxRounding: options.mxRounding } : {}), ...(signal ? { signal } : {}) }) });
    }
    const onProgress: ProgressFn = (f, m) => report((k + f) / chunks.length, m);
    const pass = await comparisonPass(spec, modelPath, variants, { ...options, metrics: true, onProgress });
    baseline ??= pass.baselineMetrics;
    header ??= { summary: pass.summary, runtime: pass.runtime, output: pass.output, data: pass.data };
    for (const r of pass.variants) impact.push(impactEntry(r.id as FormatId, r.id, weights.length, r));
  }
  if (!baseline || !header) throw new InspectorError('internal', 'failure', 'no impact pass ran');
  report(1, 'done');
  return { impact, baseline, pass: header };
}
