import * as ort from 'onnxruntime-web';

/**
 * Input values as an onnxruntime tensor of the type the session's model declares for its input
 * `index` (default the first): an int64, int32 or bool input given float32 makes onnxruntime throw.
 *
 * @example
 * await session.run({ [session.inputNames[0]!]: ortInput(session, [1, 2, 3], [1, 3]) })
 */
export function ortInput(session: ort.InferenceSession, x: readonly number[], shape: readonly number[], index = 0): ort.Tensor {
  const meta = session.inputMetadata[index];
  switch (meta?.isTensor ? meta.type : 'float32') {
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(x, (v) => BigInt(Math.trunc(v))), shape);
    case 'int32': return new ort.Tensor('int32', Int32Array.from(x), shape);
    case 'uint8': return new ort.Tensor('uint8', Uint8Array.from(x), shape);
    case 'int8': return new ort.Tensor('int8', Int8Array.from(x), shape);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from(x, (v) => (v !== 0 ? 1 : 0)), shape);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(x), shape);
    default: return new ort.Tensor('float32', Float32Array.from(x), shape);
  }
}
