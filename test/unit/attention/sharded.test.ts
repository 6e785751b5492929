/**
 * Sharded attention (docs/SHARDING.md §7): N shards through JSON state files merge to the single
 * run's report — counts, group lists, histograms and the causal/length/window decisions exactly,
 * floats within 1e-12 relative, the float32 maps bit for bit — on the demo transformer and on a
 * causal ALiBi model over rows of varying length, with batches straddling the shard blocks, a
 * first batch of skipped rows and the longest row in the last shard. Refusals of sets that do not
 * make one run.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSpec, resolveSpec, type ResolvedSpec } from '../../../extension/core/data';
import { runAttention, type AttentionRunOptions } from '../../../extension/core/analyze/attention';
import { mergeAttentionStates, runAttentionShard, shardBatches, type AttentionShardState } from '../../../extension/core/analyze/attentionShard';
import { readShardStates } from '../../../extension/core/analyze/shards';
import { openTable } from '../../../extension/core/data';
import { Xoshiro128 } from '../../../extension/core/metrics/stats';
import { BadInputError } from '../../../extension/core/errors';
import type { AttentionReport } from '../../../extension/protocol/attention';
import { assertJsonClose } from '../jsonClose';

const root = resolve(__dirname, '../../..');
const examples = join(root, 'examples');
const fixtures = join(root, 'test/fixtures/attention');
const dir = mkdtempSync(join(tmpdir(), 'sharded-attention-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Each shard's state through a JSON file, as `--state` writes and `merge` reads it. */
async function shardStates(spec: ResolvedSpec, n: number, options: AttentionRunOptions, tag: string): Promise<AttentionShardState[]> {
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const state = await runAttentionShard(spec, { ...options, shard: { index: i, count: n } });
    const path = join(dir, `${tag}-${i}.json`);
    writeFileSync(path, JSON.stringify(state));
    paths.push(path);
  }
  return (await readShardStates(paths)) as AttentionShardState[];
}

/** The report as its JSON file holds it, without the fields a merge adds or a clock sets. */
function comparable(report: AttentionReport): Record<string, unknown> {
  const { createdAt: _c, shards: _s, ...rest } = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
  return rest;
}

test('demo transformer: 3 shards through JSON equal the single run', { timeout: 120_000 }, async () => {
  const spec = await loadSpec(join(examples, 'tiny-transformer.bias.json'));
  const options: AttentionRunOptions = { providers: ['cpu'] };
  const single = await runAttention(spec, options);
  const states = await shardStates(spec, 3, options, 'demo');
  assert.deepEqual(states.map((s) => s.data.rows), [1024, 1024, 952]);
  const merged = mergeAttentionStates(states);
  assertJsonClose(comparable(merged), comparable(single), 1e-12);
  // exact: counts, groups and their sizes, histograms, decisions
  const a = merged.attention;
  const b = single.attention;
  assert.equal(a.samples, 3000);
  assert.deepEqual(a.byGroup.map((g) => [g.group, g.samples, g.small ?? false]), b.byGroup.map((g) => [g.group, g.samples, g.small ?? false]));
  assert.deepEqual(a.entropy.overall.map((d) => d.histogram), b.entropy.overall.map((d) => d.histogram));
  assert.deepEqual([a.causal, a.maps.window, a.biasMatrices?.T, a.rowSums.rows], [b.causal, b.maps.window, b.biasMatrices?.T, b.rowSums.rows]);
  assert.equal(a.maps.overall[5]!.data, b.maps.overall[5]!.data, 'float32 maps bit for bit');
  assert.deepEqual(merged.shards?.map((s) => s.rows), [1024, 1024, 952]);
});

