/**
 * Seeded property tests of the formats.
 *
 * Idempotence (quantizing x̂ again changes nothing) holds exactly for:
 * - MX (all elements, RNE and RHAZ): the scale is a power of two and a block's new amax stays in
 *   the binade [2^emax, 2^(emax+1)) of the element grid, so e and every P are unchanged;
 * - FP8, NVFP4 and symmetric int8: the max element lands on ±max·s (±127·scale), and for a
 *   scale s = fround(amax/k) that some float32 amax reaches, fround(fround(k·s)/k) = s, so the
 *   scale round-trips and every grid value with it (tested here, also on amax mantissas sweeps).
 * It does NOT hold for symmetric int4 (−a rounds to −8 and widens the range to 8·scale) nor for
 * the asymmetric formats (the zero point is re-rounded from the new range).
 * Sign symmetry q(−x) = −q(x) holds for the same symmetric formats (not int4: [−8, 7]).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { FormatId } from '../../../extension/core/quant/formats';
import { castToGrid, E2M1, E2M3, E3M2, E4M3, E5M2, floorLog2, gridValues, INT8_FIXED, pow2 } from '../../../extension/core/quant/minifloat';
import type { ElementGrid, Rounding } from '../../../extension/core/quant/minifloat';
import { fakeQuantize, fakeQuantizeDetailed } from '../../../extension/core/quant/quantize';

const SEED = 20260601;
const GRIDS: ElementGrid[] = [E4M3, E5M2, E3M2, E2M3, E2M1, INT8_FIXED];
const IDEMPOTENT: FormatId[] = ['int8', 'int8_per_tensor', 'fp8_e4m3', 'fp8_e5m2', 'mxint8', 'mxfp8_e4m3', 'mxfp8_e5m2', 'mxfp6_e2m3', 'mxfp6_e3m2', 'mxfp4', 'nvfp4'];

/** Brute force: the nearest grid value, ties by the parity of the grid index (RNE) or away from zero. */
function nearest(v: number, values: readonly number[], rounding: Rounding): number {
  const g = values.filter((x) => x >= 0);
  const a = Math.min(Math.abs(v), g[g.length - 1] ?? 0);
  let best = 0;
  for (let i = 1; i < g.length; i++) {
    const lo = g[i - 1] ?? 0;
    const hi = g[i] ?? 0;
    if (a >= lo && a <= hi) {
      const dl = a - lo;
      const dh = hi - a;
      best = dh < dl || (dh === dl && (rounding === 'rhaz' || i % 2 === 0)) ? hi : lo;
      break;
    }
  }
  return v < 0 || Object.is(v, -0) ? -best : best; // the cast keeps the sign of zero
}

/** float32 tensors of 1..80 rows × 2 columns, magnitudes over many binades, sometimes with a spike. */
const tensorArb = fc
  .tuple(
    fc.integer({ min: 1, max: 80 }),
    fc.integer({ min: -30, max: 30 }),
    fc.array(fc.float({ min: -1, max: 1, noNaN: true, noDefaultInfinity: true }), { minLength: 160, maxLength: 160 }),
    fc.boolean(),
  )
  .map(([rows, exp, vals, spike]) => {
    const x = Float32Array.from(vals.slice(0, rows * 2), (v) => v * 2 ** exp);
    if (spike) x[0] = 37 * 2 ** exp;
    return { x, shape: [rows, 2] };
  });

