// What other packages (sdk, node, cli, scripts/, models/) use of zkml, and nothing more: a name
// joins this list when a consumer needs it. zkml's own tests reach the rest through test/exports.ts.

// Typed errors, every class: callers tell failures apart by class (`instanceof`), never by message.
export * from './errors/onnx.js';
export * from './errors/input.js';
export * from './errors/quantize.js';
export * from './errors/proof.js';
export * from './errors/compile.js';
export * from './errors/native.js';
export * from './errors/witness.js';
export { SetupVerificationError } from './setup/ceremony.js';

// ONNX in, a quantised integer model out (the example models' trainers, the benchmarks).
export { loadOnnx } from './onnx/load.js';
export { ortInput } from './onnx/runtime.js';
export { buildMlpOnnx, buildOnnx, type DenseSpec } from './onnx/build.js';
export { importGraph } from './graph/import.js';
export { quantize, type QuantizedModel } from './quantize/quantize.js';
export type { NodePrecision } from './lower/context.js';
export { choosePrecision, relativeError, DEFAULT_PRECISION, type PrecisionChoice, type PrecisionTrial } from './quantize/precision.js';
export { programConstraints } from './lower/steps.js';
export { quantizeInput, inputBounds, inputRange, inferQuantized, inferFloat, dequantizeOutput } from './quantize/infer.js';

// Compiling a model to artefacts, and reading them back.
export { compileModel, describePrecision, syntheticCalibrationWarning } from './compile.js';
export { cachedModelDir, compileCached } from './cache.js';
export { loadCompiled, bigintReviver, ARTEFACT_FILES, type CircuitBackend, type CompileReport, type CompiledModel, type VerifierBuild } from './artefacts.js';
export { weightSignals } from './codegen/circom.js';

// The circuit's input and output format: request bytes and the input commitment.
export { inputCommitment, encodeInputBytes, decodeInputBytes } from './io/commit.js';

// The trusted setup: a ceremony's powers of tau, contributions, the insecure dev setup.
export { importPtau, contribute, verifySetup, ceremonyPtau } from './setup/ceremony.js';
export { devPowersOfTau, cacheDir, INSECURE_DEV_SETUP } from './setup/ptau.js';

// A cached Python virtual environment for the tests and benchmarks that run Python tools (skl2onnx, EZKL).
export { pythonEnv, type PythonPackages } from './python.js';
export { writeDevPtau } from './setup/devPtau.js';
export { nativeNewZkey, nativeContribute } from './setup/native.js';
export { groth16Setup } from './setup/groth16.js';

// Proving and verifying: the proof system is zkml's alone.
export { Prover, readProofFile, verifyProof, verifyProofFile, type ProofFile } from './prover/prove.js';
export { resolveBackend, type BackendChoice, type ProverBackendName } from './prover/backend.js';
export { NativeProver, NATIVE_PROVER_BIN, nativeProverBuilt } from './prover/native.js';
export { compileVerifier } from './verifier.js';

// The r1cs backend's stages one by one (bench:r1cs times each).
export { buildConstraints, computeValues, constraintParts } from './r1cs/circuit.js';
export { r1csFile, wtnsFile } from './r1cs/files.js';
export { readInputFile, readSamplesFile } from './inputFile.js';
export { releaseCurves } from './teardown.js';
export { compileRequestBatch, requestBatchDir, RequestBatchProver, MAX_REQUEST_BATCH, type RequestBatchReport, type RequestSlot, type RequestBatchProof } from './requestBatch.js';
export type { RequestBatchLayout } from './r1cs/requests.js';
export { COMMITMENT_PAIR, commitmentPair } from './r1cs/requests.js';
