/**
 * Which positions of one sample's sequence take part in attention statistics: the valid (non-pad)
 * tokens, the named spans of key positions and the special-token keys. Resolved once per sample
 * and shared by every layer and head of it.
 */
import { BadInputError } from '../errors';

/**
 * The real tokens of a sequence of length T: a valid length n (right padding: positions 0..n−1),
 * or a mask of length T whose non-zero / `true` entries are real tokens (any padding side).
 * `undefined` means every position is real.
 */
export type Validity = number | Uint8Array | readonly boolean[];

/** A sample's positions, resolved against its sequence length T. All lists are sorted and unique. */
export interface ResolvedPositions {
  /** Sequence length (maps are T×T). */
  readonly T: number;
  /** Valid token positions; queries and keys outside it are excluded everywhere. */
  readonly valid: Int32Array;
  /** `valid` is one run start..start+length−1 (left or right padding), which enables the fast loops. */
  readonly contiguous: boolean;
  /** Per named span (in the caller's span order): its valid key positions; undefined = not given or empty. */
  readonly spans: readonly (Int32Array | undefined)[];
  /** Valid special-token key positions; undefined when no special mask was given. */
  readonly special: Int32Array | undefined;
  /** Causal rows: the keys of query i are the valid positions j ≤ i. */
  readonly causal: boolean;
}

/** What a caller knows about one sample besides its maps. */
export interface PositionInputs {
  readonly validity?: Validity | undefined;
  /** Key positions per span, in a fixed span order; undefined entry = span absent from this sample. */
  readonly spans?: readonly (readonly number[] | undefined)[];
  /** Per position: non-zero / true = special token (CLS, SEP, BOS, …). */
  readonly special?: Uint8Array | readonly boolean[] | undefined;
  readonly causal?: boolean;
  /** Named in error messages, e.g. "row 17 of data.csv". */
  readonly where?: string;
}

/** Resolves a sample's validity, spans and special mask against its length T; throws BadInputError on bad positions. */
export function resolvePositions(T: number, inputs: PositionInputs = {}): ResolvedPositions {
  const where = inputs.where === undefined ? '' : ` (${inputs.where})`;
  const valid = validPositions(T, inputs.validity, where);
  const isValid = new Uint8Array(T);
  for (const p of valid) isValid[p] = 1;
  const spans = (inputs.spans ?? []).map((span, s) => {
    if (span === undefined) return undefined;
    const list = intersect(span, isValid, T, `span #${s}${where}`);
    return list.length === 0 ? undefined : list;
  });
  let special: Int32Array | undefined;
  if (inputs.special !== undefined) {
    if (inputs.special.length !== T) {
      throw new BadInputError('attention-special-length', `special-token mask has length ${inputs.special.length}, expected the sequence length ${T}${where}`);
    }
    const positions: number[] = [];
    for (let j = 0; j < T; j++) if (inputs.special[j] && isValid[j]) positions.push(j);
    special = Int32Array.from(positions);
  }
  const first = valid[0] ?? 0;
  const contiguous = valid.length === 0 || valid[valid.length - 1] === first + valid.length - 1;
  return { T, valid, contiguous, spans, special, causal: inputs.causal ?? false };
}

function validPositions(T: number, validity: Validity | undefined, where: string): Int32Array {
  if (validity === undefined) return Int32Array.from({ length: T }, (_, i) => i);
  if (typeof validity === 'number') {
    if (!Number.isInteger(validity) || validity < 0 || validity > T) {
      throw new BadInputError('attention-valid-length', `valid length ${validity} is not an integer in [0, ${T}]${where}`);
    }
    return Int32Array.from({ length: validity }, (_, i) => i);
  }
  if (validity.length !== T) {
    throw new BadInputError('attention-mask-length', `attention mask has length ${validity.length}, expected the sequence length ${T}${where}`);
  }
  const out: number[] = [];
  for (let j = 0; j < T; j++) if (validity[j]) out.push(j);
  return Int32Array.from(out);
}

function intersect(span: readonly number[], isValid: Uint8Array, T: number, what: string): Int32Array {
  const seen = new Uint8Array(T);
  for (const p of span) {
    if (!Number.isInteger(p) || p < 0 || p >= T) {
      throw new BadInputError('attention-span-position', `${what}: position ${p} is outside the sequence [0, ${T - 1}]`);
    }
    if (isValid[p]) seen[p] = 1;
  }
  const out: number[] = [];
  for (let j = 0; j < T; j++) if (seen[j]) out.push(j);
  return Int32Array.from(out);
}
