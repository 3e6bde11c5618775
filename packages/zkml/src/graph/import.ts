import { MalformedModelError, ShapeMismatchError, UnsupportedOperatorError } from '../errors/onnx.js';
import type { OnnxGraph, OnnxNode, Tensor } from '../onnx/load.js';

/** A fully connected layer in float: `y = W x + b`, optionally followed by ReLU. */
export type DenseLayer = { name: string; weights: number[][]; bias: number[]; relu: boolean };

/** A feed-forward network imported from ONNX: the shapes and the chain of dense layers. */
export type ImportedModel = { inputShape: number[]; outputShape: number[]; layers: DenseLayer[]; ops: string[] };

const PASS_THROUGH = new Set(['Identity', 'Flatten', 'Reshape', 'Dropout']);

function constant(graph: OnnxGraph, node: OnnxNode, name: string | undefined): Tensor {
  const t = name !== undefined ? graph.initializers.get(name) : undefined;
  if (!t) {
    throw new UnsupportedOperatorError({ node: node.name, opType: node.opType, reason: `operand "${name}" must be a constant initializer` });
  }
  return t;
}

function matrix(t: Tensor, transpose: boolean): number[][] {
  const [r, c] = t.dims as [number, number];
  const rows = transpose ? c : r;
  const cols = transpose ? r : c;
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (transpose ? t.data[j * c + i]! : t.data[i * c + j]!)));
}

/**
 * Turns an ONNX graph into a chain of dense layers. Gemm and MatMul (+ Add of a constant
 * bias) become dense layers, Relu fuses into the layer before it, and shape-only ops pass
 * through. Anything else raises {@link UnsupportedOperatorError} naming the node.
 *
 * @example
 * const model = importGraph(loadOnnx(bytes)) // { inputShape: [1, 64], layers: [...] }
 */
export function importGraph(graph: OnnxGraph): ImportedModel {
  const input = graph.inputs[0]!;
  let width = input.shape.reduce((a, b) => a * b, 1);
  let current = input.name;
  const layers: DenseLayer[] = [];
  const ops: string[] = [];
  for (const node of graph.nodes) {
    if (node.domain && node.domain !== 'ai.onnx') {
      throw new UnsupportedOperatorError({ node: node.name, opType: `${node.domain}.${node.opType}` });
    }
    const activation = node.inputs[0];
    if (activation !== current) {
      // Only a single chain of activations is supported in proved mode for now.
      throw new UnsupportedOperatorError({ node: node.name, opType: node.opType, reason: `its first input "${activation}" is not the running activation "${current}" (branching graphs are not supported)` });
    }
    ops.push(node.opType);
    switch (node.opType) {
      case 'Gemm': {
        const alpha = (node.attributes.alpha as number | undefined) ?? 1;
        const beta = (node.attributes.beta as number | undefined) ?? 1;
        if (node.attributes.transA) throw new UnsupportedOperatorError({ node: node.name, opType: 'Gemm', reason: 'transA = 1 is not supported' });
        const w = matrix(constant(graph, node, node.inputs[1]), !node.attributes.transB);
        const bias = node.inputs[2] ? Array.from(constant(graph, node, node.inputs[2]).data, (v) => v * beta) : new Array(w.length).fill(0);
        if (w[0]!.length !== width) throw new ShapeMismatchError({ node: node.name, expected: [width], got: [w[0]!.length] });
        if (bias.length !== w.length) throw new ShapeMismatchError({ node: node.name, expected: [w.length], got: [bias.length] });
        layers.push({ name: node.name, weights: w.map((row) => row.map((v) => v * alpha)), bias, relu: false });
        width = w.length;
        break;
      }
      case 'MatMul': {
        const w = matrix(constant(graph, node, node.inputs[1]), true);
        if (w[0]!.length !== width) throw new ShapeMismatchError({ node: node.name, expected: [width], got: [w[0]!.length] });
        layers.push({ name: node.name, weights: w, bias: new Array(w.length).fill(0), relu: false });
        width = w.length;
        break;
      }
      case 'Add': {
        const last = layers[layers.length - 1];
        const bias = constant(graph, node, node.inputs[1]);
        if (!last || last.relu) throw new UnsupportedOperatorError({ node: node.name, opType: 'Add', reason: 'only a constant bias right after Gemm/MatMul is supported' });
        if (bias.data.length !== width) throw new ShapeMismatchError({ node: node.name, expected: [width], got: bias.dims });
        last.bias = last.bias.map((b, i) => b + bias.data[i]!);
        break;
      }
      case 'Relu': {
        const last = layers[layers.length - 1];
        if (!last || last.relu) throw new UnsupportedOperatorError({ node: node.name, opType: 'Relu', reason: 'Relu must follow a Gemm/MatMul layer' });
        last.relu = true;
        break;
      }
      default:
        if (!PASS_THROUGH.has(node.opType)) throw new UnsupportedOperatorError({ node: node.name, opType: node.opType });
    }
    current = node.outputs[0]!;
  }
  if (layers.length === 0) throw new MalformedModelError({ reason: 'the graph has no Gemm or MatMul layer' });
  const output = graph.outputs[0];
  if (output && output.name !== current) {
    throw new MalformedModelError({ reason: `graph output "${output.name}" is not produced by the last node` });
  }
  return { inputShape: input.shape, outputShape: [1, width], layers, ops: [...new Set(ops)] };
}
