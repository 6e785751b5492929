/**
 * Which weights changed between two models (issue 12, the compare view's "parameters that
 * changed"): weight tensors (initializers and Constant-node tensors, as the summary counts them)
 * matched by name. Per tensor in both with the same dtype and shape: elements that differ,
 * max |B − A| and ‖B − A‖₂ / ‖A‖₂. Tensors are read one pair at a time (external data is read
 * range by range, never a whole file); identical bytes are not decoded.
 */
import type { CompareParameterChange, CompareParameters, CompareParameterTensor } from '../../protocol/compare';
import { throwIfAborted } from '../errors';
import { readTensorData } from './external';
import { weightTensors } from './graph';
import type { LoadedModel } from './model';
import type { TensorProto } from './proto';
import { dtypeBits, dtypeName, elementCount, FLOAT_DTYPES, rawToFloat32 } from './tensor';

/** Default cap of the onlyInA / onlyInB / reshapedTensors lists. */
export const PARAMETER_LIST_CAP = 100;

export interface WeightDiffOptions {
  readonly signal?: AbortSignal;
  /** Cap of the lists of tensors only in A, only in B, and reshaped (default 100). */
  readonly listed?: number;
}

function keyed(model: LoadedModel): Map<string, TensorProto> {
  const out = new Map<string, TensorProto>();
  for (const w of weightTensors(model.proto)) {
    const name = w.graphPath ? `${w.graphPath}/${w.name}` : w.name;
    if (!out.has(name)) out.set(name, w.tensor);
  }
  return out;
}

const describe = (name: string, t: TensorProto): CompareParameterTensor => ({ name, dtype: dtypeName(t.dataType), shape: [...t.dims] });

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  // Buffer.equals is a native memcmp
  return x.length === y.length && (x === y || Buffer.from(x.buffer, x.byteOffset, x.length).equals(Buffer.from(y.buffer, y.byteOffset, y.length)));
}

