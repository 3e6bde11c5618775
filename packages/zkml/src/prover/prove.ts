import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LinkedWitness } from '../link.js';
import { openBackend, type BackendChoice, type Groth16Backend } from './backend.js';
import { R1csWitnessGenerator, WitnessGenerator } from './witness.js';
import type { EliminatedFile } from '../r1cs/compile.js';
import * as snarkjs from 'snarkjs';
import { ARTEFACT_FILES, loadCompiled, type CompileReport, type CompiledModel } from '../artefacts.js';
import { inputCommitment, packInputs, unpackOutputs } from '../io/commit.js';
import { weightSignals } from '../codegen/circom.js';
import { InputShapeError, InputValueError } from '../errors/input.js';
import { MalformedProofFileError, ProofFileMismatchError } from '../errors/proof.js';
import { ArtefactError, CompiledDirNotFoundError } from '../errors/quantize.js';
import { clampedFeatures, inputSize, quantizeInput, type ClampedFeature } from '../quantize/infer.js';

/** A Groth16 proof as snarkjs writes it. */
export type Groth16Proof = { pi_a: string[]; pi_b: string[][]; pi_c: string[]; protocol: string; curve: string };

/** What `verity prove` writes: the proof, its public signals, and the answer decoded from them. */
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
  /**
   * With `clamp`: the input features that were outside the model's range and were saturated
   * to its nearest bound (the proof is of the clamped input). The prover's statement: the
   * public signals cannot show it.
   */
  clamped?: ClampedFeature[];
  /** witness generation and Groth16 proving, measured in this process */
  timings?: { witnessMs: number; proveMs: number };
};

/**
 * The model's input: floats (quantised here; out-of-range values are refused unless `clamp`
 * saturates them), or already offset-encoded as on chain.
 */
export type ProveInput = { input: readonly number[]; clamp?: boolean } | { encoded: readonly bigint[] };

/** What a proof's public signals say, decoded as the Coprocessor decodes them. */
export type ProvedAnswer = {
  /** signed integer outputs at the model's output scale */
  outputIntegers: bigint[];
  /** the same as floats: `outputIntegers / 2^outputScale` */
  outputs: number[];
  /** the Poseidon input commitment (input visibility `committed`) */
  inputCommitment?: bigint;
  /** the packed input chunks (input visibility `public`) */
  inputChunks?: bigint[];
  /** the request binding (0 outside any request) */
  binding: bigint;
};

/**
 * Decodes public signals with the layout in the model's report: output words, then the input
 * commitment or chunks (by input visibility), then the request binding. Decode only signals
 * a verifier accepted (see {@link verifyProof}).
 *
 * @example
 * const { outputs } = decodePublicSignals(compiled.report, proof.publicSignals)
 */
