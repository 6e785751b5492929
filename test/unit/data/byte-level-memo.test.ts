// The memoized ByteLevel pre-tokenizer (byteLevelMemo.ts) must give exactly the ids and tokens of
// tokenizers.js's own, on the demo LM's byte-level BPE and on variants of its pre-tokenizer
// (prefix space, no regex, inside a Sequence), for text that repeats pieces (memo hits) and text
// with multi-byte characters, contractions and whitespace runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { loadTokenizer } from '../../../extension/core/data';
import { memoizeByteLevel } from '../../../extension/core/data/byteLevelMemo';
import { Xoshiro128 } from '../../../extension/core/metrics/stats';
import { tempDir } from './helpers';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');
const demo = JSON.parse(readFileSync(join(EXAMPLES, 'tiny-lm.tokenizer.json'), 'utf8')) as Record<string, unknown>;

const PIECES = [
  'we', ' interviewed', ' a', ' woman', ' man', ' who', ' has', ' 2', ' 12', ' years', ' of', ' experience', ' .', ' hire', ' ?',
  ' answer', ' yes', ' or', ' no', ':', "'s", "'ll", "'re", "n't", ' ', '  ', '\t', '\n', '\r\n', '   x', 'é', ' naïve', ' café',
  ' 東京', '😀', ' 👩‍💻', ' ünïcödé', '123', ' 4.5', '!!', ' --', ' Ġ', ' \u00a0', '\u0000', ' ‐', ' İ',
];

/** Texts built from PIECES (so pieces repeat across texts), seeded. */
function corpus(n: number, seed: number): string[] {
  const rng = new Xoshiro128(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + rng.nextInt(20);
    let text = '';
    for (let j = 0; j < k; j++) text += PIECES[rng.nextInt(PIECES.length)]!;
    out.push(text);
  }
  return out;
}

function variant(preTokenizer: unknown): Record<string, unknown> {
  return { ...demo, pre_tokenizer: preTokenizer };
}

const VARIANTS: Record<string, Record<string, unknown>> = {
  'the demo LM (ByteLevel, regex)': demo,
  'prefix space': variant({ type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true }),
  'no regex': variant({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }),
  'inside a Sequence after WhitespaceSplit': variant({
    type: 'Sequence',
    pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: false }],
  }),
};

describe('memoized ByteLevel pre-tokenizer', () => {
  const texts = corpus(600, 7);
  for (const [name, json] of Object.entries(VARIANTS)) {
    it(`gives the library's ids and tokens: ${name}`, () => {
      const reference = new Tokenizer(json, {});
      const memoized = new Tokenizer(json, {});
      assert.equal(memoizeByteLevel(memoized), 1, 'one ByteLevel pre-tokenizer memoized');
      // Twice over the corpus: the second pass reads every piece from the memo.
      for (const pass of [0, 1]) {
        for (const text of texts) {
          for (const special of [true, false]) {
            const want = reference.encode(text, { add_special_tokens: special });
            const got = memoized.encode(text, { add_special_tokens: special });
            assert.deepEqual(got.ids, want.ids, `pass ${pass}, ${JSON.stringify(text)}`);
            assert.deepEqual(got.tokens, want.tokens, `pass ${pass}, ${JSON.stringify(text)}`);
          }
        }
      }
    });
  }

  it('leaves other pre-tokenizers alone', () => {
    const whitespace = new Tokenizer(variant({ type: 'WhitespaceSplit' }), {});
    assert.equal(memoizeByteLevel(whitespace), 0);
    assert.equal(memoizeByteLevel(null), 0);
    assert.equal(memoizeByteLevel({ pre_tokenizer: { config: { type: 'ByteLevel' } } }), 0, 'an unknown shape is not patched');
  });

  it('loadTokenizer uses it and still equals the library', async () => {
    const { file } = tempDir();
    const path = file('tokenizer.json', JSON.stringify(VARIANTS['prefix space']));
    const ours = await loadTokenizer(path);
    const reference = new Tokenizer(VARIANTS['prefix space']!, {});
    for (const text of texts.slice(0, 200)) {
      assert.deepEqual(ours.ids(text, true), reference.encode(text, { add_special_tokens: true }).ids, JSON.stringify(text));
      assert.deepEqual(ours.encode(text, undefined).tokens, reference.encode(text).tokens, JSON.stringify(text));
    }
  });
});
