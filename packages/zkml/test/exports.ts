// What the circuit tests import: the package API, the internals they check, and a helper to break a model.
import { onnx } from '../src/onnx/proto.js';
export * from '../src/index.js';
export { type GraphSpec, type NodeSpec } from '../src/onnx/build.js';
export { OPERATORS } from '../src/ops/index.js';
export { outputsOf, type Step } from '../src/lower/steps.js';
export { clampedFeatures, runProgram } from '../src/quantize/infer.js';
export { layoutOf, type InputVisibility } from '../src/io/layout.js';
export { packInputs, unpackOutputs, weightCommitment, weightValues } from '../src/io/commit.js';
export { generateShards } from '../src/codegen/circom.js';
export type { ProofFile } from '../src/prover/prove.js';
export { LinkedWitness, readR1cs, type LinkFile } from '../src/link.js';
export { requestSlotOutputs } from '../src/r1cs/requests.js';

export const onnxHelpers = {
  /** Replaces node `index`'s operator type, keeping its wiring. */
  withOp(bytes: Uint8Array, index: number, opType: string): Uint8Array {
    const model = onnx.ModelProto.decode(bytes);
    model.graph!.node![index]!.opType = opType;
    return onnx.ModelProto.encode(model).finish();
  },
};
