import type { GraphSpec, NodeSpec } from '../exports.js';
import { pseudoRandom } from '../fixtures.js';
import type { GoldenSpec } from './specs.js';

// Golden fixtures of the elementwise functions, reductions, LogSoftmax, Div by a tensor, variadic
// Min/Max/Sum/Mean, Pow and ConstantOfShape (issue 17 item 6). Inputs are in [-2, 2); where a
// function needs positive inputs the graph makes them (Abs(x) + c). Several results of one
// fixture are concatenated, so each element still tests one operator.

const n = (op: string, inputs: string[], outputs: string[], attrs?: NodeSpec['attrs']): NodeSpec => ({ op, inputs, outputs, attrs });
const scalar = (v: number) => ({ dims: [], values: [v] });
const ints = (values: number[]) => ({ dims: [values.length], values, int64: true });
const f = (dims: number[], seed: number) => { const r = pseudoRandom(seed); return { dims, values: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, r) }; };

function model(name: string, ops: string[], inputShape: number[], nodes: NodeSpec[], initializers: GraphSpec['initializers'] = {}, opset = 13, int64 = false): GoldenSpec {
  return { name, ops, inputShape, graph: { input: { name: 'x', shape: inputShape }, output: { name: 'y', int64 }, nodes, initializers, opset } };
}

/** `name = Abs(x) + c`: a positive input for Log, Sqrt, Reciprocal and fractional powers. */
const positive = (name: string, c: string): NodeSpec[] => [n('Abs', ['x'], [`${name}_a`]), n('Add', [`${name}_a`, c], [name])];

