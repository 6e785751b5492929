// Slice discovery and threshold what-if benchmarks (issue #11). The work runs in slices-impl.ts
// through tsx. Extra arguments pick parts: slices, thresholds (default: both).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'slices-impl.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: join(here, '../..'),
});
process.exit(result.status ?? 1);
