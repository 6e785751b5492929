/**
 * Loads a Hugging Face `tokenizer.json` with `@huggingface/tokenizers` and encodes text with
 * truncation that keeps a trailing special token (e.g. [SEP]) as the Rust library does.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { BadInputError, fsCause } from '../errors';
import { memoizeByteLevel } from './byteLevelMemo';

export interface TokenEncoder {
  /** Pad id: the tokenizer's `padding.pad_id`, else its [PAD]/<pad> token, else 0. */
  readonly padId: number;
  /** Token ids and token strings of one text, at most `maxLength` long. */
  encode(text: string, maxLength: number | undefined): { ids: number[]; tokens: string[] };
  /** Token ids of one text, untruncated; `special` false leaves out the post-processor's special tokens. */
  ids(text: string, special: boolean): number[];
  /** Id of the unknown token (the model's `unk_token`), when it has one. */
  readonly unkId: number | undefined;
  /** Size of the vocabulary with added tokens (largest id + 1). */
  readonly vocabSize: number;
  /** The length the tokenizer truncates to (`truncation.max_length`, else the config's `model_max_length`), if any. */
  readonly maxLength: number | undefined;
}

/**
 * Reads `tokenizer.json` (and `tokenizer_config.json` beside it, when present).
 * tokenizers.js reads a WordLevel model's unk token from the config only, so the model's own
 * `unk_token` is copied there when the config does not set one.
 */
export async function loadTokenizer(path: string): Promise<TokenEncoder> {
  const json = (await readJson(path, true)) ?? {};
  const config = (await readJson(join(dirname(path), 'tokenizer_config.json'), false)) ?? {};
  const model = json['model'];
  if (isRecord(model) && typeof model['unk_token'] === 'string' && config['unk_token'] === undefined) {
    config['unk_token'] = model['unk_token'];
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (err) {
    throw new BadInputError('bad-tokenizer', `${path}: cannot build a tokenizer from it (${err instanceof Error ? err.message : String(err)})`, { file: path, cause: err });
  }
  // Byte-level BPE maps each distinct regex piece once (byteLevelMemo.ts: same output).
  memoizeByteLevel(tokenizer);
  const special = new Set<number>();
  for (const [id, token] of tokenizer.get_added_tokens_decoder()) if (token.special) special.add(id);
  const padding = json['padding'];
  const padId = isRecord(padding) && typeof padding['pad_id'] === 'number'
    ? padding['pad_id']
    : tokenizer.token_to_id('[PAD]') ?? tokenizer.token_to_id('<pad>') ?? 0;

  let vocabSize = 0;
  for (const id of tokenizer.get_vocab(true).values()) if (id + 1 > vocabSize) vocabSize = id + 1;
  const truncation = json['truncation'];
  const configMax = config['model_max_length'];
  const maxLength = isRecord(truncation) && typeof truncation['max_length'] === 'number' ? truncation['max_length']
    : typeof configMax === 'number' && configMax > 0 && configMax < 1e9 ? configMax : undefined;

  const unk = config['unk_token'];
  const unkId = typeof unk === 'string' ? tokenizer.token_to_id(unk) ?? undefined : undefined;
  return {
    padId,
    unkId,
    vocabSize,
    maxLength,
    ids(text, special) {
      const encoding = tokenizer.encode(text, { add_special_tokens: special });
      const unknown = encoding.ids.findIndex((id) => typeof id !== 'number');
      if (unknown >= 0) {
        throw new BadInputError('bad-tokenizer', `${path}: token "${encoding.tokens[unknown] ?? ''}" has no id and the tokenizer has no unk_token`, { file: path });
      }
      return encoding.ids;
    },
    encode(text, maxLength) {
      const encoding = tokenizer.encode(text);
      let ids = encoding.ids;
      let tokens = encoding.tokens;
      const unknown = ids.findIndex((id) => typeof id !== 'number');
      if (unknown >= 0) {
        throw new BadInputError('bad-tokenizer', `${path}: token "${tokens[unknown] ?? ''}" has no id and the tokenizer has no unk_token`, { file: path });
      }
      if (maxLength !== undefined && ids.length > maxLength) {
        const last = ids.length - 1;
        const keepLast = maxLength > 1 && special.has(ids[last]!);
        const cut = keepLast ? maxLength - 1 : maxLength;
        ids = keepLast ? [...ids.slice(0, cut), ids[last]!] : ids.slice(0, cut);
        tokens = keepLast ? [...tokens.slice(0, cut), tokens[last]!] : tokens.slice(0, cut);
      }
      return { ids, tokens };
    },
  };
}

async function readJson(path: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!required) return undefined;
    throw new BadInputError('file-not-found', `${path}: tokenizer file ${fsCause(err)}`, { file: path, cause: err });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (isRecord(value)) return value;
    throw new Error('not a JSON object');
  } catch (err) {
    throw new BadInputError('bad-tokenizer', `${path}: not a tokenizer JSON file (${err instanceof Error ? err.message : String(err)})`, { file: path, cause: err });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
