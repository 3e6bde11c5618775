import type { GraphSpec, NodeSpec } from '../exports.js';
import { pseudoRandom } from '../fixtures.js';
import { SEQUENCE } from './sequence.js';
import { UNARY_GOLDEN } from './unary.js';

/**
 * Golden operator fixtures: one small model per operator (or operator variant), in the
 * context an exporter would put it. `npm run golden -w packages/zkml` writes each model
 * and its onnxruntime-web output to test/golden/; the tests check the quantised program
 * (and, per template, the circuit) against them.
 */
export type GoldenSpec = { name: string; ops: string[]; graph: GraphSpec; inputShape: number[] };

const rand = (seed: number, n: number, scale = 1) => { const r = pseudoRandom(seed); return Array.from({ length: n }, () => r() * scale); };
const f = (dims: number[], seed: number, scale = 1) => ({ dims, values: rand(seed, dims.reduce((a, b) => a * b, 1), scale) });
const ints = (values: number[]) => ({ dims: [values.length], values, int64: true });

/** x [1, C, H, W] -> nodes -> y. */
function model(name: string, ops: string[], inputShape: number[], nodes: NodeSpec[], initializers: GraphSpec['initializers'] = {}, opset = 13, int64 = false): GoldenSpec {
  return { name, ops, inputShape, graph: { input: { name: 'x', shape: inputShape }, output: { name: 'y', int64 }, nodes, initializers, opset } };
}

const n = (op: string, inputs: string[], outputs: string[], attrs?: NodeSpec['attrs']): NodeSpec => ({ op, inputs, outputs, attrs });

