/**
 * The model summary the custom editor, the CLI `inspect` command and reports show: IO, opsets,
 * op histogram, parameters, external data, attention blocks, quantization. Pure over a
 * LoadedModel: it reads no file (external data files were stat'ed at load).
 */
import { createHash } from 'node:crypto';
import type { DtypeBreakdown, LargestTensor, ModelSummary, ValueInfo } from '../../protocol/model';
import { detectAttention, domainName, isQuantizationOp } from './detect';
import type { LoadedModel } from './model';
import type { LoadOptions } from './read';
import { loadModel } from './read';
import type { TensorProto, TypeProto, ValueInfoProto } from './proto';
import { allGraphs, allStoredTensors, weightTensors } from './graph';
import { dtypeName, elementCount, isExternal, LOW_BIT_DTYPES, packedByteLength } from './tensor';

export type { ValueInfo, DtypeBreakdown as DtypeParameters, LargestTensor, ModelSummary } from '../../protocol/model';

function typeName(type: TypeProto | undefined): string {
  if (!type) return 'unknown';
  if (type.tensorType) return dtypeName(type.tensorType.elemType);
  if (type.sparseTensorType) return `sparse_tensor<${dtypeName(type.sparseTensorType.elemType)}>`;
  if (type.sequenceType) return `sequence<${typeName(type.sequenceType.elemType)}>`;
  if (type.mapType) return `map<${dtypeName(type.mapType.keyType)},${typeName(type.mapType.valueType)}>`;
  if (type.optionalType) return `optional<${typeName(type.optionalType.elemType)}>`;
  return 'unknown';
}

function shapeOf(type: TypeProto | undefined): (number | string | null)[] | null {
  const shape = type?.tensorType?.shape ?? type?.sparseTensorType?.shape;
  if (!shape) return null;
  return shape.dim.map((d) => (d.dimValue !== undefined ? d.dimValue : d.dimParam !== undefined && d.dimParam !== '' ? d.dimParam : null));
}

/** Name, dtype and shape of a graph input or output. */
export function valueInfo(info: ValueInfoProto): ValueInfo {
  return { name: info.name ?? '', dtype: typeName(info.type), shape: shapeOf(info.type) };
}

function tensorBytes(tensor: TensorProto, count: number): number {
  return packedByteLength(tensor.dataType, count) ?? tensor.stringData.reduce((sum, s) => sum + s.length, 0);
}

/**
 * Ties between names in UTF-16 code-unit order: the same on every machine, whatever its locale, and
 * no ICU collator to set up (`localeCompare`'s first call cost ~8 ms of every CLI run and worker).
 */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byCountThenName<T extends { count: number }>(name: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => b.count - a.count || byName(name(a), name(b));
}

function opHistogram(loaded: LoadedModel): ModelSummary['opHistogram'] {
  const counts = new Map<string, { op: string; domain: string; count: number }>();
  for (const site of allGraphs(loaded.proto)) {
    for (const node of site.graph.node) {
      const op = node.opType ?? '';
      const domain = domainName(node.domain);
      const key = `${domain}\u0000${op}`;
      const entry = counts.get(key);
      if (entry) entry.count++;
      else counts.set(key, { op, domain, count: 1 });
    }
  }
  return [...counts.values()].sort(byCountThenName((x) => `${x.op}\u0000${x.domain}`));
}

function parameters(loaded: LoadedModel): ModelSummary['parameters'] {
  const byDtype = new Map<string, { -readonly [K in keyof DtypeBreakdown]: DtypeBreakdown[K] }>();
  const all: LargestTensor[] = [];
  let fromConstantNodes = 0;
  for (const weight of weightTensors(loaded.proto)) {
    const count = elementCount(weight.tensor, loaded.path);
    const bytes = tensorBytes(weight.tensor, count);
    const dtype = dtypeName(weight.tensor.dataType);
    if (weight.source === 'constant') fromConstantNodes++;
    const entry = byDtype.get(dtype) ?? { dtype, tensors: 0, parameters: 0, bytes: 0 };
    entry.tensors++;
    entry.parameters += count;
    entry.bytes += bytes;
    byDtype.set(dtype, entry);
    all.push({ name: weight.name, dtype, shape: [...weight.tensor.dims], parameters: count, bytes, external: isExternal(weight.tensor) });
  }
  const dtypes = [...byDtype.values()].sort((a, b) => b.bytes - a.bytes || byName(a.dtype, b.dtype));
  const largest = all.sort((a, b) => b.parameters - a.parameters || b.bytes - a.bytes || byName(a.name, b.name)).slice(0, 10);
  return {
    tensors: all.length,
    total: dtypes.reduce((sum, d) => sum + d.parameters, 0),
    bytes: dtypes.reduce((sum, d) => sum + d.bytes, 0),
    byDtype: dtypes,
    largest,
    fromConstantNodes,
  };
}

function quantization(histogram: ModelSummary['opHistogram'], params: ModelSummary['parameters']): ModelSummary['quantization'] {
  const ops = new Map<string, number>();
  for (const entry of histogram) if (isQuantizationOp(entry.op)) ops.set(entry.op, (ops.get(entry.op) ?? 0) + entry.count);
  const opList = [...ops].map(([op, count]) => ({ op, count })).sort(byCountThenName((x) => x.op));
  const lowBitWeights = params.byDtype
    .filter((d) => LOW_BIT_DTYPES.has(d.dtype))
    .map((d) => ({ dtype: d.dtype, tensors: d.tensors, parameters: d.parameters }))
    .sort((a, b) => b.parameters - a.parameters || byName(a.dtype, b.dtype));
  return { ops: opList, lowBitWeights, quantized: opList.length > 0 || lowBitWeights.length > 0 };
}

/** Summarises a loaded model (see ModelSummary). Reads no file; hashes the model bytes. */
export function summarizeModel(loaded: LoadedModel): ModelSummary {
  const proto = loaded.proto;
  const graph = proto.graph;
  const initializerNames = new Set(graph?.initializer.map((t) => t.name ?? '') ?? []);
  const metadata: Record<string, string> = {};
  for (const entry of proto.metadataProps) metadata[entry.key ?? ''] = entry.value ?? '';
  const histogram = opHistogram(loaded);
  const params = parameters(loaded);
  return {
    path: loaded.path,
    fileBytes: loaded.bytes.length,
    sha256: createHash('sha256').update(loaded.bytes).digest('hex'),
    irVersion: proto.irVersion ?? 0,
    opsets: proto.opsetImport.map((o) => ({ domain: domainName(o.domain), version: o.version ?? 0 })),
    producer: { name: proto.producerName ?? '', version: proto.producerVersion ?? '' },
    domain: proto.domain ?? '',
    modelVersion: proto.modelVersion ?? null,
    docString: proto.docString ?? '',
    metadata,
    inputs: (graph?.input ?? []).filter((i) => !initializerNames.has(i.name ?? '')).map(valueInfo),
    outputs: (graph?.output ?? []).map(valueInfo),
    nodeCount: histogram.reduce((sum, h) => sum + h.count, 0),
    opHistogram: histogram,
    parameters: params,
    externalData: {
      files: loaded.externalFiles.map((f) => ({ location: f.location, bytes: f.bytes, exists: f.exists })),
      tensors: allStoredTensors(proto).filter(isExternal).length,
    },
    attention: { blocks: detectAttention(proto) },
    quantization: quantization(histogram, params),
  };
}

/** Loads the model at `path` and summarises it (external data files are stat'ed, never read). */
export async function inspectModel(path: string, options: LoadOptions = {}): Promise<ModelSummary> {
  return summarizeModel(await loadModel(path, options));
}