describe('quant properties (fast-check, seeded)', () => {
  it('castToGrid equals the brute-force nearest grid value, ties included', () => {
    for (const g of GRIDS) {
      const values = gridValues(g);
      const pos = values.filter((v) => v > 0);
      const midpoints = pos.map((v, i) => (i === 0 ? v / 2 : (v + (pos[i - 1] ?? 0)) / 2));
      const arb = fc.oneof(
        fc.double({ min: -1.3 * g.max, max: 1.3 * g.max, noNaN: true }),
        fc.constantFrom(...midpoints).chain((m) => fc.constantFrom(m, -m)),
        fc.constantFrom(...values),
      );
      for (const rounding of ['rne', 'rhaz'] as const) {
        fc.assert(
          fc.property(arb, (v) => {
            assert.equal(castToGrid(v, g, rounding), nearest(v, values, rounding), `${g.name} ${rounding} ${v}`);
          }),
          { seed: SEED, numRuns: 400 },
        );
      }
    }
  });

  it('quantizing twice changes nothing (formats listed in the header)', () => {
    fc.assert(
      fc.property(tensorArb, fc.constantFrom(...IDEMPOTENT), fc.constantFrom<Rounding>('rne', 'rhaz'), ({ x, shape }, f, mxRounding) => {
        const opts = { blockAxis: 0, channelAxis: 1, mxRounding };
        const y = fakeQuantize(x, shape, f, opts);
        const z = fakeQuantize(y, shape, f, opts);
        assert.deepEqual(z, y, f);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('is not idempotent for int4 symmetric: -a -> -8 widens the range (documented)', () => {
    const x = new Float32Array([-1.5, 0.2, 1]);
    const y = fakeQuantize(x, [3], 'int4');
    assert.notDeepEqual(fakeQuantize(y, [3], 'int4'), y);
  });

  it('q(-x) = -q(x) for the symmetric formats', () => {
    const symmetric: FormatId[] = IDEMPOTENT;
    fc.assert(
      fc.property(tensorArb, fc.constantFrom(...symmetric), fc.constantFrom<Rounding>('rne', 'rhaz'), ({ x, shape }, f, mxRounding) => {
        const y = fakeQuantize(x, shape, f, { mxRounding });
        const yn = fakeQuantize(x.map((v) => -v), shape, f, { mxRounding });
        for (let i = 0; i < y.length; i++) assert.ok(yn[i] === -(y[i] ?? 0), `${f} at ${i}: ${yn[i]} vs ${y[i]}`);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('int formats: |x̂ - x| <= scale/2 (the grid covers the range, clipping included)', () => {
    const ints: FormatId[] = ['int8', 'int4', 'int8_asym', 'int4_asym', 'int8_per_tensor', 'int4_asym_per_tensor'];
    fc.assert(
      fc.property(tensorArb, fc.constantFrom(...ints), ({ x, shape }, f) => {
        const r = fakeQuantizeDetailed(x, shape, f, { channelAxis: 1 });
        assert.ok(r.scaleInfo.kind === 'int');
        const { scales, channelAxis } = r.scaleInfo;
        for (let i = 0; i < x.length; i++) {
          const s = scales[channelAxis === null ? 0 : i % 2] ?? 0;
          const err = Math.abs((r.values[i] ?? 0) - (x[i] ?? 0));
          assert.ok(err <= s * (0.5 + 2 ** -16), `${f} at ${i}: error ${err} > ${s}/2`);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('MX formats: |x̂ - x| <= half the element step at x (every element within saturation)', () => {
    const mx: FormatId[] = ['mxint8', 'mxfp8_e4m3', 'mxfp8_e5m2', 'mxfp6_e2m3', 'mxfp6_e3m2', 'mxfp4'];
    const grids: Record<string, ElementGrid> = { mxint8: INT8_FIXED, mxfp8_e4m3: E4M3, mxfp8_e5m2: E5M2, mxfp6_e2m3: E2M3, mxfp6_e3m2: E3M2, mxfp4: E2M1 };
    fc.assert(
      fc.property(tensorArb, fc.constantFrom(...mx), ({ x, shape }, f) => {
        const g = grids[f] as ElementGrid;
        const r = fakeQuantizeDetailed(x, shape, f, { blockAxis: 0 });
        assert.ok(r.scaleInfo.kind === 'mx');
        const rows = shape[0] ?? 0;
        for (let i = 0; i < x.length; i++) {
          const block = Math.floor(Math.floor(i / 2) / 32) * 2 + (i % 2);
          const X = pow2(r.scaleInfo.exponents[block] ?? 0);
          const v = Math.abs(x[i] ?? 0) / X;
          if (v === 0 || v > g.max) continue;
          const half = pow2(Math.max(floorLog2(v), g.emin) - g.manBits) / 2;
          assert.ok(Math.abs((r.values[i] ?? 0) - (x[i] ?? 0)) / X <= half, `${f} row ${Math.floor(i / 2)} of ${rows}`);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
