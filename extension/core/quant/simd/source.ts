/**
 * WebAssembly SIMD source of the fake-quantization kernels (FORMULAS.md §C), in the text format
 * that wat.ts assembles. Every kernel works in place on float32 data in the module's memory and
 * reproduces the scalar TypeScript (int.ts, minifloat.ts, mx.ts, nvfp4.ts) bit for bit:
 *
 * - float32 `div`/`mul` of float32 operands equal the scalar code's float64 op + `Math.fround`
 *   (double rounding is innocuous for one float32 op computed in float64);
 * - `f32x4.nearest` is round-half-to-even, like the scalar 1.5·2^52 trick;
 * - the grid cast: a = min(|v|, max) (max is a grid value), e = max(exponent field of a, emin),
 *   c = 2^(e − manBits + 23): (a + c) − c rounds a to the quantum 2^(e − manBits) with float32's
 *   own ties-to-even (a < c, so a + c stays in c's binade); the sign is copied from v;
 * - NaN and ±Inf are passed through (`w − w ≠ 0`), as in the scalar code.
 *
 * Grid parameters travel as arguments: max (f32), the biased exponent field of emin (emin + 127)
 * and 23 − manBits.
 */

/** Rounds the v128 in local `v` to the grid held in `$gmax`/`$gemin`/`$gshift` (v128 splats); result in `dst`. Uses $ca, $ce. */
function cast(v: string, dst: string, gmax = '$gmax', gemin = '$gemin', gshift = '$gshift'): string {
  return `
    (local.set $ca (f32x4.min (f32x4.abs (local.get ${v})) (local.get ${gmax})))
    (local.set $ce (i32x4.shl (i32x4.add (i32x4.max_s (i32x4.shr_u (local.get $ca) (i32.const 23)) (local.get ${gemin})) (local.get ${gshift})) (i32.const 23)))
    (local.set ${dst} (v128.or
      (f32x4.sub (f32x4.add (local.get $ca) (local.get $ce)) (local.get $ce))
      (v128.and (local.get ${v}) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))`;
}

/** Locals every cast needs. */
const CAST_LOCALS = '(local $ca v128) (local $ce v128)';

/** Grid parameters as arguments, splatted into v128 locals. */
const GRID_PARAMS = '(param $max f32) (param $eminField i32) (param $shift i32)';
const GRID_LOCALS = '(local $gmax v128) (local $gemin v128) (local $gshift v128)';
const GRID_SPLAT = `
    (local.set $gmax (f32x4.splat (local.get $max)))
    (local.set $gemin (i32x4.splat (local.get $eminField)))
    (local.set $gshift (i32x4.splat (local.get $shift)))`;

/** keep `value` where `w` is finite, else `w` (NaN/±Inf pass through). */
function passFinite(value: string, w: string): string {
  return `(v128.bitselect ${value} (local.get ${w}) (f32x4.eq (f32x4.sub (local.get ${w}) (local.get ${w})) (v128.const i32x4 0 0 0 0)))`;
}

/** Largest finite |x| of the v128 in `x` folded into accumulator `acc` (NaN and Inf lanes count as 0). */
function amaxStep(x: string, acc: string): string {
  return `
    (local.set $ab (f32x4.abs (local.get ${x})))
    (local.set ${acc} (f32x4.max (local.get ${acc})
      (v128.and (local.get $ab) (f32x4.lt (local.get $ab) (v128.const f32x4 inf inf inf inf)))))`;
}

/** Horizontal max of the v128 in `v` into f32 local `dst`. */
function hmax(v: string, dst: string): string {
  return `
    (local.set ${dst} (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get ${v})) (f32x4.extract_lane 1 (local.get ${v})))
      (f32.max (f32x4.extract_lane 2 (local.get ${v})) (f32x4.extract_lane 3 (local.get ${v})))))`;
}

/**
 * A loop over f32[p .. p + 4n) in place: `body` computes local $res from the v128 in $w. Whole
 * vectors first (two per iteration with `unroll2`), then each of the last n mod 4 values splatted into a vector (lane 0 stored).
 * Uses locals $end, $w, $res.
 */
