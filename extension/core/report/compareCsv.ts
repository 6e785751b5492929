/** CSV of a comparison: one row per group and metric (A, B, Δ, interval), with flips and the test. */
import type { CompareSection } from '../../protocol/compare';

const cell = (v: unknown): string => {
  const s = v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? '' : String(v);
  // a text cell that a spreadsheet would run as a formula is prefixed with ' (numbers are left alone)
  const safe = typeof v === 'string' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export function compareCsv(s: CompareSection): string {
  const columns = s.sensitive;
  const header = ['level', ...columns, 'count', 'metric', 'a', 'b', 'delta', 'ci_low', 'ci_high', 'flips', 'fixed', 'broken', 'mcnemar_p', 'bh_q', 'verdict', 'small'];
  const lines = [header.map(cell).join(',')];
  for (const g of s.byGroup) {
    const key = columns.map((c) => (g.group === 'overall' ? '' : (g.group[c] ?? '')));
    for (const [metric, m] of Object.entries(g.metrics)) {
      lines.push([g.level, ...key, g.count, metric, m.a, m.b, m.delta, m.ci?.[0], m.ci?.[1], g.flips.count, g.flips.fixed, g.flips.broken, g.mcnemar.p, g.mcnemar.q, g.verdict, g.small ? 'true' : ''].map(cell).join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
