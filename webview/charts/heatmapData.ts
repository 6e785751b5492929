/**
 * Decoding the attention report's matrices and the per-sample reply into maps, pure (no DOM).
 * Report matrices are base64 of little-endian Float32, row-major (extension/protocol/attention.ts);
 * report numbers may be the strings "NaN"/"Infinity" where JSON has no number for them.
 */

/** A number of the report JSON: a finite number, or NaN/±Infinity written as a string. */
export function reportNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    const parsed = Number(value);
    return value.trim() !== '' && Number.isFinite(parsed) ? parsed : Number.NaN;
  }
  return Number.NaN;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Float32 values of a base64 string of little-endian Float32 bytes; `expected` (when given) is the
 * number of values the string must hold.
 */
export function decodeFloat32Base64(text: string, expected?: number): Float32Array {
  const binary = atob(text);
  if (binary.length % 4 !== 0) throw new RangeError(`float32 data has ${binary.length} bytes, not a multiple of 4`);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  let values: Float32Array;
  if (LITTLE_ENDIAN) values = new Float32Array(bytes.buffer);
  else {
    const view = new DataView(bytes.buffer);
    values = new Float32Array(bytes.length / 4);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  }
  if (expected !== undefined && values.length !== expected) throw new RangeError(`float32 data has ${values.length} values, expected ${expected}`);
  return values;
}

/** Base64 of little-endian Float32 bytes (the inverse of decodeFloat32Base64; used by tests and fixtures). */
export function encodeFloat32Base64(values: ArrayLike<number>): string {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? Number.NaN, true);
  const bytes = new Uint8Array(view.buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The top-left n×n block of a row-major T×T map (a copy; n ≥ T returns the map itself). */
export function cropSquare(map: Float32Array, T: number, n: number): Float32Array {
  if (n >= T) return map;
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) out.set(map.subarray(i * T, i * T + n), i * n);
  return out;
}

/** The head maps of one layer's [H, T, T] buffer, as views (no copy). */
export function splitHeads(data: ArrayBuffer, heads: number, T: number): Float32Array[] {
  const cells = T * T;
  if (data.byteLength !== heads * cells * 4) throw new RangeError(`layer data has ${data.byteLength} bytes, expected ${heads}×${T}×${T} float32 = ${heads * cells * 4}`);
  return Array.from({ length: heads }, (_, h) => new Float32Array(data, h * cells * 4, cells));
}

/**
 * Values at or below `threshold` (the padding/causal mask of a bias matrix, e.g. −1e4) become NaN
 * so that they do not stretch a colour scale; a copy when anything changes.
 */
export function maskBelow(map: Float32Array, threshold: number): Float32Array {
  let out: Float32Array | undefined;
  for (let i = 0; i < map.length; i++) {
    if ((map[i] ?? 0) <= threshold) {
      out ??= Float32Array.from(map);
      out[i] = Number.NaN;
    }
  }
  return out ?? map;
}

/** "sex=F, race=B" for a group key (keys in their given order). */
export function groupLabel(group: Readonly<Record<string, string>>): string {
  const parts = Object.entries(group).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(', ') : '(all)';
}

/** One sample's maps as the views use them: maps[layer][head], each `size`×`size`. */
export interface SampleMaps {
  readonly size: number;
  readonly tokens: readonly string[];
  readonly maps: readonly (readonly Float32Array[])[];
  readonly group: Readonly<Record<string, string>>;
  /** Sequence length before padding was cropped. */
  readonly paddedLength: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function bufferOf(data: unknown): ArrayBuffer | undefined {
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer) return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return undefined;
}

/**
 * Checks the host's `attentionSample` reply (it crosses a message boundary, so it is `unknown`)
 * and turns it into per-head maps cropped to the valid (unpadded) positions. Throws a message
 * that names what is wrong.
 */
export function parseSampleResult(value: unknown, layers: number, heads: number): SampleMaps {
  if (!isRecord(value) || !Array.isArray(value.layers) || !Array.isArray(value.tokens)) throw new Error('the host sent no attention maps for this row');
  const tokens = value.tokens.map((t) => String(t));
  const byLayer = new Map<number, Float32Array[]>();
  let T = -1;
  for (const entry of value.layers as unknown[]) {
    if (!isRecord(entry) || typeof entry.layer !== 'number' || typeof entry.heads !== 'number' || typeof entry.T !== 'number') throw new Error('malformed layer in the attention sample');
    const buffer = bufferOf(entry.data);
    if (!buffer) throw new Error(`layer ${entry.layer}: maps are not binary data`);
    if (entry.heads !== heads) throw new Error(`layer ${entry.layer} has ${entry.heads} heads, the report ${heads}`);
    if (T >= 0 && entry.T !== T) throw new Error(`layer ${entry.layer} has length ${entry.T}, other layers ${T}`);
    T = entry.T;
    byLayer.set(entry.layer, splitHeads(buffer, heads, T));
  }
  if (T < 0) throw new Error('the attention sample has no layers');
  if (tokens.length !== T) throw new Error(`the sample has ${tokens.length} tokens for maps of length ${T}`);
  const valid = typeof value.validLength === 'number' && value.validLength > 0 ? Math.min(T, Math.floor(value.validLength)) : T;
  const maps = Array.from({ length: layers }, (_, layer) => {
    const headMaps = byLayer.get(layer);
    if (!headMaps) throw new Error(`the attention sample has no layer ${layer}`);
    return headMaps.map((m) => cropSquare(m, T, valid));
  });
  const group: Record<string, string> = {};
  if (isRecord(value.group)) for (const [k, v] of Object.entries(value.group)) group[k] = String(v);
  return { size: valid, tokens: tokens.slice(0, valid), maps, group, paddedLength: T };
}
