/**
 * A memo for tokenizers.js's ByteLevel pre-tokenizer (GPT-2 style byte-level BPE: GPT-2, Llama 3,
 * Qwen, the demo LM). That pre-tokenizer splits text with its regex and then maps every piece's
 * UTF-8 bytes to printable characters, building a byte array and a string per piece; for templated
 * prompts it is most of the tokenizer's time (measured: ~6 of ~11 ms for the demo LM's 265 distinct
 * prompts). Pieces repeat across prompts ("answer", " yes", …), so each distinct piece is mapped
 * once per tokenizer and then read from a Map.
 *
 * The replacement computes exactly what tokenizers.js 0.2.0's `ByteLevel.pre_tokenize_text` does
 * (same prefix space, same regex, same byte mapping); test/unit/data/byte-level-memo.test.ts checks
 * ids and tokens against the unpatched library on varied text. A pre-tokenizer whose shape is not
 * the one expected is left as it is.
 */
import { TextEncoder } from 'node:util';

/** The fields of tokenizers.js's ByteLevel pre-tokenizer that its pre_tokenize_text reads. */
interface ByteLevelFields {
  readonly config: { readonly type?: unknown };
  readonly add_prefix_space: boolean;
  readonly use_regex: boolean;
  readonly pattern: RegExp;
  readonly byte_encoder: Readonly<Record<number, string>>;
  readonly text_encoder: TextEncoder;
  pre_tokenize_text: (text: string, options?: unknown) => string[];
}

/** Distinct pieces kept per pre-tokenizer before the memo starts over (bounds its memory). */
const MEMO_LIMIT = 200_000;

/** tokenizers.js's pre-tokenizers are callable objects (functions with fields). */
function isRecord(v: unknown): v is Record<string, unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null;
}

function isByteLevel(v: Record<string, unknown>): v is Record<string, unknown> & ByteLevelFields {
  const config = v['config'];
  return isRecord(config) && config['type'] === 'ByteLevel'
    && typeof v['add_prefix_space'] === 'boolean' && typeof v['use_regex'] === 'boolean'
    && v['pattern'] instanceof RegExp && isRecord(v['byte_encoder'])
    && v['text_encoder'] instanceof TextEncoder && typeof v['pre_tokenize_text'] === 'function';
}

function memoize(pre: ByteLevelFields): void {
  const memo = new Map<string, string>();
  const { byte_encoder: byteEncoder, text_encoder: textEncoder } = pre;
  pre.pre_tokenize_text = function preTokenizeText(this: ByteLevelFields, input: string): string[] {
    const text = this.add_prefix_space && !input.startsWith(' ') ? ` ${input}` : input;
    const pieces = this.use_regex ? text.match(this.pattern) ?? [] : [text];
    const out = new Array<string>(pieces.length);
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      let mapped = memo.get(piece);
      if (mapped === undefined) {
        mapped = Array.from(textEncoder.encode(piece), (byte) => byteEncoder[byte]).join('');
        if (memo.size >= MEMO_LIMIT) memo.clear();
        memo.set(piece, mapped);
      }
      out[i] = mapped;
    }
    return out;
  };
}

/**
 * Memoizes every ByteLevel pre-tokenizer of a tokenizers.js Tokenizer (its `pre_tokenizer`, or
 * the members of a Sequence); returns how many it memoized (0: nothing to do, or an unknown shape).
 */
export function memoizeByteLevel(tokenizer: unknown): number {
  if (!isRecord(tokenizer)) return 0;
  let count = 0;
  const visit = (pre: unknown, depth: number): void => {
    if (!isRecord(pre) || depth > 4) return;
    if (isByteLevel(pre)) {
      memoize(pre);
      count++;
      return;
    }
    const members = pre['tokenizers'];
    if (Array.isArray(members)) for (const member of members) visit(member, depth + 1);
  };
  visit(tokenizer['pre_tokenizer'], 0);
  return count;
}