export const UNARY_GOLDEN: GoldenSpec[] = [
  model('unary_exp_log_sqrt', ['Exp', 'Log', 'Sqrt', 'Reciprocal', 'Abs', 'Concat'], [1, 4], [
    n('Exp', ['x'], ['e']), ...positive('p', 'quarter'), n('Log', ['p'], ['l']), n('Abs', ['x'], ['ax']), n('Sqrt', ['ax'], ['s']),
    ...positive('h', 'half'), n('Reciprocal', ['h'], ['r']), n('Concat', ['e', 'l', 's', 'r'], ['y'], { axis: 1 })],
  { quarter: scalar(0.25), half: scalar(0.5) }),
  model('unary_erf_gelu_subgraph', ['Erf', 'Div', 'Mul', 'Add'], [1, 4], [
    n('Erf', ['x'], ['e']), n('Div', ['x', 'sqrt2'], ['d']), n('Erf', ['d'], ['ed']), n('Add', ['ed', 'one'], ['a']), n('Mul', ['x', 'a'], ['m']), n('Mul', ['m', 'half'], ['g']),
    n('Concat', ['e', 'g'], ['y'], { axis: 1 })], { sqrt2: scalar(Math.SQRT2), one: scalar(1), half: scalar(0.5) }),
  model('unary_gelu_opset20', ['Gelu'], [1, 4], [n('Gelu', ['x'], ['a']), n('Gelu', ['x'], ['b'], { approximate: 'tanh' }), n('Concat', ['a', 'b'], ['y'], { axis: 1 })], {}, 20),
  model('unary_soft', ['Softplus', 'Softsign', 'Elu', 'Selu', 'Celu', 'Mish'], [1, 4], [
    n('Softplus', ['x'], ['a']), n('Softsign', ['x'], ['b']), n('Elu', ['x'], ['c'], { alpha: { float: 0.5 } }), n('Selu', ['x'], ['d']),
    n('Celu', ['x'], ['e'], { alpha: { float: 1.5 } }), n('Mish', ['x'], ['m']), n('Concat', ['a', 'b', 'c', 'd', 'e', 'm'], ['y'], { axis: 1 })], {}, 18),
  model('unary_exact', ['HardSigmoid', 'HardSwish', 'Abs', 'Neg', 'Sign'], [1, 4], [
    n('HardSigmoid', ['x'], ['a'], { alpha: { float: 0.25 }, beta: { float: 0.4 } }), n('Mul', ['x', 'three'], ['x3']), n('HardSwish', ['x3'], ['b']),
    n('Abs', ['x'], ['c']), n('Neg', ['x'], ['d']), n('Sign', ['x'], ['e']), n('Concat', ['a', 'b', 'c', 'd', 'e'], ['y'], { axis: 1 })], { three: scalar(3) }, 14),
  model('unary_trig', ['Sin', 'Cos'], [1, 4], [n('Sin', ['x'], ['a']), n('Cos', ['x'], ['b']), n('Concat', ['a', 'b'], ['y'], { axis: 1 })]),
  model('unary_rounding', ['Round', 'Floor', 'Ceil'], [1, 4], [
    n('Mul', ['x', 'k'], ['h']), n('Round', ['h'], ['a']), n('Floor', ['h'], ['b']), n('Ceil', ['h'], ['c']), n('Concat', ['a', 'b', 'c'], ['y'], { axis: 1 })], { k: scalar(3) }),
  model('pow', ['Pow'], [1, 4], [
    n('Pow', ['x', 'two'], ['a']), n('Pow', ['x', 'three'], ['b']), ...positive('p', 'half'), n('Pow', ['p', 'sqrt'], ['c']), n('Pow', ['p', 'minus1'], ['d']),
    n('Pow', ['base', 'x'], ['e']), n('Concat', ['a', 'b', 'c', 'd', 'e'], ['y'], { axis: 1 })],
  { half: scalar(0.5), two: scalar(2), three: scalar(3), sqrt: scalar(0.5), minus1: scalar(-1), base: scalar(2) }),
  model('reduce_more', ['ReduceMin', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSumExp', 'ReduceProd'], [1, 3, 4], [
    n('ReduceMin', ['x'], ['a'], { axes: [2], keepdims: 0 }), n('ReduceL1', ['x'], ['b'], { axes: [2], keepdims: 0 }), n('ReduceL2', ['x'], ['c'], { axes: [2], keepdims: 0 }),
    n('ReduceSumSquare', ['x'], ['d'], { axes: [2], keepdims: 0 }), n('ReduceLogSumExp', ['x'], ['e'], { axes: [2], keepdims: 0 }), n('ReduceProd', ['x'], ['p'], { axes: [2], keepdims: 0 }),
    n('Concat', ['a', 'b', 'c', 'd', 'e', 'p'], ['y'], { axis: 1 })]),
  model('reduce_more_opset18', ['ReduceMin', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSumExp', 'ReduceProd', 'ReduceMean'], [1, 3, 4], [
    n('ReduceMin', ['x', 'ax'], ['a']), n('ReduceL1', ['x', 'ax'], ['b']), n('ReduceL2', ['x', 'ax'], ['c']), n('ReduceSumSquare', ['x', 'ax'], ['d']),
    n('ReduceLogSumExp', ['x', 'ax'], ['e']), n('ReduceProd', ['x', 'ax'], ['p']), n('ReduceMean', ['x', 'ax'], ['m']),
    n('Concat', ['a', 'b', 'c', 'd', 'e', 'p', 'm'], ['y'], { axis: 1 })], { ax: ints([1]) }, 18),
  model('argmin', ['ArgMin'], [1, 6], [n('ArgMin', ['x'], ['y'], { axis: 1, keepdims: 0 })], {}, 13, true),
  model('log_softmax', ['LogSoftmax'], [1, 6], [n('Gemm', ['x', 'w'], ['h'], { transB: 1 }), n('LogSoftmax', ['h'], ['y'], { axis: 1 })], { w: f([5, 6], 40) }),
  model('div_tensor', ['Div'], [1, 4], [
    n('Mul', ['x', 'k'], ['kx']), n('Add', ['kx', 'three'], ['pos']), n('Div', ['x', 'pos'], ['a']), n('Sub', ['kx', 'three'], ['neg']), n('Div', ['pos', 'neg'], ['b']),
    n('Concat', ['a', 'b'], ['y'], { axis: 1 })], { k: scalar(0.5), three: scalar(3) }),
  model('min_max_variadic', ['Max', 'Min', 'Sum', 'Mean'], [1, 4], [
    n('Mul', ['x', 'k'], ['kx']), n('Max', ['x', 'kx', 'c'], ['a']), n('Min', ['x', 'kx'], ['b']), n('Sum', ['x', 'kx', 'c'], ['s']), n('Mean', ['x', 'kx'], ['m']),
    n('Concat', ['a', 'b', 's', 'm'], ['y'], { axis: 1 })], { k: { dims: [4], values: [-1, 0.5, 2, -0.25] }, c: scalar(0.3) }),
  model('constant_of_shape', ['ConstantOfShape'], [1, 4], [n('ConstantOfShape', ['shape'], ['c'], { value: { tensor: { dims: [1], values: [0.5] } } }), n('Add', ['x', 'c'], ['y'])], { shape: ints([1, 4]) }),
];
