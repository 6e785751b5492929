/**
 * A small, dependency-free assembler for the subset of the WebAssembly text format that the
 * quantization kernels (quant/simd/kernels.ts) and the bootstrap's row drawing
 * (metrics/bootstrapKernel.ts) are written in: one module with a memory and functions;
 * instructions flat (`local.get $x`, `block $l … end`) or folded (`(f32x4.add (local.get $a) (local.get $b))`),
 * MVP numeric/control/memory instructions and the fixed-width SIMD ones (0xFD prefix).
 * `npm run build` produces the kernels' binary from that committed source (esbuild.mjs:
 * dist/quant-kernels.wasm, bundled in place of binary.ts), so the repository holds no opaque
 * binary and needs no toolchain; code run from source assembles it on first use (binary.ts).
 *
 * Not supported (not needed): imports, tables, globals, data segments, block results, multi-value.
 */

type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';
const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Opcodes without immediates (MVP, one byte). */
const PLAIN: Record<string, number> = {
  unreachable: 0x00, nop: 0x01, return: 0x0f, drop: 0x1a, select: 0x1b,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49, 'i32.gt_s': 0x4a,
  'i32.gt_u': 0x4b, 'i32.le_s': 0x4c, 'i32.le_u': 0x4d, 'i32.ge_s': 0x4e, 'i32.ge_u': 0x4f,
  'f32.eq': 0x5b, 'f32.ne': 0x5c, 'f32.lt': 0x5d, 'f32.gt': 0x5e, 'f32.le': 0x5f, 'f32.ge': 0x60,
  'f64.eq': 0x61, 'f64.ne': 0x62, 'f64.lt': 0x63, 'f64.gt': 0x64, 'f64.le': 0x65, 'f64.ge': 0x66,
  'i32.clz': 0x67, 'i32.ctz': 0x68, 'i32.popcnt': 0x69, 'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c,
  'i32.div_s': 0x6d, 'i32.div_u': 0x6e, 'i32.rem_s': 0x6f, 'i32.rem_u': 0x70, 'i32.and': 0x71, 'i32.or': 0x72,
  'i32.xor': 0x73, 'i32.shl': 0x74, 'i32.shr_s': 0x75, 'i32.shr_u': 0x76,
  'f32.abs': 0x8b, 'f32.neg': 0x8c, 'f32.ceil': 0x8d, 'f32.floor': 0x8e, 'f32.trunc': 0x8f, 'f32.nearest': 0x90,
  'f32.sqrt': 0x91, 'f32.add': 0x92, 'f32.sub': 0x93, 'f32.mul': 0x94, 'f32.div': 0x95, 'f32.min': 0x96,
  'f32.max': 0x97, 'f32.copysign': 0x98,
  'f64.abs': 0x99, 'f64.neg': 0x9a, 'f64.add': 0xa0, 'f64.sub': 0xa1, 'f64.mul': 0xa2, 'f64.div': 0xa3,
  'f64.min': 0xa4, 'f64.max': 0xa5,
  'i32.trunc_f32_s': 0xa8, 'f32.convert_i32_s': 0xb2, 'f32.demote_f64': 0xb6, 'f64.convert_i32_s': 0xb7,
  'f64.promote_f32': 0xbb, 'i32.reinterpret_f32': 0xbc, 'f32.reinterpret_i32': 0xbe,
};

