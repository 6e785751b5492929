/**
 * `bias-inspector quant <model.onnx>`: quantization error of every float weight in each format
 * (DESIGN.md §5). Per-group impact (`--spec`) is not wired yet.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadInputError } from '../core/errors';
import { loadModel, summarizeModel } from '../core/onnx';
import { analyzeWeights, DEFAULT_MIN_ELEMENTS } from '../core/quant/analyze';
import { quantizationReport } from '../core/quant/report';
import { formatQuantization } from './formatQuant';
import { writeJson } from './output';
import { stderrProgress } from './progress';

interface QuantFlags {
  formats: string;
  minElements?: string;
  mxRounding: string;
  top: string;
  all?: boolean;
  json?: string | boolean;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new BadInputError('cli.bad-flag', `${flag} ${value}: expected a positive integer`);
  }
  return n;
}

/** The bundled worker next to the CLI bundle (dist/workers/quant.worker.js); none when run from source. */
export function workerScript(): string | undefined {
  const path = join(__dirname, 'workers', 'quant.worker.js');
  return existsSync(path) ? path : undefined;
}

export function registerQuant(program: Command): void {
  program.command('quant')
    .description('quantization error of every float weight in INT, FP8, MX and NVFP4 formats (FORMULAS.md §C)')
    .argument('<model>', 'path to an .onnx file')
    .option('--formats <ids>', 'comma-separated format ids, or "all"', 'all')
    .option('--min-elements <n>', `smallest weight analysed, in elements (default ${DEFAULT_MIN_ELEMENTS})`)
    .option('--mx-rounding <mode>', 'MX element rounding: rne (FORMULAS.md) or rhaz (microsoft/microxcaling)', 'rne')
    .option('--top <n>', 'worst tensors listed per format', '20')
    .option('--all', 'list every tensor per format')
    .option('--json [file]', 'write the report as JSON (to stdout when no file or "-")')
    .action(async (model: string, flags: QuantFlags) => {
      if (flags.mxRounding !== 'rne' && flags.mxRounding !== 'rhaz') {
        throw new BadInputError('cli.bad-flag', `--mx-rounding ${flags.mxRounding}: expected rne or rhaz`);
      }
      const minElements = flags.minElements === undefined ? DEFAULT_MIN_ELEMENTS : positiveInt(flags.minElements, '--min-elements');
      const top = flags.all ? Infinity : positiveInt(flags.top, '--top');
      const loaded = await loadModel(resolve(model));
      const worker = workerScript();
      const section = await analyzeWeights(loaded, {
        formats: flags.formats,
        minElements,
        mxRounding: flags.mxRounding,
        onProgress: stderrProgress('quant'),
        ...(worker !== undefined ? { workerPath: worker } : {}),
      });
      const report = quantizationReport(summarizeModel(loaded), section);
      const toStdout = writeJson(flags.json, report);
      if (!toStdout) process.stdout.write(`${formatQuantization(loaded.path, section, top)}\n`);
    });
}
