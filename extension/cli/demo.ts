import type { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { BadInputError } from '../core/errors';
import { inspectModel } from '../core/onnx';
import { inspectReport } from '../core/report';
import { formatSummary } from './format';
import { writeJson } from './output';

/** The demo workspace: `--examples`, else ./examples, else the one next to the CLI bundle. */
function findExamples(explicit: string | undefined): string {
  const candidates = explicit ? [resolve(explicit)] : [resolve('examples'), resolve(__dirname, '..', 'examples')];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new BadInputError('cli.no-examples', `demo: no examples folder (looked in ${candidates.join(', ')})`);
  return found;
}

export function registerDemo(program: Command): void {
  program.command('demo')
    .description('run every available analysis on the embedded demo models (examples/) and write reports')
    .option('--examples <dir>', 'the demo workspace')
    .option('--out <dir>', 'where reports go', 'out/demo')
    .action(async (options: { examples?: string; out: string }) => {
      const dir = findExamples(options.examples);
      const models = readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort();
      if (models.length === 0) throw new BadInputError('cli.no-examples', `demo: ${dir} holds no .onnx models`);
      mkdirSync(options.out, { recursive: true });
      for (const file of models) {
        const summary = await inspectModel(join(dir, file));
        process.stdout.write(`${formatSummary(summary)}\n\n`);
        writeJson(join(options.out, `${basename(file, '.onnx')}.inspect.json`), inspectReport(summary));
      }
      process.stdout.write(`Inspected ${models.length} demo models. Group, attention and quantization analyses join the demo as their issues land.\n`);
    });
}
