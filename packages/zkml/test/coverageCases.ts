// Graphs for the operator-coverage tests (issue 17, item 6), each checked against onnxruntime-web
// in coverage.test.ts; golden.test.ts counts their operators as covered.
import type { GraphSpec, NodeSpec } from './exports.js';
import { pseudoRandom } from './fixtures.js';

export const UINT8 = 2, INT64 = 7;
export const ints = (dims: number[], values: number[]) => ({ dims, values, int64: true });
export const scalar = (v: number) => ints([], [v]);
export const floats = (dims: number[], values: number[]) => ({ dims, values });
export const n = (op: string, inputs: string[], outputs: string[], attrs?: NodeSpec['attrs']): NodeSpec => ({ op, inputs, outputs, attrs });
export const rand = (seed: number, count: number) => { const r = pseudoRandom(seed); return Array.from({ length: count }, () => Math.round(r() * 400) / 100); };

/** A float graph x [shape] -> y. */
export const g = (shape: number[], nodes: NodeSpec[], initializers: GraphSpec['initializers'] = {}, opset = 13, out: { elemType?: number } = {}): GraphSpec => ({
  input: { name: 'x', shape }, output: { name: 'y', ...out }, nodes, initializers, opset,
});
/** An integer graph: x of `elemType` [shape] -> y of `outType`. */
export const gi = (shape: number[], nodes: NodeSpec[], initializers: GraphSpec['initializers'] = {}, opset = 18, elemType = INT64, outType = INT64): GraphSpec => ({
  input: { name: 'x', shape, elemType }, output: { name: 'y', elemType: outType }, nodes, initializers, opset,
});

