// Integer and boolean tensors keep ONNX's semantics (issue 17, item 8): integer Div truncates
// toward zero, Cast from float to an integer type truncates, Cast to BOOL is x != 0, comparisons
// and logic ops yield 0/1. Each graph's golden output comes from onnxruntime-web in this test;
// the float evaluation and the quantised program (what the circuit computes) must equal it
// exactly, and the r1cs backend's witness must satisfy every constraint with every single-wire
// change rejected. The example (1 / 3 proved as 0.333) is proved end to end as 0.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildOnnx, compileModel, FunctionDomainError, InputValueError, QuantizationOverflowError, dequantizeOutput, importGraph, inferFloat, inferQuantized, loadOnnx, nativeProverBuilt, Prover, quantize, quantizeInput, releaseCurves, UnsupportedOperatorError, verifyProofFile, type GraphSpec } from './exports.js';
import { buildConstraints, computeValues } from '../src/r1cs/circuit.js';
import { brokenConstraints } from '../src/r1cs/check.js';
import { ONE_THIRD } from './fixtures.js';
import { checkModel, onnxruntime } from './r1csCheck.js';

after(releaseCurves);
const INT64 = 7, BOOL = 9;
const int64 = (values: number[]) => ({ dims: [values.length], values, int64: true });

/** x (int64, [1, 4]) compared with 2, element by element. */
const comparison = (op: string): GraphSpec => ({
  input: { name: 'x', shape: [1, 4], elemType: INT64 }, output: { name: 'y', shape: [1, 4], elemType: BOOL },
  initializers: { c: int64([2]) }, nodes: [{ op, inputs: ['x', 'c'], outputs: ['y'] }],
});
/** (x > 0) op (x < 3) on int64 x. */
const logic = (op: string): GraphSpec => ({
  input: { name: 'x', shape: [1, 4], elemType: INT64 }, output: { name: 'y', shape: [1, 4], elemType: BOOL },
  initializers: { zero: int64([0]), three: int64([3]) },
  nodes: [
    { op: 'Greater', inputs: ['x', 'zero'], outputs: ['a'] },
    { op: 'Less', inputs: ['x', 'three'], outputs: ['b'] },
    op === 'Not' ? { op, inputs: ['a'], outputs: ['y'] } : { op, inputs: ['a', 'b'], outputs: ['y'] },
  ],
});
/** int64 x divided by int64 constants. */
const INT_DIV: GraphSpec = { input: { name: 'x', shape: [1, 6], elemType: INT64 }, output: { name: 'y', shape: [1, 6], elemType: INT64 }, initializers: { d: int64([3, 3, 3, -2, -2, 5]) }, nodes: [{ op: 'Div', inputs: ['x', 'd'], outputs: ['y'] }] };

