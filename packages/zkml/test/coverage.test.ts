// Operator coverage from exported models (issue 17, item 6): comparison, logic and bitwise ops on
// boolean and integer tensors, indexing, shape chains folded at compile time, normalisation,
// Resize and DepthToSpace. Each graph's expected output comes from onnxruntime-web in this test;
// the float evaluation must match it (exactly for integer and boolean outputs), the quantised
// program too (exactly for integer and boolean outputs, within 1% of the output range for
// fixed-point ones), and the r1cs backend's witness must satisfy every constraint with every
// single-wire change rejected (a tampered floor, bit, selector or swap flag included).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { COVERAGE, floats, g, gi, ints, n, rand } from './coverageCases.js';
import { buildOnnx, dequantizeOutput, importGraph, inferFloat, inferQuantized, loadOnnx, quantize, quantizeInput, releaseCurves, UnsupportedOperatorError, type GraphSpec } from './exports.js';
import { buildConstraints, computeValues } from '../src/r1cs/circuit.js';
import { brokenConstraints } from '../src/r1cs/check.js';
import { checkModel, onnxruntime } from './r1csCheck.js';

after(releaseCurves);

for (const c of COVERAGE) {
  test(`${c.name}: outputs match onnxruntime, the r1cs witness satisfies every constraint and every single-wire change is rejected`, async () => {
    const bytes = buildOnnx(c.graph);
    const expected = await onnxruntime(bytes, c.inputs);
    const model = importGraph(loadOnnx(bytes));
    const q = quantize(model, { calibration: c.inputs, inputBits: c.exact ? 8 : 16 });
    const all = expected.flat();
    const range = Math.max(...all) - Math.min(...all) || Math.max(1, Math.abs(all[0]!));
    c.inputs.forEach((x, i) => {
      const float = inferFloat(model, x), quantised = dequantizeOutput(q, inferQuantized(q, quantizeInput(q, x)));
      assert.equal(float.length, expected[i]!.length);
      if (c.exact) {
        assert.deepEqual(float.map((v) => v + 0), expected[i], `float, input ${i}`);
        assert.deepEqual(quantised.map((v) => v + 0), expected[i], `quantised, input ${i}`);
        return;
      }
      float.forEach((v, j) => assert.ok(Math.abs(v - expected[i]![j]!) <= 1e-4 * (1 + Math.abs(v)), `float ${i}/${j}: ${v} vs ${expected[i]![j]}`));
      quantised.forEach((v, j) => assert.ok(Math.abs(v - expected[i]![j]!) <= 0.01 * range, `quantised ${i}/${j}: ${v} vs ${expected[i]![j]} (range ${range})`));
    });
    for (const x of c.inputs) await checkModel(q, x, 'committed', true);
  });
}

const refused = (graph: GraphSpec, opType: string) => () => {
  assert.throws(() => quantize(importGraph(loadOnnx(buildOnnx(graph))), { calibration: [rand(40, graph.input.shape.reduce<number>((a, b) => a * (b as number), 1))] }),
    (e: unknown) => e instanceof UnsupportedOperatorError && e.opType === opType);
};

test('Resize in cubic mode is refused with UnsupportedOperatorError', refused(
  g([1, 1, 2, 2], [n('Resize', ['x', '', 'sc'], ['y'], { mode: 'cubic' })], { sc: floats([4], [1, 1, 2, 2]) }), 'Resize'));
test('BatchNormalization in training mode is refused with UnsupportedOperatorError', refused(
  g([1, 2, 2], [n('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y'], { training_mode: 1 })], { s: floats([2], [1, 1]), b: floats([2], [0, 0]), m: floats([2], [0, 0]), v: floats([2], [1, 1]) }, 15), 'BatchNormalization'));
test('BitwiseNot of uint64 (whose all-ones constant float64 cannot hold) is refused with UnsupportedOperatorError', refused(
  gi([1, 2], [n('Greater', ['x', 'z'], ['b']), n('Cast', ['b'], ['m'], { to: 13 }), n('BitwiseNot', ['m'], ['y'])], { z: ints([1], [0]) }), 'BitwiseNot'));

test('a prover pointing a computed-index selector at another candidate (GatherElements, OneHot) breaks a constraint', () => {
  for (const name of ['GatherElements by a computed index into computed data (the row maximum)', 'OneHot of a computed index (ArgMax), values [-1, 2]']) {
    const c = COVERAGE.find((k) => k.name === name)!;
    const q = quantize(importGraph(loadOnnx(buildOnnx(c.graph))), { calibration: c.inputs, inputBits: 16 });
    const u = quantizeInput(q, c.inputs[0]!);
    const { system } = buildConstraints(q, 'committed');
    assert.deepEqual(brokenConstraints(system.constraints, computeValues(q, 'committed', u, 1n).values), [], `${name}: honest`);
    // iszero hints are [out, inverse]: claim each selector in turn is the other value (inverse 0 when claiming 1, 1 when claiming 0).
    let calls = 0;
    computeValues(q, 'committed', u, 1n, (kind, _where, h) => { if (kind === 'iszero') calls++; return h; });
    assert.ok(calls > 1, `${name}: selectors`);
    for (let target = 0; target < calls; target++) {
      let seen = 0;
      const { values } = computeValues(q, 'committed', u, 1n, (kind, _where, h) => (kind === 'iszero' && seen++ === target ? [1n - h[0]!, h[0] === 1n ? 1n : 0n] : h));
      assert.notDeepEqual(brokenConstraints(system.constraints, values), [], `${name}: selector ${target}`);
    }
  }
});
