import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compileModel } from '../compile.js';
import { IncompatibleOptionsError } from '../errors/compile.js';
import { releaseCurves } from '../teardown.js';
import { buildMlpOnnx, buildOnnx } from '../onnx/build.js';
import { loadOnnx } from '../onnx/load.js';
import { onnx } from '../onnx/proto.js';
import { importGraph } from './import.js';
import { inferFloat } from '../quantize/infer.js';
import { ShapeMismatchError, UnsupportedOperatorError } from '../errors/onnx.js';

const scratch = mkdtempSync(join(tmpdir(), 'verity-import-'));
after(async () => { await releaseCurves(); rmSync(scratch, { recursive: true, force: true }); });

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

/** y = Gemm(Concat(a [1, 2], b [1, 3])) with weights [1..5]: a model with two graph inputs. */
function twoInputs(bKind: number = onnx.TensorProto.DataType.FLOAT): Uint8Array {
  const model = onnx.ModelProto.decode(buildOnnx({
    input: { name: 'a', shape: ['N', 2] }, output: { name: 'y', shape: ['N', 1] },
    nodes: [{ op: 'Concat', inputs: ['a', 'b'], outputs: ['ab'], attrs: { axis: 1 } }, { op: 'Gemm', inputs: ['ab', 'w'], outputs: ['y'], attrs: { transB: 1 } }],
    initializers: { w: { dims: [1, 5], values: [1, 2, 3, 4, 5] } },
  }));
  model.graph!.input!.push(onnx.ValueInfoProto.create({ name: 'b', type: { tensorType: { elemType: bKind, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }] } } } }));
  return onnx.ModelProto.encode(model).finish();
}

test('several graph inputs are one request input: each flattened, concatenated in declared order', async () => {
  const model = importGraph(loadOnnx(twoInputs()));
  assert.deepEqual(model.inputShape, [5]);
  assert.deepEqual(inferFloat(model, [1, 0, 0, 0, 1]), [6]);
  assert.deepEqual(inferFloat(model, [0, 1, 1, 0, 0]), [5]);
  // onnxruntime gets each input its slice: the calibration's accuracy check agrees.
  const report = await compileModel(twoInputs(), { out: join(scratch, 'two-inputs'), calibration: [[0.5, -1, 0.25, 1, -0.5], [1, 1, 1, 1, 1]], setup: false });
  assert.ok(report.accuracy!.maxAbsError < 0.05, `${report.accuracy!.maxAbsError}`);
  await assert.rejects(compileModel(twoInputs(), { out: join(scratch, 'two-inputs-batch'), batch: 2, setup: false }), IncompatibleOptionsError);
});

test('graph inputs of different element kinds are refused with the reason', () => {
  assert.throws(() => importGraph(loadOnnx(twoInputs(onnx.TensorProto.DataType.INT64))), (e: unknown) => e instanceof UnsupportedOperatorError && e.opType === 'Input');
});