/** Values of a float tensor's little-endian bytes (float64 kept as float64). */
function floatValues(dataType: number | undefined, bytes: Uint8Array, count: number): Float32Array | Float64Array {
  if (dataType !== 11) return rawToFloat32(dataType, bytes, count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

/** Elements whose packed bits differ (any fixed-width dtype, sub-byte ones included). */
function changedElements(x: Uint8Array, y: Uint8Array, bits: number, count: number): number {
  let changed = 0;
  if (bits >= 8) {
    const width = bits / 8;
    for (let i = 0; i < count; i++) {
      for (let k = i * width, end = k + width; k < end; k++) if (x[k] !== y[k]) { changed++; break; }
    }
    return changed;
  }
  const mask = (1 << bits) - 1;
  for (let i = 0; i < count; i++) {
    const bit = i * bits;
    const at = bit >> 3;
    const shift = bit & 7;
    if (((x[at]! >> shift) & mask) !== ((y[at]! >> shift) & mask)) changed++;
  }
  return changed;
}

/** Compares one pair of same-dtype, same-shape tensors; null when their values are equal. */
async function diffTensor(name: string, a: LoadedModel, ta: TensorProto, b: LoadedModel, tb: TensorProto, signal: AbortSignal | undefined): Promise<CompareParameterChange | null> {
  const elements = elementCount(ta, a.path);
  const base = { name, dtype: dtypeName(ta.dataType), shape: [...ta.dims], elements };
  const bits = dtypeBits(ta.dataType);
  if (bits === undefined) {
    // strings (and unknown types): compared element by element as stored
    const sa = ta.stringData;
    const sb = tb.stringData;
    let changed = 0;
    for (let i = 0; i < Math.max(sa.length, sb.length); i++) if (!sameBytes(sa[i] ?? new Uint8Array(), sb[i] ?? new Uint8Array())) changed++;
    return changed === 0 ? null : { ...base, changed, share: elements ? changed / elements : 1, maxAbs: Number.NaN, relL2: Number.NaN };
  }
  const opts = signal ? { signal } : {};
  const [xa, xb] = await Promise.all([readTensorData(a, ta, opts), readTensorData(b, tb, opts)]);
  if (sameBytes(xa, xb)) return null;
  if (!FLOAT_DTYPES.has(ta.dataType ?? 0)) {
    const changed = changedElements(xa, xb, bits, elements);
    return changed === 0 ? null : { ...base, changed, share: changed / elements, maxAbs: Number.NaN, relL2: Number.NaN };
  }
  const va = floatValues(ta.dataType, xa, elements);
  const vb = floatValues(tb.dataType, xb, elements);
  let changed = 0;
  let maxAbs = 0;
  let diff2 = 0;
  let norm2 = 0;
  for (let i = 0; i < elements; i++) {
    const p = va[i]!;
    const q = vb[i]!;
    norm2 += p * p;
    if (p === q || (Number.isNaN(p) && Number.isNaN(q))) continue;
    changed++;
    const d = Math.abs(q - p);
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(maxAbs) ? maxAbs : d;
    diff2 += d * d;
  }
  if (changed === 0) return null; // bytes differ only as -0/+0 or NaN payloads
  return { ...base, changed, share: changed / elements, maxAbs, relL2: norm2 > 0 ? Math.sqrt(diff2) / Math.sqrt(norm2) : Number.NaN };
}

/** Largest relative change first; NaN (no norm, or not a float) after the finite ones, then by name. */
function byChange(x: CompareParameterChange, y: CompareParameterChange): number {
  const rx = Number.isNaN(x.relL2) ? -1 : x.relL2;
  const ry = Number.isNaN(y.relL2) ? -1 : y.relL2;
  return ry - rx || y.share - x.share || x.name.localeCompare(y.name);
}

/** Compares the weights of A and B by name (see the file comment). Reads no file twice. */
export async function diffWeights(a: LoadedModel, b: LoadedModel, options: WeightDiffOptions = {}): Promise<CompareParameters> {
  const listed = options.listed ?? PARAMETER_LIST_CAP;
  const wa = keyed(a);
  const wb = keyed(b);
  const onlyInA: CompareParameterTensor[] = [];
  const onlyInB: CompareParameterTensor[] = [];
  const reshapedTensors: { name: string; a: CompareParameterTensor; b: CompareParameterTensor }[] = [];
  const changed: CompareParameterChange[] = [];
  let compared = 0;
  let elements = 0;
  let elementsChanged = 0;
  for (const [name, ta] of wa) {
    throwIfAborted(options.signal);
    const tb = wb.get(name);
    if (!tb) { onlyInA.push(describe(name, ta)); continue; }
    if (ta.dataType !== tb.dataType || ta.dims.length !== tb.dims.length || ta.dims.some((d, i) => d !== tb.dims[i])) {
      reshapedTensors.push({ name, a: describe(name, ta), b: describe(name, tb) });
      continue;
    }
    compared++;
    elements += elementCount(ta, a.path);
    const change = await diffTensor(name, a, ta, b, tb, options.signal);
    if (change) { changed.push(change); elementsChanged += change.changed; }
  }
  for (const [name, tb] of wb) if (!wa.has(name)) onlyInB.push(describe(name, tb));
  const byName = (x: { name: string }, y: { name: string }): number => x.name.localeCompare(y.name);
  return {
    tensorsA: wa.size,
    tensorsB: wb.size,
    compared,
    unchanged: compared - changed.length,
    changed: changed.sort(byChange),
    elements,
    elementsChanged,
    onlyA: onlyInA.length,
    onlyB: onlyInB.length,
    reshaped: reshapedTensors.length,
    onlyInA: onlyInA.sort(byName).slice(0, listed),
    onlyInB: onlyInB.sort(byName).slice(0, listed),
    reshapedTensors: reshapedTensors.sort(byName).slice(0, listed),
    listed,
  };
}
