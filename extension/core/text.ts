/**
 * Model-derived strings (producer names, tensor and node names, metadata, runtime messages) are
 * written by whoever made the model. Before they reach a terminal or a one-line message, control
 * characters (ESC of terminal escape sequences, CR, newlines, DEL, C1 controls) and bidirectional
 * overrides are written as visible escapes, so a name cannot move the cursor, recolour, rewrite
 * or reorder what the user reads.
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `s` with every control / bidi-override character written as `\xHH` or `\uHHHH`. */
export function escapeControl(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Whether `s` holds a character `escapeControl` rewrites. */
export function hasControl(s: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(s);
  UNSAFE.lastIndex = 0;
  return found;
}

/** Multi-line text for a terminal: like `escapeControl`, but newlines are kept. */
export function terminalSafe(text: string): string {
  return text.split('\n').map(escapeControl).join('\n');
}

/**
 * A non-negative integer with en-US thousands separators ("12,345"), as `toLocaleString('en-US')`
 * writes it. Not `Intl`: its first use sets up ICU (~8–11 ms of a CLI run or analysis worker).
 */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
