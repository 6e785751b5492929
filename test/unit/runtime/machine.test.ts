import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { LARGE_MODEL_BYTES, physicalCores, sessionThreads } from '../../../extension/core/runtime/machine';

describe('session threads from the machine and the model', () => {
  it('counts physical cores within what the process may use', () => {
    const cores = physicalCores();
    assert.ok(Number.isInteger(cores) && cores >= 1 && cores <= availableParallelism());
  });
  it('gives a large model or a light pass every physical core, a small model with host work one less', () => {
    const cores = physicalCores();
    assert.equal(sessionThreads(LARGE_MODEL_BYTES, false), cores);
    assert.equal(sessionThreads(1000, true), cores);
    assert.equal(sessionThreads(1000, false), Math.max(1, cores - 1));
  });
});

describe('releaseBytes', () => {
  it('detaches a whole buffer at once and leaves a view on part of a buffer alone', async () => {
    const { releaseBytes } = await import('../../../extension/core/analyze/session');
    const whole = new Uint8Array(1 << 20).fill(7);
    await releaseBytes(whole);
    assert.equal(whole.byteLength, 0);
    const part = new Uint8Array(new ArrayBuffer(64), 16, 16).fill(3);
    await releaseBytes(part);
    assert.equal(part.byteLength, 16);
    assert.equal(part[0], 3);
  });
});
