/**
 * Small graph queries and surgery. Surgery returns a modified copy: the loaded model is never
 * mutated (tensor byte payloads are shared between copies and must be treated as read-only).
 */
import { BadInputError } from '../errors';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, TypeProto, ValueInfoProto } from './proto';

/** A graph and where it sits: '' for the main graph, `node 'If_0' then_branch` for a subgraph. */
export interface GraphSite {
  graph: GraphProto;
  path: string;
  depth: number;
}

/** Subgraphs held by a node's attributes (If branches, Loop/Scan bodies). */
export function subgraphsOf(node: NodeProto): { attribute: string; graph: GraphProto }[] {
  const found: { attribute: string; graph: GraphProto }[] = [];
  for (const attribute of node.attribute) {
    if (attribute.g) found.push({ attribute: attribute.name ?? '', graph: attribute.g });
    for (const graph of attribute.graphs) found.push({ attribute: attribute.name ?? '', graph });
  }
  return found;
}

/** The main graph and every subgraph, depth first, parents before children. */
export function allGraphs(model: ModelProto): GraphSite[] {
  const sites: GraphSite[] = [];
  const visit = (graph: GraphProto, path: string, depth: number): void => {
    sites.push({ graph, path, depth });
    for (const node of graph.node) {
      for (const sub of subgraphsOf(node)) {
        const label = `node '${node.name ?? node.opType ?? ''}' ${sub.attribute}`;
        visit(sub.graph, path === '' ? label : `${path} / ${label}`, depth + 1);
      }
    }
  };
  if (model.graph) visit(model.graph, '', 0);
  return sites;
}

/** Tensors held by a node's attributes (Constant `value`, and any TENSOR/TENSORS attribute). */
export function attributeTensors(attribute: AttributeProto): TensorProto[] {
  const tensors = attribute.t ? [attribute.t] : [];
  return tensors.concat(attribute.tensors);
}

/** Where a stored tensor comes from. */
export type WeightSource = 'initializer' | 'constant';

/** A stored tensor (weight): every initializer and every Constant node's tensor, in all graphs. */
export interface WeightTensor {
  tensor: TensorProto;
  source: WeightSource;
  /** Output name of the Constant node, or the initializer's name. */
  name: string;
  graphPath: string;
}

/** Every initializer and Constant-node tensor of the model, subgraphs included. */
export function weightTensors(model: ModelProto): WeightTensor[] {
  const weights: WeightTensor[] = [];
  for (const site of allGraphs(model)) {
    for (const tensor of site.graph.initializer) {
      weights.push({ tensor, source: 'initializer', name: tensor.name ?? '', graphPath: site.path });
    }
    for (const node of site.graph.node) {
      if (node.opType !== 'Constant' || !isDefaultDomain(node.domain)) continue;
      const value = node.attribute.find((a) => a.name === 'value' && a.t);
      if (value?.t) weights.push({ tensor: value.t, source: 'constant', name: node.output[0] ?? value.t.name ?? '', graphPath: site.path });
    }
  }
  return weights;
}

/** Every tensor stored anywhere in the model: initializers, attribute tensors, sparse parts. */
export function allStoredTensors(model: ModelProto): TensorProto[] {
  const tensors: TensorProto[] = [];
  for (const site of allGraphs(model)) {
    tensors.push(...site.graph.initializer);
    for (const sparse of site.graph.sparseInitializer) {
      if (sparse.values) tensors.push(sparse.values);
      if (sparse.indices) tensors.push(sparse.indices);
    }
    for (const node of site.graph.node) for (const attribute of node.attribute) tensors.push(...attributeTensors(attribute));
  }
  return tensors;
}

/** True for the default ONNX operator domain ('' or 'ai.onnx'). */
export function isDefaultDomain(domain: string | undefined): boolean {
  return domain === undefined || domain === '' || domain === 'ai.onnx';
}

/** A node with its position in its graph's node list. */
export interface NodeRef {
  node: NodeProto;
  index: number;
}

/** Tensor name → the node that produces it. */
export function producers(graph: GraphProto): Map<string, NodeRef> {
  const map = new Map<string, NodeRef>();
  graph.node.forEach((node, index) => {
    for (const output of node.output) if (output !== '') map.set(output, { node, index });
  });
  return map;
}

/** Tensor name → the nodes that read it, in graph order. */
export function consumers(graph: GraphProto): Map<string, NodeRef[]> {
  const map = new Map<string, NodeRef[]>();
  graph.node.forEach((node, index) => {
    for (const input of node.input) {
      if (input === '') continue;
      const list = map.get(input);
      if (list) list.push({ node, index });
      else map.set(input, [{ node, index }]);
    }
  });
  return map;
}

/** The main graph's initializer called `name`, if any. */
export function findInitializer(model: ModelProto, name: string): TensorProto | undefined {
  return model.graph?.initializer.find((t) => t.name === name);
}

/** The main graph's value info (input, output or intermediate) for `name`, if any. */
export function findValueInfo(model: ModelProto, name: string): ValueInfoProto | undefined {
  const graph = model.graph;
  if (!graph) return undefined;
  return [...graph.input, ...graph.output, ...graph.valueInfo].find((v) => v.name === name);
}

/** Deep copy of a model's messages; byte payloads (raw_data, strings) are shared, not copied. */
export function cloneModel(model: ModelProto): ModelProto {
  return cloneValue(model);
}

function cloneValue<T>(value: T): T {
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => cloneValue(item)) as T;
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = cloneValue(item);
    return copy as T;
  }
  return value;
}

/**
 * A copy of `model` whose main graph also outputs the tensor `tensorName` (to read an
 * intermediate such as attention probabilities). The type comes from `elemType`/`shape` when
 * given, else from the graph's value info, else is left for the runtime to infer. Throws
 * `onnx.no-tensor` when no node, input or initializer of the main graph provides the tensor.
 * `file` names the model in that message.
 */
export function addGraphOutput(
  model: ModelProto,
  tensorName: string,
  options: { elemType?: number; shape?: (number | string | null)[]; file?: string } = {},
): ModelProto {
  const copy = cloneModel(model);
  const graph = copy.graph;
  const file = options.file ?? 'model';
  if (!graph) throw new BadInputError('onnx.no-graph', `${file}: the model has no graph`, { file });
  if (graph.output.some((o) => o.name === tensorName)) return copy;
  const provided =
    producers(graph).has(tensorName) || graph.input.some((i) => i.name === tensorName) || graph.initializer.some((t) => t.name === tensorName);
  if (!provided) {
    throw new BadInputError('onnx.no-tensor', `${file}: no node, input or initializer of the main graph provides a tensor named '${tensorName}'`, { file });
  }
  graph.output.push(outputValueInfo(copy, tensorName, options));
  return copy;
}

function outputValueInfo(model: ModelProto, name: string, options: { elemType?: number; shape?: (number | string | null)[] }): ValueInfoProto {
  if (options.elemType === undefined) {
    const known = findValueInfo(model, name);
    return known?.type ? { name, type: cloneValue(known.type) } : { name };
  }
  const tensorType: NonNullable<TypeProto['tensorType']> = { elemType: options.elemType };
  if (options.shape) {
    tensorType.shape = {
      dim: options.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})),
    };
  }
  return { name, type: { tensorType } };
}

