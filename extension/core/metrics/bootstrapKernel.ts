/**
 * The row-drawing half of the count-based bootstrap (cellBootstrap.ts `drawBatch`) as a
 * WebAssembly kernel: for each block and each replicate of a batch of 16, the block's drawn rows
 * (8 bits of a xoshiro128** draw per row in a full block of 256; rejected ⌈log2 size⌉-bit chunks
 * in a partial one) summed value by value in draw order, then added to the replicate's cell sums.
 * The same generator steps, the same float64 additions in the same order as the TypeScript
 * loops, so the sums are bit for bit theirs (test/unit/metrics/cellBootstrap.test.ts); about
 * twice as fast, with no bounds checks and the generator's state in registers.
 *
 * Written in the text format and assembled on first use by the quantization kernels' assembler
 * (core/wasm/wat.ts): a few hundred bytes, assembled in well under a millisecond.
 */
import { assembleWat } from '../wasm/wat';

const BLOCK = 256;

/** The part of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

/** rotl(x, k) of an i32 expression. */
function rotl(x: string, k: number): string {
  return `(i32.or (i32.shl ${x} (i32.const ${k})) (i32.shr_u ${x} (i32.const ${32 - k})))`;
}

/** xoshiro128** (stats.ts `Xoshiro128.nextU32`): the next draw into $u, the state in $a…$d. */
const NEXT = `
  (local.set $t (i32.mul (local.get $b) (i32.const 5)))
  (local.set $u (i32.mul ${rotl('(local.get $t)', 7)} (i32.const 9)))
  (local.set $t (i32.shl (local.get $b) (i32.const 9)))
  (local.set $c (i32.xor (local.get $c) (local.get $a)))
  (local.set $d (i32.xor (local.get $d) (local.get $b)))
  (local.set $b (i32.xor (local.get $b) (local.get $c)))
  (local.set $a (i32.xor (local.get $a) (local.get $d)))
  (local.set $c (i32.xor (local.get $c) (local.get $t)))
  (local.set $d ${rotl('(local.get $d)', 11)})`;

/** How a kernel holds a block's running sums: three locals (stride 3) or `stride` slots at $pAcc. */
interface Sums {
  readonly zero: string;
  /** Adds the values of the row whose index is in $row. */
  readonly addRow: string;
  /** Adds the block's sums into the cell sums of replicate cell $at. */
  readonly flush: string;
}

const SUMS3: Sums = {
  zero: '(local.set $s0 (f64.const 0)) (local.set $s1 (f64.const 0)) (local.set $s2 (f64.const 0))',
  addRow: `
    (local.set $q (i32.add (local.get $pValues) (i32.mul (local.get $row) (i32.const 24))))
    (local.set $s0 (f64.add (local.get $s0) (f64.load (local.get $q))))
    (local.set $s1 (f64.add (local.get $s1) (f64.load offset=8 (local.get $q))))
    (local.set $s2 (f64.add (local.get $s2) (f64.load offset=16 (local.get $q))))`,
  flush: `
    (local.set $q (i32.add (local.get $pSums) (i32.mul (local.get $at) (i32.const 24))))
    (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (local.get $s0)))
    (f64.store offset=8 (local.get $q) (f64.add (f64.load offset=8 (local.get $q)) (local.get $s1)))
    (f64.store offset=16 (local.get $q) (f64.add (f64.load offset=16 (local.get $q)) (local.get $s2)))`,
};

/** Loops f over 0..stride−1 around `body` (which may use $f and $p = $pAcc + 8·f). */
function eachValue(body: string): string {
  return `
    (local.set $f (i32.const 0))
    (block $fdone (loop $fnext
      (br_if $fdone (i32.ge_u (local.get $f) (local.get $stride)))
      (local.set $p (i32.add (local.get $pAcc) (i32.shl (local.get $f) (i32.const 3))))
      ${body}
      (local.set $f (i32.add (local.get $f) (i32.const 1)))
      (br $fnext)))`;
}

