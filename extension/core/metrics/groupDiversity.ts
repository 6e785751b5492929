/**
 * The groups section's `diversity` block (FORMULAS.md A.4): feature-diversity statistics over
 * all rows, per intersection and per column value, from the per-row v̂ normalised once over the
 * whole evaluated dataset.
 */
import { diversityStats, type normaliseVariances } from './diversity';
import type { Layout } from './groupLayout';
import { bucketRows, type RowStore } from './rowStore';
import type { DiversitySection, DiversityStats, GroupKey } from '../../protocol/groups';

export interface DiversityOptions {
  readonly tau: number;
  readonly alpha: number;
  readonly beta: number;
  readonly sensitive: readonly string[];
  /** Number of intersection slots and, per column, its dictionary size. */
  readonly slots: number;
  readonly dictionarySizes: readonly number[];
}

export function diversitySection(r: RowStore, norm: ReturnType<typeof normaliseVariances>, layout: Layout, o: DiversityOptions): DiversitySection {
  const n = r.n;
  const correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) correct[i] = r.label[i] === r.pred[i] ? 1 : 0;
  const ce = r.loss.subarray(0, n);
  const opts = { tau: o.tau, alpha: o.alpha, beta: o.beta };
  const stats = (rows?: Int32Array): DiversityStats => diversityStats(norm.vHat, ce, correct, rows, opts);
  const bySlot = bucketRows(r.slot.subarray(0, n), o.slots);
  const byGroup = layout.slotOrder.map((s, g) => ({ group: layout.slotKeys[g] as GroupKey, ...stats(bySlot[s]) }));
  const byColumn = layout.columnOrder.map((codes, c) => {
    const buckets = bucketRows((r.codes[c] as Int32Array).subarray(0, n), o.dictionarySizes[c] as number);
    const keys = layout.columnKeys[c] as GroupKey[];
    return { column: o.sensitive[c] as string, byGroup: codes.map((code, g) => ({ group: keys[g] as GroupKey, ...stats(buckets[code]) })) };
  });
  return { ...opts, min: norm.min, max: norm.max, degenerate: norm.degenerate, overall: stats(), byGroup, byColumn };
}