export function decodePublicSignals(report: Pick<CompileReport, 'layout' | 'quantization'>, publicSignals: readonly (string | bigint)[]): ProvedAnswer {
  const { layout } = report;
  const signals = publicSignals.map(BigInt);
  if (signals.length !== layout.publicSignals) throw new MalformedProofFileError({ field: 'publicSignals', problem: `has ${signals.length} values; the model has ${layout.publicSignals}` });
  const outputIntegers = unpackOutputs(layout, signals.slice(0, layout.outputWords));
  const bound = signals.slice(layout.outputWords, -1);
  const visibility = layout.inputVisibility ?? 'committed';
  return {
    outputIntegers,
    outputs: outputIntegers.map((v) => Number(v) / 2 ** report.quantization.outputScale),
    inputCommitment: visibility === 'committed' ? bound[0] : undefined,
    inputChunks: visibility === 'public' ? bound : undefined,
    binding: signals.at(-1)!,
  };
}

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
    /** the circom witness generator, or the r1cs backend's eliminated labels */
    private readonly witnessSource: { wasm: Uint8Array } | { r1cs: EliminatedFile },
    /** the Groth16 engine holding the proving key (native or snarkjs; see `openBackend`) */
    readonly backend: Groth16Backend,
    /** a sharded model's parts (report.shards), whose witnesses are linked into one */
    private readonly linked?: LinkedWitness,
  ) {}

  /** the parsed verification key, read on the first {@link verify} */
  private vk?: unknown;

  /** the circuit's witness generator (a worker thread), started on the first proof and kept */
  private generator?: WitnessGenerator;
  private r1csGenerator?: R1csWitnessGenerator;

  static async load(dir: string, options: { backend?: BackendChoice; threads?: number } = {}): Promise<Prover> {
    const compiled = loadCompiled(dir);
    const source: { wasm: Uint8Array } | { r1cs: EliminatedFile } = compiled.report.backend === 'r1cs'
      ? { r1cs: JSON.parse(readFileSync(compiled.path('eliminated'), 'utf8')) as EliminatedFile }
      : { wasm: readFileSync(compiled.path('wasm')) };
    const linked = compiled.link && 'wasm' in source ? LinkedWitness.load(dir, compiled.link, source.wasm) : undefined;
    return new Prover(compiled, source, await openBackend(compiled.path('zkey'), options), linked);
  }

  /**
   * Frees what the prover keeps warm: the native prover process (see `openBackend`) and the
   * witness generators' worker threads, a sharded model's parts included. A node calls it when
   * it stops. A later proof loads them again.
   */
  async close(): Promise<void> {
    await Promise.all([this.backend.close(), this.generator?.close(), this.linked?.close()]);
  }

  /**
   * Checks a proof of this model (from another process: a proving worker) against the model's
   * verification key and returns the answer its public signals carry, or undefined when the
   * proof does not verify or is not a Groth16 proof with this model's public signals. The proof
   * system stays zkml's: callers never handle the key or the verifier.
   *
   * @example
   * const answer = await prover.verify(result) // result: { proof, publicSignals } from a worker
   * if (!answer || answer.binding !== binding) throw new Error('rejected')
   */
  async verify(p: { proof: unknown; publicSignals: readonly string[] }): Promise<ProvedAnswer | undefined> {
    const { report } = this.compiled;
    if (!isProofFile(p, report.layout.publicSignals)) return undefined;
    this.vk ??= JSON.parse(readFileSync(this.compiled.path('verificationKey'), 'utf8'));
    return verifiedAnswer(this.vk, report, p);
  }

  /** Offset-encoded input values, after checking shape and range. */
  encode(input: ProveInput): bigint[] {
    const { model, report } = this.compiled;
    if ('input' in input) return quantizeInput(model, input.input, { clamp: input.clamp });
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
    const source = this.witnessSource;
    if ('r1cs' in source) {
      const { model, report } = this.compiled;
      witness.data = await (this.r1csGenerator ??= new R1csWitnessGenerator({
        model, visibility: report.layout.inputVisibility ?? 'committed', eliminated: source.r1cs, weights: report.weightEncoding === 'committed' ? 'committed' : 'constant',
      })).calculate(u, binding);
    }
    else if (this.linked) witness.data = await this.linked.calculate(inputs, u);
    else witness.data = await (this.generator ??= new WitnessGenerator(source.wasm)).calculate(inputs);
    if (options.witnessFile) writeFileSync(options.witnessFile, witness.data!);
    const t1 = performance.now();
    const { proof, publicSignals } = await this.backend.prove(witness.data!);
    const timings = { witnessMs: t1 - t0, proveMs: performance.now() - t1 };
    const { report } = this.compiled;
    const { layout } = report;
    const answer = decodePublicSignals(report, publicSignals);
    let commitment: bigint | undefined;
    if (layout.inputVisibility === 'committed' || layout.inputVisibility === undefined) {
      commitment = await inputCommitment(layout, u, BigInt(report.weights?.commitment ?? 0));
      if (answer.inputCommitment !== commitment) throw new Error('internal: circuit and JS disagree on the input commitment');
    } else if (layout.inputVisibility === 'public') {
      const chunks = packInputs(layout, u);
      if (chunks.some((c, k) => answer.inputChunks![k] !== c)) throw new Error('internal: circuit and JS disagree on the public input chunks');
    }
    return {
      proof,
      publicSignals,
      outputs: answer.outputs,
      outputIntegers: answer.outputIntegers.map(String),
      inputCommitment: commitment?.toString(),
      binding: binding.toString(),
      ...('input' in input && input.clamp ? { clamped: clampedFeatures(this.compiled.model, input.input) } : {}),
      timings,
    };
  }
}

const DECIMAL = /^(0|[1-9]\d*)$/;

/** Checks that `file` has the form `verity prove` writes (the fields a verifier reads); throws {@link MalformedProofFileError}. */
function checkProofFileForm(file: unknown, publicSignals: number): asserts file is Pick<ProofFile, 'proof' | 'publicSignals'> & Partial<ProofFile> {
  const fail = (field: string, problem: string) => { throw new MalformedProofFileError({ field, problem }); };
  const decimals = (v: unknown, n: number) => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'string' && DECIMAL.test(x));
  if (typeof file !== 'object' || file === null || Array.isArray(file)) return fail('file', 'it is not a JSON object');
  const f = file as Record<string, unknown>;
  if (typeof f.proof !== 'object' || f.proof === null) return fail('proof', 'is missing or not an object');
  const p = f.proof as Record<string, unknown>;
  if (!decimals(p.pi_a, 3)) fail('proof.pi_a', 'must be 3 decimal strings');
  if (!(Array.isArray(p.pi_b) && p.pi_b.length === 3 && p.pi_b.every((row) => decimals(row, 2)))) fail('proof.pi_b', 'must be 3 pairs of decimal strings');
  if (!decimals(p.pi_c, 3)) fail('proof.pi_c', 'must be 3 decimal strings');
  if (p.protocol !== undefined && p.protocol !== 'groth16') fail('proof.protocol', `is ${JSON.stringify(p.protocol)}, not "groth16"`);
  if (p.curve !== undefined && p.curve !== 'bn128') fail('proof.curve', `is ${JSON.stringify(p.curve)}, not "bn128"`);
  if (!decimals(f.publicSignals, publicSignals)) fail('publicSignals', `must be ${publicSignals} decimal strings (the model's public signals)`);
}

