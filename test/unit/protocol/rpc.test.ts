import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcEndpoint, RpcError, type RpcMessage } from '../../../extension/protocol/rpc';

type A = { add: [{ a: number; b: number }, number]; fail: [Record<string, never>, never]; slow: [Record<string, never>, string] };
type Notes = { ping: { n: number } };

/** Two endpoints wired back to back through a queue (messages delivered asynchronously). */
function pair(timeoutMs = 1000) {
  const received: { method: string; params: unknown }[] = [];
  const ends: { left?: RpcEndpoint<A, Record<never, [unknown, unknown]>, Record<never, unknown>, Notes> } = {};
  const right = new RpcEndpoint<Record<never, [unknown, unknown]>, A, Notes, Record<never, unknown>>({
    post: (m: RpcMessage) => queueMicrotask(() => ends.left?.handle(structuredClone(m))),
    onRequest: async (method, params) => {
      if (method === 'add') { const p = params as { a: number; b: number }; return p.a + p.b; }
      if (method === 'fail') throw Object.assign(new Error('no such tensor "w"'), { code: 'onnx.missing' });
      return new Promise(() => undefined);
    },
  });
  const left = new RpcEndpoint<A, Record<never, [unknown, unknown]>, Record<never, unknown>, Notes>({
    post: (m: RpcMessage) => queueMicrotask(() => right.handle(structuredClone(m))),
    onNotify: (method, params) => received.push({ method, params }),
    timeoutMs,
  });
  ends.left = left;
  return { left, right, received };
}

test('a request gets the result of the remote handler', async () => {
  const { left } = pair();
  assert.equal(await left.request('add', { a: 2, b: 40 }), 42);
});

test('a thrown error comes back as an RpcError with message and code', async () => {
  const { left } = pair();
  await assert.rejects(left.request('fail', {}), (e: unknown) => e instanceof RpcError && e.message === 'no such tensor "w"' && e.code === 'onnx.missing');
});

test('a request with no reply times out with code rpc.timeout', async () => {
  const { left } = pair(20);
  await assert.rejects(left.request('slow', {}), (e: unknown) => e instanceof RpcError && e.code === 'rpc.timeout');
});

test('dispose rejects pending requests and later requests', async () => {
  const { left } = pair(0);
  const pending = left.request('slow', {});
  left.dispose();
  await assert.rejects(pending, (e: unknown) => e instanceof RpcError && e.code === 'rpc.disposed');
  await assert.rejects(left.request('add', { a: 1, b: 1 }), (e: unknown) => e instanceof RpcError && e.code === 'rpc.disposed');
});

test('notifications arrive in order; non-RPC messages are ignored', async () => {
  const { left, right, received } = pair();
  right.notify('ping', { n: 1 });
  right.notify('ping', { n: 2 });
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(received, [{ method: 'ping', params: { n: 1 } }, { method: 'ping', params: { n: 2 } }]);
  assert.equal(left.handle({ type: 'something-else' }), false);
  assert.equal(left.handle(null), false);
});

test('replies to unknown ids are ignored', () => {
  const { left } = pair();
  assert.equal(left.handle({ kind: 'reply', id: 999, ok: true, result: 1 }), true);
});
