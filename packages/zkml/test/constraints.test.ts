// Issue 17 item 5, the constraint cuts of the r1cs backend, each with its soundness check:
// inputs range-checked to the bounds the quantiser gave them (7 bits for a non-negative 8-bit
// input, 1 for a boolean one), a ReLU that is below zero for every input folded to the
// constant 0, and a MaxPool after a Relu fused (the maxima of the accumulators, one ReLU each). Each: the honest witness passes, every single-wire change breaks a constraint
// (r1csCheck), and the attack the cut could open (an input outside its bounds that the whole-width
// check accepted, under the same input commitment) breaks a constraint.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildMlpOnnx, buildOnnx, constraintParts, dequantizeOutput, importGraph, inferFloat, inferQuantized, inputBounds, inputRange, InputRangeError,
  layoutOf, loadOnnx, quantize, quantizeInput, RangeOverflowError, type QuantizedModel,
} from './exports.js';
import { computeValues } from '../src/r1cs/circuit.js';
import { brokenConstraints } from '../src/r1cs/check.js';
import { buildConstraints } from '../src/r1cs/circuit.js';
import { cnnSamples, pseudoRandom } from './fixtures.js';
import { checkModel } from './r1csCheck.js';

const N = 6;
const r = pseudoRandom(17);
/** 6-3-2 with ReLU; hidden unit 0 has only negative weights and bias: below zero for every non-negative input. */
const ONNX = buildMlpOnnx({
  inputSize: N,
  layers: [
    { weights: [Array.from({ length: N }, () => -0.2 - Math.abs(r()) * 0.3), ...Array.from({ length: 2 }, () => Array.from({ length: N }, r))], bias: [-0.1, r() * 0.1, r() * 0.1], relu: true },
    { weights: Array.from({ length: 2 }, () => Array.from({ length: 3 }, r)), bias: [0.05, -0.05], relu: false },
  ],
});
const nonNegative = Array.from({ length: 16 }, () => Array.from({ length: N }, () => (r() + 1) / 2));
const signed = [...nonNegative, Array.from({ length: N }, (_, i) => (i === 0 ? -0.5 : 0.5))];
const quantized = (samples: number[][]) => quantize(importGraph(loadOnnx(ONNX)), { calibration: samples });
const part = (model: QuantizedModel, name: string) => constraintParts(model, 'committed').find((p) => p.part === name)!.constraints;

test('a float input calibrated non-negative: encoded bounds [128, 255], range [0, 127 / 2^scale], 7-bit range checks; a negative input is refused with InputRangeError or clamped to 0', () => {
  const model = quantized(nonNegative);
  assert.deepEqual(inputBounds(model), [128, 255]);
  assert.deepEqual(inputRange(model), [0, 127 / 2 ** model.inputScale]);
  assert.equal(part(model, 'input range checks'), 7 * N);
  assert.throws(() => quantizeInput(model, [-0.25, ...nonNegative[0]!.slice(1)]), (e: unknown) => e instanceof InputRangeError && e.index === 0 && e.range[0] === 0);
  assert.equal(quantizeInput(model, [-0.25, ...nonNegative[0]!.slice(1)], { clamp: true })[0], 128n);
  // One negative calibration value: the whole signed width, as before.
  const wide = quantized(signed);
  assert.deepEqual(inputBounds(wide), [0, 255]);
  assert.equal(wide.inputBounds, undefined);
  assert.equal(part(wide, 'input range checks'), 8 * N);
});

test('7-bit input checks: an input outside [128, 255] breaks a constraint, also one the 8-bit check accepted and one that keeps the packed chunk (the same input commitment); the honest prover refuses it with RangeOverflowError', () => {
  const model = quantized(nonNegative);
  const layout = layoutOf(model, 'committed');
  const { system } = buildConstraints(model, 'committed');
  const u = quantizeInput(model, nonNegative[3]!);
  const commitmentOf = (values: bigint[]) => values[1 + layout.outputWords];
  const honest = computeValues(model, 'committed', u, 1n).values;
  assert.deepEqual(brokenConstraints(system.constraints, honest), []);
  // u0 is the more significant byte: u0 - 1, u1 + 256 packs to the same chunk.
  const attacks: [string, bigint[]][] = [
    ['u0 = 127 (in 8 bits, below the bounds)', [127n, ...u.slice(1)]],
    ['u0 = 0', [0n, ...u.slice(1)]],
    ['u0 = 256', [256n, ...u.slice(1)]],
    ['u0 - 1 and u1 + 256 (the same chunk)', [u[0]! - 1n, u[1]! + 256n, ...u.slice(2)]],
  ];
  for (const [name, tampered] of attacks) {
    const { values } = computeValues(model, 'committed', tampered, 1n, (_kind, _where, h) => h);
    if (name.includes('same chunk')) assert.equal(commitmentOf(values), commitmentOf(honest), 'the attack keeps the input commitment');
    assert.notDeepEqual(brokenConstraints(system.constraints, values), [], `${name} was accepted`);
    assert.throws(() => computeValues(model, 'committed', tampered, 1n), (e: unknown) => e instanceof RangeOverflowError && e.bits === 7 && /^input [01]$/.test(e.where));
  }
});

