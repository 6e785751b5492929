import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ATTENTION_DEFAULTS, autoReplicates, replicatesFor, resolveRunOptions, RUN_DEFAULTS } from '../../../extension/core/analyze';

test('precedence: an override beats the spec, the spec beats the default, per field', () => {
  const spec = { minGroupSize: 50, bootstrap: 10, seed: 7 };
  assert.deepEqual(resolveRunOptions(spec, {}), { ...RUN_DEFAULTS, minGroupSize: 50, bootstrap: 10, seed: 7 });
  assert.deepEqual(resolveRunOptions(spec, { bootstrap: 0, minGroupSize: 5 }), { ...RUN_DEFAULTS, minGroupSize: 5, bootstrap: 0, seed: 7 });
  assert.deepEqual(resolveRunOptions({}, { seed: 3 }), { ...RUN_DEFAULTS, seed: 3 });
  assert.deepEqual(resolveRunOptions(undefined, {}, ATTENTION_DEFAULTS), ATTENTION_DEFAULTS);
  assert.deepEqual(resolveRunOptions(undefined, { providers: ['cpu'], batchSize: 7, maxRows: 9, threads: 2 }), {
    ...RUN_DEFAULTS, providers: ['cpu'], batchSize: 7, maxRows: 9, threads: 2,
  });
});

test("bootstrap is on by default and 'auto' stays cheap on large data", () => {
  assert.equal(RUN_DEFAULTS.bootstrap, 'auto');
  assert.equal(autoReplicates(6000), 200);
  assert.equal(autoReplicates(100_000), 200);
  assert.equal(autoReplicates(200_000), 100);
  assert.equal(autoReplicates(400_000), 50);
  assert.equal(autoReplicates(10_000_000), 50);
  assert.equal(autoReplicates(0), 200);
  for (let n = 1; n < 3e6; n = Math.ceil(n * 1.7)) {
    const r = autoReplicates(n);
    assert.ok(r >= 50 && r <= 200 && (r * n <= 2e7 || r === 50), `${n} rows: ${r} replicates`);
  }
  assert.equal(replicatesFor(0, 1e6), 0);
  assert.equal(replicatesFor(30, 1e6), 30);
  assert.equal(replicatesFor('auto', 1e6), 50);
});

test("VS Code's settings show the engine's defaults (package.json)", () => {
  const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../../package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default: unknown }> } };
  };
  const setting = (key: string): unknown => pkg.contributes.configuration.properties[`biasInspector.${key}`]?.default;
  assert.equal(setting('executionProviders'), RUN_DEFAULTS.providers);
  assert.equal(setting('batchSize'), RUN_DEFAULTS.batchSize);
  assert.equal(setting('maxRows'), RUN_DEFAULTS.maxRows);
  assert.equal(setting('threads'), RUN_DEFAULTS.threads);
  assert.equal(setting('minGroupSize'), RUN_DEFAULTS.minGroupSize);
  assert.equal(setting('bootstrap'), RUN_DEFAULTS.bootstrap);
  assert.equal(setting('bootstrapSeed'), RUN_DEFAULTS.seed);
});

test('a run applies the precedence end to end: spec bootstrap/seed/minGroupSize unless an override is given', async () => {
  const { resolveSpec, runGroups } = await import('../../../extension/core/analyze');
  const spec = await resolveSpec({
    data: 'income-predictions.csv', task: 'binary', label: 'label', groups: ['sex'],
    predictions: { file: 'income-predictions.csv', score: 'score', pred: 'pred' },
    bootstrap: 20, seed: 5, minGroupSize: 4000,
  }, { baseDir: resolve(__dirname, '../../../examples') });
  const fromSpec = await runGroups(spec, {});
  assert.deepEqual(fromSpec.groups.bootstrap, { replicates: 20, seed: 5, confidence: 0.95, method: 'percentile', scheme: 'multinomial', sampler: 'cells+rows' });
  assert.equal(fromSpec.groups.minGroupSize, 4000);
  assert.ok(fromSpec.groups.byGroup.every((g) => g.small === true), 'both sexes are below 4000 rows');
  const overridden = await runGroups(spec, { bootstrap: 0, minGroupSize: 30 });
  assert.equal(overridden.groups.bootstrap, undefined);
  assert.ok(overridden.groups.byGroup.every((g) => g.ci === undefined && g.small === undefined));
  const { bootstrap: _b, seed: _s, ...withoutBootstrap } = spec;
  const auto = await runGroups(withoutBootstrap, {});
  assert.equal(auto.groups.bootstrap?.replicates, 200, "no bootstrap anywhere: the default 'auto' (6000 rows: 200)");
});
