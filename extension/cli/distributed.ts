/**
 * `bias-inspector distributed`: a sharded run on a Dask cluster (docs/SHARDING.md). The work is
 * done by the Python entry point shipped next to the CLI (python/bias_inspector_dask.py, run by
 * the OS's python3 with the `distributed` package): one task per shard runs this CLI with
 * `--shard i/n --state …` on a worker, and the client merges the states with `merge`.
 */
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadInputError, InspectorError, SHARDED_ANALYSES } from '../core/analyze';

interface DistributedFlags {
  scheduler?: string; local?: string; spec: string; shards: string; analysis: string; json: string;
  python: string; node?: string; retries: string; env?: string[]; check?: boolean; sarif?: string;
}

/** The Python entry point: next to the bundle (dist/cli.js -> python/), or in the source tree. */
export function daskRunnerPath(): string {
  const candidates = [join(__dirname, '..', 'python', 'bias_inspector_dask.py'), join(__dirname, '..', '..', 'python', 'bias_inspector_dask.py')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new InspectorError('dask-runner-missing', 'failure', `the Dask runner python/bias_inspector_dask.py is not installed next to the CLI (looked in ${candidates.join(', ')})`);
  return found;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new BadInputError('cli.bad-flag', `${flag} ${value}: expected an integer from 1 to 100000`);
  return n;
}

export function registerDistributed(program: Command): void {
  program.command('distributed')
    .description('run an analysis sharded over a Dask cluster and merge the shards into one report (needs python3 with `distributed`)')
    .option('--scheduler <address>', 'Dask scheduler, e.g. tcp://host:8786')
    .option('--local <workers>', 'start a local Dask cluster with this many worker processes instead')
    .requiredOption('--spec <file>', 'analysis spec (*.bias.json), at the same path on every worker')
    .requiredOption('--shards <n>', 'number of shards (one task each)')
    .option('--analysis <name>', `analysis to shard: ${SHARDED_ANALYSES.join(' | ')}`, 'groups')
    .requiredOption('--json <file>', 'merged report')
    .option('--python <exe>', 'Python with the distributed package', '/usr/bin/python3')
    .option('--node <exe>', 'Node.js on the workers (default: this Node.js)')
    .option('--retries <n>', 'retries of a failed shard', '1')
    .option('--env <K=V...>', 'environment variables for the CLI on the workers')
    .option('--check', 'gate the merged report on the spec\'s budgets as `check` does: exit 3 when one fails')
    .option('--sarif <file>', 'with --check: write a SARIF 2.1.0 log of the failing budgets')
    .argument('[flags...]', 'further flags of the analysis for every shard, after -- (e.g. -- --bootstrap 100 --ep cpu)')
    .action(async (extra: string[], flags: DistributedFlags) => {
      if (!flags.scheduler === !flags.local) throw new BadInputError('cli.bad-flag', 'distributed: give exactly one of --scheduler tcp://host:port or --local <workers>');
      const shards = positiveInt(flags.shards, '--shards');
      if (flags.local !== undefined) positiveInt(flags.local, '--local');
      const retries = Number(flags.retries);
      if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new BadInputError('cli.bad-flag', `--retries ${flags.retries}: expected an integer from 0 to 10`);
      if (!(SHARDED_ANALYSES as readonly string[]).includes(flags.analysis)) throw new BadInputError('cli.bad-flag', `--analysis ${flags.analysis}: sharded runs support ${SHARDED_ANALYSES.join(', ')}`);
      if (flags.sarif && !flags.check) throw new BadInputError('cli.bad-flag', `--sarif ${flags.sarif}: give --check too (the SARIF log lists the failing budgets of the gate)`);
      const spec = resolve(flags.spec);
      if (!existsSync(spec)) throw new BadInputError('file-not-found', `${spec}: spec file not found`, { file: spec });
      const args = [
        daskRunnerPath(),
        ...(flags.scheduler ? ['--scheduler', flags.scheduler] : ['--local', String(flags.local)]),
        '--spec', spec, '--shards', String(shards), '--analysis', flags.analysis, '--json', resolve(flags.json),
        '--node', flags.node ?? process.execPath, '--cli', resolve(process.argv[1] ?? join(__dirname, 'cli.js')), '--retries', String(retries),
        ...(flags.env ?? []).flatMap((kv) => ['--env', kv]),
        ...(flags.check ? ['--check'] : []), ...(flags.sarif ? ['--sarif', resolve(flags.sarif)] : []),
        // Test hook: the first attempt of shard 0 kills its Dask worker (test/unit/cli/distributed.test.ts).
        ...(process.env['BIAS_INSPECTOR_TEST_KILL_WORKER_ONCE'] ? ['--test-kill-worker-once', process.env['BIAS_INSPECTOR_TEST_KILL_WORKER_ONCE']] : []),
        ...(extra.length > 0 ? ['--', ...extra] : []),
      ];
      const code = await new Promise<number>((done, fail) => {
        const child = spawn(flags.python, args, { stdio: 'inherit' });
        child.on('error', (err) => fail(new BadInputError('cli.bad-flag', `--python ${flags.python}: cannot run it (${err.message})`)));
        child.on('exit', (status, signal) => done(status ?? (signal ? 1 : 0)));
      });
      process.exitCode = code;
    });
}
