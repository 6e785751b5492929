/**
 * The count-based multinomial bootstrap (docs/BOOTSTRAP.md). A row's contribution to every
 * group accumulator is fixed by its **cell**: its group combination (intersection, or the
 * pattern of present values when one is missing) and, for each side (one builder; two for a
 * paired comparison), its label, prediction, ECE bin, top-label correctness and whether its loss
 * (regression: its error) is NaN. Everything an accumulator counts is then a function of the
 * cell counts; what it sums of row values (weights, losses, Brier terms, confidences, squared
 * and absolute errors) needs the rows drawn.
 *
 * A replicate of the row bootstrap (n rows drawn uniformly with replacement) is drawn exactly as:
 *  1. counts over cells ~ Multinomial(n; |cell|/n) by sequential conditional binomials, when no
 *     row value is summed (unweighted, no scores, no losses): nothing per row at all;
 *  2. otherwise counts over blocks of at most 256 rows of one cell ~ Multinomial(n; |block|/n),
 *     then each block's count of rows drawn uniformly inside the block (8 bits of a 32-bit draw
 *     per row for a full block), summing the drawn rows' values per cell. Replicates are drawn 16
 *     at a time (all their block counts, then block by block the rows of each), so a block's
 *     values are read from memory once per 16 replicates.
 * Both give the row counts of Multinomial(n; 1/n, …, 1/n), the §B resample, in distribution.
 */
import { GroupAccumulator, type MetricsTask } from './accumulator';
import { multinomialBySizes } from './binomial';
import { gatherKernel, type GatherKernel } from './bootstrapKernel';
import type { RawSet } from './groupLayout';
import type { Xoshiro128 } from './stats';

/** One builder's stored per-row columns (views of length n). */
export interface CellSideRows {
  readonly task: MetricsTask;
  readonly numClasses: number;
  readonly label: Float64Array;
  readonly pred: Float64Array;
  readonly conf: Float64Array;
  readonly brier: Float64Array;
  /** The per-row loss the groups use (the Bias Loss column when that is the loss). */
  readonly loss: Float64Array;
  readonly weight: Float64Array;
  readonly bin: Int8Array;
  readonly topCorrect: Uint8Array;
}

export interface CellRows {
  readonly n: number;
  /** Intersection slot per row (−1 when a value is missing). */
  readonly slot: Int32Array;
  /** Code per sensitive column per row (−1 = missing). */
  readonly codes: readonly Int32Array[];
  /** Number of intersection slots. */
  readonly slots: number;
  readonly sides: readonly CellSideRows[];
}

/** Which row values a side sums (flags) and where they sit in a cell's sums. */
interface SidePlan {
  readonly regression: boolean;
  readonly k: number;
  /** Range of the side's cell attribute. */
  readonly range: number;
  /** Offsets of w, w·loss, w·brier, w·conf (classified) / w, w·loss, w·e², w·|e| (regression); −1 = not summed. */
  readonly w: number;
  readonly l: number;
  readonly b: number;
  readonly c: number;
}

const BLOCK = 256;
/** Replicates drawn together when rows are drawn (see `draw`). */
const REPLICATE_BATCH = 16;
/** Blocks per call of the WebAssembly kernel (about 0.5 ms: it is optimized between calls). */
const KERNEL_SPAN = 64;

/** The block's draws: ⌈m/4⌉ values of the generator, in order (4 rows of 8 bits each). */
let draws = new Uint32Array(256);

