import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMlpOnnx, buildOnnx } from './build.js';
import { loadOnnx } from './load.js';
import { onnx } from './proto.js';
import { DynamicShapeError, MalformedModelError, TensorTooLargeError, UnknownOutputError } from '../errors/onnx.js';
import { importGraph, selectOutput } from '../graph/import.js';
import { MAX_TENSOR_ELEMENTS } from '../ir/tensor.js';

test('loadOnnx reads back what buildMlpOnnx wrote, with a symbolic batch as 1', () => {
  const g = loadOnnx(buildMlpOnnx({ inputSize: 3, layers: [{ weights: [[1, 2, 3]], bias: [0.5], relu: false }] }));
  assert.equal(g.opset, 13);
  assert.deepEqual(g.inputs, [{ name: 'input', shape: [1, 3], kind: 'float', dataType: 1 }]);
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

test("an output's symbolic dimensions ('unk__0') are resolved from the fixed input by import", () => {
  const bytes = buildOnnx({ input: { name: 'x', shape: ['N', 4] }, output: { name: 'y', shape: ['N', 'unk__0'] }, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
  const g = loadOnnx(bytes);
  assert.deepEqual(g.outputs[0]!.shape, [1, -1]);
  const model = importGraph(g);
  assert.deepEqual(model.outputShape, [1, 4]);
  assert.deepEqual(model.graph.outputs[0]!.shape, [1, 4]);
});

test('selectOutput keeps the named output (the first by default) and refuses an unknown one with UnknownOutputError', () => {
  const model = onnx.ModelProto.decode(buildOnnx({ input: { name: 'x', shape: [1, 4] }, output: { name: 'y', shape: [1, 4] }, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }, { op: 'Sigmoid', inputs: ['x'], outputs: ['z'] }] }));
  model.graph!.output!.push(onnx.ValueInfoProto.create({ name: 'z', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } } }));
  const g = loadOnnx(onnx.ModelProto.encode(model).finish());
  assert.deepEqual(importGraph(selectOutput(g)).ops, ['Relu']);
  assert.deepEqual(importGraph(selectOutput(g, 'z')).ops, ['Sigmoid']);
  assert.throws(() => selectOutput(g, 'w'), (e: unknown) => e instanceof UnknownOutputError && e.output === 'w' && e.outputs.join() === 'y,z');
});

/** Runs `f` and returns what it threw and how long it took to throw (ms). */
function timedThrow(f: () => unknown): { error: unknown; ms: number } {
  const t0 = performance.now();
  try {
    f();
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
  assert.fail('expected a throw');
}

test('loadOnnx refuses a declared 2^31-element input with TensorTooLargeError before allocating it', () => {
  // 95 bytes of ONNX that used to exhaust the heap after about 40 s (importGraph filled a 2^31 array).
  const bytes = buildOnnx({ input: { name: 'x', shape: [1, 2 ** 31] }, output: { name: 'y', shape: [1, 2 ** 31] }, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
  const { error, ms } = timedThrow(() => importGraph(loadOnnx(bytes)));
  assert.ok(error instanceof TensorTooLargeError);
  assert.equal(error.tensor, 'x');
  assert.deepEqual(error.shape, [1, 2 ** 31]);
  assert.equal(error.cap, MAX_TENSOR_ELEMENTS);
  assert.ok(ms < 1000, `refused in ${ms} ms`);
});

test('loadOnnx refuses an initializer whose dims declare 2^31 elements, before decoding its data', () => {
  const model = onnx.ModelProto.decode(buildMlpOnnx({ inputSize: 3, layers: [{ weights: [[1, 2, 3]], bias: [0], relu: false }] }));
  model.graph!.initializer![0]!.dims = [65536, 32768];
  const { error, ms } = timedThrow(() => loadOnnx(onnx.ModelProto.encode(model).finish()));
  assert.ok(error instanceof TensorTooLargeError);
  assert.equal(error.tensor, 'fc0.weight');
  assert.deepEqual(error.shape, [65536, 32768]);
  assert.ok(ms < 1000, `refused in ${ms} ms`);
});

test('importGraph refuses an operator result above the cap (a Pad to 2^31 elements), naming its output', () => {
  const bytes = buildOnnx({
    input: { name: 'x', shape: [1, 8] }, output: { name: 'y' },
    nodes: [{ op: 'Pad', inputs: ['x', 'pads'], outputs: ['y'] }],
    initializers: { pads: { dims: [4], values: [0, 0, 0, 2 ** 31], int64: true } },
  });
  const { error, ms } = timedThrow(() => importGraph(loadOnnx(bytes)));
  assert.ok(error instanceof TensorTooLargeError, String(error));
  assert.equal(error.tensor, 'y');
  assert.deepEqual(error.shape, [1, 2 ** 31 + 8]);
  assert.ok(ms < 1000, `refused in ${ms} ms`);
});
