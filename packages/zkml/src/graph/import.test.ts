import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMlpOnnx } from '../onnx/build.js';
import { loadOnnx } from '../onnx/load.js';
import { onnx } from '../onnx/proto.js';
import { importGraph } from './import.js';
import { inferFloat } from '../quantize/infer.js';
import { ShapeMismatchError, UnsupportedOperatorError } from '../errors/onnx.js';

const twoLayer = () => buildMlpOnnx({
  inputSize: 2,
  layers: [
    { weights: [[1, 2], [3, 4], [5, 6]], bias: [0.1, 0.2, 0.3], relu: true },
    { weights: [[1, -1, 1]], bias: [0], relu: false },
  ],
});

test('importGraph infers shapes and evaluates Gemm(transB)+Relu as the float model', () => {
  const m = importGraph(loadOnnx(twoLayer()));
  assert.deepEqual(m.ops, ['Gemm', 'Relu']);
  assert.deepEqual(m.inputShape, [1, 2]);
  assert.deepEqual(m.outputShape, [1, 1]);
  // hidden = relu([1*1+2*-1+0.1, 3-4+0.2, 5-6+0.3]) = [0, 0, 0]; x = [2, 1]: [4.1, 10.2, 16.3] -> 4.1 - 10.2 + 16.3
  assert.ok(Math.abs(inferFloat(m, [2, 1])[0]! - 10.2) < 1e-6);
  assert.equal(inferFloat(m, [1, -1])[0], 0);
});

test('importGraph accepts MatMul followed by a constant Add as one dense layer', () => {
  const model = onnx.ModelProto.decode(twoLayer());
  const g = model.graph!;
  // Replace Gemm_1 by MatMul (weights transposed to [in][out]) + Add.
  g.initializer!.push(onnx.TensorProto.create({ name: 'w1t', dims: [3, 1], dataType: 1, floatData: [1, -1, 1] }));
  g.initializer!.push(onnx.TensorProto.create({ name: 'b1', dims: [1], dataType: 1, floatData: [0.5] }));
  g.node!.splice(2, 1,
    onnx.NodeProto.create({ name: 'mm', opType: 'MatMul', input: ['relu0', 'w1t'], output: ['mm_out'] }),
    onnx.NodeProto.create({ name: 'add', opType: 'Add', input: ['mm_out', 'b1'], output: ['output'] }));
  const m = importGraph(loadOnnx(onnx.ModelProto.encode(model).finish()));
  assert.deepEqual(m.ops, ['Gemm', 'Relu', 'MatMul', 'Add']);
  assert.ok(Math.abs(inferFloat(m, [2, 1])[0]! - 10.7) < 1e-6);
});

test('importGraph names the node and op type of an unsupported operator', () => {
  const model = onnx.ModelProto.decode(twoLayer());
  model.graph!.node![1] = onnx.NodeProto.create({ name: 'act0', opType: 'NonMaxSuppression', input: ['fc0'], output: ['relu0'] });
  assert.throws(
    () => importGraph(loadOnnx(onnx.ModelProto.encode(model).finish())),
    (e: unknown) => e instanceof UnsupportedOperatorError && e.node === 'act0' && e.opType === 'NonMaxSuppression' && /agreed mode/.test(e.details ?? ''),
  );
});

test('importGraph rejects a layer whose width does not match its input', () => {
  const model = onnx.ModelProto.decode(twoLayer());
  model.graph!.input![0]!.type!.tensorType!.shape!.dim![1] = onnx.TensorShapeProto.Dimension.create({ dimValue: 5 });
  assert.throws(() => importGraph(loadOnnx(onnx.ModelProto.encode(model).finish())), (e: unknown) => e instanceof ShapeMismatchError && e.node === 'Gemm_0');
});
