/**
 * `bias-inspector quant <model.onnx>`: quantization error of every float weight in each format
 * (DESIGN.md §5); with `--spec`, the model-level impact per format and group, and with
 * `--sensitivity` the per-layer damage and a mixed-precision suggestion; with `--float`, an
 * existing quantized checkpoint compared with its float model.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  BadInputError, DEFAULT_BUDGET, DEFAULT_MIN_ELEMENTS, DEFAULT_SENSITIVITY_FORMAT, DEFAULT_SENSITIVITY_ROWS, loadSpec, runQuant,
} from '../core/analyze';
import { writeHtmlReport } from '../core/report';
import { providerFlags, runOverrides, type RunFlags } from './runFlags';
import { formatQuantization } from './formatQuant';
import { formatCheckpoint, formatImpact, formatSensitivity } from './formatQuantImpact';
import { checkOutputs, specInputs, writeJson, printText } from './output';
import { stderrProgress } from './progress';

interface QuantFlags extends RunFlags {
  formats: string;
  minElements?: string;
  mxRounding: string;
  top: string;
  all?: boolean;
  json?: string | boolean;
  html?: string;
  spec?: string;
  float?: string;
  sensitivity?: boolean;
  sensitivityFormat: string;
  budget?: string;
}

function budgetFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new BadInputError('cli.bad-flag', `--budget ${value}: expected a number ≥ 0 (worst-group loss delta, nats)`);
  return n;
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
  providerFlags(program.command('quant'))
    .description('quantization error of every float weight in INT, FP8, MX and NVFP4 formats (FORMULAS.md §C)')
    .argument('<model>', 'path to an .onnx file')
    .option('--formats <ids>', 'comma-separated format ids, or "all"', 'all')
    .option('--min-elements <n>', `smallest weight analysed, in elements (default ${DEFAULT_MIN_ELEMENTS})`)
    .option('--mx-rounding <mode>', 'MX element rounding: rne (FORMULAS.md) or rhaz (microsoft/microxcaling)', 'rne')
    .option('--top <n>', 'worst tensors listed per format', '20')
    .option('--all', 'list every tensor per format')
    .option('--spec <file>', 'analysis spec (*.bias.json): adds the model-level impact per format and group')
    .option('--float <file>', 'the model is an existing quantized checkpoint: compare it with this float model')
    .option('--sensitivity', 'per-layer sensitivity and a mixed-precision suggestion (needs --spec)')
    .option('--sensitivity-format <id>', 'format of the sensitivity analysis', DEFAULT_SENSITIVITY_FORMAT)
    .option('--budget <x>', `worst-group loss-delta budget of the suggestion (default ${DEFAULT_BUDGET})`)
    .option('--max-rows <n>', `rows of the sensitivity passes (default ${DEFAULT_SENSITIVITY_ROWS})`)
    .option('--batch-size <n>', 'rows per inference batch of the impact and sensitivity passes (default 256)')
    .option('--min-group-size <n>', 'groups smaller than this are marked small (default 30)')
    .option('--json [file]', 'write the report as JSON (to stdout when no file or "-")')
    .option('--html <file>', 'write a self-contained HTML report')
    .action(async (model: string, flags: QuantFlags) => {
      if (flags.mxRounding !== 'rne' && flags.mxRounding !== 'rhaz') {
        throw new BadInputError('cli.bad-flag', `--mx-rounding ${flags.mxRounding}: expected rne or rhaz`);
      }
      const minElements = flags.minElements === undefined ? DEFAULT_MIN_ELEMENTS : positiveInt(flags.minElements, '--min-elements');
      const top = flags.all ? Infinity : positiveInt(flags.top, '--top');
      const budget = budgetFlag(flags.budget);
      if (flags.maxRows !== undefined) positiveInt(flags.maxRows, '--max-rows');
      if (flags.sensitivity && !flags.spec) throw new BadInputError('cli.bad-flag', '--sensitivity needs --spec (the data to measure on)');
      const spec = flags.spec ? await loadSpec(resolve(flags.spec)) : undefined;
      checkOutputs({ '--json': flags.json, '--html': flags.html }, [model, ...(flags.float ? [flags.float] : []), ...(spec ? specInputs(spec) : [])]);
      const worker = workerScript();
      const report = await runQuant(spec, {
        ...runOverrides(flags),
        model: resolve(model),
        formats: flags.formats,
        minElements,
        mxRounding: flags.mxRounding,
        onProgress: stderrProgress('quant'),
        ...(flags.float ? { float: resolve(flags.float) } : {}),
        ...(flags.sensitivity ? { sensitivity: true, sensitivityFormat: flags.sensitivityFormat } : {}),
        ...(budget !== undefined ? { budget } : {}),
        ...(worker !== undefined ? { workerPath: worker } : {}),
      });
      const toStdout = writeJson(flags.json, report);
      if (flags.html) { writeHtmlReport(flags.html, report); process.stderr.write(`wrote ${flags.html}\n`); }
      if (toStdout) return;
      const q = report.quantization;
      const parts = q.checkpoint ? [formatCheckpoint(q.checkpoint)] : [formatQuantization(report.model.path, q, top)];
      if (q.impact) parts.push(formatImpact(q.impact));
      if (q.sensitivity) parts.push(formatSensitivity(q.sensitivity));
      printText(`${parts.join('\n\n')}\n`);
    });
}
