/**
 * The run settings of every analysis and the one place their precedence is decided, so that the
 * CLI and VS Code run the same spec the same way:
 *
 *     flags / VS Code settings the user set  >  the spec's field  >  the analysis's default
 *
 * Callers pass only what was set explicitly (a CLI flag given, a VS Code setting changed from its
 * default); everything else comes from the spec, then from the defaults below, which are the same
 * whoever calls. Each `run<Analysis>` calls `resolveRunOptions` itself.
 *
 * Bootstrap intervals are on by default (FORMULAS.md §B: every estimate carries its interval).
 * The default replicate count ('auto') depends on the rows evaluated so that it stays cheap on
 * large data: 200 replicates up to 100,000 rows, then 20,000,000 / rows (a budget of 2·10⁷ row
 * draws, a few seconds on one core), never fewer than 50 (e.g. 100 at 200k rows, 50 from 400k
 * rows). An explicit number (flag, setting or spec) is used as given; 0 turns intervals off.
 */
import type { ResolvedSpec } from '../data';
import type { ProviderSetting } from '../runtime';
import { LARGE_MODEL_BYTES } from '../runtime/machine';
import type { RunOverrides } from '../../protocol/worker';

export type { RunOverrides } from '../../protocol/worker';

/** Every run setting, resolved. */
export interface RunOptions {
  readonly providers: ProviderSetting;
  /** Rows per inference batch. */
  readonly batchSize: number;
  /** Evaluate at most this many rows (0 = all). */
  readonly maxRows: number;
  /** Intra-op threads (0 = onnxruntime's default, or the analysis's own, see attention). */
  readonly threads: number;
  readonly minGroupSize: number;
  /** Replicates (0 = no intervals) or 'auto' (see autoReplicates). */
  readonly bootstrap: number | 'auto';
  readonly seed: number;
  /** Resampling of the bootstrap; sharded runs always use poisson (docs/SHARDING.md §2). */
  readonly bootstrapScheme: 'multinomial' | 'poisson';
}

/** Defaults shared by every analysis; an analysis changes only what it must (see below). */
export const RUN_DEFAULTS: RunOptions = {
  providers: 'auto',
  batchSize: 256,
  maxRows: 0,
  threads: 0,
  minGroupSize: 30,
  bootstrap: 'auto',
  seed: 0,
  bootstrapScheme: 'multinomial',
};

/** The attention analysis holds [B, H, T, T] maps per layer: smaller batches. */
export const ATTENTION_DEFAULTS: RunOptions = { ...RUN_DEFAULTS, batchSize: 32 };

/**
 * Rows per batch of a large model (a file of at least LARGE_MODEL_BYTES) when none was set: its
 * activations, not its weights' arithmetic per call, decide the memory, and a batch of 16 rows
 * runs as fast per row as 64 or 256 while keeping a BERT-base-size encoder's peak RSS within
 * 1.5x its size (the default 256 rows at 64 tokens took ~2.5 GB beside 418 MiB of weights).
 */
export const LARGE_MODEL_BATCH = 16;

/** `defaults` for a pass over models of `modelBytes` (the largest): a large model's batch size. */
export function modelDefaults(defaults: RunOptions, modelBytes: number): RunOptions {
  return modelBytes >= LARGE_MODEL_BYTES ? { ...defaults, batchSize: Math.min(defaults.batchSize, LARGE_MODEL_BATCH) } : defaults;
}

/** Replicates of the 'auto' bootstrap. */
export const AUTO_BOOTSTRAP = { max: 200, min: 50, rowDraws: 20_000_000 } as const;

/** The 'auto' replicate count for `rows` evaluated rows (see the module comment). */
export function autoReplicates(rows: number): number {
  if (!(rows > 0)) return AUTO_BOOTSTRAP.max;
  return Math.max(AUTO_BOOTSTRAP.min, Math.min(AUTO_BOOTSTRAP.max, Math.floor(AUTO_BOOTSTRAP.rowDraws / rows)));
}

/** Replicates to run for `rows` rows under a resolved `bootstrap` setting. */
export function replicatesFor(bootstrap: number | 'auto', rows: number): number {
  return bootstrap === 'auto' ? autoReplicates(rows) : bootstrap;
}

/**
 * Run settings from explicit `overrides` (flags, VS Code settings), the spec's own fields
 * (`minGroupSize`, `bootstrap`, `seed`) and `defaults`, in that order of precedence. An override
 * that is `undefined` is not set.
 */
export function resolveRunOptions(spec: Pick<ResolvedSpec, 'minGroupSize' | 'bootstrap' | 'seed'> | undefined, overrides: RunOverrides = {}, defaults: RunOptions = RUN_DEFAULTS): RunOptions {
  return {
    providers: overrides.providers ?? defaults.providers,
    batchSize: overrides.batchSize ?? defaults.batchSize,
    maxRows: overrides.maxRows ?? defaults.maxRows,
    threads: overrides.threads ?? defaults.threads,
    minGroupSize: overrides.minGroupSize ?? spec?.minGroupSize ?? defaults.minGroupSize,
    bootstrap: overrides.bootstrap ?? spec?.bootstrap ?? defaults.bootstrap,
    seed: overrides.seed ?? spec?.seed ?? defaults.seed,
    bootstrapScheme: overrides.bootstrapScheme ?? defaults.bootstrapScheme,
  };
}
