/**
 * `bias-inspector` — the command line, thin over core (DESIGN.md §5). Exit 0 on success, 2 on bad
 * input, 1 on failure, 3 when `check` finds a budget that fails. Tables on stdout, progress on stderr, `--json -` writes JSON to stdout.
 */
import { Command, CommanderError } from 'commander';
import { InspectorError, asResourceError, ortFailureReason, terminalSafe } from '../core/analyze';
import { registerInspect } from './inspect';
import { registerForward } from './forward';
import { registerDemo } from './demo';
import { registerGroups } from './groups';
import { registerQuant } from './quant';
import { registerAttention } from './attention';
import { registerMerge } from './merge';
import { registerDistributed } from './distributed';
import { registerInit } from './init';
import { registerSlices } from './slices';
import { registerThresholds } from './thresholds';
import { registerProbe } from './probe';
import { registerCompare } from './compare';
import { registerCheck } from './check';
import { CLI_VERSION } from './version';
import { registerInstallCuda } from './installCuda';

const program = new Command()
  .name('bias-inspector')
  .description('Find where an ONNX model is biased: per-group metrics, attention, quantization error.')
  .version(CLI_VERSION)
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

registerInspect(program);
registerGroups(program);
registerQuant(program);
registerAttention(program);
registerMerge(program);
registerDistributed(program);
registerInit(program);
registerSlices(program);
registerThresholds(program);
registerProbe(program);
registerCompare(program);
registerCheck(program);
registerDemo(program);
registerForward(program);
registerInstallCuda(program);

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof InspectorError) return error.kind === 'bad-input' ? 2 : 1;
  return 1;
}

/** `inspect --json m.onnx` reads m.onnx as the JSON file name; say so instead of only "missing argument". */
function hintFor(error: CommanderError, argv: readonly string[]): string | undefined {
  const json = argv.indexOf('--json');
  const next = json >= 0 ? argv[json + 1] : undefined;
  if (error.code !== 'commander.missingArgument' || next === undefined || next.startsWith('-')) return undefined;
  return `hint: --json takes an optional file name, so "${next}" was read as the JSON file; put --json after the arguments, or write --json - for stdout\n`;
}

/** onnxruntime's own run errors are reported as one line (they are not bugs of ours: no stack). */
function isOrtError(error: unknown): boolean {
  return error instanceof Error && /^(?:Non-zero status code returned|Load model from|\/onnxruntime_src\/|input '.*' is missing|Unexpected input data type|Got invalid dimensions)/i.test(error.message);
}

program.parseAsync(process.argv).catch((caught: unknown) => {
  const error = asResourceError(caught) ?? (isOrtError(caught) ? new InspectorError('runtime.run-failed', 'failure', `onnxruntime: ${ortFailureReason(caught)}`, { cause: caught }) : caught);
  const code = exitCodeOf(error);
  const hint = error instanceof CommanderError ? hintFor(error, process.argv) : undefined;
  if (hint) process.stderr.write(hint);
  if (!(error instanceof CommanderError)) {
    process.stderr.write(`bias-inspector: ${terminalSafe(error instanceof Error ? error.message : String(error))}\n`);
    if (code === 1 && error instanceof Error && !(error instanceof InspectorError) && error.stack) process.stderr.write(`${error.stack}\n`);
  }
  process.exitCode = code;
});
