// Sharded run vs one process (issue 15): `groups --predictions` over N rows (default 10M, set
// BENCH_SHARD_ROWS) with 50 Poisson bootstrap replicates, once in one process and once as 2
// shards on a 2-worker Dask LocalCluster (`bias-inspector distributed --local 2`). Prints wall
// time and peak RSS (one process; each worker's CLI), and each shard run alone (wall, CPU, RSS).
// Skipped when python3-distributed is missing.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'cli.js');
const rows = Number(process.env.BENCH_SHARD_ROWS ?? 10_000_000);
if (spawnSync('/usr/bin/python3', ['-c', 'import distributed']).status !== 0) {
  console.log('skipped: python3-distributed is not installed');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'bench-shard-'));

async function writePredictions(path) {
  const out = createWriteStream(path);
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const sexes = ['F', 'M'];
  const races = ['A', 'B', 'W'];
  let chunk = 'label,score,sex,race\n';
  for (let i = 0; i < rows; i++) {
    const y = rnd() < 0.5 ? 1 : 0;
    const p = Math.min(0.999, Math.max(0.001, (y ? 0.65 : 0.35) + (rnd() - 0.5) * 0.6));
    chunk += `${y},${p.toFixed(4)},${sexes[rnd() < 0.4 ? 0 : 1]},${races[Math.floor(rnd() * 3)]}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise((r) => out.on('finish', r));
}

/** Runs the CLI in a child that reports its own peak RSS (resourceUsage, KiB) on exit. */
function timed(args) {
  const wrapper = `process.on('exit', () => { const u = process.resourceUsage(); process.stderr.write('\\nPEAK_RSS_KB ' + u.maxRSS + '\\nCPU_US ' + (u.userCPUTime + u.systemCPUTime) + '\\n'); }); process.argv.splice(1, 1, ${JSON.stringify(cli)}); require(${JSON.stringify(cli)});`;
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', wrapper, cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`bias-inspector ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const rss = /PEAK_RSS_KB (\d+)/.exec(r.stderr);
  const cpu = /CPU_US (\d+)/.exec(r.stderr);
  return { seconds, peakMb: rss ? Number(rss[1]) / 1024 : NaN, cpuSeconds: cpu ? Number(cpu[1]) / 1e6 : NaN };
}

try {
  const data = join(dir, 'preds.csv');
  await writePredictions(data);
  const spec = join(dir, 'preds.bias.json');
  writeFileSync(spec, JSON.stringify({ data, task: 'binary', label: 'label', groups: ['sex', 'race'], predictions: { file: data, score: 'score' } }));
  const common = ['--bootstrap', '50', '--bootstrap-scheme', 'poisson'];
  const one = timed(['groups', '--spec', spec, ...common, '--json', join(dir, 'one.json')]);
  const merged = join(dir, 'merged.json');
  const many = timed(['distributed', '--local', '2', '--spec', spec, '--shards', '2', '--json', merged, '--', '--bootstrap', '50']);
  // each shard alone in one process (no cluster): its own wall and CPU time and peak RSS
  const alone = [0, 1].map((i) => timed(['groups', '--spec', spec, '--bootstrap', '50', '--shard', `${i}/2`, '--state', join(dir, `state-${i}.json`)]));
  const report = JSON.parse(readFileSync(merged, 'utf8'));
  const same = JSON.parse(readFileSync(join(dir, 'one.json'), 'utf8')).groups.overall.count === report.groups.overall.count;
  console.log(`rows: ${rows.toLocaleString('en-US')} predictions, 2 sensitive columns, 50 Poisson replicates`);
  console.log(`load average at start:  ${loadavg().map((x) => x.toFixed(2)).join(', ')} (${cpus().length} cores)`);
  console.log(`one process:            ${one.seconds.toFixed(2)} s wall, ${one.cpuSeconds.toFixed(2)} s CPU, peak RSS ${one.peakMb.toFixed(0)} MB`);
  console.log(`2 shards / 2 workers:   ${many.seconds.toFixed(2)} s (cluster start included), per shard: ${report.shards.map((s) => `#${s.shard} ${s.seconds.toFixed(2)} s, ${s.peakRssMb ?? '?'} MB`).join('; ')}`);
  console.log(`each shard alone:       ${alone.map((x, i) => `#${i} ${x.seconds.toFixed(2)} s wall, ${x.cpuSeconds.toFixed(2)} s CPU, ${x.peakMb.toFixed(0)} MB`).join('; ')}`);
  console.log(`merged count equals the single run's: ${same}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
