import type { Command } from 'commander';
import { resolve } from 'node:path';
import { inspectModel } from '../core/onnx';
import { inspectReport } from '../core/report';
import { formatSummary } from './format';
import { checkOutputs, writeJson, printText } from './output';

export function registerInspect(program: Command): void {
  program.command('inspect')
    .description('summarise a model: IO, opsets, op histogram, parameters, attention and quantization found')
    .argument('<model>', 'path to an .onnx file')
    .option('--json [file]', 'write the report as JSON (to stdout when no file or "-")')
    .action(async (model: string, options: { json?: string | boolean }) => {
      checkOutputs({ '--json': options.json }, [model]);
      const summary = await inspectModel(resolve(model));
      const toStdout = writeJson(options.json, inspectReport(summary));
      if (!toStdout) printText(`${formatSummary(summary)}\n`);
    });
}