function elementwise(body: string, unroll2 = false): string {
  const step = unroll2 ? 8 : 4;
  return `
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const ${-step})) (i32.const 2))))
    block $done
      loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $w (v128.load (local.get $p)))
        ${body}
        (v128.store (local.get $p) (local.get $res))${unroll2 ? `
        (local.set $w (v128.load offset=16 (local.get $p)))
        ${body}
        (v128.store offset=16 (local.get $p) (local.get $res))` : ''}
        (local.set $p (i32.add (local.get $p) (i32.const ${4 * step})))
        br $next
      end
    end
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const ${step - 1})) (i32.const 2))))
    block $tdone
      loop $tnext
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $w (f32x4.splat (f32.load (local.get $p))))
        ${body}
        (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $res)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        br $tnext
      end
    end`;
}
const LOOP_LOCALS = '(local $end i32) (local $w v128) (local $res v128)';

/** 2^k as float32 bits for i32x4 k in [−127, 127] (2^−127 is the subnormal 0x00400000). */
function pow2(k: string): string {
  return `(v128.bitselect (v128.const i32x4 0x00400000 0x00400000 0x00400000 0x00400000)
      (i32x4.shl (i32x4.add ${k} (v128.const i32x4 127 127 127 127)) (i32.const 23))
      (i32x4.eq ${k} (v128.const i32x4 -127 -127 -127 -127)))`;
}

/** The MX shared exponent per lane of amax (v128 f32): floor(log2 amax) − emax clamped to [−127, 127], −127 for 0. */
function mxExponent(amax: string, dst: string): string {
  return `
    (local.set ${dst} (i32x4.min_s (i32x4.max_s
      (v128.bitselect (v128.const i32x4 -127 -127 -127 -127)
        (i32x4.sub (i32x4.shr_u (local.get ${amax}) (i32.const 23)) (local.get $bias))
        (f32x4.eq (local.get ${amax}) (v128.const i32x4 0 0 0 0)))
      (v128.const i32x4 -127 -127 -127 -127)) (v128.const i32x4 127 127 127 127)))`;
}

/** The INT span kernel; `special` keeps ±Inf (and NaN) by a select, else NaN goes through the arithmetic. */
function quantSpan(name: string, special: boolean): string {
  const body = `
        (local.set $q (f32x4.add (f32x4.nearest (f32x4.div (local.get $w) (local.get $s4))) (v128.const i32x4 0 0 0 0)))
        ;; pmax(q, lo) = q < lo ? lo : q and pmin(m, hi) = hi < m ? hi : m keep a NaN q, as max/min do,
        ;; and q is never −0 (the + 0 above), lo and hi never −0: the same results, one x86 instruction each.
        (local.set $q (f32x4.mul (f32x4.pmin (f32x4.pmax (local.get $q) (local.get $lo4)) (local.get $hi4)) (local.get $s4)))
        (local.set $res ${special ? passFinite('(local.get $q)', '$w') : '(local.get $q)'})`;
  return `(func $${name} (export "${name}") (param $p i32) (param $n i32) (param $s f32) (param $lo f32) (param $hi f32)
    ${LOOP_LOCALS} (local $s4 v128) (local $lo4 v128) (local $hi4 v128) (local $q v128)
    (local.set $s4 (f32x4.splat (local.get $s)))
    (local.set $lo4 (f32x4.splat (local.get $lo)))
    (local.set $hi4 (f32x4.splat (local.get $hi)))
    ${elementwise(body, true)}
  )`;
}

