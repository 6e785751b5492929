import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderGroups } from '../../../webview/sections/compare';
import type { CompareGroup } from '../../../extension/protocol/compare';

const g = (name: string, verdict: CompareGroup['verdict'], delta: number): CompareGroup => ({
  group: { g: name }, level: 'column', count: 100, verdict,
  metrics: { accuracy: { a: 0.8, b: 0.8 + delta, delta } },
  flips: { count: 0, share: 0, fixed: 0, broken: 0 }, mcnemar: { p: 1, q: 1 },
});

test('compare view order: significantly worse first, then by Δ, worst first', () => {
  const groups = [g('a', 'better', 0.05), g('b', 'same', -0.01), g('c', 'worse', -0.02), g('d', 'same', -0.03), g('e', 'worse', -0.08)];
  assert.deepEqual(orderGroups(groups, 'accuracy', true).map((x) => (x.group as Record<string, string>)['g']), ['e', 'c', 'd', 'b', 'a']);
  // lower is better (a loss): the largest Δ is the worst
  assert.deepEqual(orderGroups([g('a', 'same', 0.01), g('b', 'same', 0.03)], 'accuracy', false).map((x) => (x.group as Record<string, string>)['g']), ['b', 'a']);
});