const SUMS_N: Sums = {
  zero: eachValue('(f64.store (local.get $p) (f64.const 0))'),
  addRow: `
    (local.set $q (i32.add (local.get $pValues) (i32.shl (i32.mul (local.get $row) (local.get $stride)) (i32.const 3))))
    ${eachValue('(f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.load (i32.add (local.get $q) (i32.shl (local.get $f) (i32.const 3))))))')}`,
  flush: `
    (local.set $q (i32.add (local.get $pSums) (i32.shl (i32.mul (local.get $at) (local.get $stride)) (i32.const 3))))
    ${eachValue(`(local.set $row (i32.add (local.get $q) (i32.shl (local.get $f) (i32.const 3))))
      (f64.store (local.get $row) (f64.add (f64.load (local.get $row)) (f64.load (local.get $p))))`)}`,
};

/**
 * gather(from, blocks, cells, stride, replicates, pStart, pSize, pCell, pCounts, pCellCount, pSums, pValues, pAcc, to):
 * blocks [from, to) of `blocks`; the state (4 × i32) at byte 0; per block its first row, size and
 * cell (i32 arrays); the block counts (i32, replicate-major: counts[r·blocks + b]); cell counts
 * and sums (f64, replicate-major) are added to; values are `stride` f64 per row in cell order;
 * $pAcc: `stride` f64 of scratch. Called on spans of blocks: V8 runs a WebAssembly function in
 * its baseline tier until a later call (no on-stack replacement), so one call per batch would
 * stay there.
 */
function gatherFunction(name: string, sums: Sums): string {
  return `
(func $${name} (export "${name}")
  (param $from i32) (param $blocks i32) (param $cells i32) (param $stride i32) (param $replicates i32)
  (param $pStart i32) (param $pSize i32) (param $pCell i32) (param $pCounts i32)
  (param $pCellCount i32) (param $pSums i32) (param $pValues i32) (param $pAcc i32) (param $to i32)
  (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $t i32) (local $u i32)
  (local $blk i32) (local $rep i32) (local $m i32) (local $size i32) (local $base i32) (local $cell i32) (local $at i32)
  (local $j i32) (local $k i32) (local $row i32) (local $f i32) (local $p i32) (local $q i32)
  (local $bits i32) (local $mask i32) (local $per i32) (local $left i32)
  (local $s0 f64) (local $s1 f64) (local $s2 f64)
  (local.set $a (i32.load (i32.const 0)))
  (local.set $b (i32.load (i32.const 4)))
  (local.set $c (i32.load (i32.const 8)))
  (local.set $d (i32.load (i32.const 12)))
  (local.set $blk (local.get $from))
  (block $bdone (loop $bnext
    (br_if $bdone (i32.ge_u (local.get $blk) (local.get $to)))
    (local.set $p (i32.shl (local.get $blk) (i32.const 2)))
    (local.set $base (i32.load (i32.add (local.get $pStart) (local.get $p))))
    (local.set $size (i32.load (i32.add (local.get $pSize) (local.get $p))))
    (local.set $cell (i32.load (i32.add (local.get $pCell) (local.get $p))))
    (local.set $rep (i32.const 0))
    (block $rdone (loop $rnext
      (br_if $rdone (i32.ge_u (local.get $rep) (local.get $replicates)))
      (local.set $m (i32.load (i32.add (local.get $pCounts)
        (i32.shl (i32.add (i32.mul (local.get $rep) (local.get $blocks)) (local.get $blk)) (i32.const 2)))))
      (if (i32.ne (local.get $m) (i32.const 0)) (then
        (local.set $at (i32.add (i32.mul (local.get $rep) (local.get $cells)) (local.get $cell)))
        (local.set $q (i32.add (local.get $pCellCount) (i32.shl (local.get $at) (i32.const 3))))
        (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.convert_i32_s (local.get $m))))
        ${sums.zero}
        (local.set $j (i32.const 0))
        (if (i32.eq (local.get $size) (i32.const ${BLOCK}))
          (then
            ;; a full block: 8 bits of a draw per row, a new draw every 4 rows
            (block $jdone (loop $jnext
              (br_if $jdone (i32.ge_u (local.get $j) (local.get $m)))
              (if (i32.eqz (i32.and (local.get $j) (i32.const 3))) (then ${NEXT}))
              (local.set $row (i32.add (local.get $base) (i32.and (local.get $u) (i32.const 255))))
              (local.set $u (i32.shr_u (local.get $u) (i32.const 8)))
              ${sums.addRow}
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $jnext))))
          (else
            (if (i32.eq (local.get $size) (i32.const 1))
              (then
                (block $odone (loop $onext
                  (br_if $odone (i32.ge_u (local.get $j) (local.get $m)))
                  (local.set $row (local.get $base))
                  ${sums.addRow}
                  (local.set $j (i32.add (local.get $j) (i32.const 1)))
                  (br $onext))))
              (else
                ;; a partial block: chunks of ⌈log2 size⌉ bits, a chunk ≥ size rejected
                (local.set $bits (i32.sub (i32.const 32) (i32.clz (i32.sub (local.get $size) (i32.const 1)))))
                (local.set $mask (i32.sub (i32.shl (i32.const 1) (local.get $bits)) (i32.const 1)))
                (local.set $per (i32.div_u (i32.const 32) (local.get $bits)))
                (local.set $left (i32.const 0))
                (local.set $u (i32.const 0))
                (block $pdone (loop $pnext
                  (br_if $pdone (i32.ge_u (local.get $j) (local.get $m)))
                  (loop $retry
                    (if (i32.eqz (local.get $left)) (then ${NEXT} (local.set $left (local.get $per))))
                    (local.set $k (i32.and (local.get $u) (local.get $mask)))
                    (local.set $u (i32.shr_u (local.get $u) (local.get $bits)))
                    (local.set $left (i32.sub (local.get $left) (i32.const 1)))
                    (br_if $retry (i32.ge_u (local.get $k) (local.get $size))))
                  (local.set $row (i32.add (local.get $base) (local.get $k)))
                  ${sums.addRow}
                  (local.set $j (i32.add (local.get $j) (i32.const 1)))
                  (br $pnext)))))))
        ${sums.flush}))
      (local.set $rep (i32.add (local.get $rep) (i32.const 1)))
      (br $rnext)))
    (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
    (br $bnext)))
  (i32.store (i32.const 0) (local.get $a))
  (i32.store (i32.const 4) (local.get $b))
  (i32.store (i32.const 8) (local.get $c))
  (i32.store (i32.const 12) (local.get $d)))`;
}