export type CoverageCase = { name: string; graph: GraphSpec; inputs: number[][]; exact?: boolean };
export const COVERAGE: CoverageCase[] = [
  // Bitwise ops on integer tensors (opset 18), exact.
  ...['BitwiseAnd', 'BitwiseOr', 'BitwiseXor'].map((op) => ({ name: `${op} of int64 values and constants, negative ones included`, exact: true,
    graph: gi([1, 4], [n(op, ['x', 'c'], ['y'])], { c: ints([4], [12, -3, 5, -128]) }), inputs: [[10, -7, 127, -128], [0, 5, -1, 3]] })),
  { name: 'BitwiseAnd of two computed int64 tensors', exact: true, graph: gi([2, 3], [n('Mul', ['x', 'k'], ['m']), n('BitwiseAnd', ['x', 'm'], ['y'])], { k: ints([3], [3, -1, 5]) }), inputs: [[1, 2, 3, -4, 5, 6], [127, -128, 7, 9, -9, 0]] },
  { name: 'BitwiseNot of signed int64', exact: true, graph: gi([1, 4], [n('BitwiseNot', ['x'], ['y'])]), inputs: [[0, -1, 5, -128]] },
  { name: 'BitShift RIGHT on uint8', exact: true, graph: gi([1, 4], [n('BitShift', ['x', 's'], ['y'], { direction: 'RIGHT' })], { s: { dims: [4], values: [0, 1, 3, 7], elemType: UINT8 } }, 13, UINT8, UINT8), inputs: [[127, 127, 100, 127], [1, 3, 8, 0]] },
  { name: 'BitShift LEFT on uint8 while the result stays below 256', exact: true, graph: gi([1, 4], [n('BitShift', ['x', 's'], ['y'], { direction: 'LEFT' })], { s: { dims: [1], values: [1], elemType: UINT8 } }, 13, UINT8, UINT8), inputs: [[127, 1, 64, 0]] },
  { name: 'BitShift LEFT on uint8 past 255 wraps around (127 << 2 = 252)', exact: true, graph: gi([1, 4], [n('BitShift', ['x', 's'], ['y'], { direction: 'LEFT' })], { s: { dims: [4], values: [2, 7, 3, 0], elemType: UINT8 } }, 13, UINT8, UINT8), inputs: [[127, 3, 100, 127], [64, 1, 31, 0]] },
  { name: 'BitwiseNot of uint8 is 255 - x', exact: true, graph: gi([1, 4], [n('BitwiseNot', ['x'], ['y'])], {}, 18, UINT8, UINT8), inputs: [[0, 1, 100, 127]] },
  { name: 'IsNaN and IsInf are false on every quantised value', graph: g([1, 4], [n('IsNaN', ['x'], ['a']), n('IsInf', ['x'], ['b']), n('Or', ['a', 'b'], ['o']), n('Where', ['o', 'z', 'x'], ['y'])], { z: floats([1], [0]) }), inputs: [rand(1, 4)] },
  // Indexing with constant and with computed indices.
  { name: 'GatherElements with constant indices (a negative one too)', graph: g([2, 3], [n('GatherElements', ['x', 'i'], ['y'], { axis: 1 })], { i: ints([2, 2], [2, 0, -1, 1]) }), inputs: [rand(2, 6)] },
  { name: 'GatherElements by a computed index into constant data (ArgMax then a lookup)', graph: g([2, 4], [n('ArgMax', ['x'], ['a'], { axis: 1, keepdims: 1 }), n('GatherElements', ['w', 'a'], ['y'], { axis: 1 })], { w: floats([2, 4], [0.5, -1, 2, 3, 1.25, 0, -2, 4]) }), inputs: [rand(3, 8), rand(4, 8)] },
  { name: 'GatherElements by a computed index into computed data (the row maximum)', graph: g([2, 4], [n('ArgMax', ['x'], ['a'], { axis: 1, keepdims: 1 }), n('GatherElements', ['x', 'a'], ['y'], { axis: 1 })]), inputs: [rand(5, 8)] },
  { name: 'Gather by a computed index from computed data, per row (hummingbird\'s tree_trav does this)', graph: g([2, 4], [n('ArgMax', ['x'], ['a'], { axis: 1, keepdims: 0 }), n('Gather', ['x', 'a'], ['y'], { axis: 1 })]), inputs: [rand(31, 8), rand(32, 8)] },
  { name: 'GatherElements of uint32 and uint64 constants by a computed index', graph: g([1, 3], [n('ArgMax', ['x'], ['a'], { axis: 1, keepdims: 1 }), n('GatherElements', ['w', 'a'], ['p'], { axis: 1 }), n('GatherElements', ['w64', 'a'], ['q'], { axis: 1 }), n('Cast', ['p'], ['pf'], { to: 1 }), n('Cast', ['q'], ['qf'], { to: 1 }), n('Sub', ['pf', 'qf'], ['y'])], { w: { dims: [1, 3], values: [7, 2 ** 31 + 256, 0], elemType: 12 }, w64: { dims: [1, 3], values: [3, 2 ** 31, 2 ** 33], elemType: 13 } }), inputs: [[1, 0, 0], [0, 2, 1], [0, 1, 2]] },
  { name: 'GatherND with constant indices and batch_dims 1', graph: g([2, 3, 2], [n('GatherND', ['x', 'i'], ['y'], { batch_dims: 1 })], { i: ints([2, 2, 1], [2, 0, 1, -1]) }), inputs: [rand(6, 12)] },
  { name: 'GatherND by a computed index tuple into constant data', graph: g([1, 3], [n('ArgMax', ['x'], ['a'], { axis: 1, keepdims: 1 }), n('Concat', ['a', 'a'], ['t'], { axis: 1 }), n('GatherND', ['w', 't'], ['y'])], { w: floats([3, 3, 2], rand(7, 18)) }), inputs: [rand(8, 3), [0.5, 1.5, -1]] },
  { name: 'ScatterElements with constant indices, reduction add', graph: g([2, 3], [n('Mul', ['x', 'k'], ['u']), n('ScatterElements', ['x', 'i', 'u'], ['y'], { axis: 1, reduction: 'add' })], { k: floats([1], [2]), i: ints([2, 3], [0, 0, 2, 1, -1, 1]) }, 16), inputs: [rand(9, 6)] },
  { name: 'Scatter (opset 10, ScatterElements\'s old name) with constant indices', graph: g([2, 2], [n('Scatter', ['x', 'i', 'u'], ['y'], { axis: 0 })], { i: ints([1, 2], [1, 0]), u: floats([1, 2], [5, -5]) }, 10), inputs: [rand(30, 4)] },
  { name: 'ScatterElements with computed indices (ArgMax), reduction none', graph: g([2, 3], [n('ArgMax', ['x'], ['a'], { axis: 1, keepdims: 1 }), n('Mul', ['x', 'k'], ['u']), n('Slice', ['u', 's0', 's1', 'ax'], ['u1']), n('ScatterElements', ['x', 'a', 'u1'], ['y'], { axis: 1 })], { k: floats([1], [-2]), s0: ints([1], [0]), s1: ints([1], [1]), ax: ints([1], [1]) }), inputs: [rand(33, 6), rand(34, 6)] },
  { name: 'ScatterElements at TopK\'s computed indices (two updates per row), reduction none', graph: g([2, 4], [n('TopK', ['x', 'k'], ['v', 'i'], { axis: 1 }), n('Mul', ['v', 'm'], ['u']), n('ScatterElements', ['x', 'i', 'u'], ['y'], { axis: 1 })], { k: ints([1], [2]), m: floats([1], [-1]) }), inputs: [rand(37, 8), rand(38, 8)] },
  { name: 'ScatterND with a computed index tuple, reduction add', graph: g([3, 2], [n('ReduceMax', ['x'], ['m'], { axes: [1], keepdims: 1 }), n('ArgMax', ['m'], ['a'], { axis: 0, keepdims: 1 }), n('ScatterND', ['x', 'a', 'v'], ['y'], { reduction: 'add' })], { v: floats([1, 2], [10, -10]) }, 16), inputs: [rand(35, 6), rand(36, 6)] },
  ...['mul', 'max', 'min'].map((reduction) => ({ name: `ScatterElements with constant indices (one repeated), reduction ${reduction}`, graph: g([2, 3], [n('Mul', ['x', 'k'], ['u']), n('ScatterElements', ['x', 'i', 'u'], ['y'], { axis: 1, reduction })], { k: floats([1], [-1.5]), i: ints([2, 3], [0, 0, 2, 1, -1, 1]) }, 18), inputs: [rand(41, 6)] })),
  { name: 'ScatterND with constant indices', graph: g([3, 2], [n('Slice', ['x', 's0', 's1', 'ax'], ['u']), n('ScatterND', ['x', 'i', 'u'], ['y'])], { s0: ints([1], [0]), s1: ints([1], [2]), ax: ints([1], [0]), i: ints([2, 1], [2, 0]) }), inputs: [rand(10, 6)] },
  { name: 'Trilu upper from diagonal 1 and lower', graph: g([3, 3], [n('Trilu', ['x', 'k'], ['u']), n('Trilu', ['x'], ['l'], { upper: 0 }), n('Add', ['u', 'l'], ['y'])], { k: scalar(1) }, 14), inputs: [rand(11, 9)] },
  { name: 'Tile and Expand', graph: g([1, 2], [n('Tile', ['x', 'r'], ['t']), n('Expand', ['x', 's'], ['e']), n('Concat', ['t', 'e'], ['y'], { axis: 1 })], { r: ints([2], [3, 2]), s: ints([2], [3, 1]) }), inputs: [rand(12, 2)] },
  { name: 'Slice with negative steps on two axes', graph: g([3, 4], [n('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])], { st: ints([2], [-1, 3]), en: ints([2], [-10, 0]), ax: ints([2], [0, 1]), sp: ints([2], [-2, -1]) }), inputs: [rand(13, 12)] },
  { name: 'TopK (k = 3) values of computed data', graph: g([2, 5], [n('TopK', ['x', 'k'], ['y', 'i'], { axis: 1 })], { k: ints([1], [3]) }), inputs: [rand(14, 10), [1, 1, 0.5, 1, -1, 2, 2, 2, 2, 2]] },
  { name: 'TopK (k = 2, smallest) indices of computed data, ties to the lower index', exact: true, graph: { ...g([2, 4], [n('TopK', ['x', 'k'], ['v', 'y'], { axis: 1, largest: 0 })], { k: ints([1], [2]) }), output: { name: 'y', elemType: INT64 } }, inputs: [rand(15, 8), [1, 0.5, 0.5, 1, 2, 2, 2, 2]] },
  { name: 'OneHot of a computed index (ArgMax), values [-1, 2]', graph: g([1, 3], [n('ArgMax', ['x'], ['a'], { axis: 1, keepdims: 0 }), n('OneHot', ['a', 'd', 'v'], ['h'], { axis: -1 }), n('Mul', ['h', 'x'], ['y'])], { d: scalar(3), v: floats([2], [-1, 2]) }, 11), inputs: [rand(16, 3), [3, 1, 2]] },
  { name: 'OneHot of constant indices (a negative one) on axis 0', graph: g([3, 2], [n('OneHot', ['i', 'd', 'v'], ['h'], { axis: 0 }), n('Mul', ['h', 'x'], ['y'])], { i: ints([2], [1, -1]), d: scalar(3), v: floats([2], [0, 1]) }, 11), inputs: [rand(17, 6)] },
  // Shapes computed by Shape/Gather/Concat/Unsqueeze/Squeeze/Cast chains fold to constants.
  {
    name: 'Reshape to a shape computed by Shape, Gather, Unsqueeze, Concat, Squeeze and Cast (the PyTorch flatten)',
    graph: g([2, 3, 2], [
      n('Shape', ['x'], ['s']), n('Gather', ['s', 'zero'], ['b']), n('Unsqueeze', ['b', 'ax0'], ['b1']), n('Concat', ['b1', 'minus1'], ['shape'], { axis: 0 }),
      n('Cast', ['shape'], ['shapeF'], { to: 1 }), n('Cast', ['shapeF'], ['shapeI'], { to: INT64 }), n('Unsqueeze', ['shapeI', 'ax0'], ['s2']), n('Squeeze', ['s2', 'ax0'], ['s3']),
      n('Reshape', ['x', 's3'], ['y'])], { zero: scalar(0), ax0: ints([1], [0]), minus1: ints([1], [-1]) }),
    inputs: [rand(18, 12)],
  },
  { name: 'Reshape to [Size / 2, 2] (Size, integer Div, Unsqueeze, Concat)', graph: g([2, 3, 2], [
    n('Size', ['x'], ['s']), n('Div', ['s', 'two'], ['h']), n('Unsqueeze', ['h', 'ax0'], ['h1']), n('Concat', ['h1', 'two1'], ['shape'], { axis: 0 }), n('Reshape', ['x', 'shape'], ['y'])],
  { two: scalar(2), two1: ints([1], [2]), ax0: ints([1], [0]) }), inputs: [rand(39, 12)] },
  { name: 'Range over a dimension read by Shape, with a negative delta', graph: g([2, 3], [
    n('Shape', ['x'], ['s']), n('Gather', ['s', 'one'], ['d']), n('Range', ['d', 'zero', 'minus1'], ['r']), n('Cast', ['r'], ['rf'], { to: 1 }), n('Add', ['x', 'rf'], ['y'])],
  { zero: scalar(0), one: scalar(1), minus1: scalar(-1) }), inputs: [rand(19, 6)] },
  // Normalisation.
  { name: 'BatchNormalization with spatial = 0 (opset 7: statistics per channel and position)', graph: g([1, 2, 2], [n('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y'], { spatial: 0 })], { s: floats([2, 2], [1, 2, 3, 4]), b: floats([2, 2], [0, 1, 0, 1]), m: floats([2, 2], [0.5, 0, 0, -1]), v: floats([2, 2], [1, 2, 0.5, 1]) }, 7), inputs: [rand(40, 4)] },
  { name: 'InstanceNormalization', graph: g([1, 2, 2, 3], [n('InstanceNormalization', ['x', 's', 'b'], ['y'], { epsilon: { float: 1e-5 } })], { s: floats([2], [1.5, -0.5]), b: floats([2], [0.25, 1]) }), inputs: [rand(20, 12), rand(21, 12)] },
  { name: 'GroupNormalization (opset 18: scale and bias per group)', graph: g([1, 4, 2, 2], [n('GroupNormalization', ['x', 's', 'b'], ['y'], { num_groups: 2, epsilon: { float: 1e-5 } })], { s: floats([2], [1.5, 0.75]), b: floats([2], [0.5, -1]) }, 18), inputs: [rand(22, 16)] },
  // Resize, Upsample, DepthToSpace, SpaceToDepth.
  { name: 'Resize nearest (half_pixel, round_prefer_floor) by scales 2 and 1.5', graph: g([1, 1, 2, 2], [n('Resize', ['x', '', 'sc'], ['y'], { mode: 'nearest' })], { sc: floats([4], [1, 1, 2, 1.5]) }), inputs: [rand(23, 4)] },
  { name: 'Resize nearest (asymmetric, floor) to sizes', graph: g([1, 1, 2, 3], [n('Resize', ['x', '', '', 'sz'], ['y'], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' })], { sz: ints([4], [1, 1, 3, 5]) }), inputs: [rand(24, 6)] },
  { name: 'Resize linear (half_pixel) by scale 2', graph: g([1, 1, 2, 3], [n('Resize', ['x', '', 'sc'], ['y'], { mode: 'linear' })], { sc: floats([4], [1, 1, 2, 2]) }), inputs: [rand(25, 6)] },
  { name: 'Resize linear (align_corners) to sizes', graph: g([1, 1, 3, 2], [n('Resize', ['x', '', '', 'sz'], ['y'], { mode: 'linear', coordinate_transformation_mode: 'align_corners' })], { sz: ints([4], [1, 1, 4, 5]) }), inputs: [rand(26, 6)] },
  { name: 'Upsample nearest (opset 9)', graph: g([1, 1, 2, 2], [n('Upsample', ['x', 'sc'], ['y'], { mode: 'nearest' })], { sc: floats([4], [1, 1, 2, 3]) }, 9), inputs: [rand(27, 4)] },
  { name: 'DepthToSpace DCR and CRD', graph: g([1, 8, 1, 2], [n('DepthToSpace', ['x'], ['a'], { blocksize: 2 }), n('DepthToSpace', ['x'], ['b'], { blocksize: 2, mode: 'CRD' }), n('Concat', ['a', 'b'], ['y'], { axis: 1 })]), inputs: [rand(28, 16)] },
  { name: 'SpaceToDepth', graph: g([1, 2, 2, 4], [n('SpaceToDepth', ['x'], ['y'], { blocksize: 2 })]), inputs: [rand(29, 16)] },
  // scikit-learn's Normalizer and Binarizer (ai.onnx.ml), as skl2onnx exports them: rows of iris-like positive features.
  ...['L1', 'L2', 'MAX'].map((norm) => ({ name: `ai.onnx.ml Normalizer ${norm} of positive rows`, graph: g([2, 4], [{ ...n('Normalizer', ['x'], ['y'], { norm }), domain: 'ai.onnx.ml' }]), inputs: [[5.1, 3.5, 1.4, 0.2, 6.7, 3.1, 5.6, 2.4], [4.9, 2.5, 4.5, 1.7, 0.5, 0.25, 3, 7.9]] })),
  { name: 'ai.onnx.ml ArrayFeatureExtractor of the input\'s columns by constant indices (skl2onnx\'s PolynomialFeatures: column products)', graph: g([2, 3], [{ ...n('ArrayFeatureExtractor', ['x', 'i'], ['a']), domain: 'ai.onnx.ml' }, { ...n('ArrayFeatureExtractor', ['x', 'j'], ['b']), domain: 'ai.onnx.ml' }, n('Mul', ['a', 'b'], ['y'])], { i: ints([4], [0, 0, 2, 1]), j: ints([4], [0, 1, 2, 2]) }), inputs: [rand(51, 6), rand(52, 6)] },
  { name: 'Mod of constants folds: an integer shape (fmod 0, the divisor\'s sign) and a float offset (fmod 1, the dividend\'s sign)', graph: g([1, 4], [n('Mod', ['a', 'b'], ['s']), n('Reshape', ['x', 's'], ['r']), n('Mod', ['fa', 'fb'], ['m'], { fmod: 1 }), n('Reshape', ['m', 's'], ['mr']), n('Add', ['r', 'mr'], ['y'])], { a: ints([2], [7, -4]), b: ints([2], [5, 3]), fa: floats([4], [5.5, -5.5, 3, -3]), fb: floats([1], [2]) }), inputs: [rand(53, 4)] },
  ...['RBF', 'LINEAR'].map((kernel_type) => ({ name: `ai.onnx.ml SVMRegressor with the ${kernel_type} kernel (scikit-learn's SVR)`, graph: g([2, 3], [{ ...n('SVMRegressor', ['x'], ['y'], { kernel_type, kernel_params: { floats: [0.25, 0, 3] }, support_vectors: { floats: [1, 0.5, -1, -2, 1, 0, 0.5, -0.5, 2, 3, -1, 1] }, coefficients: { floats: [1.5, -2, 0.75, 3] }, rho: { floats: [0.5] }, n_supports: 4 }), domain: 'ai.onnx.ml' }]), inputs: [rand(54, 6), rand(55, 6), rand(56, 6)] })),
  { name: 'ai.onnx.ml Binarizer with threshold 1.5 (a value at the threshold stays 0)', exact: false, graph: g([2, 4], [{ ...n('Binarizer', ['x'], ['y'], { threshold: { float: 1.5 } }), domain: 'ai.onnx.ml' }]), inputs: [rand(50, 8), [1.5, -1.5, 1.51, 3, 0, 2, -4, 1.49]] },
];
