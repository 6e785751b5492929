/** Plain-text rendering of the quantization section for the terminal. */
import type { QuantizationSection, QuantSkipCode } from '../protocol/quant';
import { table } from './format';

/** A metric with a fixed number of significant digits; non-finite values as words. */
export function num(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return Number(x.toPrecision(digits)).toString();
}

const db = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : num(x));

const SKIP_LABELS: Record<QuantSkipCode, string> = {
  'too-small': 'below the minimum size',
  'not-float': 'not float',
  'non-finite': 'all NaN/Inf',
  unreadable: 'unreadable',
};

/**
 * The human-readable report: a per-format summary, then per format the `top` tensors with the
 * lowest SQNR (worst first), then what was skipped and why.
 */
export function formatQuantization(path: string, s: QuantizationSection, top: number): string {
  const lines: string[] = [];
  const elements = s.tensorInfo.reduce((sum, t) => sum + t.elements, 0);
  lines.push(path);
  lines.push(`  ${s.tensorInfo.length} weight tensors (${elements.toLocaleString('en-US')} values) x ${s.formats.length} formats; ${s.skipped.length} tensors skipped; minimum size ${s.settings.minElements}, MX rounding ${s.settings.mxRounding}`);
  lines.push('', 'Per format (SQNR in dB; higher is better):');
  lines.push(indent(table([
    ['format', 'mean SQNR', 'worst SQNR', 'worst tensor', 'MSE (all weights)'],
    ...s.summaryByFormat.map((f) => [f.format, db(f.meanSqnrDb), db(f.worstSqnrDb), f.worstTensor, num(f.totalMse)]),
  ])));
  const info = new Map(s.tensorInfo.map((t) => [t.name, t]));
  for (const format of s.formats) {
    const rows = s.tensors.filter((t) => t.format === format).sort((a, b) => a.sqnr_db - b.sqnr_db || a.name.localeCompare(b.name));
    const shown = rows.slice(0, top);
    lines.push('', `${format}: ${shown.length === rows.length ? `all ${rows.length} tensors` : `worst ${shown.length} of ${rows.length} tensors (--all for every tensor)`}, worst first`);
    lines.push(indent(table([
      ['tensor', 'shape', 'op', 'SQNR dB', 'rel_fro', 'max_abs', 'cosine'],
      ...shown.map((t) => {
        const i = info.get(t.name);
        return [t.name, i ? `[${i.shape.join(', ')}]` : '', i?.op ?? '-', db(t.sqnr_db), num(t.rel_fro), num(t.max_abs), num(t.cosine, 6)];
      }),
    ])));
  }
  const notes = s.tensorInfo.flatMap((t) => [
    ...(t.nonFinite > 0 ? [`${t.name}: ${t.nonFinite} NaN/Inf values excluded from the metrics`] : []),
    ...t.axisConflicts.map((c) => `${t.name}: also read by ${c.op} '${c.node}' (input ${c.inputIndex}) with other axes; the axes of ${t.op ?? '?'} '${t.node}' were used`),
  ]);
  if (notes.length > 0) lines.push('', 'Notes:', ...notes.map((n) => `  ${n}`));
  if (s.skipped.length > 0) {
    const counts = new Map<QuantSkipCode, number>();
    for (const k of s.skipped) counts.set(k.code, (counts.get(k.code) ?? 0) + 1);
    lines.push('', `Skipped: ${[...counts].map(([code, n]) => `${n} ${SKIP_LABELS[code]}`).join(', ')}`);
    for (const k of s.skipped.filter((x) => x.code === 'unreadable' || x.code === 'non-finite')) lines.push(`  ${k.name}: ${k.reason}`);
  }
  return lines.join('\n');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}
