/** The model editor's analysis launchers for a model (pure: tested without a DOM). */
import type { LauncherKind, ModelViewState } from '../../extension/protocol/messages';

export interface Launcher {
  readonly kind: LauncherKind;
  readonly title: string;
  readonly what: string;
}

const ANALYSES: readonly Launcher[] = [
  { kind: 'groups', title: 'Analyze Groups…', what: 'per-group loss and fairness metrics over an evaluation set (uses <model>.bias.json, or helps you create it)' },
  { kind: 'attention', title: 'Attention Heatmaps…', what: 'what each head attends to, over the dataset and per group; additive attention biases' },
  { kind: 'quant', title: 'Quantization Error…', what: 'INT8/INT4/FP8/MX/NVFP4 error of every weight tensor' },
];

/**
 * The launchers shown: the three analyses for every model, and *Probe Language Model…* first for
 * a language model (the host says why it is one: [batch, sequence, vocabulary] logits).
 */
export function launchersFor(state: Extract<ModelViewState, { kind: 'summary' }>): Launcher[] {
  if (state.languageModel === null) return [...ANALYSES];
  return [
    { kind: 'probe', title: 'Probe Language Model…', what: `yes/no skew per group and counterfactual templates (uses a probe spec next to the model, or helps you create it): ${state.languageModel}` },
    ...ANALYSES,
  ];
}
