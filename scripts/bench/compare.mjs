// Comparison benchmarks (issue 12): two 1M-row prediction files with 200 paired bootstrap
// replicates (time and peak memory), and two demo models over 100k rows vs two raw onnxruntime
// passes. The work runs in compare-impl.ts through tsx. Arguments pick parts: predictions, models.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'compare-impl.ts'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: join(here, '../..') });
process.exit(result.status ?? 1);
