/**
 * The model editor's launchers (issue #13 item 4): *Probe Language Model…* shows for a language
 * model only — the host's reason comes from core's languageModelOutput, the same test the guided
 * flow and `init` use — and the three analyses show for every model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchersFor } from '../../../webview/model/launchers';
import { languageModelOutput } from '../../../extension/core/analyze';
import type { ModelViewState } from '../../../extension/protocol/messages';
import type { ValueInfo } from '../../../extension/protocol/model';

type Summary = Extract<ModelViewState, { kind: 'summary' }>;
const state = (outputs: ValueInfo[]): Summary => ({
  kind: 'summary', fileName: 'm.onnx', trusted: true, reports: [],
  runtime: { state: 'idle', setting: 'auto' } as unknown as Summary['runtime'],
  summary: { outputs } as unknown as Summary['summary'],
  languageModel: languageModelOutput({ outputs })?.reason ?? null,
});

const cases: readonly [string, ValueInfo[], string[]][] = [
  ['a decoder LM [batch, sequence, 366]', [{ name: 'logits', dtype: 'float32', shape: ['batch', 'sequence', 366] }, { name: 'present.0.key', dtype: 'float32', shape: ['batch', 2, 'p', 16] }], ['probe', 'groups', 'attention', 'quant']],
  ['an LM whose vocabulary is symbolic', [{ name: 'lm_logits', dtype: 'float16', shape: ['b', 't', 'v'] }], ['probe', 'groups', 'attention', 'quant']],
  ['a binary classifier [N, 2]', [{ name: 'logits', dtype: 'float32', shape: ['N', 2] }], ['groups', 'attention', 'quant']],
  ['a multiclass classifier [N, 10]', [{ name: 'probs', dtype: 'float32', shape: ['N', 10] }], ['groups', 'attention', 'quant']],
  ['an int64 first output then [N, 2]', [{ name: 'label', dtype: 'int64', shape: ['N'] }, { name: 'probabilities', dtype: 'float32', shape: ['N', 2] }], ['groups', 'attention', 'quant']],
  ['an image model [N, C, H, W]', [{ name: 'map', dtype: 'float32', shape: ['N', 3, 8, 8] }], ['groups', 'attention', 'quant']],
  ['an output of unknown shape', [{ name: 'y', dtype: 'float32', shape: null }], ['groups', 'attention', 'quant']],
];

for (const [name, outputs, kinds] of cases) {
  test(`launchers of ${name}`, () => {
    assert.deepEqual(launchersFor(state(outputs)).map((l) => l.kind), kinds);
  });
}

test('the probe launcher says why the model is a language model', () => {
  const [probe] = launchersFor(state([{ name: 'logits', dtype: 'float32', shape: ['batch', 'sequence', 366] }]));
  assert.equal(probe?.title, 'Probe Language Model…');
  assert.match(probe?.what ?? '', /: output "logits" \[batch, sequence, 366\] scores a vocabulary at every position$/);
});