export const GOLDEN: GoldenSpec[] = [
  model('gemm', ['Gemm'], [1, 6], [n('Gemm', ['x', 'w', 'b'], ['y'], { transB: 1, alpha: { float: 0.5 }, beta: { float: 2 } })], { w: f([4, 6], 1), b: f([4], 2) }),
  model('matmul_add', ['MatMul', 'Add'], [1, 6], [n('MatMul', ['x', 'w'], ['h']), n('Add', ['h', 'b'], ['y'])], { w: f([6, 3], 3), b: f([3], 4) }),
  model('sub_mul_const', ['Sub', 'Mul'], [1, 6], [n('Mul', ['x', 'k'], ['h']), n('Sub', ['h', 'x'], ['y'])], { k: f([6], 5, 2) }),
  model('mul_activations', ['Mul'], [1, 6], [n('Gemm', ['x', 'w'], ['h'], { transB: 1 }), n('Mul', ['h', 'x'], ['y'])], { w: f([6, 6], 6) }),
  model('div_const', ['Div'], [1, 6], [n('Div', ['x', 'k'], ['y'])], { k: { dims: [1], values: [3] } }),
  model('relu', ['Relu'], [1, 8], [n('Gemm', ['x', 'w'], ['h'], { transB: 1 }), n('Relu', ['h'], ['y'])], { w: f([5, 8], 7) }),
  model('leaky_relu', ['LeakyRelu'], [1, 8], [n('Gemm', ['x', 'w'], ['h'], { transB: 1 }), n('LeakyRelu', ['h'], ['y'], { alpha: { float: 0.1 } })], { w: f([5, 8], 8) }),
  model('prelu', ['PRelu'], [1, 3, 2, 2], [n('PRelu', ['x', 's'], ['y'])], { s: { dims: [3, 1, 1], values: [0.25, -0.5, 1.5] } }),
  model('clip', ['Clip'], [1, 8], [n('Gemm', ['x', 'w'], ['h'], { transB: 1 }), n('Clip', ['h', 'lo', 'hi'], ['y'])], { w: f([6, 8], 9), lo: { dims: [], values: [-0.5] }, hi: { dims: [], values: [0.75] } }),
  model('relu6_clip_opset6', ['Clip'], [1, 8], [n('Mul', ['x', 'k'], ['h']), n('Clip', ['h'], ['y'], { min: { float: 0 }, max: { float: 6 } })], { k: { dims: [1], values: [5] } }, 10),
  model('sigmoid', ['Sigmoid'], [1, 8], [n('Gemm', ['x', 'w'], ['h'], { transB: 1 }), n('Sigmoid', ['h'], ['y'])], { w: f([5, 8], 10, 3) }),
  model('tanh', ['Tanh'], [1, 8], [n('Gemm', ['x', 'w'], ['h'], { transB: 1 }), n('Tanh', ['h'], ['y'])], { w: f([5, 8], 11, 2) }),
  model('softmax', ['Softmax'], [1, 8], [n('Gemm', ['x', 'w'], ['h'], { transB: 1 }), n('Softmax', ['h'], ['y'], { axis: 1 })], { w: f([5, 8], 12, 2) }),
  model('argmax', ['ArgMax'], [1, 8], [n('Gemm', ['x', 'w'], ['h'], { transB: 1 }), n('ArgMax', ['h'], ['y'], { axis: 1, keepdims: 0 })], { w: f([5, 8], 13) }, 13, true),
  model('softmax_argmax', ['Softmax', 'ArgMax'], [1, 8], [n('Gemm', ['x', 'w'], ['h'], { transB: 1 }), n('Softmax', ['h'], ['p'], { axis: 1 }), n('ArgMax', ['p'], ['y'], { axis: 1, select_last_index: 1 })], { w: f([4, 8], 14) }, 13, true),
  model('conv1d', ['Conv'], [1, 2, 10], [n('Conv', ['x', 'w', 'b'], ['y'], { strides: [2], pads: [1, 1], dilations: [2] })], { w: f([3, 2, 3], 15), b: f([3], 16) }),
  model('conv2d_groups', ['Conv'], [1, 4, 6, 6], [n('Conv', ['x', 'w'], ['y'], { group: 2, pads: [1, 0, 1, 2], strides: [1, 2] })], { w: f([4, 2, 3, 3], 17) }),
  model('conv2d_same', ['Conv'], [1, 1, 5, 5], [n('Conv', ['x', 'w', 'b'], ['y'], { auto_pad: 'SAME_UPPER', kernel_shape: [3, 3] })], { w: f([2, 1, 3, 3], 18), b: f([2], 19) }),
  model('conv_transpose', ['ConvTranspose'], [1, 2, 3, 3], [n('ConvTranspose', ['x', 'w', 'b'], ['y'], { strides: [2, 2], pads: [1, 1, 0, 0], output_padding: [1, 1] })], { w: f([2, 3, 3, 3], 20), b: f([3], 21) }),
  model('batchnorm_folded', ['Conv', 'BatchNormalization', 'Relu'], [1, 2, 5, 5], [n('Conv', ['x', 'w'], ['c']), n('BatchNormalization', ['c', 'g', 'beta', 'mu', 'var'], ['h']), n('Relu', ['h'], ['y'])], { w: f([3, 2, 3, 3], 22), g: f([3], 23, 2), beta: f([3], 24), mu: f([3], 25), var: { dims: [3], values: [0.5, 1.5, 2] } }),
  model('average_pool', ['AveragePool'], [1, 2, 5, 5], [n('AveragePool', ['x'], ['y'], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1] })]),
  model('average_pool_include_pad', ['AveragePool'], [1, 1, 4, 4], [n('AveragePool', ['x'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 })]),
  model('max_pool', ['MaxPool'], [1, 2, 5, 5], [n('MaxPool', ['x'], ['y'], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })]),
  model('global_average_pool', ['GlobalAveragePool'], [1, 3, 4, 4], [n('GlobalAveragePool', ['x'], ['y'])]),
  model('reduce_sum_mean', ['ReduceSum', 'ReduceMean'], [1, 3, 4], [n('ReduceSum', ['x', 'ax'], ['s'], { keepdims: 1 }), n('ReduceMean', ['s'], ['y'], { axes: [1], keepdims: 0 })], { ax: ints([2]) }),
  model('reduce_mean_opset18', ['ReduceMean'], [1, 3, 4], [n('ReduceMean', ['x', 'ax'], ['y'], { keepdims: 0 })], { ax: ints([1]) }, 18),
  model('reduce_max', ['ReduceMax'], [1, 3, 4], [n('ReduceMax', ['x'], ['y'], { axes: [2], keepdims: 0 })]),
  model('flatten_reshape', ['Flatten', 'Reshape'], [1, 2, 3, 2], [n('Flatten', ['x'], ['f']), n('Reshape', ['f', 'shape'], ['y'])], { shape: ints([0, 3, -1]) }),
  model('transpose', ['Transpose'], [1, 2, 3, 4], [n('Transpose', ['x'], ['y'], { perm: [0, 3, 1, 2] })]),
  model('squeeze_unsqueeze', ['Squeeze', 'Unsqueeze'], [1, 4, 1], [n('Squeeze', ['x', 'a2'], ['s']), n('Unsqueeze', ['s', 'a0'], ['y'])], { a2: ints([2]), a0: ints([0]) }),
  model('squeeze_opset11', ['Squeeze', 'Unsqueeze'], [1, 4, 1], [n('Squeeze', ['x'], ['s'], { axes: [2] }), n('Unsqueeze', ['s'], ['y'], { axes: [-1] })], {}, 11),
  model('concat', ['Concat'], [1, 3], [n('Mul', ['x', 'k'], ['h']), n('Concat', ['x', 'h', 'c'], ['y'], { axis: 1 })], { k: f([3], 26), c: f([1, 2], 27) }),
  model('slice', ['Slice'], [1, 10], [n('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])], { st: ints([-2]), en: ints([0]), ax: ints([1]), sp: ints([-3]) }),
  model('gather', ['Gather'], [1, 6], [n('Gather', ['x', 'i'], ['y'], { axis: 1 })], { i: ints([5, 0, -1, 2]) }),
  model('pad', ['Pad'], [1, 1, 2, 3], [n('Pad', ['x', 'p', 'v'], ['y'])], { p: ints([0, 0, 1, 2, 0, 0, 0, 1]), v: { dims: [], values: [0.5] } }),
  model('identity_cast_dropout', ['Identity', 'Cast', 'Dropout'], [1, 4], [n('Identity', ['x'], ['a']), n('Cast', ['a'], ['b'], { to: 1 }), n('Dropout', ['b'], ['y'])]),
  model('constant_shape', ['Constant', 'Shape', 'Gather', 'Concat', 'Reshape'], [1, 2, 3], [
    n('Shape', ['x'], ['s']), n('Gather', ['s', 'i0'], ['d0'], { axis: 0 }), n('Constant', [], ['m1'], { value: { tensor: { dims: [1], values: [-1], int64: true } } }),
    n('Concat', ['d0', 'm1'], ['shape'], { axis: 0 }), n('Reshape', ['x', 'shape'], ['y'])], { i0: ints([0]) }),
  model('layer_norm', ['LayerNormalization'], [1, 2, 8], [n('Reshape', ['x', 'flat'], ['x2']), n('Gemm', ['x2', 'w'], ['h'], { transB: 1 }), n('Reshape', ['h', 'shape'], ['hr']), n('LayerNormalization', ['hr', 'g', 'b'], ['y'], { axis: -1, epsilon: { float: 1e-5 } })], { w: f([16, 16], 32), g: f([8], 33, 2), b: f([8], 34), shape: ints([1, 2, 8]), flat: ints([1, 16]) }, 17),
  model('logic_where', ['Greater', 'Less', 'LessOrEqual', 'GreaterOrEqual', 'Equal', 'And', 'Or', 'Xor', 'Not', 'Where', 'Cast'], [1, 6], [
    n('Greater', ['x', 't1'], ['g']), n('LessOrEqual', ['x', 't2'], ['l']), n('And', ['g', 'l'], ['a']), n('Not', ['a'], ['na']),
    n('GreaterOrEqual', ['x', 't3'], ['ge']), n('Xor', ['g', 'ge'], ['xo']), n('Or', ['na', 'xo'], ['o']), n('Less', ['x', 't3'], ['lt']),
    n('Mul', ['x', 'k'], ['h']), n('Where', ['a', 'h', 'x'], ['w']), n('Where', ['lt', 'c1', 'c2'], ['wc']),
    n('Cast', ['g'], ['gf'], { to: 1 }), n('Cast', ['l'], ['lf'], { to: 1 }), n('Add', ['gf', 'lf'], ['cnt']), n('Equal', ['cnt', 'two'], ['eq']),
    n('Cast', ['o'], ['of'], { to: 1 }), n('Cast', ['eq'], ['eqf'], { to: 1 }), n('Cast', ['w'], ['wb'], { to: 9 }), n('Cast', ['wb'], ['wbf'], { to: 1 }),
    n('Add', ['w', 'of'], ['s1']), n('Add', ['s1', 'eqf'], ['s2']), n('Add', ['s2', 'wc'], ['s3']), n('Add', ['s3', 'wbf'], ['y'])],
  { t1: f([6], 35, 0.5), t2: { dims: [], values: [0.8] }, t3: { dims: [1], values: [-0.4] }, k: f([6], 36, 2), two: { dims: [], values: [2] }, c1: f([6], 37), c2: f([1, 6], 38) }),
  hummingbird(),
  // Two trees of depth 2 over 3 features (the attributes sklearn-onnx writes).
  tree('tree_regressor', 'TreeEnsembleRegressor', { n_targets: 1, target_treeids: [0, 0, 0, 1, 1, 1], target_nodeids: [3, 4, 2, 2, 3, 4], target_ids: [0, 0, 0, 0, 0, 0], target_weights: { floats: [0.5, -1.25, 2, 0.75, -0.5, 1.5] }, base_values: { floats: [0.25] }, aggregate_function: 'AVERAGE' }),
  tree('tree_classifier', 'TreeEnsembleClassifier', { classlabels_int64s: [0, 1, 2], class_treeids: [0, 0, 0, 1, 1, 1], class_nodeids: [3, 4, 2, 2, 3, 4], class_ids: [0, 1, 2, 2, 0, 1], class_weights: { floats: [1, 1, 1, 0.6, 0.6, 0.6] } }),
  tree('tree_classifier_softmax', 'TreeEnsembleClassifier', { classlabels_int64s: [0, 1, 2], class_treeids: [0, 0, 0, 1, 1, 1], class_nodeids: [3, 4, 2, 2, 3, 4], class_ids: [0, 1, 2, 2, 0, 1], class_weights: { floats: [1.5, 0.5, 1, 0.6, 2, 0.3] }, post_transform: 'SOFTMAX' }, 'scores'),
  tree('tree_classifier_logistic', 'TreeEnsembleClassifier', { classlabels_int64s: [0, 1, 2], class_treeids: [0, 0, 0, 1, 1, 1], class_nodeids: [3, 4, 2, 2, 3, 4], class_ids: [0, 1, 2, 2, 0, 1], class_weights: { floats: [1.5, -0.5, 1, 0.6, 2, 0.3] }, post_transform: 'LOGISTIC' }, 'scores'),
  // Two classes: onnxruntime's binary rules (one scored class against 0.5; both classes: class-1 score against 0).
  tree('tree_binary_one_class', 'TreeEnsembleClassifier', { classlabels_int64s: [3, 8], class_treeids: [0, 0, 0, 1, 1, 1], class_nodeids: [3, 4, 2, 2, 3, 4], class_ids: [1, 1, 1, 1, 1, 1], class_weights: { floats: [0.2, 0.9, 0.45, 0.35, 0.15, 0.55] } }),
  tree('tree_binary_two_classes', 'TreeEnsembleClassifier', { classlabels_int64s: [0, 1], class_treeids: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1], class_nodeids: [3, 3, 4, 4, 2, 2, 2, 2, 3, 3, 4, 4], class_ids: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], class_weights: { floats: [0.5, -0.5, 0.2, 0.3, 0.9, 0.2, 0.1, -0.4, 0.6, 0.6, 0.3, -0.1] } }),
  // What skl2onnx writes for linear models and an MLP's label (ai.onnx.ml).
  ml('linear_regressor', ['Scaler', 'LinearRegressor'], [
    n('Scaler', ['x'], ['s'], { offset: { floats: [0.1, -0.2, 0.3, 0] }, scale: { floats: [2, 0.5, 1, 1.5] } }),
    n('LinearRegressor', ['s'], ['y'], { coefficients: { floats: rand(40, 8) }, intercepts: { floats: [0.25, -0.5] }, targets: 2 })]),
  ml('linear_classifier', ['LinearClassifier'], [n('LinearClassifier', ['x'], ['y', 'p'], { coefficients: { floats: rand(41, 12) }, intercepts: { floats: [0.1, 0, -0.1] }, classlabels_ints: [0, 1, 2], post_transform: 'SOFTMAX' })], true),
  ml('linear_classifier_normalizer', ['LinearClassifier', 'Normalizer'], [
    n('LinearClassifier', ['x'], ['label', 'p'], { coefficients: { floats: rand(42, 12) }, intercepts: { floats: [0.1, 0, -0.1] }, classlabels_ints: [0, 1, 2], multi_class: 1, post_transform: 'SOFTMAX' }),
    n('Normalizer', ['p'], ['y'], { norm: 'L1' })]),
  ml('linear_classifier_binary', ['LinearClassifier'], [n('LinearClassifier', ['x'], ['label', 'y'], { coefficients: { floats: rand(43, 4) }, intercepts: { floats: [0.2] }, classlabels_ints: [0, 1], post_transform: 'LOGISTIC' })]),
  ml('array_feature_extractor', ['ArgMax', 'ArrayFeatureExtractor'], [
    n('Gemm', ['x', 'w'], ['h'], { transB: 1 }), n('ArgMax', ['h'], ['i'], { axis: 1 }), n('ArrayFeatureExtractor', ['classes', 'i'], ['y'])], true, { w: f([3, 4], 44), classes: ints([10, 20, 30]) }),
  model('lenet_block', ['Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm'], [1, 1, 8, 8], [
    n('Conv', ['x', 'w1', 'b1'], ['c1']), n('Relu', ['c1'], ['r1']), n('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }),
    n('Flatten', ['p1'], ['fl']), n('Gemm', ['fl', 'w2', 'b2'], ['y'], { transB: 1 })], { w1: f([2, 1, 3, 3], 28), b1: f([2], 29), w2: f([4, 18], 30), b2: f([4], 31) }),
  ...SEQUENCE,
];

GOLDEN.push(...UNARY_GOLDEN);

/** x [1, 4] -> nodes -> y, with the ai.onnx.ml nodes in their domain. */
function ml(name: string, ops: string[], nodes: NodeSpec[], int64 = false, initializers: GraphSpec['initializers'] = {}): GoldenSpec {
  const ML = new Set(['Scaler', 'LinearRegressor', 'LinearClassifier', 'Normalizer', 'ArrayFeatureExtractor']);
  return model(name, ops, [1, 4], nodes.map((node) => (ML.has(node.op) ? { ...node, domain: 'ai.onnx.ml' } : node)), initializers, 13, int64);
}

/** A two-tree ensemble: tree 0 splits x0 <= 0.3 then x1 < -0.2; tree 1 splits x2 > 0.1 then x0 >= 0.5. */
function tree(name: string, op: string, extra: NodeSpec['attrs'], output: 'y' | 'scores' = 'y'): GoldenSpec {
  const attrs: NodeSpec['attrs'] = {
    nodes_treeids: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
    nodes_nodeids: [0, 1, 2, 3, 4, 0, 1, 2, 3, 4],
    nodes_featureids: [0, 1, 0, 0, 0, 2, 0, 0, 0, 0],
    nodes_modes: ['BRANCH_LEQ', 'BRANCH_LT', 'LEAF', 'LEAF', 'LEAF', 'BRANCH_GT', 'BRANCH_GTE', 'LEAF', 'LEAF', 'LEAF'],
    nodes_values: { floats: [0.3, -0.2, 0, 0, 0, 0.1, 0.5, 0, 0, 0] },
    nodes_truenodeids: [1, 3, 0, 0, 0, 1, 3, 0, 0, 0],
    nodes_falsenodeids: [2, 4, 0, 0, 0, 2, 4, 0, 0, 0],
    ...extra,
  };
  const classifier = op === 'TreeEnsembleClassifier';
  return {
    name, ops: [op], inputShape: [1, 3],
    graph: {
      input: { name: 'x', shape: [1, 3] }, output: output === 'y' ? { name: 'y', int64: classifier } : { name: 'scores' }, opset: 13,
      nodes: [{ op, domain: 'ai.onnx.ml', inputs: ['x'], outputs: classifier ? ['y', 'scores'] : ['y'], attrs }],
    },
  };
}

/**
 * The two trees of {@link tree} in the tensor form hummingbird's GEMM strategy emits
 * (`convert(model, 'onnx', extra_config={'tree_implementation': 'gemm'})`): a 0/1 MatMul
 * selects each internal node's feature, LessOrEqual decides every node at once, a MatMul with
 * the +1/-1 path matrix counts the turns toward each leaf, Equal with the expected count marks
 * the reached leaf, a MatMul with leaf values scores each class, ReduceSum adds the trees, and
 * Gather looks the class label up by ArgMax. (hummingbird itself is a Python package, not
 * installable here; the graph follows its GEMM implementation.)
 */
function hummingbird(): GoldenSpec {
  const A = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]; // [I=4, F=3]: tree 0 reads x0, x1; tree 1 reads x2, x0
  const B = [0.3, -0.2, 0.1, 0.5];
  // Leaves per tree, and C[leaf][node] = +1 left subtree, -1 right subtree; D = left turns.
  const C = [[[1, 1], [1, -1], [-1, 0]], [[1, 0], [-1, 1], [-1, -1]]];
  const D = [[2, 1, 0], [1, 1, 0]];
  const E = [[[1, 0, 0.5], [0, 1, 0], [0, 0, 0.5]], [[0, 0.6, 0.2], [0.6, 0, 0], [0, 0, 0.9]]]; // [T, classes, leaves]
  return {
    name: 'hummingbird_gemm', ops: ['Transpose', 'MatMul', 'LessOrEqual', 'Cast', 'Reshape', 'Equal', 'ReduceSum', 'ArgMax', 'Gather'], inputShape: [1, 3],
    graph: {
      input: { name: 'x', shape: [1, 3] }, output: { name: 'y', int64: true }, opset: 13,
      initializers: {
        A: { dims: [4, 3], values: A.flat() }, B: { dims: [4, 1], values: B },
        C: { dims: [2, 3, 2], values: C.flat(2) }, D: { dims: [2, 3, 1], values: D.flat() },
        E: { dims: [2, 3, 3], values: E.flat(2) }, classes: { dims: [3], values: [4, 0, 7], int64: true },
        s1: ints([2, 2, -1]), s2: ints([2, 3, -1]), ax: ints([0]),
      },
      nodes: [
        n('Transpose', ['x'], ['xt'], { perm: [1, 0] }), n('MatMul', ['A', 'xt'], ['sel']), n('LessOrEqual', ['sel', 'B'], ['dec']),
        n('Cast', ['dec'], ['decf'], { to: 1 }), n('Reshape', ['decf', 's1'], ['dr']), n('MatMul', ['C', 'dr'], ['turns']),
        n('Equal', ['turns', 'D'], ['leaf']), n('Cast', ['leaf'], ['leaff'], { to: 1 }), n('Reshape', ['leaff', 's2'], ['lr']),
        n('MatMul', ['E', 'lr'], ['per']), n('ReduceSum', ['per', 'ax'], ['sc'], { keepdims: 0 }), n('Transpose', ['sc'], ['scores'], { perm: [1, 0] }),
        n('ArgMax', ['scores'], ['idx'], { axis: 1, keepdims: 0 }), n('Gather', ['classes', 'idx'], ['y'], { axis: 0 }),
      ],
    },
  };
}

/** Inputs for a fixture: the first is the golden input, all are calibration samples. */
export function goldenInputs(spec: GoldenSpec, count = 24): number[][] {
  const size = spec.inputShape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, (_, i) => rand(1000 + i * 7 + spec.name.length, size, 2));
}
