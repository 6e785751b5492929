// Activation benchmark (issue 14, item 5): module load + `activate` of the built extension
// (dist/extension.js) in plain Node with a VS Code API stub (activation-harness.mjs), one fresh
// process per sample. Also the one-time cost of the first use (requiring dist/engine.js, which
// the first opened model or command pays) and the bundle sizes. Target: activation ≤ 50 ms.
// Usage: node scripts/bench/activation.mjs [--samples 15] [--bundle other/dist/extension.js]
// (after `npm run build`; --bundle measures another build, e.g. one from before the split)
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const args = process.argv.slice(2);
const flag = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : fallback; };
const samples = flag('--samples', 15);
const at = args.indexOf('--bundle');
const bundle = resolve(at >= 0 ? args[at + 1] : join(root, 'dist/extension.js'));
const engine = join(dirname(bundle), 'engine.js');
if (!existsSync(bundle)) {
  console.error(`${bundle} is missing: run \`npm run build\` first`);
  process.exit(1);
}

const runs = [];
for (let i = 0; i < samples; i++) {
  // No tsx here: the extension host loads plain CommonJS.
  const r = spawnSync(process.execPath, [join(root, 'scripts/bench/activation-harness.mjs'), bundle], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  runs.push(JSON.parse(r.stdout.trim().split('\n').pop()));
}

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => { const s = sorted(xs); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const row = (name, xs) => [name, median(xs).toFixed(1), sorted(xs)[0].toFixed(1), sorted(xs).at(-1).toFixed(1)];
const table = (rows) => {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => `| ${r.map((v, c) => String(v).padEnd(widths[c])).join(' | ')} |`).join('\n');
};

const kib = (f) => (existsSync(f) ? `${(statSync(f).size / 1024).toFixed(0)} KiB` : 'absent');
const last = runs.at(-1);
console.log(`activation: ${samples} fresh processes; ${bundle.startsWith(root) ? bundle.slice(root.length + 1) : bundle} ${kib(bundle)}, engine.js ${kib(engine)}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`activation requires: ${last.loadedWhenIdle.join(', ')}`);
console.log(`registered: ${last.commands.length} commands, ${last.views.length} view(s), ${last.editors.length} custom editor(s), ${last.serializers.length} panel serializer(s), ${last.statusBarItems} status-bar item(s)`);
const totals = runs.map((r) => r.totalMs);
const cpu = runs.map((r) => r.loadCpuMs + r.activateCpuMs);
const rows = [['ms', 'median', 'min', 'max'],
  row('module load (wall)', runs.map((r) => r.loadMs)),
  row('activate (wall)', runs.map((r) => r.activateMs)),
  row('load + activate (wall)', totals),
  row('load + activate (CPU)', cpu)];
const engineRuns = runs.filter((r) => r.engineMs !== null);
if (engineRuns.length > 0) {
  rows.push(row('first use: require engine.js (wall)', engineRuns.map((r) => r.engineMs)));
  rows.push(row('first use: require engine.js (CPU)', engineRuns.map((r) => r.engineCpuMs)));
}
console.log(table(rows));
const engineLoaded = runs.some((r) => r.loadedWhenIdle.some((f) => f.endsWith('engine.js')));
const pass = median(cpu) <= 50 && sorted(totals)[0] <= 50 && !engineLoaded;
console.log(`target load + activate <= 50 ms: ${pass ? 'PASS' : 'MISS'} (median CPU ${median(cpu).toFixed(1)} ms, best wall ${sorted(totals)[0].toFixed(1)} ms, median wall ${median(totals).toFixed(1)} ms${engineLoaded ? '; the engine was loaded at activation' : ''})`);
