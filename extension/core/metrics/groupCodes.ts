/**
 * Turns group values (strings, null = missing) into the integer codes the metrics builder takes,
 * with one append-only dictionary per sensitive column.
 */
export class GroupCoder {
  private readonly dictionaries: string[][];
  private readonly index: Map<string, number>[];

  constructor(readonly columns: readonly string[]) {
    this.dictionaries = columns.map(() => []);
    this.index = columns.map(() => new Map());
  }

  /** Codes per column for one batch; −1 for a missing value. */
  encode(values: Readonly<Record<string, readonly (string | null)[]>>, rows: number): Int32Array[] {
    return this.columns.map((column, c) => {
      const codes = new Int32Array(rows);
      const source = values[column] ?? [];
      const index = this.index[c] as Map<string, number>;
      const dictionary = this.dictionaries[c] as string[];
      for (let i = 0; i < rows; i++) {
        const value = source[i];
        if (value === null || value === undefined) { codes[i] = -1; continue; }
        let code = index.get(value);
        if (code === undefined) {
          code = dictionary.length;
          dictionary.push(value);
          index.set(value, code);
        }
        codes[i] = code;
      }
      return codes;
    });
  }

  get values(): readonly (readonly string[])[] {
    return this.dictionaries;
  }
}
