/**
 * The comparison of two models on one spec reads the data once and feeds both sessions
 * (passModelPair), keeping the input cells of the flipped rows on the way. Its report must be the
 * one two separate passes give (the spec-b path: one pass per spec, flipped rows read back from
 * the file): same rows, metrics, flips, McNemar, verdicts and flipped rows with their inputs.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { runCompare } from '../../../extension/core/analyze/compare';
import { loadSpec } from '../../../extension/core/data';

const examples = resolve(__dirname, '../../../examples');

describe('compare: one paired pass equals two separate passes', () => {
  it('income demo, referenceModel vs two specs over the same data', async () => {
    const spec = await loadSpec(join(examples, 'income-compare.bias.json'));
    const options = { providers: ['cpu' as const], bootstrap: 20, seed: 3, flipRowsShown: 40 };
    const paired = await runCompare(spec, { ...options, target: { kind: 'referenceModel' } });
    const specA = { ...spec, model: spec.referenceModel as string };
    const separate = await runCompare(specA, { ...options, target: { kind: 'spec-b', spec } });
    assert.equal(paired.compare.source, 'referenceModel');
    assert.equal(separate.compare.source, 'spec-b');
    assert.equal(paired.compare.rows, 6000);
    assert.deepEqual(paired.compare.byGroup, separate.compare.byGroup);
    assert.deepEqual(paired.compare.worstDelta, separate.compare.worstDelta);
    assert.deepEqual(paired.compare.disparity, separate.compare.disparity);
    assert.equal(paired.compare.flipRows.length, 40);
    assert.deepEqual(paired.compare.flipRows, separate.compare.flipRows);
    // the inputs are the file's cells (the separate path reads them back from the file)
    const first = paired.compare.flipRows[0];
    assert.ok(first?.inputs && Object.keys(first.inputs).includes('age') && first.inputs['age'] !== '');
    assert.deepEqual(paired.groups.byGroup, separate.groups.byGroup);
    assert.deepEqual(paired.data, separate.data);
  });
});
