/** Where a command's JSON goes: `--json` alone or `--json -` -> stdout, `--json file` -> that file. */
import { existsSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BadInputError, type ResolvedSpec } from '../core/analyze';
import { reportToJson } from '../core/report';
import { terminalSafe } from '../core/analyze';

/** Writes human-readable text to stdout; model-derived names cannot carry terminal escape sequences. */
export function printText(text: string): void {
  process.stdout.write(terminalSafe(text));
}

export function writeJson(target: string | boolean | undefined, value: unknown): boolean {
  if (target === undefined || target === false) return false;
  const text = reportToJson(value);
  if (target === true || target === '-') process.stdout.write(text);
  else {
    writeFileSync(target, text);
    process.stderr.write(`wrote ${target}\n`);
  }
  return target === true || target === '-';
}

/** The canonical form of a path, following symlinks when the file exists. */
function canonical(path: string): string {
  const full = resolve(path);
  try {
    return realpathSync(full);
  } catch {
    return full;
  }
}

/** Every file a resolved spec reads: the spec itself, model, data, reference, predictions, npy and tokenizers. */
export function specInputs(spec: ResolvedSpec): string[] {
  const files = [spec.specPath, spec.model, spec.data, spec.referenceModel, spec.predictions?.file];
  for (const mapping of Object.values(spec.inputs)) {
    if ('npy' in mapping) files.push(mapping.npy);
    if ('tokenizer' in mapping) files.push(mapping.tokenizer);
  }
  return files.filter((f): f is string => typeof f === 'string' && f !== '');
}

/**
 * Checks the output files named by flags before any work is done, so a long run does not end
 * in a write error, and so a report never overwrites one of the run's inputs (model, data, spec).
 * `outputs` maps a flag (`--json`) to its value; `true` and `-` mean stdout. Throws BadInputError
 * `cli.bad-output` naming the flag, the file and the cause.
 */
export function checkOutputs(outputs: Readonly<Record<string, string | boolean | undefined>>, inputs: readonly string[]): void {
  const read = new Map(inputs.map((f) => [canonical(f), f]));
  const seen = new Map<string, string>();
  for (const [flag, value] of Object.entries(outputs)) {
    if (typeof value !== 'string' || value === '-') continue;
    const target = resolve(value);
    const key = canonical(target);
    const input = read.get(key);
    if (input !== undefined) {
      throw new BadInputError('cli.bad-output', `${flag} ${value}: that is an input of this run (${input}); reports never overwrite models, data or specs`, { file: target });
    }
    const other = seen.get(key);
    if (other !== undefined) throw new BadInputError('cli.bad-output', `${flag} ${value}: ${other} writes the same file`, { file: target });
    seen.set(key, flag);
    if (existsSync(target) && statSync(target).isDirectory()) {
      throw new BadInputError('cli.bad-output', `${flag} ${value}: is a folder; name a file`, { file: target });
    }
    const folder = dirname(target);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new BadInputError('cli.bad-output', `${flag} ${value}: the folder ${folder} does not exist`, { file: target });
    }
  }
}
