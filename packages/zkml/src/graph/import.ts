import { MalformedModelError, UnknownOutputError, UnsupportedOperatorError, ZipMapError } from '../errors/onnx.js';
import { sizeOf } from '../ir/tensor.js';
import type { ConstValue, Value } from '../ir/value.js';
import { Context } from '../lower/context.js';
import { elemKind, type OnnxGraph, type OnnxNode, type Tensor } from '../onnx/load.js';
import { OPERATORS } from '../ops/index.js';
import { tensorValue } from '../ops/op.js';
import { FUSED_RELU } from '../ops/pool.js';

/** An ONNX graph checked for supported operators and static shapes, ready to quantise. */
export type ImportedModel = { graph: OnnxGraph; inputShape: number[]; outputShape: number[]; ops: string[] };

/** ONNX domains whose operators run in proved mode. */
const DOMAINS = new Set(['', 'ai.onnx']);
/** Operators accepted from the `ai.onnx.ml` domain (what skl2onnx writes for linear models, MLPs and trees). */
const ML_OPS = new Set(['TreeEnsembleClassifier', 'TreeEnsembleRegressor', 'LinearClassifier', 'LinearRegressor', 'Normalizer', 'Scaler', 'ArrayFeatureExtractor', 'Binarizer', 'SVMRegressor']);

/** Classifier outputs whose rows already sum to 1: a SOFTMAX post-transform. */
const softmaxRows = (n: OnnxNode | undefined, output: string) =>
  n !== undefined && (n.opType === 'Softmax' || (['LinearClassifier', 'TreeEnsembleClassifier'].includes(n.opType) && n.attributes.post_transform === 'SOFTMAX' && n.outputs[1] === output));

/**
 * Nodes whose outputs nobody reads are dropped; an ArgMax reading only a Softmax (through
 * Identity nodes) reads its input instead; an L1 Normalizer of a softmax's rows (skl2onnx writes
 * one after a multinomial LogisticRegression) becomes an Identity, as the rows already sum to 1.
 */
