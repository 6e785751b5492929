/**
 * A spec built from command-line flags has no file, so the engine's messages say `spec: field
 * "label"` (or start with an empty file name). The user typed flags, not a spec: name the flag.
 */
import { BadInputError } from '../core/analyze';

/** The flag that sets a spec field (its first path segment), where the command has one. */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  model: '--model',
  data: '--data',
  inputs: '--input',
  output: '--output',
  outputKind: '--output-kind',
  task: '--task',
  label: '--label',
  groups: '--group',
  loss: '--loss',
  featureTensor: '--feature-tensor',
  predictions: '--predictions',
  'predictions.file': '--predictions',
  'predictions.score': '--score',
  'predictions.pred': '--pred',
  attention: '--tokens/--span',
  'attention.tokens': '--tokens',
  'attention.spans': '--span',
};

/** `inputs.features` -> `--input features=…`; `groups[1]` -> `--group`; unknown -> `field "x"`. */
export function flagOfField(field: string): string {
  const [root = '', second] = field.split(/[.[]/);
  if (root === 'inputs' && second) return `--input ${second}=…`;
  if (root === 'attention' && second === 'spans') {
    const span = field.split('.')[2];
    return span ? `--span ${span}=…` : '--span';
  }
  const flag = (second !== undefined ? FLAG_OF_FIELD[`${root}.${second.replace(/\]$/, '')}`] : undefined) ?? FLAG_OF_FIELD[root];
  return flag ?? `field "${field}"`;
}

const LEADING_FIELD = /(^|\n)(?:the spec|spec|)(?::\d+:\d+)?: field "([^"]+)":/g;
const FIELD_OF_SPEC = /\(field "([^"]+)" of the spec\)/g;

/**
 * Rewrites a BadInputError about a flag-built spec so that it names the flag; other errors are
 * returned unchanged. The code, file and cause are kept.
 */
export function asFlagError(error: unknown): unknown {
  if (!(error instanceof BadInputError)) return error;
  const message = error.message
    .replace(LEADING_FIELD, (_match, start: string, field: string) => `${start}${flagOfField(field)}:`)
    .replace(FIELD_OF_SPEC, (_match, field: string) => `(${flagOfField(field)})`);
  if (message === error.message) return error;
  return new BadInputError(error.code, message, { ...(error.file ? { file: error.file } : {}), cause: error });
}

/** Runs `work`; bad-input errors about the flag-built spec name the flag. */
export async function withFlagErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asFlagError(error);
  }
}
