/**
 * Per-layer quantization sensitivity (issue 6 item 4): each float weight (≥ minElements)
 * quantized alone, the rest FP32, measured against the FP32 model on the first `maxRows` rows:
 * output KL, agreement, loss delta overall and per intersection (the group × layer damage
 * matrix). Then a greedy mixed-precision suggestion (as MPTQ-ViT): rank layers by their
 * worst-group loss delta, keep the top k at full precision and quantize the rest, with the
 * smallest k whose MEASURED worst-group loss delta is ≤ the budget (every k tried is a real run).
 *
 * Default format: `int4` (symmetric, per-channel: the usual low-bit weight setting, and coarse
 * enough that layers differ); any format of FORMULAS.md §C may be chosen.
 */
import { BadInputError, InspectorError, throwIfAborted } from '../errors';
import type { ProgressFn } from '../errors';
import type { ResolvedSpec } from '../data';
import { allGraphs, loadModel } from '../onnx';
import type { LoadedModel } from '../onnx';
import type { QuantLayerDamage, QuantMixStep, QuantSensitivity } from '../../protocol/quant';
import { DEFAULT_MIN_ELEMENTS } from '../quant/analyze';
import type { ComparisonSummary } from '../quant/compare';
import { parseFormats } from '../quant/formats';
import type { FormatId } from '../quant/formats';
import { quantizeWeight, readFloatWeights } from '../quant/weights';
import type { ReadWeight } from '../quant/weights';
import type { Rounding } from '../quant/minifloat';
import { comparisonPass } from './quantPass';
import type { PassOptions, Variant } from './quantPass';
import { replaceWeights } from '../quant/rewrite';

export const DEFAULT_SENSITIVITY_FORMAT: FormatId = 'int4';
/** Worst-group loss delta allowed by default (nats for the cross-entropies). */
export const DEFAULT_BUDGET = 0.01;
/** Rows measured by default (each layer costs one model run over them). */
export const DEFAULT_SENSITIVITY_ROWS = 2000;

export interface SensitivityOptions extends Omit<PassOptions, 'metrics'> {
  readonly format?: string;
  readonly budget?: number;
  readonly minElements?: number;
  readonly mxRounding?: Rounding;
  /** Most model copies run in one pass (default 8; bounded by 1 GiB of copies too). */
  readonly variantsPerPass?: number;
}

/** Layout ops followed from a weight to the nodes that consume it. */
const PASS_THROUGH = new Set(['Identity', 'Cast', 'Transpose', 'Reshape', 'Unsqueeze', 'Squeeze']);

/** Names of the nodes (all graphs) that consume `tensor`, through layout ops; unnamed ones as ''. */
export function consumerNodes(model: LoadedModel, tensor: string): string[] {
  const byInput = new Map<string, { name: string; op: string; output: string | undefined }[]>();
  for (const site of allGraphs(model.proto)) {
    for (const node of site.graph.node) {
      for (const input of new Set(node.input)) {
        const list = byInput.get(input) ?? [];
        list.push({ name: node.name ?? '', op: node.opType ?? '', output: node.output[0] });
        byInput.set(input, list);
      }
    }
  }
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string, depth: number): void => {
    for (const use of byInput.get(name) ?? []) {
      if (PASS_THROUGH.has(use.op) && use.output && depth < 4) visit(use.output, depth + 1);
      else if (!seen.has(`${use.name}\u0000${use.op}`)) {
        seen.add(`${use.name}\u0000${use.op}`);
        out.push(use.name);
      }
    }
  };
  visit(tensor, 0);
  return out;
}

function mixStep(kept: number, c: ComparisonSummary): QuantMixStep {
  return { kept, worstGroupLossDelta: c.worstGroupLossDelta, kl: c.kl, agreement: c.agreement };
}

/** Worst-group delta comparable with the budget: NaN (no group) counts as failing. */
function meets(step: QuantMixStep, budget: number): boolean {
  return step.worstGroupLossDelta <= budget;
}

