import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort, startProcess, stopProcess, StopWaiting, waitFor } from './processes';

const dir = mkdtempSync(join(tmpdir(), 'e2e-processes-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('stopProcess stops the whole process group, grandchildren included', async () => {
  const logFile = join(dir, 'sh.log');
  // The shell starts a grandchild that would outlive a plain kill of the shell.
  const p = startProcess('sh', '/bin/sh', ['-c', 'sleep 60 & echo "child $!"; wait'], { env: process.env, cwd: dir, logFile });
  const grandchild = await waitFor('the grandchild pid in the log', () => {
    const match = /child (\d+)/.exec(readFileSync(logFile, 'utf8'));
    return match ? Number(match[1]) : undefined;
  }, 5000, 20);
  assert.equal(alive(grandchild), true);
  await stopProcess(p, 2000);
  assert.notEqual(await p.exited, 0);
  await waitFor('the grandchild to exit', () => (alive(grandchild) ? undefined : true), 2000, 20);
});

test('waitFor returns the first defined value, names what it waited for on timeout, stops on StopWaiting', async () => {
  let calls = 0;
  assert.equal(await waitFor('three calls', () => (++calls === 3 ? 'done' : undefined), 1000, 1), 'done');
  await assert.rejects(waitFor('never', () => undefined, 50, 10), /timed out after 50 ms waiting for never/);
  const started = Date.now();
  await assert.rejects(waitFor('server', () => { throw new StopWaiting('server exited (1)'); }, 5000, 10), /server exited \(1\)/);
  assert.ok(Date.now() - started < 1000);
});

test('freePort gives a port in the unprivileged range', async () => {
  const port = await freePort();
  assert.ok(port > 1024 && port < 65536, String(port));
});
