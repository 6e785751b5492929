// `bias-inspector probe` end to end through the CLI bundle (npm test builds it first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const cli = join(root, 'dist/cli.js');
const examples = join(root, 'examples');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('probe --spec: the demo LM\'s planted skew against group F, as a table and as JSON (§4 probe key)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'probe-cli-'));
  try {
    const json = join(dir, 'probe.json');
    const html = join(dir, 'probe.html');
    const r = run('probe', '--spec', join(examples, 'tiny-lm.bias.json'), '--ep', 'cpu', '--bootstrap', '40', '--json', json, '--html', html);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { kind: string; probe: { kind: string; byGroup: { group: { group: string }; selection_rate: number; meanScore: number; ci: [number, number] }[] }; groups?: unknown };
    assert.equal(report.kind, 'probe');
    assert.equal(report.probe.kind, 'yesno');
    const by = Object.fromEntries(report.probe.byGroup.map((g) => [g.group.group, g]));
    assert.ok(by['F']!.meanScore < by['M']!.meanScore && by['F']!.ci[1] < by['M']!.ci[0]);
    assert.ok(report.groups, 'labelled: the groups section with every §B metric');
    assert.match(readFileSync(html, 'utf8'), /<script type="application\/json" id="report-data">/);
    const text = run('probe', '--spec', join(examples, 'tiny-lm-counterfactual.bias.json'), '--ep', 'cpu');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /group=F\s+group=M\s+-\d\.\d{3}\s+\[-\d\.\d{3}, -\d\.\d{3}\]\s+6\s+20\.0%/);
    assert.match(text.stdout, /Templates whose preferred answer flips \(6\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('probe: bad input exits 2 with the file and field named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'probe-cli-'));
  try {
    const spec = join(dir, 'bad.bias.json');
    writeFileSync(spec, JSON.stringify({
      model: join(examples, 'tiny-lm.onnx'), data: join(examples, 'lm-prompts.csv'), groups: ['group'],
      probe: { kind: 'yesno', prompt: '{text} answer yes or no:', yes: [' yes'], no: [''], tokenizer: join(examples, 'tiny-lm.tokenizer.json') },
    }));
    const r = run('probe', '--spec', spec, '--ep', 'cpu');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.bias\.json:\d+:\d+: field "probe\.no\[0\]": must not be empty/);
    const none = run('probe', '--spec', join(examples, 'income-mlp.bias.json'), '--ep', 'cpu');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /income-mlp\.bias\.json: field "probe": is required/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
