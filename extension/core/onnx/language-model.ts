/**
 * How to feed a decoder language model (FORMULAS.md §H): which graph inputs are the token ids,
 * the attention mask, the positions and the `past_key_values.*` cache (fed with a past length
 * of 0), which output holds the logits [B, T, V], and the model's context when the graph says
 * it (a fixed sequence axis, or the row count of the position table that `position_ids` index).
 */
import { BadInputError } from '../errors';
import type { ModelProto } from './proto';
import { consumers } from './graph';

/** A graph input or output as the summary describes it: symbolic dims are strings, unknown null. */
export interface LmValueInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly (number | string | null)[] | null;
}

export type IdsDtype = 'int64' | 'int32';

export interface PastInput {
  readonly name: string;
  readonly dtype: 'float32' | 'float16';
  /** Dims with the batch axis as −1 and the past length as 0. */
  readonly dims: readonly number[];
}

export interface LanguageModelFeeds {
  readonly logits: string;
  /** The vocabulary axis when the graph fixes it. */
  readonly vocab: number | null;
  readonly ids: { readonly name: string; readonly dtype: IdsDtype };
  readonly mask?: { readonly name: string; readonly dtype: IdsDtype | 'float32' };
  readonly positions?: { readonly name: string; readonly dtype: IdsDtype };
  readonly past: readonly PastInput[];
  /** Boolean inputs such as `use_cache_branch`, fed false (no cache is used). */
  readonly flags: readonly string[];
  /** The context in tokens and where it was read (null when the graph does not say). */
  readonly context: { readonly tokens: number; readonly source: string } | null;
}

const MASK = /(^|[._])(attention_)?mask$/i;
const POSITIONS = /position_ids$|^positions?$/i;
const PAST = /^past_key_values[._]|^past[._]/i;
const FLAG = /use_cache/i;

function idsDtype(v: LmValueInfo, file: string): IdsDtype {
  if (v.dtype === 'int64' || v.dtype === 'int32') return v.dtype;
  throw new BadInputError('lm.input-dtype', `${file}: input "${v.name}" is ${v.dtype}; token ids and positions must be int64 or int32`, { file });
}

function shapeText(shape: LmValueInfo['shape']): string {
  return shape === null ? 'unknown' : `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/**
 * Reads the graph's inputs and the logits output; throws BadInputError naming the input or
 * output that does not fit a decoder language model.
 */
export function languageModelFeeds(
  model: ModelProto, inputs: readonly LmValueInfo[], outputs: readonly LmValueInfo[], output: string, file: string,
): LanguageModelFeeds {
  const out = outputs.find((o) => o.name === output);
  if (!out) throw new BadInputError('spec.output', `${file}: the model has no output "${output}" (outputs: ${outputs.map((o) => o.name).join(', ')})`, { file });
  if (out.shape !== null && out.shape.length !== 3) {
    throw new BadInputError('lm.no-vocab-axis', `${file}: output "${output}" has shape ${shapeText(out.shape)}: a language model's logits are [batch, sequence, vocabulary]; this output has no vocabulary axis (name the logits with "output", or use outputKind "logits" for a classifier)`, { file });
  }
  const vocabDim = out.shape?.[2];
  const vocab = typeof vocabDim === 'number' ? vocabDim : null;

  let ids: LanguageModelFeeds['ids'] | undefined;
  let mask: LanguageModelFeeds['mask'];
  let positions: LanguageModelFeeds['positions'];
  const past: PastInput[] = [];
  const flags: string[] = [];
  const unknown: string[] = [];
  let idsShape: LmValueInfo['shape'] = null;
  for (const v of inputs) {
    if (PAST.test(v.name)) {
      past.push(pastInput(v, file));
    } else if (MASK.test(v.name)) {
      mask = { name: v.name, dtype: v.dtype === 'float32' ? 'float32' : idsDtype(v, file) };
    } else if (POSITIONS.test(v.name)) {
      positions = { name: v.name, dtype: idsDtype(v, file) };
    } else if (FLAG.test(v.name) && v.dtype === 'bool') {
      flags.push(v.name);
    } else if (!ids && (v.name === 'input_ids' || /ids$/i.test(v.name))) {
      ids = { name: v.name, dtype: idsDtype(v, file) };
      idsShape = v.shape;
    } else {
      unknown.push(`"${v.name}" (${v.dtype} ${shapeText(v.shape)})`);
    }
  }
  if (!ids) {
    throw new BadInputError('lm.no-input-ids', `${file}: no token-id input (looked for "input_ids" or a name ending in "ids"; inputs: ${inputs.map((v) => v.name).join(', ')})`, { file });
  }
  if (unknown.length > 0) {
    throw new BadInputError('lm.unknown-input', `${file}: the probes feed input_ids, an attention mask, position ids and past_key_values.* (past length 0); they cannot fill input ${unknown.join(', ')}`, { file });
  }
  return { logits: output, vocab, ids, ...(mask ? { mask } : {}), ...(positions ? { positions } : {}), past, flags, context: contextOf(model, idsShape, positions?.name) };
}

