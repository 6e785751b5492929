/**
 * The report's `attention` section from a finished aggregate: DESIGN.md §4 keys first, mean and
 * difference maps cropped to the window and stored as base64 float32 (protocol/attention.ts).
 */
import type { AttentionAggregate } from './aggregate';
import { base64 } from './session';
import type { AttentionBiasEntry, AttentionBiasMatrices, AttentionHeadMatrix, AttentionMaps, AttentionSection } from '../../protocol/attention';

function crop(map: Float32Array | Float64Array, from: number, to: number): Float32Array {
  const out = new Float32Array(to * to);
  for (let i = 0; i < to; i++) for (let j = 0; j < to; j++) out[i * to + j] = map[i * from + j]!;
  return out;
}

function encodeMaps(maps: readonly Float32Array[], heads: number, from: number, to: number): AttentionHeadMatrix[] {
  return maps.map((m, hd) => ({ layer: Math.floor(hd / heads), head: hd % heads, data: base64(crop(m, from, to)) }));
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
