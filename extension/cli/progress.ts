import type { ProgressFn } from '../core/analyze';
import { escapeControl } from '../core/analyze';

/** Progress on stderr (never stdout, which may carry JSON); silent when stderr is not a terminal. */
export function stderrProgress(label: string): ProgressFn {
  const tty = process.stderr.isTTY === true;
  return (fraction, message) => {
    if (!tty) return;
    process.stderr.write(`\r${label}: ${(fraction * 100).toFixed(0).padStart(3)}% ${escapeControl(message)}`.padEnd(70));
    if (fraction >= 1) process.stderr.write('\n');
  };
}
