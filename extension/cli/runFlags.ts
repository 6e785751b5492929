/**
 * The run flags every analysis command shares, turned into the explicit overrides of
 * core/analyze/options.ts (a flag not given is not an override: the spec's value, then the same
 * defaults as in VS Code apply).
 */
import type { Command } from 'commander';
import { AUTO_BOOTSTRAP, BadInputError, checkBootstrap, formatCount, parseProviderSetting, type RunOverrides } from '../core/analyze';

export interface RunFlags {
  ep?: string;
  batchSize?: string;
  maxRows?: string;
  threads?: string;
  minGroupSize?: string;
  bootstrap?: string;
  seed?: string;
  bootstrapScheme?: string;
}

function intFlag(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new BadInputError('cli.bad-flag', `${name} ${value}: expected an integer ≥ ${min}`);
  return n;
}

/** The overrides the given flags set. */
export function runOverrides(flags: RunFlags): RunOverrides {
  const batchSize = intFlag(flags.batchSize, '--batch-size', 1);
  const maxRows = intFlag(flags.maxRows, '--max-rows');
  const threads = intFlag(flags.threads, '--threads');
  const minGroupSize = intFlag(flags.minGroupSize, '--min-group-size');
  const bootstrap = flags.bootstrap === 'auto' ? 'auto' as const : intFlag(flags.bootstrap, '--bootstrap');
  if (typeof bootstrap === 'number') checkBootstrap(bootstrap, '--bootstrap');
  const seed = intFlag(flags.seed, '--seed');
  const scheme = flags.bootstrapScheme;
  if (scheme !== undefined && scheme !== 'multinomial' && scheme !== 'poisson') {
    throw new BadInputError('cli.bad-flag', `--bootstrap-scheme ${scheme}: expected multinomial (resample n rows, FORMULAS.md §B) or poisson (keyed Poisson(1) row weights, as sharded runs use)`);
  }
  return {
    ...(flags.ep !== undefined ? { providers: parseProviderSetting(flags.ep, '--ep') } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(maxRows !== undefined ? { maxRows } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(minGroupSize !== undefined ? { minGroupSize } : {}),
    ...(bootstrap !== undefined ? { bootstrap } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(scheme !== undefined ? { bootstrapScheme: scheme } : {}),
  };
}

export const EP_HELP = 'execution providers: auto | cpu | webgpu | cuda | dml | coreml (comma list; default auto)';
export const BOOTSTRAP_HELP = `bootstrap replicates of the 95% intervals: a number (0 = none) or auto (the default: ${AUTO_BOOTSTRAP.max} up to ${formatCount(AUTO_BOOTSTRAP.rowDraws / AUTO_BOOTSTRAP.max)} rows, then ${formatCount(AUTO_BOOTSTRAP.rowDraws)} / rows, at least ${AUTO_BOOTSTRAP.min})`;

/** --ep, --threads: every command that runs a model. */
export function providerFlags(command: Command): Command {
  return command
    .option('--ep <providers>', EP_HELP)
    .option('--threads <n>', 'intra-op threads of the CPU provider (0 = the analysis default)');
}
