/**
 * The number formats of FORMULAS.md §C: ids used by the CLI (`--formats`), the reports and the UI.
 */
import { BadInputError } from '../errors';

/** Every format id, in the order the CLI and the reports list them. */
export const FORMAT_IDS = [
  'int8',
  'int4',
  'int8_asym',
  'int4_asym',
  'int8_per_tensor',
  'int4_per_tensor',
  'int8_asym_per_tensor',
  'int4_asym_per_tensor',
  'fp8_e4m3',
  'fp8_e5m2',
  'mxint8',
  'mxfp8_e4m3',
  'mxfp8_e5m2',
  'mxfp6_e2m3',
  'mxfp6_e3m2',
  'mxfp4',
  'nvfp4',
] as const;

export type FormatId = (typeof FORMAT_IDS)[number];

/** int: onnxruntime weight quantizer; fp8: per-tensor scaled FP8; mx: OCP Microscaling; nvfp4: NVIDIA FP4. */
export type FormatFamily = 'int' | 'fp8' | 'mx' | 'nvfp4';

/** Where a format's scale applies: one per channel, one per tensor, or one per block. */
export type Granularity = 'per-channel' | 'per-tensor' | 'block';

export interface FormatInfo {
  readonly id: FormatId;
  readonly family: FormatFamily;
  /** Bits of one element (without scales). */
  readonly bits: number;
  /** Elements that share a scale along the block axis; null for per-channel/per-tensor formats. */
  readonly blockSize: number | null;
  readonly granularity: Granularity;
  /** Bits per element including the block scale (MX: +8/32, NVFP4: +8/16); per-channel/tensor scales are ignored. */
  readonly effectiveBits: number;
  readonly description: string;
}

function info(
  id: FormatId,
  family: FormatFamily,
  bits: number,
  granularity: Granularity,
  blockSize: number | null,
  scaleBits: number,
  description: string,
): FormatInfo {
  const effectiveBits = blockSize === null ? bits : bits + scaleBits / blockSize;
  return { id, family, bits, blockSize, granularity, effectiveBits, description };
}

/** The registry: one entry per id of FORMULAS.md §C. */
export const FORMATS: Readonly<Record<FormatId, FormatInfo>> = {
  int8: info('int8', 'int', 8, 'per-channel', null, 0, 'INT8 symmetric [-127, 127], per-channel (onnxruntime weight quantizer)'),
  int4: info('int4', 'int', 4, 'per-channel', null, 0, 'INT4 symmetric [-8, 7], per-channel (onnxruntime weight quantizer)'),
  int8_asym: info('int8_asym', 'int', 8, 'per-channel', null, 0, 'INT8 asymmetric [-128, 127] with zero point, per-channel'),
  int4_asym: info('int4_asym', 'int', 4, 'per-channel', null, 0, 'INT4 asymmetric [-8, 7] with zero point, per-channel'),
  int8_per_tensor: info('int8_per_tensor', 'int', 8, 'per-tensor', null, 0, 'INT8 symmetric [-127, 127], one scale per tensor'),
  int4_per_tensor: info('int4_per_tensor', 'int', 4, 'per-tensor', null, 0, 'INT4 symmetric [-8, 7], one scale per tensor'),
  int8_asym_per_tensor: info('int8_asym_per_tensor', 'int', 8, 'per-tensor', null, 0, 'INT8 asymmetric [-128, 127], one scale and zero point per tensor'),
  int4_asym_per_tensor: info('int4_asym_per_tensor', 'int', 4, 'per-tensor', null, 0, 'INT4 asymmetric [-8, 7], one scale and zero point per tensor'),
  fp8_e4m3: info('fp8_e4m3', 'fp8', 8, 'per-tensor', null, 0, 'FP8 E4M3FN (max 448, no Inf), per-tensor scale amax/448, saturating'),
  fp8_e5m2: info('fp8_e5m2', 'fp8', 8, 'per-tensor', null, 0, 'FP8 E5M2 (max 57344), per-tensor scale amax/57344, saturating'),
  mxint8: info('mxint8', 'mx', 8, 'block', 32, 8, 'MXINT8: 32-element blocks, E8M0 scale, elements k/64 with |k| <= 127'),
  mxfp8_e4m3: info('mxfp8_e4m3', 'mx', 8, 'block', 32, 8, 'MXFP8 E4M3: 32-element blocks, E8M0 scale'),
  mxfp8_e5m2: info('mxfp8_e5m2', 'mx', 8, 'block', 32, 8, 'MXFP8 E5M2: 32-element blocks, E8M0 scale'),
  mxfp6_e2m3: info('mxfp6_e2m3', 'mx', 6, 'block', 32, 8, 'MXFP6 E2M3 (max 7.5): 32-element blocks, E8M0 scale'),
  mxfp6_e3m2: info('mxfp6_e3m2', 'mx', 6, 'block', 32, 8, 'MXFP6 E3M2 (max 28): 32-element blocks, E8M0 scale'),
  mxfp4: info('mxfp4', 'mx', 4, 'block', 32, 8, 'MXFP4 E2M1 (max 6): 32-element blocks, E8M0 scale'),
  nvfp4: info('nvfp4', 'nvfp4', 4, 'block', 16, 8, 'NVFP4 E2M1: 16-element blocks, E4M3 block scale, FP32 tensor scale'),
};

/** True when `name` is one of the format ids. */
export function isFormatId(name: string): name is FormatId {
  return Object.prototype.hasOwnProperty.call(FORMATS, name);
}

/**
 * Parses a list of format ids (an array, or one comma-separated string as the CLI's `--formats`).
 * `all` expands to every id. Whitespace around names is ignored; duplicates are dropped, order kept.
 * @throws BadInputError `quant.unknown-format` naming the bad entry and listing the valid ids;
 *   `quant.no-formats` for an empty list.
 */
export function parseFormats(list: string | readonly string[], source = '--formats'): FormatId[] {
  const names = (typeof list === 'string' ? list.split(',') : list).map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) {
    throw new BadInputError('quant.no-formats', `${source}: no format given; valid ids: ${FORMAT_IDS.join(', ')} (or "all")`);
  }
  const out: FormatId[] = [];
  for (const name of names) {
    if (name === 'all') {
      for (const id of FORMAT_IDS) if (!out.includes(id)) out.push(id);
      continue;
    }
    if (!isFormatId(name)) {
      throw new BadInputError(
        'quant.unknown-format',
        `${source}: unknown format "${name}"; valid ids: ${FORMAT_IDS.join(', ')} (or "all")`,
      );
    }
    if (!out.includes(name)) out.push(name);
  }
  return out;
}
