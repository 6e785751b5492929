/**
 * Issue 10: every class of bad input exits 2 with one readable line naming the file and the
 * cause, and never a JS stack trace. Malformed models are built here from the mlp fixture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cloneModel, decodeModel, encodeModel, type ModelProto } from '../../../extension/core/onnx';
import { fixtureBytes, tempDir } from '../onnx/helpers';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');
const examples = join(root, 'examples');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at .*\(.*:\d+:\d+\)$/m, `stack trace on stderr:\n${stderr}`);
}

/** The mlp fixture (MatMul, Add, Relu, MatMul, Add: x -> logits), edited. */
function mlp(edit: (m: ModelProto) => void): Uint8Array {
  const model = cloneModel(decodeModel(fixtureBytes('mlp.onnx'), 'mlp.onnx').proto);
  edit(model);
  return encodeModel(model);
}

const REFUSED: { name: string; edit: (m: ModelProto) => void; reason: string }[] = [
  { name: 'cycle', edit: (m) => { m.graph!.node[0]!.input[0] = m.graph!.node[2]!.output[0]!; }, reason: 'the graph is not acyclic.' },
  { name: 'self-loop', edit: (m) => { m.graph!.node[2]!.input[0] = m.graph!.node[2]!.output[0]!; }, reason: 'the graph is not acyclic.' },
  { name: 'undefined-input', edit: (m) => { m.graph!.node[1]!.input[0] = 'nowhere'; }, reason: "Node input 'nowhere' is not a graph input, initializer, or output of a previous node." },
  {
    name: 'unknown-domain',
    edit: (m) => { m.graph!.node[2]!.domain = 'com.example'; m.opsetImport.push({ domain: 'com.example', version: 1 }); },
    reason: 'com.example:Relu(-1) is not a registered function/op',
  },
  {
    name: 'undeclared-domain', edit: (m) => { m.graph!.node[2]!.domain = 'com.microsoft'; },
    reason: 'com.microsoft:Relu(-1) is not a registered function/op',
  },
  { name: 'opset-too-new', edit: (m) => { m.opsetImport[0]!.version = 99; }, reason: /^opset 99 of ai\.onnx is newer than this onnxruntime supports \(up to opset \d+\)$/ as unknown as string },
  { name: 'ir-too-new', edit: (m) => { m.irVersion = 99; }, reason: /^Unsupported model IR version: 99, max supported IR version: \d+$/ as unknown as string },
  { name: 'dtype-undefined', edit: (m) => { m.graph!.node[0]!.output[0] = 'h0'; m.graph!.valueInfo.push({ name: 'h0', type: { tensorType: { elemType: 0 } } }); }, reason: 'Invalid tensor data type 0.' },
  { name: 'dtype-unknown', edit: (m) => { m.graph!.valueInfo.push({ name: 'h1', type: { tensorType: { elemType: 77 } } }); }, reason: 'Invalid tensor data type 77.' },
  { name: 'duplicate-input', edit: (m) => { m.graph!.input.push(m.graph!.input[0]!); }, reason: 'Duplicate definition-site for (x).' },
];

test('models onnxruntime refuses to load: exit 2, the model named and onnxruntime\'s reason in one line', () => {
  const { dir, cleanup } = tempDir('bi-refused-');
  try {
    for (const c of REFUSED) {
      const path = join(dir, `${c.name}.onnx`);
      writeFileSync(path, mlp(c.edit));
      for (const ep of ['auto', 'cpu']) {
        const r = run('forward', path, '--ep', ep);
        assert.equal(r.code, 2, `${c.name} (--ep ${ep}): ${r.stderr}`);
        const lines = r.stderr.trim().split('\n');
        assert.equal(lines.length, 1, `${c.name}: one line expected:\n${r.stderr}`);
        const prefix = `bias-inspector: ${path}: onnxruntime 1.30.0 cannot load this model: `;
        assert.ok(lines[0]!.startsWith(prefix), `${c.name}: ${lines[0]}`);
        const reason = lines[0]!.slice(prefix.length);
        if (typeof c.reason === 'string') assert.equal(reason, c.reason, c.name);
        else assert.match(reason, c.reason as RegExp, c.name);
      }
    }
  } finally {
    cleanup();
  }
});

test('a provider other than cpu that refuses a model the CPU provider refuses too: still the model\'s fault (exit 2)', () => {
  const { dir, cleanup } = tempDir('bi-refused-');
  try {
    const path = join(dir, 'cycle.onnx');
    writeFileSync(path, mlp(REFUSED[0]!.edit));
    const r = run('forward', path, '--ep', 'webgpu');
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, `bias-inspector: ${path}: onnxruntime 1.30.0 cannot load this model: the graph is not acyclic.\n`);
  } finally {
    cleanup();
  }
});