function simplify(graph: OnnxGraph): OnnxNode[] {
  let nodes = graph.nodes.map((n) => ({ ...n, inputs: [...n.inputs] }));
  const producer = new Map(nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  // Only the first output is proved: nodes that only other outputs need are dropped.
  const graphOutputs = new Set(graph.outputs.slice(0, 1).map((o) => o.name));
  const readers = (name: string) => nodes.filter((n) => n.inputs.includes(name)).length + (graphOutputs.has(name) ? 1 : 0);
  for (const n of nodes) {
    if (n.opType === 'Normalizer' && n.attributes.norm === 'L1' && softmaxRows(producer.get(n.inputs[0] ?? ''), n.inputs[0] ?? '')) {
      Object.assign(n, { opType: 'Identity', domain: '', attributes: {} });
    }
  }
  for (const n of nodes) {
    const first = producer.get(n.inputs[0] ?? '');
    if (n.opType === 'MaxPool' && first?.opType === 'Relu' && readers(first.outputs[0]!) === 1 && !n.outputs[1]) {
      // relu is non-decreasing, so max(relu(a), relu(b)) = relu(max(a, b)): the pool takes the
      // maxima of the accumulators and requantises each once with its ReLU (ops/pool.ts).
      n.inputs[0] = first.inputs[0]!;
      n.attributes = { ...n.attributes, [FUSED_RELU]: 1 };
    }
    if (n.opType !== 'ArgMax') continue;
    // The value an ArgMax reads, through Identity nodes that only it reads.
    let src = first;
    while (src?.opType === 'Identity' && readers(src.outputs[0]!) === 1) src = producer.get(src.inputs[0] ?? '');
    if (src?.opType === 'Softmax' && readers(src.outputs[0]!) === 1) {
      // softmax is strictly increasing within its axis, so argmax(softmax(x)) = argmax(x).
      const opsetAxis = src.attributes.axis;
      if (opsetAxis === undefined || opsetAxis === n.attributes.axis || graph.opset >= 13) n.inputs[0] = src.inputs[0]!;
    }
  }
  for (;;) {
    const used = new Set([...graphOutputs, ...nodes.flatMap((n) => n.inputs)]);
    const kept = nodes.filter((n) => n.outputs.some((o) => used.has(o)));
    if (kept.length === nodes.length) return nodes;
    nodes = kept;
  }
}

const BOOL_OPS = new Set(['Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Equal', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);

const FLOAT = 1, BOOL = 9, INT64 = 7;

/**
 * ONNX's data types (TensorProto.DataType) of a node's outputs, from its inputs' types: the
 * type inference operators need (element kinds follow from them; bitwise operators read the
 * width and signedness).
 */
function outputTypes(node: OnnxNode, inputs: readonly (number | undefined)[]): number[] {
  const a = node.attributes;
  const all = (t: number) => node.outputs.map(() => t);
  if (node.opType === 'Cast') return all(a.to as number);
  if (BOOL_OPS.has(node.opType)) return all(BOOL);
  if (['ArgMax', 'ArgMin', 'Shape', 'Size'].includes(node.opType)) return all(INT64);
  if (node.opType === 'Where') return all(inputs[1] ?? FLOAT);
  if (node.opType === 'TreeEnsembleClassifier' || node.opType === 'LinearClassifier') return [INT64, FLOAT];
  if (node.opType === 'Dropout') return [inputs[0] ?? FLOAT, BOOL];
  if (node.opType === 'TopK') return [inputs[0] ?? FLOAT, INT64];
  if (node.opType === 'OneHot') return all(inputs[2] ?? FLOAT);
  if (node.opType === 'ConstantOfShape') return all((a.value as Tensor | undefined)?.dataType ?? FLOAT);
  if (node.opType === 'Constant') {
    if (a.value && typeof a.value === 'object' && !Array.isArray(a.value)) return all((a.value as Tensor).dataType ?? FLOAT);
    return all(a.value_int !== undefined || a.value_ints !== undefined ? INT64 : FLOAT);
  }
  return all(inputs[0] ?? FLOAT);
}

/**
 * Evaluates the graph on `input` with `ctx` (float evaluation or lowering), returning the
 * first graph output. With several graph inputs, `input` is all of them, each flattened,
 * concatenated in declared order. Every operator comes from the registry in ops/.
 */
export function runGraph(ctx: Context, graph: OnnxGraph, input: Value): Value {
  const env = new Map<string, Value>();
  for (const [name, t] of graph.initializers) env.set(name, tensorValue(t));
  const types = new Map<string, number | undefined>([...graph.initializers].map(([name, t]) => [name, t.dataType]));
  // Several graph inputs are consecutive slices of the one request input, in declared order.
  let offset = 0;
  for (const gi of graph.inputs) {
    const start = offset;
    env.set(gi.name, graph.inputs.length === 1 ? input : ctx.select(gi.shape, [input], (k) => [0, start + k]));
    types.set(gi.name, gi.dataType);
    offset += sizeOf(gi.shape);
  }
  ctx.used = new Set([...graph.nodes.flatMap((n) => n.inputs), graph.outputs[0]?.name ?? '']);
  for (const node of graph.nodes) {
    const op = OPERATORS.get(node.opType)!;
    const inputs = node.inputs.map((name) => {
      if (name === '') return undefined;
      const v = env.get(name);
      if (!v) throw new MalformedModelError({ reason: `node "${node.name}" reads "${name}", which no earlier node produces` });
      return v;
    });
    const inTypes = node.inputs.map((name) => types.get(name));
    ctx.begin(node, inTypes.map(elemKind), inTypes);
    const outs = op.run(ctx, node, inputs, graph.opset);
    const outTypes = outputTypes(node, inTypes);
    node.outputs.forEach((name, i) => { if (name && outs[i]) { env.set(name, outs[i]!); types.set(name, outTypes[i]); } });
  }
  const out = env.get(graph.outputs[0]?.name ?? '');
  if (!out) throw new MalformedModelError({ reason: `graph output "${graph.outputs[0]?.name}" is not produced by any node` });
  return out;
}

/** A float input value of the graph's input shape. */
export const floatInput = (shape: number[], x: readonly number[]): ConstValue => ({ kind: 'const', shape, data: Float64Array.from(x), dyn: true });

/**
 * The graph with only the output a proof covers: `name`, or the first output (a scikit-learn
 * classifier's `label`; its `probabilities` with `name: 'probabilities'`). The other outputs'
 * nodes are dropped at import. Throws {@link UnknownOutputError} for a name the graph lacks.
 *
 * @example
 * const graph = selectOutput(loadOnnx(bytes), 'probabilities')
 */
export function selectOutput(graph: OnnxGraph, name?: string): OnnxGraph {
  const chosen = name === undefined ? graph.outputs[0] : graph.outputs.find((o) => o.name === name);
  if (!chosen) throw new UnknownOutputError({ output: name ?? '', outputs: graph.outputs.map((o) => o.name) });
  return { ...graph, outputs: [chosen] };
}

/**
 * Checks every node the first graph output needs against the operator registry and infers
 * every shape by evaluating the graph once on zeros (the output's symbolic dimensions take
 * the inferred sizes). Throws {@link UnsupportedOperatorError} naming the first unsupported
 * node, {@link ZipMapError} for a classifier exported with ZipMap, or a shape error naming
 * the node where shapes disagree.
 *
 * @example
 * const model = importGraph(loadOnnx(bytes)) // { inputShape: [1, 64], outputShape: [1, 2], ops: ['Gemm', 'Relu'] }
 */
export function importGraph(graph: OnnxGraph): ImportedModel {
  const nodes = simplify(graph);
  for (const node of nodes) {
    if (node.opType === 'ZipMap') throw new ZipMapError({ node: node.name });
    if (!DOMAINS.has(node.domain) && !(node.domain === 'ai.onnx.ml' && ML_OPS.has(node.opType))) throw new UnsupportedOperatorError({ node: node.name, opType: `${node.domain}.${node.opType}` });
    if (!OPERATORS.has(node.opType)) throw new UnsupportedOperatorError({ node: node.name, opType: node.opType });
  }
  const kinds = new Set(graph.inputs.map((i) => i.kind));
  if (kinds.size > 1) throw new UnsupportedOperatorError({ node: graph.inputs.map((i) => i.name).join(', '), opType: 'Input', reason: `graph inputs of different element kinds (${[...kinds].join(', ')}) share one request input and one scale; export them as one kind` });
  // Several inputs: one flat request input, each input's elements in declared order.
  const inputShape = graph.inputs.length === 1 ? graph.inputs[0]!.shape : [graph.inputs.reduce((a, i) => a + sizeOf(i.shape), 0)];
  const out = runGraph(new Context('float', new Map(), { weightBits: 10, activationBits: 16 }), { ...graph, nodes }, floatInput(inputShape, new Array(sizeOf(inputShape)).fill(0)));
  if (out.kind === 'const' && !out.dyn) throw new MalformedModelError({ reason: 'the graph output does not depend on its input' });
  const [first, ...rest] = graph.outputs;
  const simplified: OnnxGraph = { ...graph, nodes, outputs: [{ ...first!, shape: out.shape }, ...rest] };
  return { graph: simplified, inputShape, outputShape: out.shape, ops: [...new Set(nodes.map((n) => n.opType))] };
}