/** A past input's dims: batch first (−1), the one axis the graph does not fix is the past length (0). */
function pastInput(v: LmValueInfo, file: string): PastInput {
  if (v.dtype !== 'float32' && v.dtype !== 'float16') {
    throw new BadInputError('lm.past-dtype', `${file}: input "${v.name}" is ${v.dtype}; past_key_values inputs are float32 or float16`, { file });
  }
  const shape = v.shape;
  if (shape === null || shape.length < 2) {
    throw new BadInputError('lm.past-shape', `${file}: input "${v.name}" has shape ${shapeText(shape)}: cannot feed it with a past length of 0 (expected [batch, heads, past, head size])`, { file });
  }
  const open = shape.map((d, i) => (i > 0 && typeof d !== 'number' ? i : -1)).filter((i) => i >= 0);
  if (open.length !== 1) {
    throw new BadInputError('lm.past-shape', `${file}: input "${v.name}" has shape ${shapeText(shape)}: ${open.length === 0 ? 'no axis is left for the past length' : `${open.length} axes are not fixed, so the past-length axis is ambiguous`}; a past of length 0 needs every other axis fixed`, { file });
  }
  return { name: v.name, dtype: v.dtype, dims: shape.map((d, i) => (i === 0 ? -1 : i === open[0] ? 0 : (d as number))) };
}

const PASS_THROUGH = new Set(['Cast', 'Reshape', 'Unsqueeze', 'Squeeze', 'Identity', 'Flatten']);

/**
 * The context: a fixed sequence axis of the ids input, else the row count of an initializer
 * table that a Gather indexes with the positions input (through casts and reshapes).
 */
function contextOf(model: ModelProto, idsShape: LmValueInfo['shape'], positions: string | undefined): LanguageModelFeeds['context'] {
  const fixed = idsShape?.[1];
  if (typeof fixed === 'number' && fixed > 0) return { tokens: fixed, source: 'the fixed sequence axis of the token-id input' };
  const graph = model.graph;
  if (!positions || !graph) return null;
  const readers = consumers(graph);
  const tables = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
  let frontier = [positions];
  for (let hop = 0; hop < 4 && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const name of frontier) {
      for (const { node } of readers.get(name) ?? []) {
        if (node.opType === 'Gather' && node.input[1] === name) {
          const table = tables.get(node.input[0] ?? '');
          const rows = table?.dims[0];
          if (table && rows !== undefined && Number(rows) > 0) return { tokens: Number(rows), source: `the position table "${table.name ?? ''}" (${Number(rows)} rows)` };
        } else if (PASS_THROUGH.has(node.opType ?? '') && node.input[0] === name) {
          next.push(...node.output);
        }
      }
    }
    frontier = next;
  }
  return null;
}
