import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import * as ort from 'onnxruntime-web';
import { keccak256, toBytes } from 'viem';
import { ARTEFACT_FILES, artefactFiles, bigintReplacer, type CircuitBackend, type CompileReport } from './artefacts.js';
import { writeR1csCircuit } from './r1cs/compile.js';
import { generateCircuit, generateShards, type WeightEncoding } from './codegen/circom.js';
import { layoutOf, type InputVisibility } from './io/layout.js';
import { describeApproximation } from './lower/approx.js';
import { outputsOf, programConstraints, stepConstraints } from './lower/steps.js';
import { LINK_FILE, linkCircuit, type LinkFile } from './link.js';
import type { QuantizedModel } from './quantize/quantize.js';
import { CircuitCompileError, IncompatibleOptionsError } from './errors/compile.js';
import { weightCommitment, weightValues } from './io/commit.js';
import { BATCH_VERIFIER_CONTRACT } from './batchVerifier.js';
import { ptauFor } from './setup/ceremony.js';
import { importGraph, selectOutput } from './graph/import.js';
import { loadOnnx, type OnnxGraph } from './onnx/load.js';
import { ortInput } from './onnx/runtime.js';
import type { Progress } from './progress.js';
import { devPowersOfTau, INSECURE_DEV_SETUP } from './setup/ptau.js';
import type { BackendChoice } from './prover/backend.js';
import { groth16Setup } from './setup/groth16.js';
import { dequantizeOutput, inferQuantized, inputRange, quantizeInput } from './quantize/infer.js';
import { quantize, type QuantizeOptions } from './quantize/quantize.js';
import { checkTolerance, choosePrecision } from './quantize/precision.js';
import type { NodePrecision } from './lower/context.js';

const require = createRequire(import.meta.url);
const circuitsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'circuits');


export type CompileOptions = QuantizeOptions & {
  /** output directory; replaced only once everything in it is complete */
  out: string;
  /** constant (default: in the circuit), committed (secret, pinned by a Poseidon commitment), signals (baseline) */
  weights?: WeightEncoding;
  /** how the proof binds the input (default committed: what the Coprocessor needs) */
  input?: InputVisibility;
  /** prove this many inferences in one proof (the model needs a dynamic batch axis); calibration samples stay per inference */
  batch?: number;
  /** with a batch: output only the mean over the batch instead of every inference's output */
  aggregate?: 'mean';
  /**
   * the graph output the proof covers (default: the first; a scikit-learn classifier's `label`,
   * or its `probabilities`); the other outputs are not computed
   */
  output?: string;
  /** skip the Groth16 setup (report constraints only) */
  setup?: boolean;
  /**
   * Constraints per separately compiled part (constant weights only; default
   * {@link SHARD_CONSTRAINTS}). A larger model is compiled in parts that are linked into one
   * circuit: circom2 runs in WebAssembly, and one compilation of ~500k constraints exceeds its
   * 4 GiB.
   */
  shard?: number;
  /** the Groth16 setup's engine, as for proving (default VERITY_PROVER, else native when built) */
  prover?: BackendChoice;
  progress?: Progress;
  /**
   * Who writes the constraint system: Verity itself (`r1cs`, the default: src/r1cs, no circom,
   * no parts, a TypeScript witness; constant or committed weights) or circom2 (kept for one
   * release; the default for `weights: 'signals'` and `shard`, which only it builds).
   */
  backend?: CircuitBackend;
  /**
   * Choose the weight and activation widths instead of taking them: the cheapest whose largest
   * error on the calibration inputs, against onnxruntime, is at most this fraction of the output
   * range (0.01 = 1%; `verity compile --tolerance 1`). `weightBits` and `activationBits` are then
   * the widest tried. Needs calibration inputs. See {@link choosePrecision}.
   */
  tolerance?: number;
};