/** Sums the values of `m` rows drawn uniformly from a full block (8 bits of a draw per row) into `acc`. */
function gatherFull(v: Float64Array, stride: number, base: number, m: number, rng: Xoshiro128, acc: Float64Array): void {
  const k = (m + 3) >> 2;
  if (draws.length < k) draws = new Uint32Array(Math.max(k, draws.length * 2));
  const u32 = draws;
  rng.fillU32(u32, k);
  if (stride === 3) {
    // the block's rows only: indices 0..767
    const b = v.subarray(base * 3, base * 3 + BLOCK * 3);
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let j = 0;
    let q = 0;
    for (; j + 4 <= m; j += 4) {
      const u = u32[q++] as number;
      let r = (u & 255) * 3;
      s0 += b[r] as number;
      s1 += b[r + 1] as number;
      s2 += b[r + 2] as number;
      r = ((u >>> 8) & 255) * 3;
      s0 += b[r] as number;
      s1 += b[r + 1] as number;
      s2 += b[r + 2] as number;
      r = ((u >>> 16) & 255) * 3;
      s0 += b[r] as number;
      s1 += b[r + 1] as number;
      s2 += b[r + 2] as number;
      r = (u >>> 24) * 3;
      s0 += b[r] as number;
      s1 += b[r + 1] as number;
      s2 += b[r + 2] as number;
    }
    if (j < m) {
      let u = u32[q] as number;
      for (; j < m; j++) {
        const r = (u & 255) * 3;
        u >>>= 8;
        s0 += b[r] as number;
        s1 += b[r + 1] as number;
        s2 += b[r + 2] as number;
      }
    }
    acc[0] = s0;
    acc[1] = s1;
    acc[2] = s2;
    return;
  }
  if (stride === 6) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let u = 0;
    for (let j = 0; j < m; j++) {
      if ((j & 3) === 0) u = u32[j >> 2] as number;
      const r = (base + (u & 255)) * 6;
      u >>>= 8;
      s0 += v[r] as number;
      s1 += v[r + 1] as number;
      s2 += v[r + 2] as number;
      s3 += v[r + 3] as number;
      s4 += v[r + 4] as number;
      s5 += v[r + 5] as number;
    }
    acc[0] = s0;
    acc[1] = s1;
    acc[2] = s2;
    acc[3] = s3;
    acc[4] = s4;
    acc[5] = s5;
    return;
  }
  // any stride: the rows first, then one tight sum per value
  const rows = scratchRows(m);
  let u = 0;
  for (let j = 0; j < m; j++) {
    if ((j & 3) === 0) u = u32[j >> 2] as number;
    rows[j] = (base + (u & 255)) * stride;
    u >>>= 8;
  }
  sumRows(v, stride, rows, m, acc);
}

let scratch = new Int32Array(1024);

function scratchRows(m: number): Int32Array {
  if (scratch.length < m) scratch = new Int32Array(Math.max(m, scratch.length * 2));
  return scratch;
}

/** acc[f] = Σ_j v[rows[j] + f] for each of the `stride` values. */
function sumRows(v: Float64Array, stride: number, rows: Int32Array, m: number, acc: Float64Array): void {
  for (let f = 0; f < stride; f++) {
    let sum = 0;
    for (let j = 0; j < m; j++) sum += v[(rows[j] as number) + f] as number;
    acc[f] = sum;
  }
}

/** The same for a block of `size` < 256 rows (the last block of a cell). */
function gatherPartial(v: Float64Array, stride: number, base: number, size: number, m: number, rng: Xoshiro128, acc: Float64Array): void {
  const rows = scratchRows(m);
  if (size === 1) {
    for (let j = 0; j < m; j++) rows[j] = base * stride;
  } else {
    // chunks of ⌈log2 size⌉ bits, a chunk ≥ size rejected (each row 1/size; under half rejected)
    const bits = 32 - Math.clz32(size - 1);
    const mask = (1 << bits) - 1;
    const perDraw = Math.floor(32 / bits);
    let u = 0;
    let left = 0;
    for (let j = 0; j < m; j++) {
      let k: number;
      do {
        if (left === 0) {
          u = rng.nextU32();
          left = perDraw;
        }
        k = u & mask;
        u >>>= bits;
        left--;
      } while (k >= size);
      rows[j] = (base + k) * stride;
    }
  }
  sumRows(v, stride, rows, m, acc);
}

/** How a replicate was drawn: cell counts only, or cell counts plus the rows inside blocks. */
export type CellMethod = 'cells' | 'cells+rows';

export class CellResampler {
  readonly method: CellMethod;
  private readonly n: number;
  private readonly slots: number;
  private readonly plans: SidePlan[];
  private readonly stride: number;
  /** Per cell: group key (slot, or slots + missing-pattern index) and each side's attribute. */
  private readonly cellGroup: Int32Array;
  private readonly cellAttr: Int32Array[];
  private readonly cellSize: Float64Array;
  private readonly patterns: Int32Array[] = [];
  /** Row values in cell order, `stride` per row. */
  private readonly values: Float64Array;
  private readonly blockStart: Int32Array;
  private readonly blockSize: Int32Array;
  private readonly blockCell: Int32Array;
  /** Counts and value sums per cell of the drawn replicates (a batch of them with row values). */
  private readonly cellCount: Float64Array;
  private readonly cellSums: Float64Array;
  private readonly blockCount: Int32Array;
  private readonly acc: Float64Array;
  /** The WebAssembly row drawing (bootstrapKernel.ts), whose memory holds the arrays above; null: the TypeScript loops. */
  private readonly kernel: { readonly gather: GatherKernel['gather3']; readonly state: Int32Array; readonly at: Record<'start' | 'size' | 'cell' | 'counts' | 'cellCount' | 'sums' | 'values' | 'acc', number> } | null = null;
  /** The replicate `fill` reads, and the next one of the batch. */
  private current = 0;
  private next = REPLICATE_BATCH;

