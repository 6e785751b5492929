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
