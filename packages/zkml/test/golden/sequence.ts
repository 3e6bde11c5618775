import type { NodeSpec } from '../exports.js';
import { pseudoRandom } from '../fixtures.js';
import type { GoldenSpec } from './specs.js';

/**
 * Golden fixtures of sequence models: a product of two activation matrices, a self-attention
 * block, and the recurrent cells (RNN, GRU, LSTM) as `torch.onnx.export` writes them.
 */
const weights = (seed: number, dims: number[], scale: number) => { const r = pseudoRandom(seed); return { dims, values: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * scale) }; };
const ints = (values: number[]) => ({ dims: [values.length], values, int64: true });
const n = (op: string, inputs: string[], outputs: string[], attrs?: NodeSpec['attrs']): NodeSpec => ({ op, inputs, outputs, attrs });
const spec = (name: string, ops: string[], inputShape: number[], nodes: NodeSpec[], initializers: NonNullable<GoldenSpec['graph']['initializers']>, opset = 14): GoldenSpec =>
  ({ name, ops, inputShape, graph: { input: { name: 'x', shape: inputShape }, output: { name: 'y' }, nodes, initializers, opset } });

/** Flattens a recurrent node's outputs (Y, Y_h and for LSTM Y_c) into one row y, so one golden output checks them all. */
const flattened = (outs: string[]): NodeSpec[] => [
  ...outs.map((o) => n('Reshape', [o, 'row'], [`${o}_row`])),
  n('Concat', outs.map((o) => `${o}_row`), ['y'], { axis: 1 }),
];

/**
 * One self-attention block of width 8 with 2 heads over 4 positions, as a hand-built
 * `nn.MultiheadAttention` + residual + LayerNorm exports it: the packed Q, K, V projection
 * (`in_proj_weight`) split in three, per-head `Q K^T` scaled by 1/sqrt(4), Softmax, `P V`, the
 * output projection, the residual and LayerNorm.
 */
function attention(): GoldenSpec {
  const d = 8, heads = 2, seq = 4, dh = d / heads;
  const proj = (p: string, seed: number, width: number) => ({ [`w${p}`]: weights(seed, [d, width], 0.45), [`b${p}`]: weights(seed + 1, [width], 0.2) });
  const project = (p: string, input: string) => [n('MatMul', [input, `w${p}`], [`${p}m`]), n('Add', [`${p}m`, `b${p}`], [p])];
  return spec('attention_block', ['MatMul', 'Split', 'Softmax', 'LayerNormalization'], [1, seq, d], [
    ...project('qkv', 'x'), n('Split', ['qkv', 'thirds'], ['q', 'k', 'v'], { axis: -1 }),
    n('Reshape', ['q', 'heads'], ['qr']), n('Transpose', ['qr'], ['qh'], { perm: [0, 2, 1, 3] }),
    n('Reshape', ['k', 'heads'], ['kr']), n('Transpose', ['kr'], ['kt'], { perm: [0, 2, 3, 1] }),
    n('Reshape', ['v', 'heads'], ['vr']), n('Transpose', ['vr'], ['vh'], { perm: [0, 2, 1, 3] }),
    n('MatMul', ['qh', 'kt'], ['s']), n('Mul', ['s', 'scale'], ['ss']), n('Softmax', ['ss'], ['p'], { axis: -1 }),
    n('MatMul', ['p', 'vh'], ['c']), n('Transpose', ['c'], ['ct'], { perm: [0, 2, 1, 3] }), n('Reshape', ['ct', 'merged'], ['cm']),
    ...project('o', 'cm'), n('Add', ['x', 'o'], ['res']),
    n('LayerNormalization', ['res', 'gamma', 'beta'], ['y'], { axis: -1, epsilon: { float: 1e-5 } }),
  ], {
    ...proj('qkv', 40, 3 * d), ...proj('o', 46, d), thirds: ints([d, d, d]),
    heads: ints([1, seq, heads, dh]), merged: ints([1, seq, d]), scale: { dims: [], values: [1 / Math.sqrt(dh)] },
    gamma: weights(48, [d], 1.5), beta: weights(49, [d], 0.5),
  }, 17);
}