  /** `options.wasm: false` keeps the TypeScript loops (the kernel's reference in the tests). */
  constructor(rows: CellRows, options: { readonly wasm?: boolean } = {}) {
    const { n, sides } = rows;
    this.n = n;
    this.slots = rows.slots;
    let offset = 0;
    this.plans = sides.map((s) => {
      const regression = s.task === 'regression';
      const k = regression ? 1 : s.numClasses;
      let weighted = false;
      let losses = false;
      let briers = false;
      let confs = false;
      for (let i = 0; i < n; i++) {
        if (s.weight[i] !== 1) weighted = true;
        if (s.loss[i] === s.loss[i]) losses = true;
        if (!regression && s.brier[i] === s.brier[i]) briers = true;
        if (!regression && (s.bin[i] as number) >= 0) confs = true;
      }
      const at = (on: boolean): number => (on ? offset++ : -1);
      const w = at(weighted);
      const l = at(losses);
      const b = at(regression || briers); // regression: w·e²
      const c = at(regression || confs); // regression: w·|e|
      return { regression, k, range: regression ? 4 : k * k * 16 * 4, w, l, b, c };
    });
    this.stride = offset;
    this.method = offset === 0 ? 'cells' : 'cells+rows';

    // cell of each row
    const cellOfRow = new Int32Array(n);
    const patternIndex = new Map<string, number>();
    const attrs = sides.map(() => new Int32Array(n));
    sides.forEach((s, j) => {
      const plan = this.plans[j] as SidePlan;
      const out = attrs[j] as Int32Array;
      for (let i = 0; i < n; i++) {
        const lossNaN = s.loss[i] === s.loss[i] ? 0 : 1;
        if (plan.regression) {
          const e = (s.pred[i] as number) - (s.label[i] as number);
          out[i] = lossNaN * 2 + (e === e ? 0 : 1);
        } else {
          out[i] = ((((s.label[i] as number) * plan.k + (s.pred[i] as number)) * 16 + ((s.bin[i] as number) + 1)) * 2 + (s.topCorrect[i] as number)) * 2 + lossNaN;
        }
      }
    });
    const group = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const slot = rows.slot[i] as number;
      if (slot >= 0) {
        group[i] = slot;
        continue;
      }
      const tuple = rows.codes.map((c) => c[i] as number);
      const key = tuple.join(',');
      let p = patternIndex.get(key);
      if (p === undefined) {
        p = this.patterns.length;
        patternIndex.set(key, p);
        this.patterns.push(Int32Array.from(tuple));
      }
      group[i] = rows.slots + p;
    }
    let range = rows.slots + this.patterns.length;
    for (const plan of this.plans) range *= plan.range;
    const dense = range <= 1 << 22 ? new Int32Array(range).fill(-1) : null;
    const sparse = dense === null ? new Map<number | string, number>() : null;
    const exact = range <= Number.MAX_SAFE_INTEGER;
    const cellGroup: number[] = [];
    const cellAttr: number[][] = sides.map(() => []);
    for (let i = 0; i < n; i++) {
      let key = group[i] as number;
      for (let j = 0; j < sides.length; j++) key = key * (this.plans[j] as SidePlan).range + ((attrs[j] as Int32Array)[i] as number);
      let cell: number;
      if (dense !== null) {
        cell = dense[key] as number;
        if (cell < 0) {
          cell = cellGroup.length;
          dense[key] = cell;
          this.newCell(cellGroup, cellAttr, group[i] as number, attrs, i);
        }
      } else {
        const k: number | string = exact ? key : `${group[i]}:${attrs.map((a) => a[i]).join(':')}`;
        const known = (sparse as Map<number | string, number>).get(k);
        if (known === undefined) {
          cell = cellGroup.length;
          (sparse as Map<number | string, number>).set(k, cell);
          this.newCell(cellGroup, cellAttr, group[i] as number, attrs, i);
        } else {
          cell = known;
        }
      }
      cellOfRow[i] = cell;
    }
    const cells = cellGroup.length;
    this.cellGroup = Int32Array.from(cellGroup);
    this.cellAttr = cellAttr.map((a) => Int32Array.from(a));
    this.cellSize = new Float64Array(cells);
    for (let i = 0; i < n; i++) {
      const c = cellOfRow[i] as number;
      this.cellSize[c] = (this.cellSize[c] as number) + 1;
    }
    const batch = this.stride === 0 ? 1 : REPLICATE_BATCH;