/** SIMD opcodes without immediates (0xFD prefix, LEB128 u32). */
const SIMD_PLAIN: Record<string, number> = {
  'i32x4.splat': 0x11, 'f32x4.splat': 0x13,
  'i32x4.eq': 0x37, 'i32x4.ne': 0x38, 'i32x4.lt_s': 0x39, 'i32x4.lt_u': 0x3a, 'i32x4.gt_s': 0x3b,
  'i32x4.gt_u': 0x3c, 'i32x4.le_s': 0x3d, 'i32x4.le_u': 0x3e, 'i32x4.ge_s': 0x3f, 'i32x4.ge_u': 0x40,
  'f32x4.eq': 0x41, 'f32x4.ne': 0x42, 'f32x4.lt': 0x43, 'f32x4.gt': 0x44, 'f32x4.le': 0x45, 'f32x4.ge': 0x46,
  'v128.not': 0x4d, 'v128.and': 0x4e, 'v128.andnot': 0x4f, 'v128.or': 0x50, 'v128.xor': 0x51,
  'v128.bitselect': 0x52, 'v128.any_true': 0x53,
  'f32x4.ceil': 0x67, 'f32x4.floor': 0x68, 'f32x4.trunc': 0x69, 'f32x4.nearest': 0x6a,
  'i32x4.abs': 0xa0, 'i32x4.neg': 0xa1, 'i32x4.all_true': 0xa3, 'i32x4.bitmask': 0xa4,
  'i32x4.shl': 0xab, 'i32x4.shr_s': 0xac, 'i32x4.shr_u': 0xad, 'i32x4.add': 0xae, 'i32x4.sub': 0xb1,
  'i32x4.mul': 0xb5, 'i32x4.min_s': 0xb6, 'i32x4.min_u': 0xb7, 'i32x4.max_s': 0xb8, 'i32x4.max_u': 0xb9,
  'f32x4.abs': 0xe0, 'f32x4.neg': 0xe1, 'f32x4.sqrt': 0xe3, 'f32x4.add': 0xe4, 'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6, 'f32x4.div': 0xe7, 'f32x4.min': 0xe8, 'f32x4.max': 0xe9, 'f32x4.pmin': 0xea,
  'f32x4.pmax': 0xeb,
  'i32x4.trunc_sat_f32x4_s': 0xf8, 'f32x4.convert_i32x4_s': 0xfa,
};

/** SIMD lane instructions: one lane-index byte. */
const SIMD_LANE: Record<string, number> = {
  'i32x4.extract_lane': 0x1b, 'i32x4.replace_lane': 0x1c, 'f32x4.extract_lane': 0x1f, 'f32x4.replace_lane': 0x20,
};

/** Memory instructions: [prefix or null, opcode, natural alignment (log2)]. */
const MEMORY: Record<string, [number | null, number, number]> = {
  'i32.load': [null, 0x28, 2], 'f32.load': [null, 0x2a, 2], 'f64.load': [null, 0x2b, 3],
  'i32.store': [null, 0x36, 2], 'f32.store': [null, 0x38, 2], 'f64.store': [null, 0x39, 3],
  'i32.store16': [null, 0x3b, 1],
  'v128.load': [0xfd, 0x00, 4], 'v128.load32_splat': [0xfd, 0x09, 2], 'v128.store': [0xfd, 0x0b, 4],
};

