/**
 * checkWire takes a quick walk (wireIsClean) and runs the detailed one (findWireIssue) only when
 * the quick one finds a problem. The two must accept exactly the same bytes: on every model of
 * examples/ and test/fixtures (the malformed fixtures included) and on seeded truncated, flipped,
 * overwritten and spliced copies of a few models.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { modelProtoType } from '../../../extension/core/onnx/proto';
import { checkWire, findWireIssue, wireIsClean } from '../../../extension/core/onnx/wire';
import { Xoshiro128 } from '../../../extension/core/metrics/stats';
import { REPO_ROOT } from './helpers';

function onnxFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return onnxFiles(path);
    return name.endsWith('.onnx') ? [path] : [];
  });
}

const type = modelProtoType();
const models = [...onnxFiles(join(REPO_ROOT, 'examples')), ...onnxFiles(join(REPO_ROOT, 'test/fixtures'))].sort();

function agree(bytes: Uint8Array, where: string): boolean {
  const issue = findWireIssue(bytes, type);
  assert.equal(wireIsClean(bytes, type), issue === null, `${where}: ${issue ? `${issue.kind} ${issue.path} @${issue.offset}: ${issue.detail}` : 'clean'}`);
  assert.deepEqual(checkWire(bytes, type), issue, where);
  return issue === null;
}

test('the quick and the detailed wire walks agree on every model of examples/ and test/fixtures', () => {
  let clean = 0;
  for (const path of models) if (agree(new Uint8Array(readFileSync(path)), relative(REPO_ROOT, path))) clean++;
  assert.ok(clean > 40, `${clean} clean of ${models.length}`);
});

test('the quick and the detailed wire walks agree on corrupted copies', () => {
  const rng = new Xoshiro128(404);
  // Small models, so that corruptions land in structure as often as in weights.
  const sources = models.filter((p) => statSync(p).size < 64 * 1024).slice(0, 12);
  assert.ok(sources.length >= 6, `${sources.length} small models`);
  let clean = 0;
  let unclean = 0;
  for (const path of sources) {
    const original = new Uint8Array(readFileSync(path));
    for (let k = 0; k < 150; k++) {
      const bytes = original.slice();
      const at = rng.nextInt(bytes.length);
      const kind = k % 5;
      let copy: Uint8Array;
      if (kind === 0) copy = bytes.subarray(0, at); // truncated
      else if (kind === 1) { bytes[at] = bytes[at]! ^ (1 << rng.nextInt(8)); copy = bytes; } // one bit flipped
      else if (kind === 2) { bytes[at] = rng.nextInt(256); copy = bytes; } // one byte overwritten
      else if (kind === 3) { for (let j = 0; j < 4; j++) bytes[(at + j) % bytes.length] = 0x80 | rng.nextInt(128); copy = bytes; } // a run of continuation bytes
      else { // a slice of the file spliced in at another place
        const from = rng.nextInt(bytes.length);
        const piece = original.subarray(from, Math.min(original.length, from + 1 + rng.nextInt(64)));
        copy = new Uint8Array([...bytes.subarray(0, at), ...piece, ...bytes.subarray(at)]);
      }
      if (agree(copy, `${relative(REPO_ROOT, path)} corruption ${k} (kind ${kind}, at ${at})`)) clean++;
      else unclean++;
    }
  }
  // Both outcomes occur, so the agreement is tested both ways.
  assert.ok(clean > 100 && unclean > 100, `${clean} clean, ${unclean} unclean`);
});