export const KERNELS_WAT = `
(module
  (memory (export "memory") 1)

  ;; Min and max of the non-NaN values of f32[p .. p + 4n) (±Inf included: the caller falls back
  ;; to the finite range when a bound is infinite), written as f32 to addresses 0 and 4.
  (func $minmax (export "minmax") (param $p i32) (param $n i32)
    (local $end i32) (local $lo v128) (local $hi v128) (local $lo1 v128) (local $hi1 v128) (local $x v128) (local $y v128)
    (local $l f32) (local $h f32) (local $w f32)
    (local.set $lo (v128.const f32x4 inf inf inf inf))
    (local.set $hi (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $lo1 (local.get $lo))
    (local.set $hi1 (local.get $hi))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    block $done
      loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (v128.load (local.get $p)))
        (local.set $y (v128.load offset=16 (local.get $p)))
        ;; pmin(acc, x) = x < acc ? x : acc: a NaN x keeps acc
        (local.set $lo (f32x4.pmin (local.get $lo) (local.get $x)))
        (local.set $hi (f32x4.pmax (local.get $hi) (local.get $x)))
        (local.set $lo1 (f32x4.pmin (local.get $lo1) (local.get $y)))
        (local.set $hi1 (f32x4.pmax (local.get $hi1) (local.get $y)))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        br $next
      end
    end
    (local.set $lo (f32x4.pmin (local.get $lo) (local.get $lo1)))
    (local.set $hi (f32x4.pmax (local.get $hi) (local.get $hi1)))
    (local.set $l (f32.min (f32.min (f32x4.extract_lane 0 (local.get $lo)) (f32x4.extract_lane 1 (local.get $lo)))
                           (f32.min (f32x4.extract_lane 2 (local.get $lo)) (f32x4.extract_lane 3 (local.get $lo)))))
    ${hmax('$hi', '$h')}
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 7)) (i32.const 2))))
    block $tdone
      loop $tnext
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $w (f32.load (local.get $p)))
        (if (f32.lt (local.get $w) (local.get $l)) (local.set $l (local.get $w)))
        (if (f32.gt (local.get $w) (local.get $h)) (local.set $h (local.get $w)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        br $tnext
      end
    end
    (f32.store (i32.const 0) (local.get $l))
    (f32.store (i32.const 4) (local.get $h))
  )

  ;; minmax over each span of [outer, channels, inner] at p, folded into f32 mins[c]/maxs[c] (set by the caller to +Inf/−Inf).
  (func $minmaxSpans (export "minmaxSpans") (param $p i32) (param $outer i32) (param $channels i32) (param $inner i32) (param $mins i32) (param $maxs i32)
    (local $o i32) (local $c i32) (local $a i32) (local $v f32) (local $old f32)
    block $odone
      loop $onext
        (br_if $odone (i32.ge_u (local.get $o) (local.get $outer)))
        (local.set $c (i32.const 0))
        block $cdone
          loop $cnext
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $channels)))
            (call $minmax (local.get $p) (local.get $inner))
            (local.set $a (i32.shl (local.get $c) (i32.const 2)))
            (local.set $v (f32.load (i32.const 0)))
            (local.set $old (f32.load (i32.add (local.get $mins) (local.get $a))))
            (f32.store (i32.add (local.get $mins) (local.get $a)) (select (local.get $v) (local.get $old) (f32.lt (local.get $v) (local.get $old))))
            (local.set $v (f32.load (i32.const 4)))
            (local.set $old (f32.load (i32.add (local.get $maxs) (local.get $a))))
            (f32.store (i32.add (local.get $maxs) (local.get $a)) (select (local.get $v) (local.get $old) (f32.gt (local.get $v) (local.get $old))))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $inner) (i32.const 2))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            br $cnext
          end
        end
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        br $onext
      end
    end
  )

  ;; quantSpan (special ≠ 0) or quantSpanFinite over each span of [outer, channels, inner] at p, with f32 scales/los/his per channel.
  (func $quantSpans (export "quantSpans") (param $p i32) (param $outer i32) (param $channels i32) (param $inner i32) (param $scales i32) (param $los i32) (param $his i32) (param $special i32)
    (local $o i32) (local $c i32) (local $a i32)
    block $odone
      loop $onext
        (br_if $odone (i32.ge_u (local.get $o) (local.get $outer)))
        (local.set $c (i32.const 0))
        block $cdone
          loop $cnext
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $channels)))
            (local.set $a (i32.shl (local.get $c) (i32.const 2)))
            (if (local.get $special)
              (then (call $quantSpan (local.get $p) (local.get $inner) (f32.load (i32.add (local.get $scales) (local.get $a)))
                      (f32.load (i32.add (local.get $los) (local.get $a))) (f32.load (i32.add (local.get $his) (local.get $a)))))
              (else (call $quantSpanFinite (local.get $p) (local.get $inner) (f32.load (i32.add (local.get $scales) (local.get $a)))
                      (f32.load (i32.add (local.get $los) (local.get $a))) (f32.load (i32.add (local.get $his) (local.get $a))))))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $inner) (i32.const 2))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            br $cnext
          end
        end
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        br $onext
      end
    end
  )

  ;; Per column of f32[rows][cols] at p (cols a multiple of 4): mins[c] = pmin(mins[c], x), maxs likewise.
  (func $minmaxCols (export "minmaxCols") (param $p i32) (param $rows i32) (param $cols i32) (param $mins i32) (param $maxs i32)
    (local $r i32) (local $c i32) (local $x v128) (local $o i32)
    block $rdone
      loop $rnext
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        block $cdone
          loop $cnext
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $cols)))
            (local.set $x (v128.load (local.get $p)))
            (local.set $o (i32.shl (local.get $c) (i32.const 2)))
            (v128.store (i32.add (local.get $mins) (local.get $o)) (f32x4.pmin (v128.load (i32.add (local.get $mins) (local.get $o))) (local.get $x)))
            (v128.store (i32.add (local.get $maxs) (local.get $o)) (f32x4.pmax (v128.load (i32.add (local.get $maxs) (local.get $o))) (local.get $x)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            br $cnext
          end
        end
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        br $rnext
      end
    end
  )

  ;; In place over f32[p .. p + 4n): x̂ = clip(RNE(w/s), lo, hi)·s (lo = qmin − zp, hi = qmax − zp), never −0; NaN/±Inf through.
  ${quantSpan('quantSpan', true)}
  ;; The same when the data holds no ±Inf (a NaN stays NaN through the arithmetic): no select.
  ${quantSpan('quantSpanFinite', false)}

  ;; The same over f32[rows][cols] at p (cols a multiple of 4) with one scale/lo/hi per column (f32 arrays).
  (func $quantCols (export "quantCols") (param $p i32) (param $rows i32) (param $cols i32) (param $scales i32) (param $los i32) (param $his i32)
    (local $r i32) (local $c i32) (local $o i32) (local $w v128) (local $q v128) (local $s4 v128)
    block $rdone
      loop $rnext
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        block $cdone
          loop $cnext
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $cols)))
            (local.set $o (i32.shl (local.get $c) (i32.const 2)))
            (local.set $w (v128.load (local.get $p)))
            (local.set $s4 (v128.load (i32.add (local.get $scales) (local.get $o))))
            (local.set $q (f32x4.add (f32x4.nearest (f32x4.div (local.get $w) (local.get $s4))) (v128.const i32x4 0 0 0 0)))
            ;; pmax/pmin as in quantSpan (same results here, cheaper than max/min).
            (local.set $q (f32x4.mul (f32x4.pmin (f32x4.pmax (local.get $q) (v128.load (i32.add (local.get $los) (local.get $o))))
                                                (v128.load (i32.add (local.get $his) (local.get $o)))) (local.get $s4)))
            (v128.store (local.get $p) ${passFinite('(local.get $q)', '$w')})
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            br $cnext
          end
        end
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        br $rnext
      end
    end
  )

  ;; Largest finite |x| of f32[p .. p + 4n) (0 when none).
  (func $amax (export "amax") (param $p i32) (param $n i32) (result f32)
    ${LOOP_LOCALS} (local $acc v128) (local $acc1 v128) (local $ab v128) (local $m f32)
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    block $done
      loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $w (v128.load (local.get $p)))
        ${amaxStep('$w', '$acc')}
        (local.set $w (v128.load offset=16 (local.get $p)))
        ${amaxStep('$w', '$acc1')}
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        br $next
      end
    end
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 7)) (i32.const 2))))
    block $tdone
      loop $tnext
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $w (f32x4.splat (f32.load (local.get $p))))
        ${amaxStep('$w', '$acc')}
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        br $tnext
      end
    end
    (local.set $acc (f32x4.max (local.get $acc) (local.get $acc1)))
    ${hmax('$acc', '$m')}
    (local.get $m)
  )

  ;; Per-tensor scaled FP8 in place: x̂ = s·cast(w/s); NaN/±Inf through.
  (func $fp8 (export "fp8") (param $p i32) (param $n i32) (param $s f32) ${GRID_PARAMS}
    ${LOOP_LOCALS} ${GRID_LOCALS} ${CAST_LOCALS} (local $s4 v128) (local $v v128)
    ${GRID_SPLAT}
    (local.set $s4 (f32x4.splat (local.get $s)))
    ${elementwise(`
        (local.set $v (f32x4.div (local.get $w) (local.get $s4)))
        ${cast('$v', '$v')}
        (local.set $res ${passFinite('(f32x4.mul (local.get $v) (local.get $s4))', '$w')})`)}
  )

  ;; MX in place over nblocks contiguous blocks of 32 at p; the shared exponents go to i32[exps].
  (func $mxContig (export "mxContig") (param $p i32) (param $nblocks i32) (param $exps i32) ${GRID_PARAMS} (param $emax i32)
    ${GRID_LOCALS} ${CAST_LOCALS} (local $b i32) (local $k i32) (local $w v128) (local $v v128) (local $acc v128) (local $acc1 v128)
    (local $ab v128) (local $m f32) (local $bias v128) (local $e v128) (local $x4 v128) (local $inv4 v128) (local $q i32)
    ${GRID_SPLAT}
    (local.set $bias (i32x4.splat (i32.add (local.get $emax) (i32.const 127))))
    block $bdone
      loop $bnext
        (br_if $bdone (i32.ge_u (local.get $b) (local.get $nblocks)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        block $adone
          loop $anext
            (br_if $adone (i32.ge_u (local.get $k) (i32.const 128)))
            (local.set $q (i32.add (local.get $p) (local.get $k)))
            (local.set $w (v128.load (local.get $q)))
            ${amaxStep('$w', '$acc')}
            (local.set $w (v128.load offset=16 (local.get $q)))
            ${amaxStep('$w', '$acc1')}
            (local.set $k (i32.add (local.get $k) (i32.const 32)))
            br $anext
          end
        end
        (local.set $acc (f32x4.max (local.get $acc) (local.get $acc1)))
        ${hmax('$acc', '$m')}
        (local.set $acc (f32x4.splat (local.get $m)))
        ${mxExponent('$acc', '$e')}
        (i32.store (local.get $exps) (i32x4.extract_lane 0 (local.get $e)))
        (local.set $x4 ${pow2('(local.get $e)')})
        (local.set $inv4 ${pow2('(i32x4.neg (local.get $e))')})
        (local.set $k (i32.const 0))
        block $edone
          loop $enext
            (br_if $edone (i32.ge_u (local.get $k) (i32.const 128)))
            (local.set $q (i32.add (local.get $p) (local.get $k)))
            (local.set $w (v128.load (local.get $q)))
            (local.set $v (f32x4.mul (local.get $w) (local.get $inv4)))
            ${cast('$v', '$v')}
            (v128.store (local.get $q) ${passFinite('(f32x4.mul (local.get $v) (local.get $x4))', '$w')})
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            br $enext
          end
        end
        (local.set $p (i32.add (local.get $p) (i32.const 128)))
        (local.set $exps (i32.add (local.get $exps) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        br $bnext
      end
    end
  )

  ;; MX in place over [outer, length, inner] at p, blocks of 32 along length (the last one partial),
  ;; inner a multiple of 4; exponents to i32[exps] in (outer, block, inner) order.
  (func $mxStrided (export "mxStrided") (param $p i32) (param $outer i32) (param $length i32) (param $inner i32) (param $exps i32) ${GRID_PARAMS} (param $emax i32)
    ${GRID_LOCALS} ${CAST_LOCALS} (local $o i32) (local $k0 i32) (local $k1 i32) (local $k i32) (local $i i32) (local $row i32) (local $stride i32) (local $base i32) (local $q i32)
    (local $w v128) (local $v v128) (local $acc v128) (local $ab v128) (local $bias v128) (local $e v128) (local $x4 v128) (local $inv4 v128)
    ${GRID_SPLAT}
    (local.set $bias (i32x4.splat (i32.add (local.get $emax) (i32.const 127))))
    (local.set $stride (i32.shl (local.get $inner) (i32.const 2)))
    block $odone
      loop $onext
        (br_if $odone (i32.ge_u (local.get $o) (local.get $outer)))
        (local.set $k0 (i32.const 0))
        block $bdone
          loop $bnext
            (br_if $bdone (i32.ge_u (local.get $k0) (local.get $length)))
            (local.set $k1 (i32.add (local.get $k0) (i32.const 32)))
            (if (i32.gt_u (local.get $k1) (local.get $length)) (local.set $k1 (local.get $length)))
            (local.set $base (i32.add (local.get $p) (i32.mul (i32.add (i32.mul (local.get $o) (local.get $length)) (local.get $k0)) (local.get $stride))))
            (local.set $i (i32.const 0))
            block $idone
              loop $inext
                (br_if $idone (i32.ge_u (local.get $i) (local.get $inner)))
                (local.set $acc (v128.const i32x4 0 0 0 0))
                (local.set $q (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
                (local.set $k (local.get $k0))
                block $adone
                  loop $anext
                    (br_if $adone (i32.ge_u (local.get $k) (local.get $k1)))
                    (local.set $w (v128.load (local.get $q)))
                    ${amaxStep('$w', '$acc')}
                    (local.set $q (i32.add (local.get $q) (local.get $stride)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    br $anext
                  end
                end
                ${mxExponent('$acc', '$e')}
                (v128.store (local.get $exps) (local.get $e))
                (local.set $exps (i32.add (local.get $exps) (i32.const 16)))
                (local.set $x4 ${pow2('(local.get $e)')})
                (local.set $inv4 ${pow2('(i32x4.neg (local.get $e))')})
                (local.set $q (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
                (local.set $k (local.get $k0))
                block $edone
                  loop $enext
                    (br_if $edone (i32.ge_u (local.get $k) (local.get $k1)))
                    (local.set $w (v128.load (local.get $q)))
                    (local.set $v (f32x4.mul (local.get $w) (local.get $inv4)))
                    ${cast('$v', '$v')}
                    (v128.store (local.get $q) ${passFinite('(f32x4.mul (local.get $v) (local.get $x4))', '$w')})
                    (local.set $q (i32.add (local.get $q) (local.get $stride)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    br $enext
                  end
                end
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                br $inext
              end
            end
            (local.set $k0 (local.get $k1))
            br $bnext
          end
        end
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        br $onext
      end
    end
  )

  ;; NVFP4 in place over nblocks contiguous blocks of 16 at p; block scales (f32) to [scales].
  ;; s_b = E4M3(amax_b / sixS2), c = s_b·s2; x̂ = (E2M1(w/c)·s_b)·s2, or w·0 when c = 0.
  (func $nvContig (export "nvContig") (param $p i32) (param $nblocks i32) (param $scales i32) (param $s2 f32) (param $sixS2 f32)
    ${CAST_LOCALS} (local $b i32) (local $k i32) (local $q i32) (local $w v128) (local $v v128) (local $acc v128) (local $ab v128) (local $m f32)
    (local $sb4 v128) (local $c4 v128) (local $s24 v128) (local $sb f32) (local $c f32)
    (local $e4max v128) (local $e4emin v128) (local $e4shift v128) (local $gmax v128) (local $gemin v128) (local $gshift v128)
    (local.set $e4max (v128.const f32x4 448 448 448 448))
    (local.set $e4emin (v128.const i32x4 121 121 121 121))
    (local.set $e4shift (v128.const i32x4 20 20 20 20))
    (local.set $gmax (v128.const f32x4 6 6 6 6))
    (local.set $gemin (v128.const i32x4 127 127 127 127))
    (local.set $gshift (v128.const i32x4 22 22 22 22))
    (local.set $s24 (f32x4.splat (local.get $s2)))
    block $bdone
      loop $bnext
        (br_if $bdone (i32.ge_u (local.get $b) (local.get $nblocks)))
        (local.set $w (v128.load (local.get $p)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        ${amaxStep('$w', '$acc')}
        (local.set $w (v128.load offset=16 (local.get $p)))
        ${amaxStep('$w', '$acc')}
        (local.set $w (v128.load offset=32 (local.get $p)))
        ${amaxStep('$w', '$acc')}
        (local.set $w (v128.load offset=48 (local.get $p)))
        ${amaxStep('$w', '$acc')}
        ${hmax('$acc', '$m')}
        (local.set $v (f32x4.splat (f32.div (local.get $m) (local.get $sixS2))))
        ${cast('$v', '$sb4', '$e4max', '$e4emin', '$e4shift')}
        (local.set $sb (f32x4.extract_lane 0 (local.get $sb4)))
        (f32.store (local.get $scales) (local.get $sb))
        (local.set $c (f32.mul (local.get $sb) (local.get $s2)))
        (local.set $c4 (f32x4.splat (local.get $c)))
        (local.set $k (i32.const 0))
        block $edone
          loop $enext
            (br_if $edone (i32.ge_u (local.get $k) (i32.const 64)))
            (local.set $q (i32.add (local.get $p) (local.get $k)))
            (local.set $w (v128.load (local.get $q)))
            (local.set $v (f32x4.div (local.get $w) (local.get $c4)))
            ${cast('$v', '$v')}
            (local.set $v (f32x4.mul (f32x4.mul (local.get $v) (local.get $sb4)) (local.get $s24)))
            (local.set $v (v128.bitselect (f32x4.mul (local.get $w) (v128.const i32x4 0 0 0 0)) (local.get $v)
                                          (f32x4.eq (local.get $c4) (v128.const i32x4 0 0 0 0))))
            (v128.store (local.get $q) ${passFinite('(local.get $v)', '$w')})
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            br $enext
          end
        end
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        br $bnext
      end
    end
  )

  ;; NVFP4 in place over [outer, length, inner] at p, blocks of 16 along length (the last one
  ;; partial), inner a multiple of 4; block scales (f32) in (outer, block, inner) order.
  (func $nvStrided (export "nvStrided") (param $p i32) (param $outer i32) (param $length i32) (param $inner i32) (param $scales i32) (param $s2 f32) (param $sixS2 f32)
    ${CAST_LOCALS} (local $o i32) (local $k0 i32) (local $k1 i32) (local $k i32) (local $i i32) (local $stride i32) (local $base i32) (local $q i32)
    (local $w v128) (local $v v128) (local $acc v128) (local $ab v128) (local $sb4 v128) (local $c4 v128) (local $s24 v128) (local $six4 v128)
    (local $e4max v128) (local $e4emin v128) (local $e4shift v128) (local $gmax v128) (local $gemin v128) (local $gshift v128)
    (local.set $e4max (v128.const f32x4 448 448 448 448))
    (local.set $e4emin (v128.const i32x4 121 121 121 121))
    (local.set $e4shift (v128.const i32x4 20 20 20 20))
    (local.set $gmax (v128.const f32x4 6 6 6 6))
    (local.set $gemin (v128.const i32x4 127 127 127 127))
    (local.set $gshift (v128.const i32x4 22 22 22 22))
    (local.set $s24 (f32x4.splat (local.get $s2)))
    (local.set $six4 (f32x4.splat (local.get $sixS2)))
    (local.set $stride (i32.shl (local.get $inner) (i32.const 2)))
    block $odone
      loop $onext
        (br_if $odone (i32.ge_u (local.get $o) (local.get $outer)))
        (local.set $k0 (i32.const 0))
        block $bdone
          loop $bnext
            (br_if $bdone (i32.ge_u (local.get $k0) (local.get $length)))
            (local.set $k1 (i32.add (local.get $k0) (i32.const 16)))
            (if (i32.gt_u (local.get $k1) (local.get $length)) (local.set $k1 (local.get $length)))
            (local.set $base (i32.add (local.get $p) (i32.mul (i32.add (i32.mul (local.get $o) (local.get $length)) (local.get $k0)) (local.get $stride))))
            (local.set $i (i32.const 0))
            block $idone
              loop $inext
                (br_if $idone (i32.ge_u (local.get $i) (local.get $inner)))
                (local.set $acc (v128.const i32x4 0 0 0 0))
                (local.set $q (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
                (local.set $k (local.get $k0))
                block $adone
                  loop $anext
                    (br_if $adone (i32.ge_u (local.get $k) (local.get $k1)))
                    (local.set $w (v128.load (local.get $q)))
                    ${amaxStep('$w', '$acc')}
                    (local.set $q (i32.add (local.get $q) (local.get $stride)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    br $anext
                  end
                end
                (local.set $v (f32x4.div (local.get $acc) (local.get $six4)))
                ${cast('$v', '$sb4', '$e4max', '$e4emin', '$e4shift')}
                (v128.store (local.get $scales) (local.get $sb4))
                (local.set $scales (i32.add (local.get $scales) (i32.const 16)))
                (local.set $c4 (f32x4.mul (local.get $sb4) (local.get $s24)))
                (local.set $q (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
                (local.set $k (local.get $k0))
                block $edone
                  loop $enext
                    (br_if $edone (i32.ge_u (local.get $k) (local.get $k1)))
                    (local.set $w (v128.load (local.get $q)))
                    (local.set $v (f32x4.div (local.get $w) (local.get $c4)))
                    ${cast('$v', '$v')}
                    (local.set $v (f32x4.mul (f32x4.mul (local.get $v) (local.get $sb4)) (local.get $s24)))
                    (local.set $v (v128.bitselect (f32x4.mul (local.get $w) (v128.const i32x4 0 0 0 0)) (local.get $v)
                                                  (f32x4.eq (local.get $c4) (v128.const i32x4 0 0 0 0))))
                    (v128.store (local.get $q) ${passFinite('(local.get $v)', '$w')})
                    (local.set $q (i32.add (local.get $q) (local.get $stride)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    br $enext
                  end
                end
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                br $inext
              end
            end
            (local.set $k0 (local.get $k1))
            br $bnext
          end
        end
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        br $onext
      end
    end
  )
)
`;
