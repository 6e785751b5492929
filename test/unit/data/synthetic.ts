/**
 * Synthetic tables for the spec-suggestion tests: seeded column generators, and the table of
 * issue #16 (`id, age, income, hours, tenure, debt, sex, race, region, label`).
 */

import { seededRandom as rng } from '../../../extension/core/runtime/forward';

/** Cell text of one column for row `i` (0-based). */
export type ColumnGen = (i: number, random: () => number) => string;

export const gen = {
  /** 1, 2, 3, ... */
  counter: (): ColumnGen => (i) => String(i + 1),
  /** A shuffled permutation of 1000 + i (unique per row, not monotonic). */
  shuffledIds: (rows: number, seed: number): ColumnGen => {
    const r = rng(seed);
    const ids = Array.from({ length: rows }, (_, i) => 1000 + i);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    return (i) => String(ids[i]);
  },
  int: (lo: number, hi: number): ColumnGen => (_i, r) => String(lo + Math.floor(r() * (hi - lo + 1))),
  real: (lo: number, hi: number, digits = 2): ColumnGen => (_i, r) => (lo + r() * (hi - lo)).toFixed(digits),
  pick: (...values: string[]): ColumnGen => (_i, r) => values[Math.floor(r() * values.length)]!,
  text: (): ColumnGen => {
    const words = ['the', 'service', 'was', 'slow', 'but', 'friendly', 'and', 'food', 'great', 'never', 'again', 'loved', 'it'];
    return (_i, r) => Array.from({ length: 6 + Math.floor(r() * 8) }, () => words[Math.floor(r() * words.length)]).join(' ');
  },
  tokenIds: (): ColumnGen => (_i, r) => JSON.stringify(Array.from({ length: 3 + Math.floor(r() * 5) }, () => 1 + Math.floor(r() * 90))),
};

/** CSV text of `rows` rows with these columns (in this order); cells quoted when they need it. */
export function csvOf(columns: readonly (readonly [string, ColumnGen])[], rows: number, seed: number): string {
  const random = rng(seed);
  const quote = (c: string): string => (/[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c);
  const lines = [columns.map(([n]) => n).join(',')];
  for (let i = 0; i < rows; i++) lines.push(columns.map(([, g]) => quote(g(i, random))).join(','));
  return `${lines.join('\n')}\n`;
}

/** The columns of issue #16, in the issue's order (label 0/1). */
export function issueColumns(): [string, ColumnGen][] {
  return [
    ['id', gen.counter()],
    ['age', gen.int(18, 80)],
    ['income', gen.real(8000, 160000, 2)],
    ['hours', gen.int(5, 70)],
    ['tenure', gen.real(0, 30, 1)],
    ['debt', gen.real(0, 50000, 2)],
    ['sex', gen.pick('F', 'M')],
    ['race', gen.pick('A', 'B', 'C', 'D')],
    ['region', gen.pick('north', 'south', 'east', 'west', 'centre')],
    ['label', gen.pick('0', '1')],
  ];
}

/** A seeded shuffle of a list (a copy). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const r = rng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