const CASES: { name: string; graph: GraphSpec; inputs: number[][] }[] = [
  { name: 'int64 Div by constants truncates toward zero (7 / -2 = -3)', graph: INT_DIV, inputs: [[1, -1, 7, 7, -7, 0], [3, -3, 100, -100, 127, -128]] },
  { name: 'Cast float -> int64 then Div by 3: 1 / 3 is 0', graph: ONE_THIRD, inputs: [[1, 2, 3, -4], [-1, -2, -3, 4]] },
  {
    name: 'Cast float -> int64 truncates toward zero (positive and negative)',
    graph: { input: { name: 'x', shape: [1, 4] }, output: { name: 'y', shape: [1, 4], elemType: INT64 }, nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: INT64 } }] },
    inputs: [[1.75, -1.75, 0.375, -2.5], [3, -3, 0.875, -0.875]],
  },
  {
    name: 'Cast float -> bool is x != 0',
    graph: { input: { name: 'x', shape: [1, 4] }, output: { name: 'y', shape: [1, 4], elemType: BOOL }, nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: BOOL } }] },
    inputs: [[0, 0.5, -1, 0], [2, 0, 0, -0.25]],
  },
  ...['Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Equal'].map((op) => ({ name: `${op} on int64 yields booleans`, graph: comparison(op), inputs: [[1, 2, 3, -5], [2, 2, 0, 100]] })),
  {
    name: 'Where on a boolean condition picks int64 values',
    graph: { input: { name: 'x', shape: [1, 4], elemType: INT64 }, output: { name: 'y', shape: [1, 4], elemType: INT64 }, initializers: { zero: int64([0]), ten: int64([10]) },
      nodes: [{ op: 'Less', inputs: ['x', 'zero'], outputs: ['neg'] }, { op: 'Where', inputs: ['neg', 'ten', 'x'], outputs: ['y'] }] },
    inputs: [[-3, 0, 4, -1], [5, -100, 7, 0]],
  },
  ...['And', 'Or', 'Xor', 'Not'].map((op) => ({ name: `${op} on booleans`, graph: logic(op), inputs: [[-1, 0, 1, 2], [3, 4, 2, -7]] })),
  {
    name: 'int64 MatMul, Mul and Add with integer constants above the weight precision stay exact',
    graph: { input: { name: 'x', shape: [1, 2], elemType: INT64 }, output: { name: 'y', shape: [1, 2], elemType: INT64 }, initializers: { w: { dims: [2, 2], values: [3001, -7, 5, 4093], int64: true }, k: int64([3001, -4099]), b: int64([5, -1]) },
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'] }, { op: 'Mul', inputs: ['m', 'k'], outputs: ['p'] }, { op: 'Add', inputs: ['p', 'b'], outputs: ['y'] }] },
    inputs: [[1, -1], [127, -128], [3, 0]],
  },
  {
    name: 'ReduceMean of int64 truncates the mean toward zero',
    graph: { input: { name: 'x', shape: [2, 3], elemType: INT64 }, output: { name: 'y', shape: [2], elemType: INT64 }, nodes: [{ op: 'ReduceMean', inputs: ['x'], outputs: ['y'], attrs: { axes: [1], keepdims: 0 } }] },
    inputs: [[1, 1, 2, -1, -1, -2], [100, 27, -128, 5, 5, 5]],
  },
  {
    name: 'Cast int64 -> int8 of values int8 holds keeps them',
    graph: { input: { name: 'x', shape: [1, 4], elemType: INT64 }, output: { name: 'y', shape: [1, 4], elemType: 3 }, nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: 3 } }] },
    inputs: [[-128, 127, 0, -1]],
  },
  {
    name: 'ten int64 outputs of 25 bits take two output words instead of being rounded to fit one (127 * 100003 = 12,700,381)',
    graph: { input: { name: 'x', shape: [1, 10], elemType: INT64 }, output: { name: 'y', shape: [1, 10], elemType: INT64 }, initializers: { k: int64([100003]) }, nodes: [{ op: 'Mul', inputs: ['x', 'k'], outputs: ['y'] }] },
    inputs: [[127, -128, 3, 1, 0, 5, 6, 7, 8, 9]],
  },
  {
    name: 'a bool input: Not, then Cast to int64',
    graph: { input: { name: 'x', shape: [1, 4], elemType: BOOL }, output: { name: 'y', shape: [1, 4], elemType: INT64 },
      nodes: [{ op: 'Not', inputs: ['x'], outputs: ['n'] }, { op: 'Cast', inputs: ['n'], outputs: ['y'], attrs: { to: INT64 } }] },
    inputs: [[0, 1, 1, 0], [1, 0, 0, 0]],
  },
];

for (const c of CASES) {
  test(`${c.name}: float and quantised outputs equal onnxruntime's, the r1cs witness satisfies every constraint and every single-wire change is rejected`, async () => {
    const bytes = buildOnnx(c.graph);
    const expected = await onnxruntime(bytes, c.inputs);
    const model = importGraph(loadOnnx(bytes));
    const q = quantize(model, { calibration: c.inputs });
    c.inputs.forEach((x, i) => {
      assert.deepEqual(inferFloat(model, x).map((v) => v + 0), expected[i], `float, input ${i}`);
      assert.deepEqual(dequantizeOutput(q, inferQuantized(q, quantizeInput(q, x))).map((v) => v + 0), expected[i], `quantised, input ${i}`);
    });
    for (const x of c.inputs) await checkModel(q, x, 'committed', true);
  });
}

test('a prover claiming 1 / 3 = 1 (or any other quotient than onnxruntime\'s) breaks a constraint', () => {
  const q = quantize(importGraph(loadOnnx(buildOnnx(ONE_THIRD))), { calibration: [[1, 2, 3, -4]] });
  const u = quantizeInput(q, [1, 2, 3, -4]);
  const { system } = buildConstraints(q, 'committed');
  const honest = computeValues(q, 'committed', u, 1n);
  assert.deepEqual(brokenConstraints(system.constraints, honest.values), []);
  // div hints are [quotient, remainder, divisor]: the claim keeps num = q * den + r, so only the remainder's range check can catch it.
  for (const [dq, name] of [[1n, 'quotient + 1'], [-1n, 'quotient - 1']] as const) {
    const { values } = computeValues(q, 'committed', u, 1n, (kind, _where, h) => (kind === 'div' ? [h[0]! + dq, h[1]! - dq * h[2]!, h[2]!] : h));
    assert.notDeepEqual(brokenConstraints(system.constraints, values), [], name);
  }
});

