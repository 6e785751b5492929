import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openNpy, parseNpyHeader, readNpy } from '../../../extension/core/data';
import { FIXTURES, rejection, tempDir } from './helpers';

const fixture = (name: string): string => join(FIXTURES, name);
const { file } = tempDir();

/** A v1 .npy written by hand (the header padded to a multiple of 64 bytes, as NumPy does). */
function npyBytes(header: string, data: Uint8Array, version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  let text = header;
  while ((prefix + text.length + 1) % 64 !== 0) text += ' ';
  text += '\n';
  const out = new Uint8Array(prefix + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(new TextEncoder().encode(text), prefix);
  out.set(data, prefix + text.length);
  return out;
}

describe('NPY reader', () => {
  it('reads every supported dtype written by NumPy', async () => {
    const f4 = await readNpy(fixture('f4_3x2.npy'));
    assert.deepEqual([f4.dtype, f4.shape, [...f4.data]], ['<f4', [3, 2], [0, 0.5, 1, 1.5, 2, 2.5]]);
    const f8 = await readNpy(fixture('f8_4.npy'));
    assert.deepEqual([f8.dtype, f8.shape, [...f8.data]], ['<f8', [4], [1.5, -2.25, Infinity, NaN]]);
    const i8 = await readNpy(fixture('i8_2x3.npy'));
    assert.deepEqual([i8.dtype, [...i8.data]], ['<i8', [1n, -2n, 3n, 2n ** 40n, 0n, -(2n ** 40n)]]);
    assert.ok(i8.data instanceof BigInt64Array);
    const i4 = await readNpy(fixture('i4_2x2.npy'));
    assert.deepEqual([i4.dtype, [...i4.data]], ['<i4', [7, -7, 0, 2 ** 31 - 1]]);
    const u1 = await readNpy(fixture('u1_2x2.npy'));
    assert.deepEqual([u1.dtype, [...u1.data]], ['|u1', [0, 255, 1, 2]]);
    const b1 = await readNpy(fixture('b1_3.npy'));
    assert.deepEqual([b1.dtype, b1.shape, [...b1.data]], ['|b1', [3], [1, 0, 1]]);
    const scalar = await readNpy(fixture('scalar.npy'));
    assert.deepEqual([scalar.shape, [...scalar.data]], [[], [3.5]]);
  });

  it('reads row ranges of a 4-d array without reading the rest', async () => {
    const npy = await openNpy(fixture('img_5x1x2x2.npy'));
    try {
      assert.deepEqual([npy.rows, npy.rowSize, npy.shape], [5, 4, [5, 1, 2, 2]]);
      assert.deepEqual([...(await npy.readRows(1, 3))], [4, 5, 6, 7, 8, 9, 10, 11]);
      assert.deepEqual([...(await npy.readRows(4, 4))], []);
      const err = await rejection(() => npy.readRows(3, 6));
      assert.equal(err.message, `${fixture('img_5x1x2x2.npy')}: rows 4-6 requested, the array has 5 rows`);
    } finally {
      await npy.close();
    }
  });

  it('reads a version 2 header', async () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    const path = file('v2.npy', npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", data, 2));
    const arr = await readNpy(path);
    assert.deepEqual([arr.shape, [...arr.data]], [[2, 2], [1, 2, 3, 4]]);
  });

  it('rejects unsupported files with the cause', async () => {
    const cases: [string, string][] = [
      ['fortran.npy', 'Fortran order; save it with np.ascontiguousarray first'],
      ['big_endian.npy', 'dtype >f4 is not supported; use one of <f4 <f8 <i8 <i4 |u1 |b1'],
      ['f2.npy', 'dtype <f2 is not supported; use one of <f4 <f8 <i8 <i4 |u1 |b1'],
    ];
    for (const [name, cause] of cases) {
      const err = await rejection(() => readNpy(fixture(name)));
      assert.equal(err.code, 'bad-npy');
      assert.equal(err.message, `${fixture(name)}: not a supported .npy file (${cause})`);
    }
    const notNpy = file('x.npy', 'hello world, not numpy');
    assert.equal((await rejection(() => readNpy(notNpy))).message, `${notNpy}: not a supported .npy file (missing the \\x93NUMPY magic)`);
    const truncated = file('t.npy', npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(16)));
    assert.equal((await rejection(() => readNpy(truncated))).message, `${truncated}: truncated: shape (3) <f8 needs 152 bytes, the file has 144`);
  });

  it('parses the header dict in any key order and with spaces', () => {
    const bytes = npyBytes("{'shape': ( 7 , 3 ), 'fortran_order': False, 'descr': '<i4'}", new Uint8Array(0));
    assert.deepEqual(parseNpyHeader('h.npy', bytes), { dtype: '<i4', shape: [7, 3], dataOffset: 128 });
  });
});