/** Per-layer damage and the greedy mixed-precision suggestion. */
export async function layerSensitivity(spec: ResolvedSpec, modelPath: string, options: SensitivityOptions): Promise<QuantSensitivity> {
  const { signal } = options;
  const [format] = parseFormats(options.format ?? DEFAULT_SENSITIVITY_FORMAT, '--sensitivity-format');
  if (!format) throw new BadInputError('quant.unknown-format', 'no sensitivity format given');
  const budget = options.budget ?? DEFAULT_BUDGET;
  if (!Number.isFinite(budget) || budget < 0) throw new BadInputError('cli.bad-flag', `--budget ${budget}: expected a finite number ≥ 0 (a worst-group loss delta)`);
  const maxRows = options.maxRows ?? DEFAULT_SENSITIVITY_ROWS;
  const report = options.onProgress ?? ((): void => undefined);
  const loaded = await loadModel(modelPath, signal ? { signal } : {});
  const weights = await readFloatWeights(loaded, options.minElements ?? DEFAULT_MIN_ELEMENTS, signal);
  const mxRounding = options.mxRounding ?? 'rne';
  const quantized = new Map<number, Float32Array>();
  for (const w of weights) {
    throwIfAborted(signal);
    quantized.set(w.candidate.weightIndex, quantizeWeight(w, format, mxRounding));
  }
  const perPass = Math.max(1, Math.min(options.variantsPerPass ?? 8, Math.floor(1024 ** 3 / Math.max(1, loaded.bytes.length))));
  const layerCount = weights.length;
  // Progress: layer passes, then the mix search (about log2(L) + 2 more passes).
  const totalPasses = Math.ceil(layerCount / perPass) + Math.ceil(Math.log2(layerCount + 1)) + 2;
  let passesDone = 0;
  const run = async (variants: Variant[], what: string): Promise<ComparisonSummary[]> => {
    const onProgress: ProgressFn = (f, m) => report(Math.min(0.999, (passesDone + f) / totalPasses), `${what}: ${m}`);
    const pass = await comparisonPass(spec, modelPath, variants, { ...options, maxRows, metrics: false, onProgress });
    passesDone++;
    return pass.variants.map((v) => v.comparison);
  };
  const mix = async (keep: readonly ReadWeight[]): Promise<Uint8Array> => {
    const kept = new Set(keep.map((w) => w.candidate.weightIndex));
    const replacements = new Map([...quantized].filter(([index]) => !kept.has(index)));
    return replaceWeights(loaded, replacements, signal ? { signal } : {});
  };

  // 1. Each layer alone.
  const alone: ComparisonSummary[] = [];
  for (let i = 0; i < layerCount; i += perPass) {
    const variants: Variant[] = [];
    for (const w of weights.slice(i, i + perPass)) {
      const values = quantized.get(w.candidate.weightIndex) as Float32Array;
      variants.push({ id: w.candidate.name, model: await replaceWeights(loaded, new Map([[w.candidate.weightIndex, values]]), signal ? { signal } : {}) });
    }
    alone.push(...(await run(variants, `layers ${i + 1}–${i + variants.length} of ${layerCount}`)));
  }
  const groupKeys = alone[0]?.byGroup.map((g) => ({ group: g.group, count: g.count, ...(g.small ? { small: true as const } : {}) })) ?? [];
  const keyOf = (g: Readonly<Record<string, string>>): string => JSON.stringify(spec.groups.map((c) => g[c] ?? null));
  const layers: QuantLayerDamage[] = weights.map((w, i) => {
    const c = alone[i];
    if (!c) throw new InspectorError('internal', 'failure', `no sensitivity result for '${w.candidate.name}'`);
    const byKey = new Map(c.byGroup.map((g) => [keyOf(g.group), g.lossDelta]));
    return {
      tensor: w.candidate.name,
      nodes: consumerNodes(loaded, w.candidate.name),
      op: w.candidate.consumer?.op ?? null,
      elements: w.candidate.elements,
      agreement: c.agreement,
      kl: c.kl,
      lossDelta: c.lossDelta,
      worstGroupLossDelta: c.worstGroupLossDelta,
      worstGroup: c.worstGroup,
      byGroup: groupKeys.map((g) => byKey.get(keyOf(g.group)) ?? NaN),
    };
  });
  // Damage order, worst first (NaN last; ties keep graph order).
  const order = layers.map((_, i) => i).sort((a, b) => rankValue(layers[b] as QuantLayerDamage) - rankValue(layers[a] as QuantLayerDamage) || a - b);
  const ranked = order.map((i) => weights[i] as ReadWeight);

  // 2. Greedy mix: k = 0 (all quantized), 1, 2, 4, … in one pass; then bisect.
  const steps: QuantMixStep[] = [];
  const ks = [0];
  for (let k = 1; k < layerCount; k *= 2) ks.push(k);
  const doubling: Variant[] = [];
  for (const k of ks) doubling.push({ id: `keep ${k}`, model: await mix(ranked.slice(0, k)) });
  const measured = await run(doubling, 'mixed precision');
  ks.forEach((k, i) => steps.push(mixStep(k, measured[i] as ComparisonSummary)));
  const all = steps[0] as QuantMixStep;
  let lo = -1; // largest k known to fail
  let hi = layerCount; // smallest k known to pass (keeping every layer: the FP32 model, delta 0)
  let best: QuantMixStep = { kept: layerCount, worstGroupLossDelta: 0, kl: 0, agreement: 1 };
  for (const s of steps) {
    if (meets(s, budget)) {
      if (s.kept < hi) { hi = s.kept; best = s; }
    } else lo = Math.max(lo, s.kept);
  }
  while (hi - lo > 1) {
    const k = Math.floor((lo + hi) / 2);
    const [c] = await run([{ id: `keep ${k}`, model: await mix(ranked.slice(0, k)) }], 'mixed precision');
    const s = mixStep(k, c as ComparisonSummary);
    steps.push(s);
    if (meets(s, budget)) { hi = k; best = s; } else lo = k;
  }
  if (hi === layerCount && !steps.some((s) => s.kept === layerCount)) {
    // Keeping every layer is the FP32 model itself; measure it anyway so the figure is real.
    const [c] = await run([{ id: `keep ${layerCount}`, model: await mix(ranked) }], 'mixed precision');
    best = mixStep(layerCount, c as ComparisonSummary);
    steps.push(best);
  }
  report(1, 'done');
  const keep = ranked.slice(0, best.kept);
  const keptNodes = keep.flatMap((w) => consumerNodes(loaded, w.candidate.name)).filter((n) => n !== '');
  return {
    format,
    rows: alone[0]?.count ?? 0,
    budget,
    groups: groupKeys,
    layers: order.map((i) => layers[i] as QuantLayerDamage),
    all,
    suggestion: {
      keepTensors: keep.map((w) => w.candidate.name),
      nodesToExclude: [...new Set(keptNodes)],
      measured: best,
      metBudget: meets(best, budget),
      steps: steps.sort((a, b) => a.kept - b.kept),
    },
  };
}

function rankValue(l: QuantLayerDamage): number {
  return Number.isNaN(l.worstGroupLossDelta) ? -Infinity : l.worstGroupLossDelta;
}
