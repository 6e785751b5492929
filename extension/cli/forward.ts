import type { Command } from 'commander';
import { resolve } from 'node:path';
import { BadInputError, maxRelativeDifference, runForward, syntheticFeeds, type ForwardResult } from '../core/analyze';
import { inspectModel } from '../core/onnx';
import { table } from './format';
import { checkOutputs, writeJson, printText } from './output';

function intFlag(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new BadInputError('cli.bad-flag', `${flag} ${value}: expected an integer ≥ ${min}`);
  return n;
}

/** Diagnostic: one forward pass on seeded synthetic inputs, optionally on two providers compared. */
export function registerForward(program: Command): void {
  program.command('forward')
    .description('run one forward pass on seeded synthetic inputs; --compare-ep a,b compares two providers')
    .argument('<model>', 'path to an .onnx file')
    .option('--ep <providers>', 'execution providers (auto or a comma list)', 'auto')
    .option('--compare-ep <a,b>', 'run on two providers and print the max relative difference of every output')
    .option('--batch <n>', 'batch size for symbolic batch dims', '8')
    .option('--seq <n>', 'length for other symbolic dims', '32')
    .option('--seed <n>', 'seed of the synthetic inputs', '0')
    .option('--json [file]', 'write timings and differences as JSON')
    .action(async (model: string, options: { ep: string; compareEp?: string; batch: string; seq: string; seed: string; json?: string | boolean }) => {
      const path = resolve(model);
      checkOutputs({ '--json': options.json }, [path]);
      const summary = await inspectModel(path);
      const feeds = syntheticFeeds(summary.inputs, {
        batch: intFlag(options.batch, '--batch', 1), sequenceLength: intFlag(options.seq, '--seq', 1), seed: intFlag(options.seed, '--seed', 0), vocab: 100,
      }, path);
      const eps = options.compareEp ? options.compareEp.split(',').map((s) => s.trim()) : [options.ep];
      if (eps.length > 2) throw new BadInputError('cli.bad-flag', '--compare-ep takes exactly two providers, e.g. webgpu,cpu');
      const results: ForwardResult[] = [];
      for (const ep of eps) results.push(await runForward(path, path, feeds, ep));
      const rows = [['provider', 'used', 'create ms', 'run ms (median of 3)', ...(results.length === 2 ? ['max rel diff'] : [])]];
      const report = results.map((r, i) => {
        const sorted = [...r.runMs].sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
        const other = results[1 - i];
        const diff = results.length === 2 && other
          ? Math.max(...Object.entries(r.outputs).map(([name, out]) => maxRelativeDifference(out.data, other.outputs[name]?.data ?? new Float32Array())))
          : undefined;
        rows.push([eps[i] ?? '', r.runtime.used, r.createMs.toFixed(1), median.toFixed(3), ...(diff === undefined ? [] : [diff.toExponential(2)])]);
        return { requested: eps[i], runtime: r.runtime, createMs: r.createMs, runMs: r.runMs, maxRelativeDifference: diff ?? null };
      });
      const toStdout = writeJson(options.json, { model: path, results: report });
      if (!toStdout) printText(`${path}\n${table(rows)}\n`);
    });
}
