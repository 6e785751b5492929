/**
 * A model prepared for attention (issue 13): fused attention ops rewritten into primitives
 * (core/onnx fused.ts), the sites found by the one detector, and the first-batch checks — the
 * rewritten model's outputs equal the original's within 1e-4, and Softmax sites the graph could
 * not decide are kept only when their rows sum to 1 over the last axis.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { InspectorError } from '../errors';
import { findAttention, rewriteFusedAttention, type AttentionGraph, type FusedRewriteResult, type ModelProto } from '../onnx';
import { openSession, type ProviderSetting } from '../runtime';
import { confirmSites, type ProbeTensor } from './extract';

/** Largest accepted |rewritten − original| / max(1, |original|) over every output element. */
export const REWRITE_TOLERANCE = 1e-4;

export interface PreparedAttention {
  /** The model to expose: the rewritten copy, or the loaded model when nothing was fused. */
  readonly proto: ModelProto;
  readonly rewrite: FusedRewriteResult;
  readonly graph: AttentionGraph;
}

/** Rewrites the fused attention ops and finds the sites (throws `attention.none` naming what blocks). */
export function prepareAttention(model: ModelProto, file: string): PreparedAttention {
  const rewrite = rewriteFusedAttention(model);
  const blockedReasons = new Map(rewrite.blocked.map((b) => [b.node, `the rewrite into primitive ops is blocked by ${b.reason}`]));
  const graph = findAttention(rewrite.model, file, { blockedReasons });
  return { proto: rewrite.model, rewrite, graph };
}

/** Whether the first batch has something to check. */
export function needsFirstBatchCheck(prepared: PreparedAttention): boolean {
  return prepared.rewrite.rewritten.length > 0 || prepared.graph.sites.some((s) => s.decide === 'run');
}

function floats(tensor: Tensor): Float64Array | undefined {
  const data = tensor.data;
  if (data instanceof Float32Array || data instanceof Float64Array) return Float64Array.from(data);
  if (data instanceof BigInt64Array) return Float64Array.from(data, Number);
  if (ArrayBuffer.isView(data)) return Float64Array.from(data as unknown as ArrayLike<number>);
  return undefined;
}

/**
 * The first-batch checks. `exposed` is the session of the exposed (rewritten) copy; `feeds` the
 * first batch. Runs the original model (from `original`, the file or its bytes, optimisations
 * as usual) when a fused op was rewritten and compares every graph output of the original; then
 * confirms decide-'run' sites from the exposed run. Returns the confirmed graph.
 */
/**
 * What the first-batch check reads from the exposed copy's run of the first batch: the undecided
 * sites and, when a fused op was rewritten, every original graph output. A caller that runs the
 * batch anyway fetches these with its own outputs and passes the results (one run, not two).
 */
export function firstBatchFetches(prepared: PreparedAttention, originalOutputs: readonly string[]): string[] {
  const probeNames = prepared.graph.sites.filter((s) => s.decide === 'run').map((s) => s.tensor);
  return [...new Set([...probeNames, ...(prepared.rewrite.rewritten.length > 0 ? originalOutputs : [])])];
}

export async function checkFirstBatch(
  prepared: PreparedAttention,
  exposed: InferenceSession,
  feeds: Readonly<Record<string, Tensor>>,
  options: {
    file: string; original: string | Uint8Array; originalOutputs: readonly string[]; providers: ProviderSetting; threads?: number;
    /** The exposed copy's outputs of this batch when the caller ran it already (with `firstBatchFetches`). */
    results?: Readonly<Record<string, Tensor>>;
  },
): Promise<AttentionGraph> {
  const { file } = options;
  const probeNames = prepared.graph.sites.filter((s) => s.decide === 'run').map((s) => s.tensor);
  const compare = prepared.rewrite.rewritten.length > 0 ? [...options.originalOutputs] : [];
  const results = options.results ?? await exposed.run(feeds, [...new Set([...probeNames, ...compare])]);
  if (compare.length > 0) {
    // The original as written (no fusion pass): opening is cheaper, and its fused kernels are what is compared.
    const { session } = await openSession(options.original, file, { providers: options.providers, disableOptimizations: true, ...(options.threads ? { threads: options.threads } : {}) });
    try {
      const reference = await session.run(feeds, compare);
      const ops = prepared.rewrite.rewritten.map((r) => `${r.node} (${r.domain} ${r.op})`).join(', ');
      for (const name of compare) {
        const a = reference[name];
        const b = results[name];
        const x = a ? floats(a) : undefined;
        const y = b ? floats(b) : undefined;
        if (!x || !y) continue; // a non-numeric output (strings): nothing to compare
        if (x.length !== y.length) {
          throw new InspectorError('attention.rewrite-mismatch', 'failure', `${file}: after rewriting ${ops} into primitive ops, output '${name}' has ${y.length} values instead of the original's ${x.length}; the rewrite does not reproduce the model`, { file });
        }
        let worst = 0;
        let at = -1;
        for (let i = 0; i < x.length; i++) {
          const d = Math.abs(y[i]! - x[i]!) / Math.max(1, Math.abs(x[i]!));
          if (d > worst || Number.isNaN(d)) { worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d; at = i; }
        }
        if (worst > REWRITE_TOLERANCE) {
          throw new InspectorError('attention.rewrite-mismatch', 'failure',
            `${file}: after rewriting ${ops} into primitive ops, output '${name}' differs from the original model's on the first batch by ${worst.toPrecision(3)} at element ${at} (original ${x[at]}, rewritten ${y[at]}; tolerance ${REWRITE_TOLERANCE}); the attention of this model cannot be read faithfully`, { file });
        }
      }
    } finally {
      await session.release();
    }
  }
  if (probeNames.length === 0) return prepared.graph;
  const probes = new Map<string, ProbeTensor>();
  for (const name of probeNames) {
    const t = results[name];
    if (!t) continue;
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(floats(t) ?? []);
    probes.set(name, { dims: t.dims.map(Number), data });
  }
  return confirmSites(prepared.graph, probes, file);
}