    // rows in cell order, their values, blocks of ≤ 256 rows of one cell
    const stride = this.stride;
    const start = new Int32Array(cells + 1);
    for (let c = 0; c < cells; c++) start[c + 1] = (start[c] as number) + (this.cellSize[c] as number);
    let blocks = 0;
    for (let c = 0; c < cells; c++) blocks += Math.ceil((this.cellSize[c] as number) / BLOCK);
    // with row values, the arrays the row drawing reads and writes live in the kernel's memory
    const align = (x: number): number => Math.ceil(x / 8) * 8;
    const at = { acc: 16, start: 0, size: 0, cell: 0, counts: 0, cellCount: 0, sums: 0, values: 0 };
    at.start = align(at.acc + 8 * stride);
    at.size = at.start + 4 * blocks;
    at.cell = at.size + 4 * blocks;
    at.counts = at.cell + 4 * blocks;
    at.cellCount = align(at.counts + 4 * blocks * REPLICATE_BATCH);
    at.sums = at.cellCount + 8 * cells * batch;
    at.values = at.sums + 8 * cells * stride * batch;
    const wasm = stride > 0 && options.wasm !== false ? gatherKernel(at.values + 8 * n * stride) : null;
    if (wasm !== null) {
      const buffer = wasm.memory.buffer;
      this.kernel = { gather: stride === 3 ? wasm.gather3 : wasm.gatherN, state: new Int32Array(buffer, 0, 4), at };
      this.cellCount = new Float64Array(buffer, at.cellCount, cells * batch);
      this.cellSums = new Float64Array(buffer, at.sums, cells * stride * batch);
      this.acc = new Float64Array(buffer, at.acc, stride);
      this.blockStart = new Int32Array(buffer, at.start, blocks);
      this.blockSize = new Int32Array(buffer, at.size, blocks);
      this.blockCell = new Int32Array(buffer, at.cell, blocks);
      this.blockCount = new Int32Array(buffer, at.counts, blocks * REPLICATE_BATCH);
      this.values = new Float64Array(buffer, at.values, n * stride);
    } else {
      this.cellCount = new Float64Array(cells * batch);
      this.cellSums = new Float64Array(cells * stride * batch);
      this.acc = new Float64Array(stride);
      this.blockStart = new Int32Array(stride === 0 ? 0 : blocks);
      this.blockSize = new Int32Array(stride === 0 ? 0 : blocks);
      this.blockCell = new Int32Array(stride === 0 ? 0 : blocks);
      this.blockCount = new Int32Array(stride === 0 ? 0 : blocks * REPLICATE_BATCH);
      this.values = new Float64Array(stride === 0 ? 0 : n * stride);
    }
    if (stride > 0) {
      let b = 0;
      for (let c = 0; c < cells; c++) {
        for (let s = start[c] as number; s < (start[c + 1] as number); s += BLOCK) {
          this.blockStart[b] = s;
          this.blockSize[b] = Math.min(BLOCK, (start[c + 1] as number) - s);
          this.blockCell[b] = c;
          b++;
        }
      }
      // each row's place in cell order, then each side's values in tight loops
      const fill = start.slice(0, cells);
      const place = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const c = cellOfRow[i] as number;
        place[i] = (fill[c] as number) * stride;
        fill[c] = (fill[c] as number) + 1;
      }
      const v = this.values;
      sides.forEach((s, j) => {
        const plan = this.plans[j] as SidePlan;
        const { weight, loss, pred, label, brier, bin, conf } = s;
        for (let i = 0; i < n; i++) {
          const o = place[i] as number;
          const w = weight[i] as number;
          const l = loss[i] as number;
          if (plan.w >= 0) v[o + plan.w] = w;
          if (plan.l >= 0) v[o + plan.l] = l === l ? w * l : 0;
          if (plan.regression) {
            const e = (pred[i] as number) - (label[i] as number);
            v[o + plan.b] = e === e ? w * e * e : 0;
            v[o + plan.c] = e === e ? w * Math.abs(e) : 0;
          } else {
            if (plan.b >= 0) v[o + plan.b] = w * (brier[i] as number);
            if (plan.c >= 0) v[o + plan.c] = (bin[i] as number) >= 0 ? w * (conf[i] as number) : 0;
          }
        }
      });
    }
  }

  private newCell(cellGroup: number[], cellAttr: number[][], group: number, attrs: Int32Array[], i: number): void {
    cellGroup.push(group);
    attrs.forEach((a, j) => (cellAttr[j] as number[]).push(a[i] as number));
  }

  /** True when rows are drawn by the WebAssembly kernel (bootstrapKernel.ts). */
  get wasm(): boolean {
    return this.kernel !== null;
  }

  /** Number of cells. */
  get cells(): number {
    return this.cellGroup.length;
  }

  /**
   * Draws the next replicate (`fill` then reads it). With row values, replicates are drawn in
   * batches of REPLICATE_BATCH: the block counts of each, then block by block the rows of every
   * replicate of the batch, so that a block's values are read from memory once per batch.
   */
  draw(rng: Xoshiro128): void {
    if (this.stride === 0) {
      multinomialBySizes(rng, this.n, this.cellSize, this.cellCount);
      this.current = 0;
      return;
    }
    if (this.next === REPLICATE_BATCH) this.drawBatch(rng);
    this.current = this.next++;
  }

  private drawBatch(rng: Xoshiro128): void {
    const blocks = this.blockSize.length;
    const cells = this.cellGroup.length;
    const stride = this.stride;
    const counts = this.blockCount;
    for (let r = 0; r < REPLICATE_BATCH; r++) multinomialBySizes(rng, this.n, this.blockSize, counts.subarray(r * blocks, (r + 1) * blocks));
    const cellCount = this.cellCount;
    const sums = this.cellSums;
    cellCount.fill(0);
    sums.fill(0);
    const kernel = this.kernel;
    if (kernel !== null) {
      // the same draws and sums in WebAssembly: the generator's state goes over and comes back
      rng.saveState(kernel.state);
      const { at } = kernel;
      for (let from = 0; from < blocks; from += KERNEL_SPAN) {
        kernel.gather(from, blocks, cells, stride, REPLICATE_BATCH, at.start, at.size, at.cell, at.counts, at.cellCount, at.sums, at.values, at.acc, Math.min(blocks, from + KERNEL_SPAN));
      }
      rng.loadState(kernel.state);
      this.next = 0;
      return;
    }
    const v = this.values;
    const acc = this.acc;
    for (let b = 0; b < blocks; b++) {
      const c = this.blockCell[b] as number;
      const base = this.blockStart[b] as number;
      const size = this.blockSize[b] as number;
      for (let r = 0; r < REPLICATE_BATCH; r++) {
        const m = counts[r * blocks + b] as number;
        if (m === 0) continue;
        const at = r * cells + c;
        cellCount[at] = (cellCount[at] as number) + m;
        if (size === BLOCK) gatherFull(v, stride, base, m, rng, acc);
        else gatherPartial(v, stride, base, size, m, rng, acc);
        const o = at * stride;
        for (let f = 0; f < stride; f++) sums[o + f] = (sums[o + f] as number) + (acc[f] as number);
      }
    }
    this.next = 0;
  }

  /** Adds the last replicate's cells of side `side` into a fresh accumulator set (the builder's layout). */
  fill(side: number, raw: RawSet): void {
    const plan = this.plans[side] as SidePlan;
    const attr = this.cellAttr[side] as Int32Array;
    const stride = this.stride;
    const sums = this.cellSums;
    const cells = this.cellGroup.length;
    const first = this.current * cells;
    for (let c = 0; c < cells; c++) {
      const m = this.cellCount[first + c] as number;
      if (m === 0) continue;
      const o = (first + c) * stride;
      const W = plan.w >= 0 ? (sums[o + plan.w] as number) : m;
      const WL = plan.l >= 0 ? (sums[o + plan.l] as number) : 0;
      const WB = plan.b >= 0 ? (sums[o + plan.b] as number) : NaN;
      const WC = plan.c >= 0 ? (sums[o + plan.c] as number) : 0;
      const a = attr[c] as number;
      const g = this.cellGroup[c] as number;
      const add = (acc: GroupAccumulator): void => {
        if (plan.regression) {
          acc.addRegressionCell((a >> 1) & 1, a & 1, m, W, WL, WB, WC);
        } else {
          const lossNaN = a & 1;
          const top = (a >> 1) & 1;
          const bin = ((a >> 2) & 15) - 1;
          const lp = a >> 6;
          acc.addClassifiedCell(Math.floor(lp / plan.k), lp % plan.k, bin, top, lossNaN, m, W, WL, WB, WC);
        }
      };
      if (g < this.slots) {
        add(raw.slots[g] as GroupAccumulator);
        continue;
      }
      add(raw.missing);
      const pattern = this.patterns[g - this.slots] as Int32Array;
      for (let col = 0; col < pattern.length; col++) {
        const code = pattern[col] as number;
        if (code >= 0) add((raw.partial[col] as GroupAccumulator[])[code] as GroupAccumulator);
      }
    }
  }
}
