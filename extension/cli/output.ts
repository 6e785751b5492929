/** Where a command's JSON goes: `--json` alone or `--json -` -> stdout, `--json file` -> that file. */
import { writeFileSync } from 'node:fs';
import { reportToJson } from '../core/report';

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
