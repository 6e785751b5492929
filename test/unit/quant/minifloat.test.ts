import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  castToGrid,
  E2M1,
  E2M3,
  E3M2,
  E4M3,
  E5M2,
  floorLog2,
  fp8FakeQuantize,
  gridValues,
  INT8_FIXED,
  pow2,
  roundHalfAway,
  roundHalfEven,
} from '../../../extension/core/quant/minifloat';

const f32 = (xs: number[]): Float32Array => new Float32Array(xs);

describe('quant/minifloat helpers', () => {
  it('roundHalfEven rounds ties to even, others to nearest', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999999999996, 7.5, -7.5, 1e300].map(roundHalfEven), [0, 2, 2, 0, -2, -2, 2, 8, -8, 1e300]);
    assert.ok(Object.is(roundHalfEven(-0.5), 0), 'no negative zero');
  });

  it('roundHalfAway rounds ties away from zero', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994].map(roundHalfAway), [1, 2, 3, -1, -3, 0]);
  });

  it('floorLog2 reads the exponent exactly, including just below a power of two and subnormals', () => {
    assert.equal(floorLog2(1), 0);
    assert.equal(floorLog2(Math.fround(1 - 2 ** -24)), -1);
    assert.equal(floorLog2(8 - 2 ** -50), 2);
    assert.equal(floorLog2(Math.fround(8 - 2 ** -21)), 2); // float32 just below 8: Math.log2 gives 3 here
    assert.equal(Math.floor(Math.log2(8 - 2 ** -50)), 3, 'the pitfall this helper avoids');
    assert.equal(floorLog2(2 ** -149), -149);
    assert.equal(floorLog2(5e-324), -1074);
    assert.equal(floorLog2(3 * 2 ** -140), -139);
    assert.equal(floorLog2(3.4e38), 127);
  });

  it('pow2 is exact at the ends of its range', () => {
    assert.equal(pow2(-1074), 5e-324);
    assert.equal(pow2(-127), 5.877471754111438e-39);
    assert.equal(pow2(127), 1.7014118346046923e38);
    assert.equal(pow2(-1075), 0);
  });
});

