import { readFileSync, writeFileSync } from 'node:fs';
import { LinkedWitness } from './link.js';
import { openBackend, type BackendChoice, type Groth16Backend } from './backend.js';
import { WitnessGenerator } from './witness.js';
import * as snarkjs from 'snarkjs';
import { loadCompiled, type CompiledModel } from '../artefacts.js';
import { inputCommitment, packInputs, unpackOutputs } from '../codegen/commit.js';
import { weightSignals } from '../codegen/circom.js';
import { InputShapeError, InputValueError } from '../errors/input.js';
import { dequantizeOutput, inputSize, quantizeInput } from '../quantize/infer.js';

/** A Groth16 proof as snarkjs writes it. */
export type Groth16Proof = { pi_a: string[]; pi_b: string[][]; pi_c: string[]; protocol: string; curve: string };

/** What `verity prove` writes: the proof, its public signals, and the decoded answer. */
export type ProofFile = {
  proof: Groth16Proof;
  publicSignals: string[];
  /** decoded float outputs */
  outputs: number[];
  /** signed integer outputs at the model's output scale */
  outputIntegers: string[];
  /** the Poseidon input commitment (input visibility `committed`) */
  inputCommitment?: string;
  binding: string;
  /** witness generation and Groth16 proving, measured in this process */
  timings?: { witnessMs: number; proveMs: number };
};

/** The model's input, either as floats (quantised here) or already offset-encoded as on chain. */
export type ProveInput = { input: readonly number[] } | { encoded: readonly bigint[] };

/**
 * Proves inferences of one compiled model. Keeps the witness generator and proving key
 * in memory, so repeated proofs in a long-running process (a node) pay no loading cost.
 *
 * @example
 * const prover = await Prover.load('build/spam')
 * const { proof, outputs } = await prover.prove({ input: features }, binding)
 */
export class Prover {
  private constructor(
    readonly compiled: CompiledModel,
    private readonly wasm: Uint8Array,
    /** the Groth16 engine holding the proving key (native or snarkjs; see `openBackend`) */
    readonly backend: Groth16Backend,
    /** a sharded model's parts (report.shards), whose witnesses are linked into one */
    private readonly linked?: LinkedWitness,
  ) {}

  /** the circuit's witness generator, instantiated on the first proof and kept */
  private generator?: WitnessGenerator;

  static async load(dir: string, options: { backend?: BackendChoice; threads?: number } = {}): Promise<Prover> {
    const compiled = loadCompiled(dir);
    const wasm = readFileSync(compiled.path('wasm'));
    const linked = compiled.link && LinkedWitness.load(dir, compiled.link, wasm);
    return new Prover(compiled, wasm, await openBackend(compiled.path('zkey'), options), linked);
  }

  /** Offset-encoded input values, after checking shape and range. */
  encode(input: ProveInput): bigint[] {
    const { model, report } = this.compiled;
    if ('input' in input) return quantizeInput(model, input.input);
    const n = inputSize(model);
    if (input.encoded.length !== n) throw new InputShapeError({ expected: report.inputShape, got: input.encoded.length });
    const max = 1n << BigInt(model.inputBits);
    input.encoded.forEach((v, index) => { if (v < 0n || v >= max) throw new InputValueError({ index, value: v, range: [0n, max - 1n] }); });
    return [...input.encoded];
  }

  /** The circuit's input signals for an encoded input and a request binding. */
  circuitInputs(u: readonly bigint[], binding: bigint): Record<string, unknown> {
    const { model, report } = this.compiled;
    const inputs: Record<string, unknown> = { u: u.map(String), binding: binding.toString() };
    if (report.weightEncoding === 'signals' || report.weightEncoding === 'committed') {
      Object.assign(inputs, weightSignals(model, report.weightEncoding === 'committed'));
    }
    return inputs;
  }

  /**
   * Computes the witness and the Groth16 proof. `binding` ties the proof to one request
   * and one prover (see `requestBinding` in the SDK); 0 for a proof outside any request.
   */
  async prove(input: ProveInput, binding = 0n, options: { witnessFile?: string } = {}): Promise<ProofFile> {
    const u = this.encode(input);
    const inputs = this.circuitInputs(u, binding);
    const t0 = performance.now();
    const witness: { type: 'mem'; data?: Uint8Array } = { type: 'mem' };
    if (this.linked) witness.data = await this.linked.calculate(inputs, u);
    else witness.data = await (this.generator ??= new WitnessGenerator(this.wasm)).calculate(inputs);
    if (options.witnessFile) writeFileSync(options.witnessFile, witness.data!);
    const t1 = performance.now();
    const { proof, publicSignals } = await this.backend.prove(witness.data!);
    const timings = { witnessMs: t1 - t0, proveMs: performance.now() - t1 };
    const { layout } = this.compiled.report;
    const words = publicSignals.slice(0, layout.outputWords).map(BigInt);
    const outputIntegers = unpackOutputs(layout, words);
    let commitment: bigint | undefined;
    if (layout.inputVisibility === 'committed' || layout.inputVisibility === undefined) {
      commitment = await inputCommitment(layout, u, BigInt(this.compiled.report.weights?.commitment ?? 0));
      if (BigInt(publicSignals[layout.outputWords]!) !== commitment) throw new Error('internal: circuit and JS disagree on the input commitment');
    } else if (layout.inputVisibility === 'public') {
      const chunks = packInputs(layout, u);
      if (chunks.some((c, k) => BigInt(publicSignals[layout.outputWords + k]!) !== c)) throw new Error('internal: circuit and JS disagree on the public input chunks');
    }
    return {
      proof,
      publicSignals,
      outputs: dequantizeOutput(this.compiled.model, outputIntegers),
      outputIntegers: outputIntegers.map(String),
      inputCommitment: commitment?.toString(),
      binding: binding.toString(),
      timings,
    };
  }
}

/**
 * Checks a proof against a compiled model's verification key.
 *
 * @example
 * const ok = await verifyProofFile('build/spam', JSON.parse(fs.readFileSync('proof.json', 'utf8')))
 */
export async function verifyProofFile(dir: string, file: Pick<ProofFile, 'proof' | 'publicSignals'>): Promise<boolean> {
  const compiled = loadCompiled(dir);
  const vk = JSON.parse(readFileSync(compiled.path('verificationKey'), 'utf8'));
  return snarkjs.groth16.verify(vk, file.publicSignals, file.proof);
}
