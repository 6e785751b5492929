import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** sha256 of every regular file under a folder, keyed by its '/'-separated relative path. */
export type TreeHashes = ReadonlyMap<string, string>;

/** Hashes every file under `root` (sorted walk, symlinks not followed). */
export function hashTree(root: string): TreeHashes {
  const hashes = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) hashes.set(relative(root, path).split(sep).join('/'), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(root);
  return hashes;
}

/** How a tree changed between two hashings. */
export interface TreeChanges {
  /** Files present before whose bytes differ now. */
  modified: string[];
  /** Files present before and gone now. */
  deleted: string[];
  /** Files that did not exist before. */
  added: string[];
}

/** Compares two hashings of the same tree. */
export function diffTrees(before: TreeHashes, after: TreeHashes): TreeChanges {
  const modified: string[] = [];
  const deleted: string[] = [];
  for (const [path, hash] of before) {
    const now = after.get(path);
    if (now === undefined) deleted.push(path);
    else if (now !== hash) modified.push(path);
  }
  const added = [...after.keys()].filter((path) => !before.has(path));
  return { modified, deleted, added };
}

/**
 * Copies the demo workspace into `target`. Fails when `source` has no files: the scenarios need
 * the demo models.
 */
export function copyWorkspace(source: string, target: string): void {
  if (!statSync(source, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`demo workspace ${source} does not exist`);
  cpSync(source, target, { recursive: true });
}

/** The folder the extension writes saved reports (and nothing else) into, relative to the workspace. */
export const EXTENSION_OUTPUT_DIR = '.bias-inspector/';

/**
 * Added files the run may create: anything under `.bias-inspector/` (saved reports, DESIGN.md §2)
 * and the `allowed` files the harness itself wrote. Returns the others, which are a failure.
 */
export function unexpectedAdditions(added: readonly string[], allowed: readonly string[] = []): string[] {
  return added.filter((path) => !path.startsWith(EXTENSION_OUTPUT_DIR) && !allowed.includes(path));
}
