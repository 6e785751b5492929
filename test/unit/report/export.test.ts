import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupsCsv, htmlReport, reportToJson } from '../../../extension/core/report';

const report = {
  schema: 'bias-inspector.report/1',
  kind: 'groups',
  groups: {
    sensitive: ['sex', 'race'],
    task: 'binary',
    byGroup: [
      { group: { sex: 'F', race: 'B, "x"' }, count: 3, accuracy: 0.5, loss: Number.NaN, nan_losses: 0, ci: { accuracy: [0.25, 0.75] as const } },
      { group: { sex: 'M', race: 'A' }, count: 40, accuracy: 1, loss: 0.1, nan_losses: 0, small: true as const },
    ],
  },
};

test('groups CSV: group columns, counts, metrics, CI bounds, RFC 4180 quoting, NaN spelled out', () => {
  const lines = groupsCsv(report).trim().split('\n');
  assert.equal(lines[0], 'sex,race,count,small,accuracy,loss,nan_losses,accuracy_ci_lo,accuracy_ci_hi');
  assert.equal(lines[1], 'F,"B, ""x""",3,false,0.5,NaN,0,0.25,0.75');
  assert.equal(lines[2], 'M,A,40,true,1,0.1,0,,');
});

test('report JSON keeps non-finite numbers as strings and ends with a newline', () => {
  const text = reportToJson({ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: 1 });
  assert.equal(text, '{\n  "a": "NaN",\n  "b": "Infinity",\n  "c": 1\n}\n');
});

test('HTML report embeds the JSON safely (no </script> breakout) and the renderer inline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-html-'));
  try {
    writeFileSync(join(dir, 'r.js'), 'console.log("renderer</script>")');
    writeFileSync(join(dir, 'r.css'), 'body{}');
    const hostile = { ...report, note: '</script><script>alert(1)</script>' };
    const html = htmlReport(hostile, { script: join(dir, 'r.js'), css: join(dir, 'r.css') });
    assert.equal(html.match(/<\/script>/g)?.length, 2, 'only the two closing tags of our own script blocks');
    assert.ok(html.includes('\\u003c/script\\u003e\\u003cscript\\u003ealert(1)'));
    assert.ok(html.includes('renderer<\\/script>'));
    assert.match(html, /Content-Security-Policy/);
    const json = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    assert.equal((JSON.parse(json) as { note: string }).note, hostile.note);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
