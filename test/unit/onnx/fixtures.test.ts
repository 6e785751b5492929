/** Fixture table: each model → expected summary fields (test/fixtures/onnx/expectations.json). */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ModelSummary } from '../../../extension/core/onnx';
import { inspectModel } from '../../../extension/core/onnx';
import { FIXTURES, REPO_ROOT } from './helpers';

type Expectation = Record<string, unknown>;
interface ExpectationFile {
  fixtures: Record<string, Expectation>;
  examples: Record<string, Expectation>;
}

const table = JSON.parse(readFileSync(join(FIXTURES, 'expectations.json'), 'utf8')) as ExpectationFile;

function opCounts(summary: ModelSummary): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of summary.opHistogram) counts[entry.op] = (counts[entry.op] ?? 0) + entry.count;
  return counts;
}

/** Compares every key the expectation has; unknown keys fail so typos cannot pass silently. */
function check(summary: ModelSummary, expected: Expectation): void {
  for (const [key, want] of Object.entries(expected)) {
    switch (key) {
      case 'irVersion': case 'opsets': case 'producer': case 'modelVersion': case 'docString': case 'metadata':
      case 'inputs': case 'outputs': case 'nodeCount': case 'opHistogram': case 'externalData':
        assert.deepEqual(summary[key], want, key);
        break;
      case 'inputNames':
        assert.deepEqual(summary.inputs.map((i) => i.name), want, key);
        break;
      case 'outputNames':
        assert.deepEqual(summary.outputs.map((o) => o.name), want, key);
        break;
      case 'opCounts': {
        const counts = opCounts(summary);
        for (const [op, count] of Object.entries(want as Record<string, number>)) assert.equal(counts[op] ?? 0, count, `count of ${op}`);
        break;
      }
      case 'parameters':
        for (const [field, value] of Object.entries(want as Record<string, number>)) {
          assert.equal(summary.parameters[field as keyof ModelSummary['parameters']], value, `parameters.${field}`);
        }
        break;
      case 'parametersAtLeast':
        assert.ok(summary.parameters.total >= (want as number), `parameters.total ${summary.parameters.total} >= ${String(want)}`);
        break;
      case 'byDtype':
        assert.deepEqual(summary.parameters.byDtype, want, key);
        break;
      case 'largest':
        assert.deepEqual(summary.parameters.largest, want, key);
        break;
      case 'largestExternal':
        assert.deepEqual(new Set(summary.parameters.largest.map((l) => l.external)), new Set([want]), key);
        break;
      case 'attention':
        assert.deepEqual(summary.attention.blocks, want, key);
        break;
      case 'attentionCount': {
        const want2 = want as { softmax: number; fused: number };
        assert.equal(summary.attention.blocks.filter((b) => b.kind === 'softmax').length, want2.softmax, 'softmax attention blocks');
        assert.equal(summary.attention.blocks.filter((b) => b.kind === 'fused').length, want2.fused, 'fused attention blocks');
        break;
      }
      case 'quantized':
        assert.equal(summary.quantization.quantized, want, key);
        break;
      case 'quantizationOps':
        assert.deepEqual(summary.quantization.ops, want, key);
        break;
      case 'lowBitWeights':
        assert.deepEqual(summary.quantization.lowBitWeights, want, key);
        break;
      default:
        assert.fail(`expectations.json: unknown key '${key}'`);
    }
  }
}

/** Invariants every summary satisfies, whatever the model. */
function checkInvariants(summary: ModelSummary, path: string, fileBytes: number): void {
  assert.equal(summary.path, path);
  assert.equal(summary.fileBytes, fileBytes);
  assert.match(summary.sha256, /^[0-9a-f]{64}$/);
  assert.ok(summary.irVersion >= 3);
  assert.ok(summary.opsets.length >= 1);
  assert.ok(summary.outputs.length >= 1);
  assert.equal(summary.nodeCount, summary.opHistogram.reduce((s, h) => s + h.count, 0));
  const p = summary.parameters;
  assert.equal(p.total, p.byDtype.reduce((s, d) => s + d.parameters, 0));
  assert.equal(p.bytes, p.byDtype.reduce((s, d) => s + d.bytes, 0));
  assert.equal(p.tensors, p.byDtype.reduce((s, d) => s + d.tensors, 0));
  assert.ok(p.largest.length === Math.min(10, p.tensors));
  for (let i = 1; i < summary.opHistogram.length; i++) {
    assert.ok((summary.opHistogram[i - 1]?.count ?? 0) >= (summary.opHistogram[i]?.count ?? 0), 'histogram sorted by count');
  }
  assert.equal(summary.quantization.quantized, summary.quantization.ops.length > 0 || summary.quantization.lowBitWeights.length > 0);
}

describe('onnx fixture table', () => {
  for (const [name, expected] of Object.entries(table.fixtures)) {
    it(`${name} → expected summary`, async () => {
      const path = join(FIXTURES, name);
      const summary = await inspectModel(path);
      checkInvariants(summary, path, readFileSync(path).length);
      check(summary, expected);
    });
  }

  it('mlp.onnx sha256 is the hash of the file bytes', async () => {
    const summary = await inspectModel(join(FIXTURES, 'mlp.onnx'));
    const { createHash } = await import('node:crypto');
    assert.equal(summary.sha256, createHash('sha256').update(readFileSync(join(FIXTURES, 'mlp.onnx'))).digest('hex'));
  });
});

describe('onnx demo models (examples/*.onnx, when present)', () => {
  const present = existsSync(join(REPO_ROOT, 'examples'))
    ? readdirOnnx(join(REPO_ROOT, 'examples')).map((f) => `examples/${f}`)
    : [];
  it('every listed example that exists matches its expectation', async (t) => {
    const listed = Object.keys(table.examples).filter((p) => existsSync(join(REPO_ROOT, p)));
    if (listed.length === 0) t.diagnostic('no demo model generated yet; nothing to compare');
    for (const rel of listed) {
      const path = join(REPO_ROOT, rel);
      const summary = await inspectModel(path);
      checkInvariants(summary, path, readFileSync(path).length);
      check(summary, table.examples[rel] ?? {});
    }
  });
  for (const rel of present.filter((p) => !(p in table.examples))) {
    it(`${rel} (no expectation listed) satisfies the summary invariants`, async () => {
      const path = join(REPO_ROOT, rel);
      checkInvariants(await inspectModel(path), path, readFileSync(path).length);
    });
  }
});

function readdirOnnx(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort();
}
