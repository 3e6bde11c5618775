// What the circuit tests import: the package API plus a helper to break a model.
import { onnx } from '../src/onnx/proto.js';
export * from '../src/index.js';

export const onnxHelpers = {
  /** Replaces node `index`'s operator type, keeping its wiring. */
  withOp(bytes: Uint8Array, index: number, opType: string): Uint8Array {
    const model = onnx.ModelProto.decode(bytes);
    model.graph!.node![index]!.opType = opType;
    return onnx.ModelProto.encode(model).finish();
  },
};
