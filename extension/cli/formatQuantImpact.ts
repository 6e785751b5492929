/** Plain-text rendering of the quantization impact, sensitivity and checkpoint comparison. */
import type { QuantCheckpoint, QuantImpact, QuantSensitivity } from '../protocol/quant';
import { table } from './format';
import { num } from './formatQuant';

const groupLabel = (g: Readonly<Record<string, string>> | null): string => (g === null ? '-' : Object.entries(g).map(([k, v]) => `${k}=${v}`).join(', '));
const indent = (text: string): string => text.split('\n').map((l) => `  ${l}`).join('\n');

/** Per format: agreement, KL, loss and accuracy deltas, flips and the worst group by loss delta. */
export function formatImpact(impact: readonly QuantImpact[]): string {
  const rows = impact[0]?.count ?? 0;
  const lines = [`Model-level impact vs FP32 (${rows.toLocaleString('en-US')} samples; KL and loss in nats; FORMULAS.md §C):`];
  lines.push(indent(table([
    ['format', 'agreement', 'KL', 'loss delta', 'acc delta', 'flips', 'worst group (loss delta)', 'its delta'],
    ...impact.map((i) => [i.label, num(i.agreement, 6), num(i.kl), num(i.lossDelta), num(i.accuracyDelta), String(i.flips.total), groupLabel(i.worstGroup), num(i.worstGroupLossDelta)]),
  ])));
  return lines.join('\n');
}

/** The top layers by worst-group damage and the mixed-precision suggestion. */
export function formatSensitivity(s: QuantSensitivity, top = 10): string {
  const lines = [`Layer sensitivity in ${s.format} (${s.rows.toLocaleString('en-US')} rows; each layer quantized alone), most damaging first:`];
  lines.push(indent(table([
    ['tensor', 'op', 'nodes', 'KL', 'loss delta', 'worst group', 'its delta'],
    ...s.layers.slice(0, top).map((l) => [l.tensor, l.op ?? '-', l.nodes.join(' ') || '-', num(l.kl), num(l.lossDelta), groupLabel(l.worstGroup), num(l.worstGroupLossDelta)]),
  ])));
  if (s.layers.length > top) lines.push(`  … ${s.layers.length - top} more (--json for all)`);
  const m = s.suggestion.measured;
  lines.push(`All ${s.layers.length} layers in ${s.format}: worst-group loss delta ${num(s.all.worstGroupLossDelta)}, KL ${num(s.all.kl)}, agreement ${num(s.all.agreement, 6)}`);
  lines.push(`Suggestion (budget ${s.budget}): keep ${s.suggestion.keepTensors.length} layer(s) at full precision -> measured worst-group loss delta ${num(m.worstGroupLossDelta)} (${s.suggestion.metBudget ? 'meets' : 'does NOT meet'} the budget), KL ${num(m.kl)}, agreement ${num(m.agreement, 6)}`);
  lines.push(`  nodes_to_exclude: ${JSON.stringify(s.suggestion.nodesToExclude)}`);
  return lines.join('\n');
}

/** Matched tensors' errors and the unmatched ones. */
export function formatCheckpoint(c: QuantCheckpoint): string {
  const lines = [`Quantized checkpoint (${c.style}) vs float model ${c.float}: ${c.tensors.length} weight(s) matched`];
  lines.push(indent(table([
    ['float tensor', 'quantized', 'op', 'dtype', 'axis', 'SQNR dB', 'rel_fro', 'max_abs', 'cosine'],
    ...c.tensors.map((t) => [t.name, t.quantized, t.op, t.dtype, t.axis === null ? '-' : String(t.axis), num(t.sqnr_db), num(t.rel_fro), num(t.max_abs), num(t.cosine, 6)]),
  ])));
  for (const u of c.unmatched.float) lines.push(`  unmatched float ${u.name}: ${u.reason}`);
  for (const u of c.unmatched.quantized) lines.push(`  unmatched quantized ${u.name}: ${u.reason}`);
  return lines.join('\n');
}