/**
 * What `verity compile` says, loudly, when no calibration inputs are given: the input range
 * then comes from pseudo-random inputs in [-1, 1], and real inputs outside it are refused.
 */
export function syntheticCalibrationWarning(range?: readonly [number, number]): string {
  return `WARNING: no --calibration given: the input range comes from 16 pseudo-random inputs in [-1, 1], so the model accepts only inputs in ${range ? `[${range[0]}, ${range[1]}]` : '[-1, 0.99] or [-2, 1.98] (by the largest sample)'}; ` +
    'real inputs above about 1 or 2 will not fit (prove refuses them, or saturates them with --clamp). Compile with --calibration samples.json (real inputs) instead.';
}

/** Constraints per part of a sharded compilation (the ~500k CNN compiles as parts of up to 129k constraints within circom2's 4 GiB). */
export const SHARD_CONSTRAINTS = 150_000;

function runCircom(cwd: string, file: string): Promise<void> {
  const cli = require.resolve('circom2/cli.js');
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [cli, file, '--r1cs', '--wasm', '--sym', '--O2', '-o', '.'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? ok() : fail(new CircuitCompileError({ output }))));
  });
}

/** The float model's outputs from onnxruntime-web, one run per sample at the model's input shape. */
async function floatReference(onnxBytes: Uint8Array, inputs: readonly { name: string; shape: number[] }[], output: string, samples: number[][]): Promise<number[][]> {
  const session = await ort.InferenceSession.create(onnxBytes);
  const outputs: number[][] = [];
  for (const x of samples) {
    // Each graph input is its slice of the sample, in declared order.
    let offset = 0;
    const feeds = Object.fromEntries(inputs.map((input, i) => {
      const n = input.shape.reduce((a, b) => a * b, 1);
      offset += n;
      return [input.name, ortInput(session, x.slice(offset - n, offset), input.shape, session.inputNames.indexOf(input.name))];
    }));
    // Only the proved output: another one may not be a tensor (skl2onnx's ZipMap).
    const result = await session.run(feeds, [output]);
    outputs.push(Array.from(result[output]!.data as ArrayLike<number | bigint>, Number));
  }
  return outputs;
}


/** Groups per-inference samples into batches of `k` (cycling through them to fill the last). */
function batchSamples(samples: number[][] | undefined, k: number): number[][] | undefined {
  if (!samples || samples.length === 0 || k === 1) return samples;
  return Array.from({ length: Math.ceil(samples.length / k) }, (_, b) => Array.from({ length: k }, (_, j) => samples[(b * k + j) % samples.length]!).flat());
}

/** The mean over `k` equal rows of a flattened batch output. */
function meanRows(flat: readonly number[], k: number): number[] {
  const m = flat.length / k;
  return Array.from({ length: m }, (_, j) => { let s = 0; for (let r = 0; r < k; r++) s += flat[r * m + j]!; return s / k; });
}

/** Appends the batch aggregate to the graph: ReduceMean over the batch axis. */
function withAggregate(graph: OnnxGraph, aggregate: CompileOptions['aggregate']): OnnxGraph {
  if (!aggregate) return graph;
  const out = graph.outputs[0]!;
  const node = { name: 'verity_batch_mean', opType: 'ReduceMean', domain: '', inputs: [out.name], outputs: ['verity_batch_mean'], attributes: { axes: [0], keepdims: 0 } };
  return { ...graph, nodes: [...graph.nodes, node], outputs: [{ name: 'verity_batch_mean', shape: out.shape.slice(1), kind: out.kind }] };
}

/**
 * Gas of a transaction that verifies one proof with the snarkjs Groth16 verifier: 21,000
 * intrinsic, calldata (selector, 8 proof words, n public signals; 16 gas per non-zero byte),
 * the 4-pair pairing check (45,000 + 4 x 34,000), per public signal one ecMul and one ecAdd
 * (6,150) plus its field check, and a fixed overhead. Matches measured receipts within 1%
 * (see BENCHMARKS.md); a Coprocessor fulfilment adds its own bookkeeping and the callback.
 */