test('data, spec, npy and model paths that are folders: exit 2 naming the folder', () => {
  const { dir, cleanup } = tempDir('bi-folder-');
  try {
    for (const name of ['d.csv', 's.bias.json', 'x.npy', 'm.onnx']) mkdirSync(join(dir, name));
    const model = join(examples, 'income-mlp.onnx');
    const cases: [string[], string][] = [
      [['groups', '--model', model, '--data', join(dir, 'd.csv'), '--label', 'label', '--group', 'sex', '--input', 'features=age'],
        `bias-inspector: ${join(dir, 'd.csv')}: is a folder, not a data file; name a table (.csv, .tsv, .jsonl, .ndjson, .parquet) or a folder of Parquet part files\n`],
      [['groups', '--spec', join(dir, 's.bias.json')], `bias-inspector: ${join(dir, 's.bias.json')}: spec file is a folder, not a file\n`],
      [['groups', '--model', model, '--data', join(examples, 'income.csv'), '--label', 'label', '--group', 'sex', '--input', `features=npy:${join(dir, 'x.npy')}`],
        `bias-inspector: ${join(dir, 'x.npy')}: cannot open the .npy file (is a folder, not a file)\n`],
      [['inspect', join(dir, 'm.onnx')], `bias-inspector: ${join(dir, 'm.onnx')}: cannot read the model: it is a directory\n`],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, message);
    }
  } finally {
    cleanup();
  }
});

test('flags whose value cannot fit memory are refused with the limit before any work', () => {
  const spec = join(examples, 'income-mlp.bias.json');
  const r = run('groups', '--spec', spec, '--bootstrap', '1000000000');
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, 'bias-inspector: --bootstrap 1000000000: at most 100,000 bootstrap replicates (each keeps every bootstrapped number in memory)\n');
  const f = run('forward', join(root, 'test/fixtures/onnx/mlp.onnx'), '--batch', '1000000000');
  assert.equal(f.code, 2, f.stderr);
  assert.equal(f.stderr, `bias-inspector: ${join(root, 'test/fixtures/onnx/mlp.onnx')}: input "x" of shape [1000000000, 4] would have 4,000,000,000 elements, over the limit of 268,435,456; lower --batch or --seq\n`);
});

test('an attention bias length that cannot fit memory is refused with the limit', () => {
  const r = run('attention', '--spec', join(examples, 'tiny-transformer.bias.json'), '--length', '1000000000');
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, 'bias-inspector: --length 1000000000: additive biases are evaluated at sequence lengths up to 4,096 (each layer and head holds a length × length map)\n');
});

test('a spec asking for more bootstrap replicates than the limit is refused by the schema', () => {
  const { dir, cleanup } = tempDir('bi-spec-');
  try {
    const spec = join(dir, 'big.bias.json');
    writeFileSync(spec, JSON.stringify({ model: join(examples, 'income-mlp.onnx'), data: join(examples, 'income.csv'), inputs: { features: { columns: ['age'] } }, task: 'binary', label: 'label', groups: ['sex'], bootstrap: 1e9 }));
    const r = run('groups', '--spec', spec);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bootstrap/);
    assert.match(r.stderr, /100000/);
    assertNoStack(r.stderr);
  } finally {
    cleanup();
  }
});

test('a column typo in a spec costs no model load: the runtime is never loaded', () => {
  const script = `
    const { loadSpec } = require('./extension/core/data');
    const { runGroups } = require('./extension/core/analyze/groups');
    const { runAttention } = require('./extension/core/analyze/attention');
    const fs = require('node:fs');
    const os = require('node:os');
    const path = require('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bi-typo-'));
    const loaded = () => Object.keys(require.cache).filter((k) => k.includes('onnxruntime-node')).length;
    (async () => {
      const out = {};
      const g = JSON.parse(fs.readFileSync('examples/income-mlp.bias.json', 'utf8'));
      g.groups = ['sex', 'rase']; g.model = path.resolve('examples', g.model); g.data = path.resolve('examples', g.data);
      fs.writeFileSync(path.join(dir, 'g.bias.json'), JSON.stringify(g));
      try { await runGroups(await loadSpec(path.join(dir, 'g.bias.json')), { providers: ['cpu'] }); } catch (e) { out.groups = [e.code, e.kind, loaded()]; }
      const a = JSON.parse(fs.readFileSync('examples/tiny-transformer.bias.json', 'utf8'));
      for (const m of Object.values(a.inputs)) { if (m.column) m.column = m.column + 'x'; if (m.text) m.text = m.text + 'x'; }
      a.model = path.resolve('examples', a.model); a.data = path.resolve('examples', a.data);
      for (const m of Object.values(a.inputs)) if (m.tokenizer) m.tokenizer = path.resolve('examples', m.tokenizer);
      fs.writeFileSync(path.join(dir, 'a.bias.json'), JSON.stringify(a));
      try { await runAttention(await loadSpec(path.join(dir, 'a.bias.json')), { providers: ['cpu'] }); } catch (e) { out.attention = [e.code, e.kind, loaded()]; }
      fs.rmSync(dir, { recursive: true, force: true });
      console.log(JSON.stringify(out));
    })();`;
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, [string, string, number]>;
  assert.deepEqual(out.groups, ['missing-column', 'bad-input', 0]);
  assert.equal(out.attention?.[1], 'bad-input');
  assert.equal(out.attention?.[2], 0);
});
