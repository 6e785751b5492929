/** Terminal rendering of an attention report: per-head table, top heads by group difference, biases. */
import type { AttentionReport } from '../protocol/attention';
import { formatRuntime, table } from './format';
import { groupLabel } from './formatGroups';

const num = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : String(v));

export function formatAttentionReport(report: AttentionReport): string {
  const a = report.attention;
  const lines: string[] = [];
  lines.push(`Attention: ${report.model.path} on ${report.data.path}`);
  lines.push(`  ${a.samples} samples (${report.data.skippedRows} rows skipped), ${a.layers} layers × ${a.heads} heads, layout ${a.layout}${a.causal ? ', causal' : ''}, ${formatRuntime(report.runtime)}`);
  lines.push(`  row sums: worst |Σp − 1| = ${a.rowSums.maxDeviation.toExponential(2)} over ${a.rowSums.rows} checked rows${a.rowSums.where ? ` (${a.rowSums.where})` : ''}`);
  const spanNames = a.spans;
  const special = a.perHead.some((h) => h.specialTokenMass !== undefined);
  lines.push('', 'Per head (entropy in nats; masses are mean attention per query row):');
  lines.push(indent(table([
    ['layer', 'head', 'entropy', 'first-token', ...(special ? ['special'] : []), ...spanNames.map((s) => `span ${s}`)],
    ...a.perHead.map((h) => [String(h.layer), String(h.head), num(h.entropy), num(h.firstTokenMass), ...(special ? [num(h.specialTokenMass ?? Number.NaN)] : []), ...spanNames.map((s) => num(h.spanMass[s] ?? Number.NaN))]),
  ])));
  if (a.ranking.length > 0) {
    lines.push('', `Heads by group difference (top ${Math.min(5, a.ranking.length)}; groups of ${a.sensitive.join(', ')}):`);
    lines.push(indent(table([
      ['layer', 'head', 'map diff', 'span diff', 'entropy diff', 'between'],
      ...a.ranking.slice(0, 5).map((r) => [String(r.layer), String(r.head), num(r.mapDifference), num(r.spanMassDifference), num(r.entropyDifference), `${groupLabel(r.groups[0])} vs ${groupLabel(r.groups[1])}`]),
    ])));
  }
  const small = a.byGroup.filter((g) => g.small);
  if (small.length > 0) lines.push(`  groups below ${a.minGroupSize} samples: ${small.map((g) => `${groupLabel(g.group)} (${g.samples})`).join(', ')}`);
  if (a.bias && a.bias.length > 0) {
    lines.push('', `Additive attention biases (evaluated at T = ${a.biasMatrices?.T ?? '?'}; rank = 99.5% of the energy):`);
    lines.push(indent(table([
      ['layer', 'head', 'kind', 'rank', 'slope', 'energy@1'],
      ...a.bias.map((b) => [String(b.layer), String(b.head), b.kind, String(b.rank), b.slope === undefined ? '' : b.slope.toPrecision(4), num(b.energy[0] ?? Number.NaN)]),
    ])));
  } else {
    lines.push('', 'Additive attention biases: none (only masks)');
  }
  for (const s of a.sources) lines.push(`  layer ${s.layer}: ${s.node}${s.biasNode ? `; bias ${s.biasNode}` : ''}${s.maskNode ? `; mask ${s.maskNode}` : ''}`);
  return lines.join('\n');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}