test('a cast that could wrap around (int64 in [-128, 127] to uint8) is refused; an integer input refuses 1.5 instead of rounding it', () => {
  const wrap = buildOnnx({ input: { name: 'x', shape: [1, 2], elemType: INT64 }, output: { name: 'y', shape: [1, 2], elemType: 2 }, nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: 2 } }] });
  assert.throws(() => quantize(importGraph(loadOnnx(wrap)), { calibration: [[1, 2]] }), (e: unknown) => e instanceof UnsupportedOperatorError && e.opType === 'Cast' && e.node === 'Cast_0');
  const q = quantize(importGraph(loadOnnx(buildOnnx(INT_DIV))), { calibration: [[1, 2, 3, 4, 5, 6]] });
  assert.throws(() => quantizeInput(q, [1.5, 2, 3, 4, 5, 6]), (e: unknown) => e instanceof InputValueError && e.index === 0 && e.expected === 'int');
});

test('an integer result too wide for the field\'s exact arithmetic (here ~260 bits) is refused with a typed error, never rounded', () => {
  const big = (2 ** 62);
  const bytes = buildOnnx({ input: { name: 'x', shape: [1, 2], elemType: INT64 }, output: { name: 'y', shape: [1, 2], elemType: INT64 }, initializers: { k: int64([big]) },
    nodes: [0, 1, 2, 3].map((i) => ({ op: 'Mul', inputs: [i === 0 ? 'x' : `m${i - 1}`, 'k'], outputs: [i === 3 ? 'y' : `m${i}`] })) });
  assert.throws(() => quantize(importGraph(loadOnnx(bytes)), { calibration: [[1, 2]] }), (e: unknown) => e instanceof QuantizationOverflowError && e.node === 'Mul_3');
});

test('integer division by a divisor computed from the input whose calibrated range contains 0 is refused with FunctionDomainError (test/unary.test.ts proves a non-zero one)', () => {
  const bytes = buildOnnx({ input: { name: 'x', shape: [1, 2], elemType: INT64 }, output: { name: 'y', shape: [1, 2], elemType: INT64 }, nodes: [{ op: 'Div', inputs: ['x', 'x'], outputs: ['y'] }] });
  assert.throws(() => quantize(importGraph(loadOnnx(bytes)), { calibration: [[1, 0], [2, -3]] }), (e: unknown) => e instanceof FunctionDomainError && e.opType === 'Div' && e.node === 'Div_0');
});

test('--calibration on a model with an int64 input gives onnxruntime int64 values (it was always float32)', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'verity-integers-')), 'int-div');
  const report = await compileModel(buildOnnx(INT_DIV), { out: dir, calibration: [[1, -1, 7, 7, -7, 0], [3, -3, 100, -100, 127, -128]], backend: 'r1cs', setup: false });
  assert.deepEqual(report.accuracy, { ...report.accuracy!, samples: 2, maxAbsError: 0 });
});

test('the issue\'s example end to end: --calibration reports no error against onnxruntime, and 1 / 3 is proved as 0 (snarkjs, and the native prover where built)', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'verity-integers-')), 'one-third');
  const calibration = [[1, 2, 3, -4], [-1, -2, -3, 4], [5, 6, -7, 0]];
  const report = await compileModel(buildOnnx(ONE_THIRD), { out: dir, calibration, backend: 'r1cs' });
  assert.equal(report.accuracy?.maxAbsError, 0);
  // snarkjs always; the native prover too where it is built (`cargo build` in native/verity-prover).
  for (const backend of ['snarkjs', ...(nativeProverBuilt() ? ['native' as const] : [])] as const) {
    const prover = await Prover.load(dir, { backend });
    try {
      const file = await prover.prove({ input: [1, 2, 3, -4] }, 5n);
      assert.deepEqual(file.outputs.map((v) => v + 0), [0, 0, 1, -1], backend);
      assert.equal(await verifyProofFile(dir, file), true, backend);
    } finally {
      await prover.close();
    }
  }
});