export function expectedVerifyGas(publicSignals: number): number {
  return 21_000 + 16 * (4 + 32 * (8 + publicSignals)) + 181_000 + 6_250 * publicSignals + 1_800;
}

async function committedWeights(model: Parameters<typeof weightValues>[0]): Promise<NonNullable<CompileReport['weights']>> {
  const weights = weightValues(model);
  return { commitment: `0x${(await weightCommitment(weights)).toString(16).padStart(64, '0')}`, coefficients: weights.layout.coefficients, constants: weights.layout.constants };
}

const argmax = (xs: readonly number[]) => xs.reduce((best, v, i) => (v > xs[best]! ? i : best), 0);

/** Runs `jobs` in order, at most `width` at a time. */
async function pool(jobs: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, async () => {
    while (next < jobs.length) await jobs[next++]!();
  }));
}

/**
 * Compiles the circuit in parts of about `budget` constraints (the head, then the parts, two
 * circom2 processes at a time) and links them into circuit.r1cs, with link.json and one
 * witness generator and wire map per part under circuit_js/.
 */
async function compileSharded(work: string, model: QuantizedModel, inputVisibility: InputVisibility, budget: number, progress: Progress): Promise<LinkFile> {
  const sharded = generateShards(model, inputVisibility, budget);
  writeFileSync(join(work, ARTEFACT_FILES.circuit), sharded.head);
  const names = sharded.parts.map((_, p) => `part${p + 1}`);
  sharded.parts.forEach((part, p) => writeFileSync(join(work, `${names[p]}.circom`), part.source));
  let done = 0;
  const total = names.length + 1;
  progress({ phase: `circom: compiling the circuit in ${total} parts of at most ~${budget} constraints`, percent: 0 });
  await pool([ARTEFACT_FILES.circuit, ...names.map((n) => `${n}.circom`)].map((file) => async () => {
    await runCircom(work, file);
    progress({ phase: `circom: compiled ${file} (${++done}/${total})`, percent: Math.floor((100 * done) / total) });
  }), Math.max(1, Math.min(2, availableParallelism())));
  progress({ phase: 'linking the parts into one circuit' });
  const headR1cs = join(work, 'head.r1cs');
  renameSync(join(work, ARTEFACT_FILES.r1cs), headR1cs);
  const link = await linkCircuit({
    dir: work,
    out: join(work, ARTEFACT_FILES.r1cs),
    inputCount: layoutOf(model, inputVisibility).inputCount,
    z: sharded.z,
    head: { r1cs: headR1cs, sym: join(work, ARTEFACT_FILES.symbols) },
    parts: sharded.parts.map((part, p) => ({ r1cs: join(work, `${names[p]}.r1cs`), sym: join(work, `${names[p]}.sym`), wasm: `circuit_js/${names[p]}.wasm`, map: `circuit_js/${names[p]}.map`, inputs: part.inputs, outputs: part.outputs })),
  });
  for (const n of names) {
    renameSync(join(work, `${n}_js`, `${n}.wasm`), join(work, 'circuit_js', `${n}.wasm`));
    for (const f of [`${n}_js`, `${n}.r1cs`, `${n}.sym`]) rmSync(join(work, f), { recursive: true, force: true });
  }
  rmSync(headR1cs);
  writeFileSync(join(work, LINK_FILE), JSON.stringify(link));
  return link;
}

