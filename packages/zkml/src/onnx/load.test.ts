import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMlpOnnx } from './build.js';
import { loadOnnx } from './load.js';
import { onnx } from './proto.js';
import { DynamicShapeError, MalformedModelError } from '../errors/onnx.js';

test('loadOnnx reads back what buildMlpOnnx wrote, with a symbolic batch as 1', () => {
  const g = loadOnnx(buildMlpOnnx({ inputSize: 3, layers: [{ weights: [[1, 2, 3]], bias: [0.5], relu: false }] }));
  assert.equal(g.opset, 13);
  assert.deepEqual(g.inputs, [{ name: 'input', shape: [1, 3] }]);
  assert.deepEqual([...g.initializers.get('fc0.weight')!.data], [1, 2, 3]);
  assert.deepEqual(g.nodes.map((n) => n.opType), ['Gemm']);
});

test('loadOnnx rejects bytes that are not a model with MalformedModelError', () => {
  assert.throws(() => loadOnnx(new Uint8Array([0xff, 0xff, 0xff, 0x01])), MalformedModelError);
  assert.throws(() => loadOnnx(new TextEncoder().encode('not a model at all')), MalformedModelError);
  assert.throws(() => loadOnnx(new Uint8Array()), (e: unknown) => e instanceof MalformedModelError && /no graph/.test(e.reason));
});

test('loadOnnx rejects a symbolic non-batch dimension with DynamicShapeError', () => {
  const model = onnx.ModelProto.decode(buildMlpOnnx({ inputSize: 3, layers: [{ weights: [[1, 2, 3]], bias: [0], relu: false }] }));
  model.graph!.input![0]!.type!.tensorType!.shape!.dim![1] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'features' });
  assert.throws(
    () => loadOnnx(onnx.ModelProto.encode(model).finish()),
    (e: unknown) => e instanceof DynamicShapeError && e.tensor === 'input' && e.dim === 1,
  );
});