/** The input weights, recurrence weights and biases of a cell with `gates` gates. */
const cell = (seed: number, dirs: number, gates: number, hidden: number, input: number) => ({
  W: weights(seed, [dirs, gates * hidden, input], 0.6), R: weights(seed + 1, [dirs, gates * hidden, hidden], 0.6), B: weights(seed + 2, [dirs, 2 * gates * hidden], 0.3),
});

export const SEQUENCE: GoldenSpec[] = [
  // Two projections of the input reshaped to [1, 3, 4] and [1, 4, 2], multiplied.
  spec('matmul_activations', ['MatMul'], [1, 6], [
    n('Gemm', ['x', 'wa'], ['a'], { transB: 1 }), n('Reshape', ['a', 'sa'], ['ar']),
    n('Gemm', ['x', 'wb'], ['b'], { transB: 1 }), n('Reshape', ['b', 'sb'], ['br']),
    n('MatMul', ['ar', 'br'], ['y']),
  ], { wa: weights(50, [12, 6], 0.6), wb: weights(51, [8, 6], 0.6), sa: ints([1, 3, 4]), sb: ints([1, 4, 2]) }),
  attention(),
  // Gemm of two computed matrices (B transposed), scaled, with a constant bias.
  spec('gemm_activations', ['Gemm'], [1, 6], [
    n('Gemm', ['x', 'wa'], ['a'], { transB: 1 }), n('Reshape', ['a', 'sa'], ['ar']),
    n('Gemm', ['x', 'wb'], ['b'], { transB: 1 }), n('Reshape', ['b', 'sb'], ['br']),
    n('Gemm', ['ar', 'br', 'c'], ['y'], { transB: 1, alpha: { float: 0.5 }, beta: { float: 2 } }),
  ], { wa: weights(53, [12, 6], 0.6), wb: weights(54, [8, 6], 0.6), sa: ints([3, 4]), sb: ints([2, 4]), c: weights(55, [2], 1) }),
  // Gemm of a constant A (transposed) and a computed B: linear, no product.
  spec('gemm_constant_a', ['Gemm'], [1, 6], [n('Gemm', ['x', 'wa'], ['a'], { transB: 1 }), n('Reshape', ['a', 'sa'], ['ar']), n('Gemm', ['k', 'ar'], ['y'], { transA: 1 })],
    { wa: weights(56, [6, 6], 0.6), sa: ints([3, 2]), k: weights(57, [3, 4], 1) }),
  // Opset 18's num_outputs: 7 split as 3, 3 and 1.
  spec('split_opset18', ['Split'], [1, 7], [n('Split', ['x'], ['a', 'b', 'c'], { axis: 1, num_outputs: 3 }), n('Mul', ['b', 'k'], ['kb']), n('Concat', ['c', 'kb', 'a'], ['y'], { axis: 1 })], { k: weights(52, [3], 1) }, 18),
  // Forward, Tanh, no initial state: Y [3, 1, 1, 4] and Y_h [1, 1, 4].
  spec('rnn', ['RNN'], [3, 1, 3], [n('RNN', ['x', 'W', 'R', 'B'], ['Y', 'Y_h'], { hidden_size: 4 }), ...flattened(['Y', 'Y_h'])], { ...cell(60, 1, 1, 4, 3), row: ints([1, -1]) }),
  // Bidirectional over a batch of 2 with a given initial state, Relu forward and Tanh in reverse.
  spec('rnn_bidirectional', ['RNN'], [3, 2, 3], [
    n('RNN', ['x', 'W', 'R', 'B', '', 'h0'], ['Y', 'Y_h'], { hidden_size: 4, direction: 'bidirectional', activations: ['Relu', 'Tanh'] }), ...flattened(['Y', 'Y_h']),
  ], { ...cell(63, 2, 1, 4, 3), h0: weights(66, [2, 2, 4], 0.5), row: ints([1, -1]) }),
  // An initial state computed from the input (an encoder's summary), Sigmoid as the activation.
  spec('rnn_computed_state', ['RNN'], [2, 1, 3], [
    n('Reshape', ['x', 'row'], ['xr']), n('MatMul', ['xr', 'wh'], ['hm']), n('Reshape', ['hm', 'hshape'], ['h0']),
    n('RNN', ['x', 'W', 'R', 'B', '', 'h0'], ['Y', 'Y_h'], { hidden_size: 3, activations: ['Sigmoid'] }), ...flattened(['Y', 'Y_h']),
  ], { ...cell(67, 1, 1, 3, 3), wh: weights(69, [6, 3], 0.5), hshape: ints([1, 1, 3]), row: ints([1, -1]) }),
  // PyTorch's nn.GRU(batch_first=True): the input transposed, linear_before_reset, a ConstantOfShape zero state.
  spec('gru', ['GRU', 'ConstantOfShape'], [1, 3, 3], [
    n('Transpose', ['x'], ['xt'], { perm: [1, 0, 2] }), n('ConstantOfShape', ['hshape'], ['h0'], { value: { tensor: { dims: [1], values: [0] } } }),
    n('GRU', ['xt', 'W', 'R', 'B', '', 'h0'], ['Y', 'Y_h'], { hidden_size: 4, linear_before_reset: 1 }), ...flattened(['Y', 'Y_h']),
  ], { ...cell(70, 1, 3, 4, 3), hshape: ints([1, 1, 4]), row: ints([1, -1]) }),
  // ONNX's default reset (before the recurrence product), in reverse.
  spec('gru_reverse', ['GRU'], [3, 1, 2], [n('GRU', ['x', 'W', 'R', 'B', '', 'h0'], ['Y', 'Y_h'], { hidden_size: 3, direction: 'reverse' }), ...flattened(['Y', 'Y_h'])],
    { ...cell(73, 1, 3, 3, 2), h0: weights(76, [1, 1, 3], 0.5), row: ints([1, -1]) }),
  // PyTorch's nn.LSTM with the zero states its exporter builds from the input's shape.
  spec('lstm', ['LSTM', 'ConstantOfShape'], [3, 1, 3], [
    n('Shape', ['x'], ['xs']), n('Gather', ['xs', 'one'], ['batch'], { axis: 0 }), n('Unsqueeze', ['batch', 'zero'], ['b1']),
    n('Concat', ['dirs', 'b1', 'hid'], ['sshape'], { axis: 0 }), n('ConstantOfShape', ['sshape'], ['z']),
    n('LSTM', ['x', 'W', 'R', 'B', '', 'z', 'z'], ['Y', 'Y_h', 'Y_c'], { hidden_size: 4 }), ...flattened(['Y', 'Y_h', 'Y_c']),
  ], { ...cell(80, 1, 4, 4, 3), one: { dims: [], values: [1], int64: true }, zero: ints([0]), dirs: ints([1]), hid: ints([4]), row: ints([1, -1]) }),
  // A two-layer nn.LSTM classifier: the first layer's Y squeezed into the second, whose Y_h feeds a linear head.
  spec('lstm_classifier', ['LSTM', 'Squeeze'], [3, 1, 3], [
    n('LSTM', ['x', 'W', 'R', 'B'], ['Y1'], { hidden_size: 3 }), n('Squeeze', ['Y1', 'one'], ['s1']),
    n('LSTM', ['s1', 'W2', 'R2', 'B2'], ['', 'h2'], { hidden_size: 3 }), n('Squeeze', ['h2', 'zero'], ['last']),
    n('Gemm', ['last', 'head', 'hb'], ['y'], { transB: 1 }),
  ], {
    ...cell(90, 1, 4, 3, 3), W: weights(90, [1, 12, 3], 1.5), W2: weights(93, [1, 12, 3], 1.5), R2: weights(94, [1, 12, 3], 0.6), B2: weights(95, [1, 24], 0.3),
    head: weights(96, [2, 3], 1), hb: weights(97, [2], 0.2), one: ints([1]), zero: ints([0]),
  }),
  // Bidirectional with peepholes and given initial states.
  spec('lstm_bidirectional', ['LSTM'], [2, 1, 3], [
    n('LSTM', ['x', 'W', 'R', 'B', '', 'h0', 'c0', 'P'], ['Y', 'Y_h', 'Y_c'], { hidden_size: 3, direction: 'bidirectional' }), ...flattened(['Y', 'Y_h', 'Y_c']),
  ], { ...cell(83, 2, 4, 3, 3), h0: weights(86, [2, 1, 3], 0.5), c0: weights(87, [2, 1, 3], 0.8), P: weights(88, [2, 9], 0.5), row: ints([1, -1]) }),
];
