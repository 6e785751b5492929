// Per-group analysis benchmarks (issue #4 item 10). Core is TypeScript and is not bundled on its
// own, so the work runs in groups-impl.ts through tsx (a devDependency, present after `npm ci`).
// Extra arguments pick parts: e2e, metrics, rss, cli (default: all four).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'groups-impl.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: join(here, '../..'),
});
process.exit(result.status ?? 1);
