import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';

/** A process the harness started in its own process group, stopped by that group's id. */
export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
}

const started = new Map<number, Started>();

/**
 * Spawns `command` detached (a new process group, so its children are stopped with it), with
 * stdout and stderr appended to `logFile`. Registered for {@link stopAll}.
 */
export function startProcess(name: string, command: string, args: readonly string[], options: {
  env: NodeJS.ProcessEnv; cwd: string; logFile: string;
}): Started {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  if (child.pid === undefined) throw new Error(`could not start ${name}: ${command}`);
  const pid = child.pid;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      started.delete(pid);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const entry: Started = { name, pid, child, exited };
  started.set(pid, entry);
  return entry;
}

/**
 * Sends `signal` to the process group led by `pid` (falling back to the single process when it
 * leads no group); false when neither exists any more.
 */
function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return true;
    } catch {
      // ESRCH: try the next form, then give up.
    }
  }
  return false;
}

/** Stops one started process: SIGTERM to its group, SIGKILL after `graceMs`. */
export async function stopProcess(p: Started, graceMs = 5000): Promise<void> {
  if (!killGroup(p.pid, 'SIGTERM')) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), graceMs); });
  const outcome = await Promise.race([p.exited, timeout]);
  clearTimeout(timer);
  // The leader may exit before its children (code-server's extension hosts): kill what is left.
  killGroup(p.pid, 'SIGKILL');
  if (outcome === 'timeout') await p.exited;
}

/** Stops every process still registered (in reverse start order). */
export async function stopAll(): Promise<void> {
  for (const p of [...started.values()].reverse()) await stopProcess(p);
}

/** Last resort for `process.on('exit')`, where nothing asynchronous runs: SIGKILL every group. */
export function killAllSync(): void {
  for (const p of started.values()) killGroup(p.pid, 'SIGKILL');
}

/** Registers a process that something else spawned (the browser) so it is stopped with ours. */
export function adoptProcess(name: string, child: ChildProcess): Started {
  if (child.pid === undefined) throw new Error(`${name} has no pid`);
  const pid = child.pid;
  const exited = new Promise<number | string>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode ?? child.signalCode ?? 'unknown');
      return;
    }
    child.once('exit', (code, signal) => {
      started.delete(pid);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const entry: Started = { name, pid, child, exited };
  if (child.exitCode === null && child.signalCode === null) started.set(pid, entry);
  return entry;
}

/** Runs a command to completion; throws with its output when it fails. */
export function runChecked(command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number }): string {
  const result = spawnSync(command, args, { ...options, timeout: options.timeoutMs, encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}\n${output}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}:\n${output}`);
  return output;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/** Thrown by a {@link waitFor} probe to stop waiting at once (the awaited thing cannot happen). */
export class StopWaiting extends Error {}

/**
 * Polls `probe` until it returns a value other than undefined, at most `timeoutMs`. For conditions
 * outside the browser (an HTTP endpoint, a file); inside the page use playwright's waits.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof StopWaiting) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