function uleb(n: number, out: number[]): void {
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function sleb(n: number, out: number[]): void {
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function name(s: string, out: number[]): void {
  const bytes = new TextEncoder().encode(s);
  uleb(bytes.length, out);
  out.push(...bytes);
}

/** S-expression tree: a token or a list. */
type Node = string | Node[];

function parse(text: string): Node[] {
  const tokens = text
    .replace(/\(;[\s\S]*?;\)/g, ' ')
    .replace(/;;[^\n]*/g, ' ')
    .match(/"[^"]*"|\(|\)|[^\s()]+/g) ?? [];
  const stack: Node[][] = [[]];
  for (const t of tokens) {
    if (t === '(') {
      const list: Node[] = [];
      stack[stack.length - 1]?.push(list);
      stack.push(list);
    } else if (t === ')') {
      if (stack.length < 2) throw new Error('wat: unbalanced )');
      stack.pop();
    } else stack[stack.length - 1]?.push(t);
  }
  if (stack.length !== 1) throw new Error('wat: unbalanced (');
  return stack[0] ?? [];
}

function int(token: Node | undefined, what: string): number {
  if (typeof token !== 'string' || !/^[-+]?(0x[0-9a-f_]+|[0-9_]+)$/i.test(token)) throw new Error(`wat: ${what}: expected an integer, got ${String(token)}`);
  const neg = token.startsWith('-');
  const body = token.replace(/^[-+]/, '').replace(/_/g, '');
  const v = Number(body);
  return neg ? -v : v;
}

function float(token: Node | undefined, what: string): number {
  if (typeof token !== 'string') throw new Error(`wat: ${what}: expected a number`);
  if (token === 'inf' || token === '+inf') return Infinity;
  if (token === '-inf') return -Infinity;
  if (token === 'nan') return NaN;
  const v = Number(token.replace(/_/g, ''));
  if (Number.isNaN(v)) throw new Error(`wat: ${what}: bad number ${token}`);
  return v;
}

interface Func {
  name: string;
  exportName: string | null;
  params: ValType[];
  results: ValType[];
  locals: ValType[];
  localIndex: Map<string, number>;
  body: Node[];
}

function valtype(t: Node | undefined): ValType {
  if (typeof t !== 'string' || !(t in VALTYPE)) throw new Error(`wat: bad value type ${String(t)}`);
  return t as ValType;
}

function readFunc(list: Node[]): Func {
  const f: Func = { name: '', exportName: null, params: [], results: [], locals: [], localIndex: new Map(), body: [] };
  let i = 1;
  if (typeof list[i] === 'string' && (list[i] as string).startsWith('$')) f.name = list[i++] as string;
  const declared: Array<[string | null, ValType, 'param' | 'local']> = [];
  for (; i < list.length; i++) {
    const item = list[i];
    if (!Array.isArray(item)) break;
    const head = item[0];
    if (head === 'export') f.exportName = String(item[1]).replace(/"/g, '');
    else if (head === 'param' || head === 'local') {
      if (typeof item[1] === 'string' && item[1].startsWith('$')) declared.push([item[1], valtype(item[2]), head]);
      else for (const t of item.slice(1)) declared.push([null, valtype(t), head]);
    } else if (head === 'result') f.results.push(...item.slice(1).map(valtype));
    else break;
  }
  for (const [n, t, kind] of declared) {
    const index = f.params.length + f.locals.length;
    if (kind === 'param') {
      if (f.locals.length > 0) throw new Error(`wat: ${f.name}: param after local`);
      f.params.push(t);
    } else f.locals.push(t);
    if (n !== null) f.localIndex.set(n, index);
  }
  f.body = list.slice(i);
  return f;
}

/**
 * Assembles the module text into a binary. Throws with the function and instruction on any
 * unknown instruction, label or local.
 */
export function assembleWat(text: string): Uint8Array {
  const top = parse(text);
  const mod = top[0];
  if (!Array.isArray(mod) || mod[0] !== 'module') throw new Error('wat: expected (module …)');
  const funcs: Func[] = [];
  let memory: { min: number; exportName: string | null } | null = null;
  for (const item of mod.slice(1)) {
    if (!Array.isArray(item)) throw new Error(`wat: unexpected ${item}`);
    if (item[0] === 'func') funcs.push(readFunc(item));
    else if (item[0] === 'memory') {
      let exportName: string | null = null;
      let min = 1;
      for (const x of item.slice(1)) {
        if (Array.isArray(x) && x[0] === 'export') exportName = String(x[1]).replace(/"/g, '');
        else if (typeof x === 'string' && !x.startsWith('$')) min = int(x, 'memory');
      }
      memory = { min, exportName };
    } else throw new Error(`wat: unsupported module field ${String(item[0])}`);
  }
  const funcIndex = new Map(funcs.map((f, i) => [f.name, i]));

  // Types: one per distinct signature.
  const sigs: string[] = [];
  const typeOf = funcs.map((f) => {
    const sig = `${f.params.join(',')}->${f.results.join(',')}`;
    let i = sigs.indexOf(sig);
    if (i < 0) i = sigs.push(sig) - 1;
    return i;
  });

  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, body: number[]): void => {
    out.push(id);
    uleb(body.length, out);
    out.push(...body);
  };
  {
    const b: number[] = [];
    uleb(sigs.length, b);
    for (const sig of sigs) {
      const [p = '', r = ''] = sig.split('->');
      const ps = p === '' ? [] : p.split(',');
      const rs = r === '' ? [] : r.split(',');
      b.push(0x60);
      uleb(ps.length, b);
      for (const t of ps) b.push(VALTYPE[t as ValType]);
      uleb(rs.length, b);
      for (const t of rs) b.push(VALTYPE[t as ValType]);
    }
    section(1, b);
  }
  {
    const b: number[] = [];
    uleb(funcs.length, b);
    for (const t of typeOf) uleb(t, b);
    section(3, b);
  }
  if (memory !== null) {
    const b: number[] = [1, 0x00];
    uleb(memory.min, b);
    section(5, b);
  }
  {
    const b: number[] = [];
    const exports: Array<[string, number, number]> = [];
    if (memory?.exportName) exports.push([memory.exportName, 2, 0]);
    funcs.forEach((f, i) => {
      if (f.exportName !== null) exports.push([f.exportName, 0, i]);
    });
    uleb(exports.length, b);
    for (const [n, kind, idx] of exports) {
      name(n, b);
      b.push(kind);
      uleb(idx, b);
    }
    section(7, b);
  }
  {
    const b: number[] = [];
    uleb(funcs.length, b);
    for (const f of funcs) {
      const code: number[] = [];
      // Locals, run-length encoded by type.
      const runs: Array<[number, ValType]> = [];
      for (const t of f.locals) {
        const last = runs[runs.length - 1];
        if (last !== undefined && last[1] === t) last[0]++;
        else runs.push([1, t]);
      }
      uleb(runs.length, code);
      for (const [count, t] of runs) {
        uleb(count, code);
        code.push(VALTYPE[t]);
      }
      emitBody(f, funcIndex, code);
      code.push(0x0b);
      uleb(code.length, b);
      b.push(...code);
    }
    section(10, b);
  }
  return new Uint8Array(out);
}

function emitBody(f: Func, funcIndex: Map<string, number>, code: number[]): void {
  const labels: Array<string | null> = [];
  const where = (op: string): string => `wat: ${f.name}: ${op}`;
  const local = (t: Node | undefined, op: string): number => {
    if (typeof t === 'string' && t.startsWith('$')) {
      const i = f.localIndex.get(t);
      if (i === undefined) throw new Error(`${where(op)}: unknown local ${t}`);
      return i;
    }
    return int(t, where(op));
  };
  const label = (t: Node | undefined, op: string): number => {
    if (typeof t === 'string' && t.startsWith('$')) {
      const i = labels.lastIndexOf(t);
      if (i < 0) throw new Error(`${where(op)}: unknown label ${t}`);
      return labels.length - 1 - i;
    }
    return int(t, where(op));
  };

  /** Emits one instruction whose immediates are args[0..] (tokens); returns how many tokens it used. */
  const instr = (op: string, args: Node[]): number => {
    if (op in PLAIN) {
      code.push(PLAIN[op] as number);
      return 0;
    }
    if (op in SIMD_PLAIN) {
      code.push(0xfd);
      uleb(SIMD_PLAIN[op] as number, code);
      return 0;
    }
    if (op in SIMD_LANE) {
      code.push(0xfd);
      uleb(SIMD_LANE[op] as number, code);
      code.push(int(args[0], where(op)));
      return 1;
    }
    if (op in MEMORY) {
      const [prefix, opcode, natural] = MEMORY[op] as [number | null, number, number];
      let offset = 0;
      let align = natural;
      let used = 0;
      for (const a of args) {
        if (typeof a !== 'string') break;
        if (a.startsWith('offset=')) offset = int(a.slice(7), where(op));
        else if (a.startsWith('align=')) align = Math.log2(int(a.slice(6), where(op)));
        else break;
        used++;
      }
      if (prefix !== null) {
        code.push(prefix);
        uleb(opcode, code);
      } else code.push(opcode);
      uleb(align, code);
      uleb(offset, code);
      return used;
    }
    switch (op) {
      case 'block':
      case 'loop':
      case 'if': {
        code.push(op === 'block' ? 0x02 : op === 'loop' ? 0x03 : 0x04, 0x40);
        const l = typeof args[0] === 'string' && args[0].startsWith('$') ? args[0] : null;
        labels.push(l);
        return l === null ? 0 : 1;
      }
      case 'else':
        code.push(0x05);
        return 0;
      case 'end':
        if (labels.length === 0) throw new Error(`${where(op)}: end without block`);
        labels.pop();
        code.push(0x0b);
        return 0;
      case 'br':
      case 'br_if':
        code.push(op === 'br' ? 0x0c : 0x0d);
        uleb(label(args[0], op), code);
        return 1;
      case 'call': {
        const i = funcIndex.get(String(args[0]));
        if (i === undefined) throw new Error(`${where(op)}: unknown function ${String(args[0])}`);
        code.push(0x10);
        uleb(i, code);
        return 1;
      }
      case 'local.get':
      case 'local.set':
      case 'local.tee':
        code.push(op === 'local.get' ? 0x20 : op === 'local.set' ? 0x21 : 0x22);
        uleb(local(args[0], op), code);
        return 1;
      case 'i32.const':
        code.push(0x41);
        sleb(int(args[0], where(op)) | 0, code);
        return 1;
      case 'f32.const': {
        code.push(0x43);
        const b = new Uint8Array(new Float32Array([float(args[0], where(op))]).buffer);
        code.push(...b);
        return 1;
      }
      case 'f64.const': {
        code.push(0x44);
        const b = new Uint8Array(new Float64Array([float(args[0], where(op))]).buffer);
        code.push(...b);
        return 1;
      }
      case 'v128.const': {
        code.push(0xfd);
        uleb(0x0c, code);
        const shape = args[0];
        const lanes = args.slice(1, 5);
        if (shape === 'i32x4') code.push(...new Uint8Array(new Int32Array(lanes.map((t) => int(t, where(op)) | 0)).buffer));
        else if (shape === 'f32x4') code.push(...new Uint8Array(new Float32Array(lanes.map((t) => float(t, where(op)))).buffer));
        else throw new Error(`${where(op)}: unsupported shape ${String(shape)}`);
        return 5;
      }
      case 'memory.size':
        code.push(0x3f, 0x00);
        return 0;
      case 'memory.grow':
        code.push(0x40, 0x00);
        return 0;
      default:
        throw new Error(`${where(op)}: unknown instruction`);
    }
  };

  const emitSeq = (nodes: Node[]): void => {
    for (let i = 0; i < nodes.length; ) {
      const n = nodes[i];
      if (Array.isArray(n)) {
        emitFolded(n);
        i++;
        continue;
      }
      const used = instr(n as string, nodes.slice(i + 1));
      i += 1 + used;
    }
  };
  const emitFolded = (list: Node[]): void => {
    const op = list[0];
    if (typeof op !== 'string') throw new Error(`wat: ${f.name}: bad folded expression`);
    if (op === 'block' || op === 'loop') {
      instr(op, list.slice(1));
      const rest = typeof list[1] === 'string' && list[1].startsWith('$') ? list.slice(2) : list.slice(1);
      emitSeq(rest);
      instr('end', []);
      return;
    }
    if (op === 'if') {
      // (if (cond) (then …) (else …)), or (if (cond) instr…) with the body's folded instructions.
      const [cond, ...rest] = list.slice(1);
      if (!Array.isArray(cond)) throw new Error(`wat: ${f.name}: if needs a folded condition`);
      emitFolded(cond);
      instr('if', []);
      for (const part of rest) {
        if (!Array.isArray(part)) throw new Error(`wat: ${f.name}: if: token in body`);
        if (part[0] === 'then') emitSeq(part.slice(1));
        else if (part[0] === 'else') {
          instr('else', []);
          emitSeq(part.slice(1));
        } else emitFolded(part);
      }
      instr('end', []);
      return;
    }
    // (op imm… child…): immediates are the leading tokens, the children are evaluated first.
    let k = 1;
    while (k < list.length && !Array.isArray(list[k])) k++;
    const imms = list.slice(1, k);
    for (const child of list.slice(k)) {
      if (!Array.isArray(child)) throw new Error(`wat: ${f.name}: ${op}: token after operands`);
      emitFolded(child);
    }
    const used = instr(op, imms);
    if (used !== imms.length) throw new Error(`wat: ${f.name}: ${op}: ${imms.length - used} stray immediates`);
  };
  emitSeq(f.body);
  if (labels.length !== 0) throw new Error(`wat: ${f.name}: unclosed block`);
}