/** Writes the circom circuit and compiles it with circom2 (in parts, linked, above `budget` constraints with constant weights). */
async function compileWithCircom(work: string, model: QuantizedModel, encoding: WeightEncoding, inputVisibility: InputVisibility, budget: number, progress: Progress): Promise<LinkFile | undefined> {
  cpSync(join(circuitsDir, 'verity.circom'), join(work, 'verity.circom'));
  // circom2 (WebAssembly) only sees files below its working directory.
  cpSync(join(dirname(require.resolve('circomlib/package.json')), 'circuits'), join(work, 'circomlib', 'circuits'), { recursive: true });
  let link: LinkFile | undefined;
  if (encoding === 'constant' && programConstraints(model.steps) > budget) {
    link = await compileSharded(work, model, inputVisibility, budget, progress);
  } else {
    writeFileSync(join(work, ARTEFACT_FILES.circuit), generateCircuit(model, encoding, inputVisibility));
    progress({ phase: 'circom: compiling the circuit' });
    await runCircom(work, ARTEFACT_FILES.circuit);
  }
  rmSync(join(work, 'circomlib'), { recursive: true, force: true });
  return link;
}

/**
 * Who writes the constraint system when `backend` is not given: Verity itself (r1cs), except
 * for what only circom builds (weights as unpinned signals, a circuit in parts).
 */
export function defaultBackend(options: Pick<CompileOptions, 'backend' | 'weights' | 'shard'>): CircuitBackend {
  if (options.backend === 'r1cs' && options.shard !== undefined) {
    throw new IncompatibleOptionsError({ options: ['--backend r1cs', `--shard ${options.shard}`], reason: 'the r1cs backend builds one circuit of any size; parts are for --backend circom' });
  }
  return options.backend ?? (options.weights === 'signals' || options.shard !== undefined ? 'circom' : 'r1cs');
}

/**
 * The widths `--tolerance` chose, in words.
 *
 * @example
 * describePrecision({ weightBits: 12, activationBits: 16, nodes: { Relu_2: { weightBits: 6 } } })
 * // '12-bit weights, 16-bit activations except Relu_2: 6-bit weights'
 */
export function describePrecision(p: { weightBits: number; activationBits: number; nodes?: NodePrecision }): string {
  const each = Object.entries(p.nodes ?? {}).map(([node, w]) => `${node}: ${[w.weightBits !== undefined ? `${w.weightBits}-bit weights` : '', w.activationBits !== undefined ? `${w.activationBits}-bit activations` : ''].filter(Boolean).join(', ')}`);
  const all = `${p.weightBits}-bit weights, ${p.activationBits}-bit activations`;
  return each.length > 0 ? `${all} except ${each.join('; ')}` : all;
}

/**
 * Compiles an ONNX model into a proved-mode artefact directory: circuit.r1cs and what the
 * witness is computed from (the eliminated labels, or with circom its source and witness
 * wasm), Groth16 proving key, verification key, Solidity verifier, the quantised
 * model and report.json. All work happens in a temporary directory beside `out`, which
 * is swapped in only when complete: a failure leaves no partial artefacts.
 *
 * @example
 * const report = await compileModel(fs.readFileSync('spam.onnx'), { out: 'build/spam', calibration })
 */
