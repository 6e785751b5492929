/**
 * Bit-exact cross-check against scripts/bench/quant_reference.py (an independent numpy
 * implementation of FORMULAS.md §C). Skipped, with the reason logged, only when /usr/bin/python3
 * with numpy is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FORMAT_IDS } from '../../../extension/core/quant/formats';
import type { FormatId } from '../../../extension/core/quant/formats';
import { fakeQuantize } from '../../../extension/core/quant/quantize';
import { seededRandom } from '../../../extension/core/runtime/forward';
import type { QuantizeOptions } from '../../../extension/core/quant/quantize';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', '..', '..', 'scripts', 'bench', 'quant_reference.py');

/** Random float32 data: Gaussian-ish over many binades, tie-rich dyadic values, and special values. */
function makeData(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const kind = rnd();
    if (kind < 0.55) {
      const g = (rnd() + rnd() + rnd() - 1.5) * 2;
      x[i] = g * 2 ** Math.floor(rnd() * 12 - 6);
    } else if (kind < 0.85) {
      // dyadic values k/2^m: exact midpoints of the grids occur often
      x[i] = (Math.floor(rnd() * 512) - 256) / 2 ** Math.floor(rnd() * 8);
    } else if (kind < 0.9) {
      x[i] = (rnd() - 0.5) * 2 ** -130; // float32 subnormals
    } else if (kind < 0.95) {
      x[i] = rnd() < 0.5 ? 0 : -0;
    } else if (kind < 0.97) {
      x[i] = [NaN, Infinity, -Infinity][Math.floor(rnd() * 3)] ?? NaN;
    } else {
      x[i] = (rnd() - 0.5) * 1e5; // outliers
    }
  }
  return x;
}

interface Job {
  format: FormatId;
  shape: number[];
  channelAxis: number | null;
  blockAxis: number;
  flatten: boolean;
  rounding: 'rne' | 'rhaz';
  data: Float32Array;
}

function jobs(): Job[] {
  const out: Job[] = [];
  let seed = 7;
  for (const format of FORMAT_IDS) {
    const rounds: Array<'rne' | 'rhaz'> = format.startsWith('mx') ? ['rne', 'rhaz'] : ['rne'];
    for (const rounding of rounds) {
      out.push({ format, shape: [48, 64], channelAxis: 0, blockAxis: -1, flatten: false, rounding, data: makeData(48 * 64, seed++) });
      out.push({ format, shape: [70, 24], channelAxis: 1, blockAxis: 0, flatten: false, rounding, data: makeData(70 * 24, seed++) });
      out.push({ format, shape: [6, 5, 3, 3], channelAxis: 0, blockAxis: 1, flatten: true, rounding, data: makeData(270, seed++) });
      out.push({ format, shape: [1000], channelAxis: null, blockAxis: 0, flatten: false, rounding, data: makeData(1000, seed++) });
    }
  }
  return out;
}

function pythonWithNumpy(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not runnable (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} has no numpy (${r.stderr.trim().split('\n').pop() ?? ''})`;
  return null;
}

describe('quant cross-check against the numpy reference', () => {
  const missing = pythonWithNumpy();
  it('every format agrees bit for bit on ~6000 random values', { skip: missing ?? false }, () => {
    const list = jobs();
    const payload = list.map((j) => ({
      format: j.format,
      shape: j.shape,
      channelAxis: j.channelAxis,
      blockAxis: j.blockAxis,
      flatten: j.flatten,
      rounding: j.rounding,
      data: Buffer.from(j.data.buffer, j.data.byteOffset, j.data.byteLength).toString('base64'),
    }));
    const r = spawnSync(PYTHON, [SCRIPT, 'check'], { input: JSON.stringify(payload), encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(r.status, 0, r.stderr);
    const results = JSON.parse(r.stdout) as Array<{ values: string }>;
    assert.equal(results.length, list.length);
    let compared = 0;
    list.forEach((job, k) => {
      const bytes = Buffer.from(results[k]?.values ?? '', 'base64');
      const ref = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      const opts: QuantizeOptions = { channelAxis: job.channelAxis, blockAxis: job.blockAxis, blockFlattenTrailing: job.flatten, mxRounding: job.rounding };
      const ours = fakeQuantize(job.data, job.shape, job.format, opts);
      assert.equal(ref.length, ours.length);
      const a = new Uint32Array(ours.buffer);
      const b = new Uint32Array(ref.buffer);
      for (let i = 0; i < a.length; i++) {
        const bothNaN = Number.isNaN(ours[i]) && Number.isNaN(ref[i]);
        if (!bothNaN && a[i] !== b[i]) {
          assert.fail(`${job.format}/${job.rounding} shape [${job.shape.join(',')}] at ${i}: x = ${job.data[i]}, ours ${ours[i]} (0x${a[i]?.toString(16)}), numpy ${ref[i]} (0x${b[i]?.toString(16)})`);
        }
        compared++;
      }
    });
    assert.ok(compared > 17 * 6000);
  });
  if (missing !== null) console.log(`# quant reference cross-check skipped: ${missing}`);
});