describe('quant/minifloat castToGrid', () => {
  it('E4M3FN worked examples of FORMULAS.md §C', () => {
    assert.deepEqual([0.3, 1.0625, 1.1875, 464, 465, 2 ** -10].map((v) => castToGrid(v, E4M3, 'rne')), [0.3125, 1, 1.25, 448, 448, 0]);
  });

  it('E5M2 saturates 61440 to 57344', () => {
    assert.equal(castToGrid(61440, E5M2, 'rne'), 57344);
    assert.equal(castToGrid(-1e30, E5M2, 'rne'), -57344);
    assert.equal(castToGrid(Infinity, E4M3, 'rne'), 448);
  });

  it('subnormals: E4M3 min 2^-9, E5M2 min 2^-16, ties at half of them go to zero', () => {
    assert.equal(castToGrid(2 ** -9, E4M3, 'rne'), 2 ** -9);
    assert.equal(castToGrid(1.5 * 2 ** -9, E4M3, 'rne'), 2 ** -8); // tie 1.5 -> 2
    assert.equal(castToGrid(2.5 * 2 ** -9, E4M3, 'rne'), 2 ** -8); // tie 2.5 -> 2
    assert.equal(castToGrid(2 ** -10 + 2 ** -30, E4M3, 'rne'), 2 ** -9);
    assert.equal(castToGrid(7 * 2 ** -9, E4M3, 'rne'), 7 * 2 ** -9); // largest subnormal
    assert.equal(castToGrid(2 ** -16, E5M2, 'rne'), 2 ** -16);
    assert.equal(castToGrid(2 ** -17, E5M2, 'rne'), 0);
    assert.equal(castToGrid(3 * 2 ** -18, E5M2, 'rne'), 2 ** -16);
    assert.ok(Object.is(castToGrid(-(2 ** -10), E4M3, 'rne'), -0), 'keeps the sign of zero');
  });

  it('ties between normal values go to the even mantissa; RHAZ goes up', () => {
    assert.equal(castToGrid(1.0625, E4M3, 'rne'), 1); // 1.000|1 -> 1.000
    assert.equal(castToGrid(1.0625, E4M3, 'rhaz'), 1.125);
    assert.equal(castToGrid(-1.1875, E4M3, 'rne'), -1.25);
    assert.equal(castToGrid(240, E4M3, 'rne'), 240);
    assert.equal(castToGrid(232, E4M3, 'rne'), 224); // tie between 224 (1.110) and 240 (1.111)
    assert.equal(castToGrid(2.5, E2M1, 'rne'), 2);
    assert.equal(castToGrid(2.5, E2M1, 'rhaz'), 3);
    assert.equal(castToGrid(5, E2M1, 'rne'), 4);
    assert.equal(castToGrid(5, E2M1, 'rhaz'), 6);
    assert.equal(castToGrid(0.25, E2M1, 'rne'), 0);
    assert.equal(castToGrid(0.25, E2M1, 'rhaz'), 0.5);
    assert.equal(castToGrid(0.75, E2M1, 'rne'), 1);
  });

  it('saturates each grid at its max', () => {
    assert.equal(castToGrid(7.9, E2M3, 'rne'), 7.5);
    assert.equal(castToGrid(31, E3M2, 'rne'), 28);
    assert.equal(castToGrid(100, E2M1, 'rhaz'), 6);
    assert.equal(castToGrid(2, INT8_FIXED, 'rne'), 127 / 64);
    assert.equal(castToGrid(1 / 128, INT8_FIXED, 'rne'), 0); // tie k = 0.5 -> 0
    assert.equal(castToGrid(3 / 128, INT8_FIXED, 'rne'), 2 / 64);
  });

  it('NaN passes through', () => {
    assert.ok(Number.isNaN(castToGrid(NaN, E4M3, 'rne')));
  });

  it('grids have the documented sizes and magnitudes', () => {
    assert.deepEqual(gridValues(E2M1).filter((v) => v >= 0), [0, 0.5, 1, 1.5, 2, 3, 4, 6]);
    assert.equal(gridValues(E4M3).length, 253);
    assert.equal(gridValues(E5M2).length, 247);
    assert.equal(gridValues(E2M3).at(-1), 7.5);
    assert.equal(gridValues(E3M2).at(-1), 28);
    assert.equal(gridValues(INT8_FIXED).length, 255);
    assert.deepEqual([E4M3.emax, E5M2.emax, E3M2.emax, E2M3.emax, E2M1.emax, INT8_FIXED.emax], [8, 15, 4, 2, 2, 0]);
  });

  it('every grid value casts to itself', () => {
    for (const g of [E4M3, E5M2, E3M2, E2M3, E2M1, INT8_FIXED]) {
      for (const v of gridValues(g)) assert.equal(castToGrid(v, g, 'rne'), v, `${g.name} ${v}`);
    }
  });
});

describe('quant/minifloat fp8FakeQuantize', () => {
  it('uses s = fround(amax/448) and RNE on x/s', () => {
    const r = fp8FakeQuantize(f32([448, -0.3, 1.0625, 0]), E4M3);
    assert.equal(r.scale, 1);
    assert.deepEqual(Array.from(r.values), [448, -0.3125, 1, 0]);
  });

  it('scales by amax: amax 896 gives s = 2', () => {
    const r = fp8FakeQuantize(f32([896, 0.6, -2.125]), E4M3);
    assert.equal(r.scale, 2);
    assert.deepEqual(Array.from(r.values), [896, 0.625, -2]);
  });

  it('E5M2 per tensor: amax 57344 gives s = 1', () => {
    const r = fp8FakeQuantize(f32([57344, 1.125, 3.5, 2 ** -17]), E5M2);
    assert.equal(r.scale, 1);
    assert.deepEqual(Array.from(r.values), [57344, 1, 3.5, 0]);
  });

  it('an all-zero tensor stays zero with scale 0; NaN/Inf pass through and do not set the scale', () => {
    const z = fp8FakeQuantize(f32([0, -0, 0]), E4M3);
    assert.equal(z.scale, 0);
    assert.ok(Object.is(z.values[1], -0));
    const n = fp8FakeQuantize(f32([NaN, 448, -Infinity, 1.0625]), E4M3);
    assert.equal(n.scale, 1);
    assert.ok(Number.isNaN(n.values[0]));
    assert.deepEqual(Array.from(n.values.slice(1)), [448, -Infinity, 1]);
  });

  it('a subnormal amax whose scale underflows gives signed zeros', () => {
    const r = fp8FakeQuantize(f32([2 ** -149, -(2 ** -149)]), E4M3);
    assert.equal(r.scale, 0);
    assert.ok(Object.is(r.values[0], 0) && Object.is(r.values[1], -0));
  });
});