/** Rows of varying length for a causal model: skipped rows (a whole first batch), groups, spans, special tokens. */
function variableRows(rows: number, seed: number, longestAt: number): string {
  const r = new Xoshiro128(seed);
  const lines: string[] = [];
  for (let i = 1; i <= rows; i++) {
    const missing = i <= 100 || r.nextFloat() < 0.01;
    const n = i === longestAt ? 30 : 2 + Math.floor(r.nextFloat() * 15);
    const ids = [2, ...Array.from({ length: n - 1 }, () => 3 + Math.floor(r.nextFloat() * 21))];
    const group = r.nextFloat() < 0.05 ? null : ['a', 'b', 'c'][Math.floor(r.nextFloat() * 3)]!;
    const span = Array.from({ length: n }, (_, j) => j).filter(() => r.nextFloat() < 0.2);
    lines.push(JSON.stringify({
      ids: missing ? (i % 2 ? null : []) : ids, tokens: ids.map((t, j) => (j === 0 ? '[CLS]' : `w${t}`)),
      label: i % 2, group, span,
    }));
  }
  return `${lines.join('\n')}\n`;
}

test('causal ALiBi model, rows of varying length, batches straddling the blocks: 3 shards equal the single run', { timeout: 120_000 }, async () => {
  const data = join(dir, 'variable.jsonl');
  writeFileSync(data, variableRows(2600, 7, 2500));
  const spec = await resolveSpec({
    model: join(fixtures, 'alibi_causal.onnx'), data, task: 'binary', inputs: { input_ids: { column: 'ids' } }, groups: ['group'],
    attention: { tokens: 'tokens', spans: { term: 'span' } },
  }, { baseDir: dir });
  // batches of 100 rows: rows 1001-1100 straddle blocks 0 and 1 (the batch goes whole to shard 0)
  const options: AttentionRunOptions = { providers: ['cpu'], batchSize: 100 };
  const single = await runAttention(spec, options);
  assert.equal(single.attention.causal, true);
  assert.equal(single.attention.biasMatrices?.T, 30, 'the longest row (row 2500) sets the bias length');
  assert.ok(single.data.skippedRows > 100);
  const states = await shardStates(spec, 3, options, 'variable');
  // shard 0 owns the batches starting in rows 1-1024 and 3073-…: 1-1100; shard 1 1101-2100; shard 2 2101-2600
  assert.deepEqual(states.map((s) => s.data.rows), [1100, 1000, 500]);
  assert.deepEqual(states.map((s) => s.attention.bias?.T), [16, 16, 30], 'each shard evaluates the biases at its own length');
  assert.deepEqual(states.map((s) => s.attention.causal), [true, true, true]);
  const merged = mergeAttentionStates(states);
  assertJsonClose(comparable(merged), comparable(single), 1e-12);
  assert.equal(merged.attention.maps.window, single.attention.maps.window);
  assert.deepEqual(merged.data, single.data);

  // 4 shards: shard 3 owns no batch (an empty state) and the merge still equals the single run
  const four = await shardStates(spec, 4, options, 'variable4');
  assert.equal(four[3]!.data.rows, 0);
  assert.equal(four[3]!.attention.sums, null);
  assertJsonClose(comparable(mergeAttentionStates(four)), comparable(single), 1e-12);
});

test('shard batches: every batch of the file once, whole, owned by the block of its first row', async () => {
  const data = join(dir, 'variable.jsonl');
  if (!existsSync(data)) writeFileSync(data, variableRows(2600, 7, 2500));
  const firsts = async (count: number, index: number): Promise<number[][]> => {
    const table = shardBatches(await openTable(data, { batchRows: 100 }), { index, count });
    const out: number[][] = [];
    for await (const b of table.batches()) out.push([...b.rowNumbers, ...b.skipped.map((s) => s.row)].sort((x, y) => x - y));
    await table.close();
    return out;
  };
  const all = await firsts(1, 0);
  const shards = await Promise.all([0, 1, 2].map((i) => firsts(3, i)));
  const union = shards.flat().sort((x, y) => x[0]! - y[0]!);
  assert.deepEqual(union, all);
  for (const [i, batches] of shards.entries()) for (const b of batches) assert.equal(Math.floor((b[0]! - 1) / 1024) % 3, i);
});

