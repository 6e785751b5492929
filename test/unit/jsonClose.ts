import assert from 'node:assert/strict';

/**
 * Walks two JSON values: equal structure and strings; numbers equal, or within `tol` relative
 * (or `absFloor` absolute, for values near 0); NaN only against NaN.
 */
export function assertJsonClose(a: unknown, b: unknown, tol: number, absFloor = 0, path = '$'): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return assert.ok(Number.isNaN(a) && Number.isNaN(b), `${path}: ${a} vs ${b}`);
    return assert.ok(a === b || Math.abs(a - b) <= Math.max(tol * Math.max(Math.abs(a), Math.abs(b)), absFloor), `${path}: ${a} vs ${b}`);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${path}: length`);
    return a.forEach((x, i) => assertJsonClose(x, b[i], tol, absFloor, `${path}[${i}]`));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    assert.deepEqual(Object.keys(a), Object.keys(b), `${path}: keys`);
    for (const k of Object.keys(a)) assertJsonClose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol, absFloor, `${path}.${k}`);
    return;
  }
  assert.deepEqual(a, b, path);
}
