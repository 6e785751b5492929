import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

/** One error line found in a log file (with the few lines after it, which carry the stack). */
export interface LogError {
  /** Path relative to the logs folder. */
  file: string;
  /** 1-based line number. */
  line: number;
  text: string;
}

/** Which log files to read and which of their error lines concern this extension. */
export interface LogSelection {
  /** Output channel file name, e.g. "Bias Inspector.log" (also matches "3-Bias Inspector.log"). */
  channelFile: string;
  /** Extension id and other strings that mark an extension-host log line as ours. */
  markers: readonly string[];
}

function listFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

const ERROR_LINE = /\[error\]/i;
const STACK_LINES = 6;
const TIMESTAMP = /^\d{4}-\d\d-\d\d[ T]\d/;

/** Error lines of a log text; `relevant` narrows them (e.g. to lines naming the extension). */
export function findErrorLines(file: string, text: string, relevant: (line: string) => boolean): LogError[] {
  const lines = text.split(/\r?\n/);
  const errors: LogError[] = [];
  lines.forEach((line, i) => {
    if (!ERROR_LINE.test(line)) return;
    const block = [line];
    for (let j = i + 1; j < lines.length && block.length < STACK_LINES; j++) {
      const next = lines[j] ?? '';
      if (next === '' || TIMESTAMP.test(next)) break;
      block.push(next);
    }
    if (block.some(relevant)) errors.push({ file, line: i + 1, text: block.join('\n') });
  });
  return errors;
}

/**
 * Reads VS Code's log files under a user-data dir's `logs/`: the extension's output channel and
 * the extension-host logs. Remembers what it reported so each call returns only new errors.
 */
export class LogWatcher {
  private readonly seen = new Set<string>();

  constructor(private readonly logsRoot: string, private readonly selection: LogSelection) {}

  /** Every output-channel file of the extension (one per extension-host session). */
  channelFiles(): string[] {
    return listFiles(this.logsRoot).filter((f) => basename(f) === this.selection.channelFile || basename(f).endsWith(`-${this.selection.channelFile}`)).sort();
  }

  /** Extension-host logs (`exthost.log`, `remoteexthost.log`, ...). */
  extensionHostFiles(): string[] {
    return listFiles(this.logsRoot).filter((f) => /exthost\.log$/i.test(basename(f))).sort();
  }

  /** The text of the extension's output channel(s), newest session last. */
  channelText(): string {
    return this.channelFiles().map((f) => readFileSync(f, 'utf8')).join('\n');
  }

  /**
   * Errors not returned before: every error line of the output channel, and the extension-host
   * error lines that mention one of the markers.
   */
  newErrors(): LogError[] {
    const mentionsUs = (line: string): boolean => this.selection.markers.some((m) => line.includes(m));
    const found = [
      ...this.channelFiles().flatMap((f) => findErrorLines(relative(this.logsRoot, f), readFileSync(f, 'utf8'), () => true)),
      ...this.extensionHostFiles().flatMap((f) => findErrorLines(relative(this.logsRoot, f), readFileSync(f, 'utf8'), mentionsUs)),
    ];
    const fresh = found.filter((e) => !this.seen.has(`${e.file}:${e.line}`));
    for (const e of fresh) this.seen.add(`${e.file}:${e.line}`);
    return fresh;
  }

  /** Extension-host lines that say our extension activated (`ExtensionService#_doActivateExtension <id>`). */
  activationLines(extensionId: string): string[] {
    return this.extensionHostFiles().flatMap((f) => readFileSync(f, 'utf8').split(/\r?\n/).filter((l) => l.includes('_doActivateExtension') && l.includes(extensionId)));
  }
}
