/** Shared paths and temp-dir helpers of the ONNX unit tests. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const FIXTURES = join(REPO_ROOT, 'test/fixtures/onnx');

/** Absolute path of a fixture model. */
export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** Bytes of a fixture model as a plain Uint8Array. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixture(name)));
}

/** A fresh temp folder and its cleanup. */
export function tempDir(prefix = 'onnx-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
