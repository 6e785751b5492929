/**
 * Per-row facts of an attention batch (FORMULAS.md §D): each sample's valid length or mask, token
 * labels, span key positions and groups, read from the data batch and the encoded feeds; which
 * positions hold special tokens; and whether the maps look causal.
 */
import { BadInputError } from '../errors';
import { intArrayCell, isIdsMapping, isTextMapping, type EncodedBatch, type ResolvedSpec, type RowBatch } from '../data';
import type { GroupKey } from './aggregate';
import type { AttentionView } from './layout';

/** Token strings that count as special tokens (first-token sinks are counted apart). */
export const SPECIAL_TOKEN = /^(\[(CLS|SEP|PAD|UNK|MASK|BOS|EOS)\]|<\/?s>|<pad>|<unk>|<mask>|<\|[^|]*\|>)$/i;

/** Per-row facts the aggregator needs, read from the batch and the encoded feeds. */
export interface RowFacts {
  readonly rowNumber: number;
  readonly length: number;
  readonly validity: Uint8Array | number;
  readonly tokens: readonly string[] | undefined;
  readonly spans: Record<string, readonly number[] | undefined>;
  readonly groups: GroupKey[];
  readonly group: Record<string, string>;
}

/** A cell's array of strings (a JSON array in a string cell parsed); an array of strings as it is (read only). */
function jsonStrings(cell: unknown): readonly string[] | undefined {
  let value = cell;
  if (typeof value === 'string') {
    try { value = JSON.parse(value); } catch { return undefined; }
  }
  if (!Array.isArray(value)) return undefined;
  return value.every((v) => typeof v === 'string') ? (value as string[]) : value.map((v) => String(v));
}

export function rowFacts(spec: ResolvedSpec, batch: RowBatch, encoded: EncodedBatch, T: number): RowFacts[] {
  const position = new Map<number, number>();
  batch.rowNumbers.forEach((row, i) => position.set(row, i));
  const maskFeed = Object.entries(encoded.feeds).find(([name, t]) => /mask/i.test(name) && t.dims.length === 2 && t.dims[1] === T)?.[1];
  const sequence = Object.entries(spec.inputs).find(([, m]) => isIdsMapping(m) || isTextMapping(m));
  const tokenColumn = spec.attention?.tokens;
  const tokenCells = tokenColumn && batch.has(tokenColumn) ? batch.column(tokenColumn) : undefined;
  const spanColumns = Object.entries(spec.attention?.spans ?? {}).map(([name, column]) => [name, column, batch.has(column) ? batch.column(column) : undefined] as const);
  const idsCells = sequence && isIdsMapping(sequence[1]) ? batch.column(sequence[1].column) : undefined;
  const textTokens = sequence && isTextMapping(sequence[1]) ? encoded.tokens[sequence[0]] : undefined;
  return Array.from({ length: encoded.rowsUsed }, (_, r): RowFacts => {
    const rowNumber = encoded.rowNumbers[r]!;
    const at = position.get(rowNumber) ?? -1;
    const where = `row ${rowNumber} of ${spec.data}`;
    let validity: Uint8Array | number = T;
    let length = T;
    if (maskFeed) {
      const mask = new Uint8Array(T);
      const data = maskFeed.data;
      let n = 0;
      if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
        for (let j = 0; j < T; j++) n += mask[j] = data[r * T + j]! !== 0n ? 1 : 0;
      } else {
        for (let j = 0; j < T; j++) n += mask[j] = Number(data[r * T + j]) !== 0 ? 1 : 0;
      }
      validity = mask;
      length = n;
    } else if (idsCells) {
      const ids = intArrayCell(idsCells[at]);
      if (Array.isArray(ids)) length = Math.min(T, ids.length);
      validity = length;
    } else if (textTokens?.[r]) {
      length = Math.min(T, textTokens[r]!.length);
      validity = length;
    }
    const tokens = tokenCells ? jsonStrings(tokenCells[at]) : textTokens?.[r]?.slice();
    const spans: Record<string, readonly number[] | undefined> = {};
    for (const [name, column, cells] of spanColumns) {
      if (!cells) throw new BadInputError('missing-column', `${spec.data}: no column "${column}" (field "attention.spans.${name}" of ${spec.specPath || 'the spec'})`, { file: spec.data });
      const value = intArrayCell(cells[at]);
      if (value === 'invalid') throw new BadInputError('attention.span-cell', `${where}, column "${column}": expected a JSON array of integer key positions`, { file: spec.data });
      spans[name] = value === null ? undefined : value.filter((p) => p < T);
    }
    const group: Record<string, string> = {};
    for (const column of spec.groups) {
      const v = encoded.groups[column]?.[r];
      if (v !== null && v !== undefined) group[column] = v;
    }
    const keys = Object.keys(group);
    const groups: GroupKey[] = keys.map((k) => ({ [k]: group[k]! }));
    // An intersection names every sensitive column (FORMULAS.md §B): a row with a missing value
    // joins its columns' groups but no intersection, not a partial one over the columns it has.
    if (spec.groups.length > 1 && keys.length === spec.groups.length) groups.push({ ...group });
    return { rowNumber, length, validity, tokens, spans, groups, group };
  });
}

/** Per position: the token is special (SPECIAL_TOKEN); `seen` caches the test per token string. */
export function specialMask(tokens: readonly string[] | undefined, T: number, seen: Map<string, number>): Uint8Array | undefined {
  if (!tokens) return undefined;
  const out = new Uint8Array(T);
  for (let j = 0; j < Math.min(T, tokens.length); j++) {
    const token = tokens[j]!;
    let special = seen.get(token);
    if (special === undefined) {
      special = SPECIAL_TOKEN.test(token) ? 1 : 0;
      if (seen.size < 100_000) seen.set(token, special);
    }
    out[j] = special;
  }
  return out;
}

/** Every map's strictly upper triangle (over valid positions) is ~0: the model attends causally. */
export function looksCausal(views: readonly AttentionView[], facts: readonly RowFacts[]): boolean {
  let checked = 0;
  for (const view of views) {
    const T = view.seqLen;
    for (let b = 0; b < view.batch; b++) {
      const n = typeof facts[b]?.validity === 'number' ? (facts[b]!.validity as number) : T;
      if (n < 2) continue;
      for (let h = 0; h < view.heads; h++) {
        const map = view.map(b, h);
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (map[i * T + j]! > 1e-6) return false;
        checked++;
      }
    }
  }
  return checked > 0;
}

/** Feeds restricted to one row of a batch (for the too-long check and the per-sample view). */
export class SingleRowBatch implements RowBatch {
  readonly length = 1;
  readonly firstRow: number;
  readonly rowNumbers: Uint32Array;
  readonly skipped = [];
  constructor(private readonly batch: RowBatch, private readonly at: number) {
    this.firstRow = batch.rowNumbers[at]!;
    this.rowNumbers = Uint32Array.of(this.firstRow);
  }
  has(name: string): boolean { return this.batch.has(name); }
  column(name: string): readonly unknown[] { return [this.batch.column(name)[this.at]]; }
}
