import type { SkipReason, SkippedRow } from './table';

/** How many rows were left out, by reason (the report's `data.skippedRows` and its breakdown). */
export interface SkipSummary {
  readonly skippedRows: number;
  readonly skipReasons: Partial<Record<SkipReason, number>>;
}

/** Counts skipped rows by reason across batches; keeps the first few row numbers per reason for messages. */
export class SkipTally {
  private count = 0;
  private readonly reasons = new Map<SkipReason, number>();
  private readonly examples = new Map<SkipReason, number[]>();

  add(rows: readonly SkippedRow[]): void {
    for (const { row, reason } of rows) {
      this.count++;
      this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
      const ex = this.examples.get(reason) ?? [];
      if (ex.length < 5) ex.push(row);
      this.examples.set(reason, ex);
    }
  }

  get skippedRows(): number {
    return this.count;
  }

  summary(): SkipSummary {
    const skipReasons: Partial<Record<SkipReason, number>> = {};
    for (const [reason, n] of [...this.reasons].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) skipReasons[reason] = n;
    return { skippedRows: this.count, skipReasons };
  }

  /** "12 ragged row (rows 3, 9, ...), 2 missing label (rows 5, 6)". */
  describe(): string {
    return [...this.reasons]
      .map(([reason, n]) => {
        const rows = this.examples.get(reason) ?? [];
        return `${n} ${reason} (row${rows.length > 1 ? 's' : ''} ${rows.join(', ')}${n > rows.length ? ', ...' : ''})`;
      })
      .join(', ');
  }
}
