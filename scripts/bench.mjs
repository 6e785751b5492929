// `npm run bench`: prints the machine, then runs every scripts/bench/*.mjs in name order, each
// printing its own table (target and PASS/MISS per line). Benchmarks are never tests: nothing
// here fails on a time; the exit status is non-zero only when a benchmark script itself failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, 'scripts', 'bench');

function cpuModel() {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return match ? match[1].trim() : 'unknown CPU';
  } catch {
    return 'unknown CPU';
  }
}

function cores() {
  const nproc = spawnSync('nproc', { encoding: 'utf8' });
  return nproc.status === 0 ? nproc.stdout.trim() : String(availableParallelism());
}

/** One line that says what the numbers were measured on; the load matters on a shared machine. */
export function machineLine() {
  const load = loadavg().map((x) => x.toFixed(2)).join(', ');
  return `machine: node ${process.version}, ${cores()} cores (nproc), ${cpuModel()}, load average ${load} (1, 5, 15 min)`;
}

const scripts = existsSync(benchDir) ? readdirSync(benchDir).filter((f) => f.endsWith('.mjs')).sort() : [];
console.log(machineLine());
if (scripts.length === 0) console.log('no benchmarks in scripts/bench/');
const failed = [];
for (const script of scripts) {
  console.log(`\n## ${script}`);
  const started = Date.now();
  // With tsx loaded a benchmark may import core's TypeScript directly (core is not bundled alone).
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, script)], { stdio: 'inherit', cwd: root });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) failed.push(script);
  console.log(`(${script}: ${result.status === 0 ? 'done' : `FAILED with status ${result.status ?? result.signal}`} in ${seconds} s)`);
}
console.log(`\n${machineLine()} (at the end)`);
process.exit(failed.length > 0 ? 1 : 0);
