/**
 * Session settings chosen from the machine and the model: onnxruntime's intra-op pool sized to
 * the physical cores (hyper-threads share a core's arithmetic units, and an explicit count avoids
 * onnxruntime's own guess, which used a single thread on the 2-vCPU benchmark VM).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

let cached: number | undefined;

/**
 * Physical cores this process may use: distinct (physical id, core id) pairs of /proc/cpuinfo,
 * at most availableParallelism() (a cgroup or affinity mask may allow fewer); elsewhere, or when
 * /proc/cpuinfo says nothing, availableParallelism().
 */
export function physicalCores(): number {
  if (cached !== undefined) return cached;
  const logical = Math.max(1, availableParallelism());
  let cores = logical;
  try {
    const pairs = new Set<string>();
    let physical = '';
    for (const line of readFileSync('/proc/cpuinfo', 'utf8').split('\n')) {
      const m = /^(physical id|core id)\s*:\s*(\S+)/.exec(line);
      if (m?.[1] === 'physical id') physical = m[2] ?? '';
      else if (m?.[1] === 'core id') pairs.add(`${physical}/${m[2] ?? ''}`);
    }
    if (pairs.size > 0) cores = Math.min(pairs.size, logical);
  } catch {
    // not Linux: keep the logical count
  }
  cached = cores;
  return cores;
}

/** Models at least this big (bytes of the file) are dominated by the session's own arithmetic. */
export const LARGE_MODEL_BYTES = 64 << 20;

/**
 * Intra-op threads for a data pass over a model of `modelBytes`: every physical core when the
 * model is large or the pass does little work of its own between runs (`lightHost`), else every
 * physical core but one, left to the analysis on the main thread (onnxruntime's pool threads spin
 * between runs and slowed a small model's attention pass 2.7x when they took every core).
 */
export function sessionThreads(modelBytes: number, lightHost: boolean): number {
  const cores = physicalCores();
  return lightHost || modelBytes >= LARGE_MODEL_BYTES ? cores : Math.max(1, cores - 1);
}