test('7-bit input checks: the honest witness passes and every single-wire change breaks a constraint (committed, public and private inputs)', async () => {
  const model = quantized(nonNegative);
  for (const visibility of ['committed', 'public', 'private'] as const) await checkModel(model, nonNegative[5]!, visibility, true);
});

test('a boolean input: encoded bounds {128, 129}, 1-bit range checks, 2 breaks a constraint', async () => {
  const BOOL = 9;
  const model = quantize(importGraph(loadOnnx(buildOnnx({
    input: { name: 'x', shape: [1, 4], elemType: BOOL }, output: { name: 'y', shape: [1, 4], elemType: BOOL },
    nodes: [{ op: 'Not', inputs: ['x'], outputs: ['y'] }],
  }))), { calibration: [[0, 1, 1, 0], [1, 0, 0, 1]] });
  assert.deepEqual(inputBounds(model), [128, 129]);
  assert.equal(part(model, 'input range checks'), 4);
  await checkModel(model, [1, 0, 1, 1], 'committed', true);
  const { system } = buildConstraints(model, 'committed');
  const u = quantizeInput(model, [1, 0, 1, 1]);
  const { values } = computeValues(model, 'committed', [130n, ...u.slice(1)], 1n, (_kind, _where, h) => h);
  assert.notDeepEqual(brokenConstraints(system.constraints, values), [], 'a boolean input of 2 was accepted');
});

test('a ReLU below zero for every input is the constant 0: no signal and no constraint for it, the outputs still match the float model, every single-wire change breaks a constraint', async () => {
  const model = quantized(nonNegative);
  const relu = model.steps.find((s) => s.kind === 'requant' && s.act === 'relu');
  assert.ok(relu && relu.kind === 'requant');
  assert.equal(relu.forms.length, 2, 'hidden unit 0 has no requantisation');
  // With a signed input the same unit can be positive: it keeps its decomposition.
  const wide = quantized(signed).steps.find((s) => s.kind === 'requant' && s.act === 'relu');
  assert.ok(wide && wide.kind === 'requant' && wide.forms.length === 3);
  const graph = importGraph(loadOnnx(ONNX));
  for (const x of nonNegative.slice(0, 8)) {
    const got = dequantizeOutput(model, inferQuantized(model, quantizeInput(model, x)));
    inferFloat(graph, x).forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 0.05, `output ${i}: ${got[i]} against ${v}`));
  }
  await checkModel(model, nonNegative[2]!, 'committed', true);
});

/** Conv 3x3 (3 filters, pad 1) -> Relu -> MaxPool 2x2 -> Gemm 27-3 on 1x6x6; `twice`: the Relu is also read by an unused Identity, which keeps it unfused. */
function poolCnn(twice: boolean): Uint8Array {
  const g = pseudoRandom(23);
  const t = (dims: number[], scale: number) => ({ dims, values: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => g() * scale) });
  return buildOnnx({
    input: { name: 'x', shape: ['batch', 1, 6, 6] },
    output: { name: 'y', shape: ['batch', 3] },
    nodes: [
      { op: 'Conv', inputs: ['x', 'c.w', 'c.b'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      ...(twice ? [{ op: 'Identity', inputs: ['r'], outputs: ['unused'] }] : []),
      { op: 'MaxPool', inputs: ['r'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'g.w', 'g.b'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    initializers: { 'c.w': t([3, 1, 3, 3], 0.6), 'c.b': t([3], 0.1), 'g.w': t([3, 27], 0.3), 'g.b': t([3], 0.1) },
  });
}

test('MaxPool after Relu fused: exactly the unfused program\'s outputs on every input, in fewer constraints (one ReLU per window, not per element); the honest witness passes and every single-wire change breaks a constraint', async () => {
  const calibration = cnnSamples(16).map((x) => x.map((v) => v - 0.4)); // signed: the whole input width
  const fused = quantize(importGraph(loadOnnx(poolCnn(false))), { calibration });
  const unfused = quantize(importGraph(loadOnnx(poolCnn(true))), { calibration });
  assert.ok(unfused.steps.some((s) => s.kind === 'requant' && s.act === 'relu' && s.name.startsWith('Relu')), 'the unfused program has its Relu');
  assert.ok(!fused.steps.some((s) => s.name.startsWith('Relu')), 'the fused one folds it into the MaxPool');
  const total = (m: QuantizedModel) => constraintParts(m, 'committed').reduce((a, p) => a + p.constraints, 0);
  assert.ok(total(fused) < total(unfused), `${total(fused)} against ${total(unfused)}`);
  const graph = importGraph(loadOnnx(poolCnn(false)));
  for (const x of cnnSamples(12, 6, 31).map((x) => x.map((v) => v * 1.6 - 0.8))) {
    const u = quantizeInput(fused, x, { clamp: true });
    assert.deepEqual(inferQuantized(fused, u), inferQuantized(unfused, u));
    const got = dequantizeOutput(fused, inferQuantized(fused, u));
    inferFloat(graph, x).forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 0.05, `output ${i}: ${got[i]} against ${v}`));
  }
  await checkModel(fused, calibration[4]!, 'committed', true);
});