test('merge refuses repeated or missing shards, other settings, another format, and --samples in a shard', { timeout: 120_000 }, async () => {
  const spec = await loadSpec(join(examples, 'tiny-transformer.bias.json'));
  const options: AttentionRunOptions = { providers: ['cpu'] };
  const states = await shardStates(spec, 2, options, 'refuse');
  const refused = (f: () => unknown, pattern: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof BadInputError && pattern.test(e.message), String(pattern));
  };
  refused(() => mergeAttentionStates([states[0]!, states[0]!]), /shard 0\/2 is given twice/);
  refused(() => mergeAttentionStates([states[0]!]), /shard 1\/2 missing/);
  const longer = await runAttentionShard(spec, { ...options, length: 16, shard: { index: 1, count: 2 } });
  refused(() => mergeAttentionStates([states[0]!, longer]), /other attention settings/);
  const bigger = await runAttentionShard(spec, { ...options, batchSize: 64, shard: { index: 1, count: 2 } });
  refused(() => mergeAttentionStates([states[0]!, bigger]), /other attention settings .*"batchSize":64/);
  const future = { ...states[1]!, attention: { ...states[1]!.attention, format: 'attention/2' } } as unknown as AttentionShardState;
  refused(() => mergeAttentionStates([states[0]!, future]), /format "attention\/2"; this bias-inspector reads "attention\/1"/);
  await assert.rejects(runAttentionShard(spec, { ...options, maxRows: 10, shard: { index: 0, count: 2 } }), /drop --samples/);
});

const cli = join(root, 'dist/cli.js');
function run(args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root, timeout: 120_000 });
  return { code: r.status, stderr: r.stderr };
}

test('CLI: attention --shard i/n --state, then merge, writes the single run\'s report; mixed analyses are refused', { timeout: 180_000, skip: existsSync(cli) ? false : 'needs npm run build' }, () => {
  const spec = join(examples, 'tiny-transformer.bias.json');
  const single = join(dir, 'cli-single.json');
  const one = run(['attention', '--spec', spec, '--ep', 'cpu', '--json', single]);
  assert.equal(one.code, 0, one.stderr);
  const states = [0, 1].map((i) => join(dir, `cli-state-${i}.json`));
  states.forEach((state, i) => {
    const r = run(['attention', '--spec', spec, '--ep', 'cpu', '--shard', `${i}/2`, '--state', state]);
    assert.equal(r.code, 0, r.stderr);
  });
  const merged = join(dir, 'cli-merged.json');
  const html = join(dir, 'cli-merged.html');
  const m = run(['merge', ...states, '--json', merged, '--html', html]);
  assert.equal(m.code, 0, m.stderr);
  const read = (p: string): AttentionReport => JSON.parse(readFileSync(p, 'utf8')) as AttentionReport;
  assertJsonClose(comparable(read(merged)), comparable(read(single)), 1e-12);
  assert.ok(existsSync(html));
  const csv = run(['merge', ...states, '--csv', join(dir, 'x.csv')]);
  assert.equal(csv.code, 2);
  assert.match(csv.stderr, /an attention report has no CSV table/);
  const samples = run(['attention', '--spec', spec, '--samples', '10', '--shard', '0/2', '--state', join(dir, 'x.json')]);
  assert.equal(samples.code, 2);
  assert.match(samples.stderr, /drop --samples/);
  const groupsState = join(dir, 'cli-groups-1.json');
  const g = run(['groups', '--spec', join(examples, 'income-mlp.bias.json'), '--ep', 'cpu', '--shard', '1/2', '--state', groupsState]);
  assert.equal(g.code, 0, g.stderr);
  const mixed = run(['merge', states[0]!, groupsState, '--json', join(dir, 'x.json')]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /different analyses/);
});
