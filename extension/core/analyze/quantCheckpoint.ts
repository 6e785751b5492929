/**
 * An existing quantized checkpoint against its float model (issue 6 item 5): the weight errors
 * (core/quant/dequantized.ts) and, with a spec, both models run over the data for the per-group
 * deltas (a 'checkpoint' impact entry).
 */
import { BadInputError } from '../errors';
import type { ProgressFn } from '../errors';
import type { ResolvedSpec } from '../data';
import { loadModel } from '../onnx';
import type { GroupsSection } from '../../protocol/groups';
import type { QuantCheckpoint, QuantImpact } from '../../protocol/quant';
import { compareCheckpointWeights } from '../quant/dequantized';
import { impactEntry } from './quantImpact';
import { comparisonPass } from './quantPass';
import type { PassOptions, PassResult } from './quantPass';

export interface CheckpointOptions extends PassOptions {
  readonly minElements?: number;
}

export interface CheckpointResult {
  readonly checkpoint: QuantCheckpoint;
  readonly impact?: QuantImpact;
  readonly baseline?: GroupsSection;
  readonly pass?: Omit<PassResult, 'variants' | 'baselineMetrics'>;
}

/**
 * The checkpoint at `quantizedPath` against the float model at `floatPath`: weight errors, and
 * with a spec, both models run over the data for the per-group deltas ('checkpoint' impact).
 */
export async function compareCheckpoint(quantizedPath: string, floatPath: string, spec: ResolvedSpec | undefined, options: CheckpointOptions): Promise<CheckpointResult> {
  const { signal } = options;
  const report: ProgressFn = options.onProgress ?? ((): void => undefined);
  report(0, 'reading both models');
  const [quantized, float] = [await loadModel(quantizedPath, signal ? { signal } : {}), await loadModel(floatPath, signal ? { signal } : {})];
  const checkpoint = await compareCheckpointWeights(quantized, float, { ...(options.minElements ? { minElements: options.minElements } : {}), ...(signal ? { signal } : {}) });
  if (!spec) {
    report(1, 'done');
    return { checkpoint };
  }
  const pass = await comparisonPass(spec, floatPath, [{ id: 'checkpoint', model: quantizedPath }], { ...options, metrics: true, onProgress: (x, m) => report(0.05 + 0.95 * x, m) });
  const r = pass.variants[0];
  if (!r) throw new BadInputError('data.empty', `${spec.data}: no rows to evaluate`, { file: spec.data });
  report(1, 'done');
  return {
    checkpoint,
    impact: impactEntry('checkpoint', quantizedPath, checkpoint.tensors.length, r),
    ...(pass.baselineMetrics ? { baseline: pass.baselineMetrics } : {}),
    pass: { summary: pass.summary, runtime: pass.runtime, output: pass.output, data: pass.data },
  };
}