/** The kernel module's text: `gather3` (three values a row, in locals) and `gatherN` (any stride). */
export const GATHER_WAT = `(module
  (memory (export "memory") 1)
  ${gatherFunction('gather3', SUMS3)}
  ${gatherFunction('gatherN', SUMS_N)})`;

type Gather = (
  from: number, blocks: number, cells: number, stride: number, replicates: number, pStart: number, pSize: number, pCell: number, pCounts: number,
  pCellCount: number, pSums: number, pValues: number, pAcc: number, to: number,
) => void;

export interface GatherKernel {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly gather3: Gather;
  readonly gatherN: Gather;
}

let compiled: object | null | undefined;

/** A fresh instance (its own memory of `bytes`), or null where WebAssembly or that much memory is not to be had. */
export function gatherKernel(bytes: number): GatherKernel | null {
  if (compiled === undefined) {
    try {
      compiled = typeof WebAssembly === 'object' ? new WebAssembly.Module(assembleWat(GATHER_WAT)) : null;
    } catch {
      compiled = null;
    }
  }
  if (compiled === null) return null;
  const pages = Math.ceil(bytes / 65536);
  if (pages > 32768) return null; // over 2 GiB: the TypeScript loops
  try {
    const exports = new WebAssembly.Instance(compiled, {}).exports as unknown as GatherKernel;
    const have = exports.memory.buffer.byteLength / 65536;
    if (pages > have) exports.memory.grow(pages - have);
    return exports;
  } catch {
    return null;
  }
}