/** Whether `file` has the form a verifier reads ({@link checkProofFileForm} without the error). */
function isProofFile(file: unknown, publicSignals: number): file is Pick<ProofFile, 'proof' | 'publicSignals'> {
  try {
    checkProofFileForm(file, publicSignals);
    return true;
  } catch (e) {
    if (e instanceof MalformedProofFileError) return false;
    throw e;
  }
}

/** The answer a well-formed proof's public signals carry when it verifies against `vk`, else undefined. */
async function verifiedAnswer(vk: unknown, report: Pick<CompileReport, 'layout' | 'quantization'>, file: Pick<ProofFile, 'proof' | 'publicSignals'>): Promise<ProvedAnswer | undefined> {
  return (await snarkjs.groth16.verify(vk, file.publicSignals, file.proof)) ? decodePublicSignals(report, file.publicSignals) : undefined;
}

/** Refuses a file whose decoded fields say something other than its (verified) public signals. */
function checkClaims(file: Partial<ProofFile>, answer: ProvedAnswer): void {
  const sameList = (found: unknown, expected: readonly (string | number)[]) =>
    Array.isArray(found) && found.length === expected.length && found.every((v, i) => (typeof expected[i] === 'number' ? v === expected[i] : String(v) === expected[i]));
  const claims: { field: keyof ProofFile; expected: unknown; agrees: (found: unknown) => boolean }[] = [
    { field: 'outputs', expected: answer.outputs, agrees: (v) => sameList(v, answer.outputs) },
    { field: 'outputIntegers', expected: answer.outputIntegers.map(String), agrees: (v) => sameList(v, answer.outputIntegers.map(String)) },
    { field: 'inputCommitment', expected: answer.inputCommitment?.toString(), agrees: (v) => String(v) === answer.inputCommitment?.toString() },
    { field: 'binding', expected: answer.binding.toString(), agrees: (v) => String(v) === answer.binding.toString() },
  ];
  // An absent field claims nothing; a present one must agree with the signals.
  for (const c of claims) if (file[c.field] !== undefined && !c.agrees(file[c.field])) throw new ProofFileMismatchError({ field: c.field, expected: c.expected, found: file[c.field] });
}

/**
 * Verifies a proof file against a compiled model (report.json and verification_key.json are
 * all it reads) and returns the answer decoded from its public signals, or undefined when the
 * proof does not verify. Throws {@link MalformedProofFileError} for a file that is not a proof
 * file, and {@link ProofFileMismatchError} when the proof verifies but the file's `outputs`,
 * `outputIntegers`, `inputCommitment` or `binding` disagree with its public signals.
 *
 * @example
 * const answer = await verifyProof('build/spam', JSON.parse(fs.readFileSync('proof.json', 'utf8')))
 * if (answer) console.log(answer.outputs)
 */
export async function verifyProof(dir: string, file: unknown): Promise<ProvedAnswer | undefined> {
  if (!existsSync(dir)) throw new CompiledDirNotFoundError({ dir });
  for (const f of ['report', 'verificationKey'] as const) {
    if (!existsSync(join(dir, ARTEFACT_FILES[f]))) throw new ArtefactError({ dir, missing: ARTEFACT_FILES[f] });
  }
  const report = JSON.parse(readFileSync(join(dir, ARTEFACT_FILES.report), 'utf8')) as CompileReport;
  const vk = JSON.parse(readFileSync(join(dir, ARTEFACT_FILES.verificationKey), 'utf8'));
  checkProofFileForm(file, report.layout.publicSignals);
  const answer = await verifiedAnswer(vk, report, file);
  if (answer) checkClaims(file, answer);
  return answer;
}

/**
 * {@link verifyProof} as a yes or no: true when the proof verifies against the model's key
 * (and the file's decoded fields agree with its public signals; a file that lies throws).
 *
 * @example
 * const ok = await verifyProofFile('build/spam', JSON.parse(fs.readFileSync('proof.json', 'utf8')))
 */
export async function verifyProofFile(dir: string, file: unknown): Promise<boolean> {
  return (await verifyProof(dir, file)) !== undefined;
}

/**
 * Reads a proof file from disk; throws {@link MalformedProofFileError} naming the file when it
 * is not JSON (a missing file is node's ENOENT).
 *
 * @example
 * const answer = await verifyProof('build/spam', readProofFile('proof.json'))
 */
export function readProofFile(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MalformedProofFileError({ field: 'file', problem: `it is not JSON (${(e as Error).message})`, path });
  }
}