export async function compileModel(onnxBytes: Uint8Array, options: CompileOptions): Promise<CompileReport> {
  const progress = options.progress ?? (() => {});
  const encoding = options.weights ?? 'constant';
  // Before any work: an impossible backend choice is refused at once.
  const backend = defaultBackend(options);
  if (options.tolerance !== undefined) checkTolerance(options.tolerance);
  if (encoding === 'committed' && (options.input ?? 'committed') !== 'committed') {
    throw new IncompatibleOptionsError({ options: ['--weights committed', `--input ${options.input}`], reason: 'the weight commitment seeds the input commitment, so committed weights need --input committed' });
  }
  const batch = options.batch ?? 1;
  const selected = selectOutput(loadOnnx(onnxBytes, { batch }), options.output);
  if (batch > 1 && selected.inputs.length > 1) throw new IncompatibleOptionsError({ options: [`--batch ${batch}`, `a model with ${selected.inputs.length} graph inputs`], reason: 'the request input is the inputs concatenated, one inference' });
  const graph = withAggregate(selected, options.aggregate);
  const imported = importGraph(graph);
  const calibration = batchSamples(options.calibration, batch);
  // The float reference on the calibration inputs, once: the precision search and the accuracy report read it.
  let referenceRows: number[][] | undefined;
  const reference = async (samples: number[][]) => {
    referenceRows ??= (await floatReference(onnxBytes, graph.inputs, selected.outputs[0]!.name, samples)).map((r) => (options.aggregate === 'mean' ? meanRows(r, batch) : r));
    return referenceRows;
  };
  let precision: CompileReport['precision'];
  let model: QuantizedModel;
  if (options.tolerance !== undefined) {
    if (!calibration || calibration.length === 0) {
      throw new IncompatibleOptionsError({ options: [`--tolerance ${options.tolerance * 100}`, 'no --calibration'], reason: 'the precision is chosen by its error on the calibration inputs; random stand-ins say nothing about real ones' });
    }
    const want = await reference(calibration);
    progress({ phase: `precision: the cheapest weight and activation widths within ${options.tolerance * 100}% of the output range` });
    const choice = choosePrecision(imported, { ...options, calibration, weightSignals: encoding !== 'constant' }, want, options.tolerance);
    model = choice.model;
    precision = { tolerance: choice.tolerance, weightBits: choice.weightBits, activationBits: choice.activationBits, ...(choice.nodes ? { nodes: choice.nodes } : {}), calibrationError: choice.error, trials: choice.trials };
    progress({ phase: `precision: ${describePrecision(precision)} (${choice.trials.length} trials; calibration error ${(choice.error * 100).toFixed(2)}% of the output range)` });
  } else {
    model = quantize(imported, { ...options, calibration });
  }
  const inputVisibility = options.input ?? 'committed';
  const layout = layoutOf(model, inputVisibility);
  for (const a of model.approximations ?? []) progress({ phase: describeApproximation(a) });

  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  const work = mkdtempSync(join(dirname(out), `.${basename(out)}.tmp-`));
  try {
    const t0 = performance.now();
    let written: number | undefined;
    if (backend === 'r1cs') {
      progress({ phase: 'r1cs: writing the constraint system' });
      written = writeR1csCircuit(work, model, encoding, inputVisibility, progress).constraints;
    }
    const link = backend === 'circom' ? await compileWithCircom(work, model, encoding, inputVisibility, options.shard ?? SHARD_CONSTRAINTS, progress) : undefined;
    const compileSeconds = (performance.now() - t0) / 1000;

    // snarkjs's r1cs.info loads every constraint as objects: only for circom's (smaller) files.
    const constraints = written ?? Number((await snarkjs.r1cs.info(join(work, ARTEFACT_FILES.r1cs))).nConstraints);
    const constraintsByPart: Record<string, number> = {};
    for (const s of model.steps) {
      const key = `node:${s.name}`;
      constraintsByPart[key] = (constraintsByPart[key] ?? 0) + stepConstraints(s, encoding !== 'constant');
    }
    const modelConstraints = Object.values(constraintsByPart).reduce((a, b) => a + b, 0);
    constraintsByPart.requestBinding = 1;
    if (encoding === 'committed') constraintsByPart.inputAndWeightCommitment = constraints - modelConstraints - 1;
    else constraintsByPart.inputCommitment = constraints - modelConstraints - 1;

    const { power, ceremony } = ptauFor(constraints, layout.publicSignals);
    let setupSeconds = 0;
    let setup: Awaited<ReturnType<typeof groth16Setup>> | undefined;
    if (options.setup !== false) {
      const ptau = ceremony ?? (await devPowersOfTau(power, progress));
      const t1 = performance.now();
      setup = await groth16Setup(work, { ptau, insecure: !ceremony, prover: options.prover, progress, what: `${constraints} constraints, ${ceremony ? 'ceremony' : 'dev'} powers of tau 2^${power}` });
      setupSeconds = (performance.now() - t1) / 1000;
    }

    let accuracy: CompileReport['accuracy'];
    if (calibration && calibration.length > 0) {
      progress({ phase: `accuracy: onnxruntime-web on ${calibration.length} calibration input(s)` });
      const want = await reference(calibration);
      let maxAbsError = 0, lo = Infinity, hi = -Infinity, agree = 0, rows = 0;
      calibration.forEach((x, i) => {
        const got = dequantizeOutput(model, inferQuantized(model, quantizeInput(model, x)));
        const row = want[i]!;
        row.forEach((w, j) => { maxAbsError = Math.max(maxAbsError, Math.abs(w - got[j]!)); lo = Math.min(lo, w); hi = Math.max(hi, w); });
        // Top-1 per inference (per row of a batch; the aggregate is one row).
        const width = options.aggregate ? row.length : row.length / batch;
        for (let r = 0; r < row.length / width; r++) {
          rows++;
          if (argmax(got.slice(r * width, (r + 1) * width)) === argmax(row.slice(r * width, (r + 1) * width))) agree++;
        }
      });
      accuracy = { samples: calibration.length * batch, maxAbsError, outputRange: hi - lo, top1Agreement: agree / rows };
    }

    const modelJson = JSON.stringify(model, bigintReplacer);
    writeFileSync(join(work, ARTEFACT_FILES.model), modelJson);
    const report: CompileReport = {
      model: basename(options.out),
      modelCommitment: keccak256(toBytes(modelJson)),
      constraints,
      constraintsByPart,
      inputShape: model.inputShape,
      outputShape: model.outputShape,
      ops: imported.ops,
      weightEncoding: encoding,
      weights: encoding === 'committed' ? await committedWeights(model) : undefined,
      batch: { size: batch, aggregate: options.aggregate ?? 'none' },
      quantization: {
        inputBits: model.inputBits, inputScale: model.inputScale, outputBits: model.outputBits, outputScale: model.outputScale,
        inputRange: [...inputRange(model)], calibration: options.calibration && options.calibration.length > 0 ? 'samples' : 'synthetic',
        steps: model.steps.map((s) => ({ node: s.name, kind: s.kind === 'requant' ? `requant:${s.act}` : s.kind === 'pwl' ? `pwl:${s.fn}` : s.kind, outputs: outputsOf(s), constraints: stepConstraints(s, encoding !== 'constant') })),
        ...(model.approximations ? { approximations: model.approximations } : {}),
      },
      layout,
      accuracy,
      ...(precision ? { precision } : {}),
      setup: {
        system: 'groth16', ptauPower: power, ptau: ceremony ? 'ceremony' : 'dev', insecure: !ceremony, contributions: setup?.contributions ?? [],
        note: ceremony
          ? 'Groth16 over an imported, verified ceremony powers of tau. Phase 2 is secure if any one contributor in setup.contributions destroyed their entropy: add contributions with `verity setup contribute` before registering.'
          : INSECURE_DEV_SETUP,
      },
      verifier: setup === undefined ? undefined : {
        contract: BATCH_VERIFIER_CONTRACT, bytecodeSize: setup.verifierBytecodeSize, limit: 24_576, expectedVerifyGas: expectedVerifyGas(layout.publicSignals),
      },
      timings: { compileSeconds, setupSeconds },
      shards: link && { parts: link.parts.length + 1, constraintsPerPart: [link.constraints - link.parts.reduce((a, q) => a + q.constraints, 0), ...link.parts.map((q) => q.constraints)], link: LINK_FILE },
      backend,
      files: artefactFiles(backend),
    };
    writeFileSync(join(work, ARTEFACT_FILES.report), JSON.stringify(report, null, 2));
    if (existsSync(out)) rmSync(out, { recursive: true, force: true });
    renameSync(work, out);
    return report;
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
}
