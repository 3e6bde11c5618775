// `verity compile --requests K`: a second circuit beside a compiled model that answers up to K
// different requests in one proof (see r1cs/requests.ts), its own setup and verifier, in
// `<model dir>/requests-K/`. A node proves a batch with RequestBatchProver and delivers it
// with Coprocessor.fulfillRequests.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ARTEFACT_FILES, loadCompiled, type CompiledModel } from './artefacts.js';
import { expectedVerifyGas } from './compile.js';
import { ptauFor } from './setup/ceremony.js';
import { groth16Setup } from './setup/groth16.js';
import { devPowersOfTau } from './setup/ptau.js';
import { IncompatibleOptionsError } from './errors/compile.js';
import { ArtefactError } from './errors/quantize.js';
import { RequestBatchSizeError } from './errors/input.js';
import { writeFileFully } from './link.js';
import { openBackend, type BackendChoice, type Groth16Backend } from './prover/backend.js';
import type { Groth16Proof } from './prover/prove.js';
import type { Progress } from './progress.js';
import { r1csFile, wtnsFile } from './r1cs/files.js';
import { buildRequestConstraints, computeRequestValues, requestBatchLayout, requestSlotOutputs, type RequestBatchLayout } from './r1cs/requests.js';
import type { R1csWeights } from './r1cs/circuit.js';
import type { EliminatedFile } from './r1cs/compile.js';

/** Largest K: 64 slots keep even the demo CNNs' batch circuits within a 2^20 powers of tau. */
export const MAX_REQUEST_BATCH = 64;

/** What `compileRequestBatch` writes to `requests-K/report.json`. */
export type RequestBatchReport = {
  kind: 'request-batch';
  /** the compiled model's name and commitment this batch circuit instantiates */
  model: string;
  modelCommitment: `0x${string}`;
  k: number;
  layout: RequestBatchLayout;
  constraints: number;
  weightEncoding: R1csWeights;
  setup: { system: 'groth16'; ptauPower: number; ptau: 'dev' | 'ceremony'; insecure: boolean; contributions: { name: string; hash: string }[] };
  verifier: { bytecodeSize: number; expectedVerifyGas: number };
  timings: { compileSeconds: number; setupSeconds: number };
};

/** The directory of a compiled model's request-batch circuit for `k` requests. */
export const requestBatchDir = (modelDir: string, k: number) => join(modelDir, `requests-${k}`);

/**
 * Compiles the request-batch circuit of an already compiled model (constant or committed
 * weights) for up to `k` requests, with its Groth16 setup and verifier, into
 * `<modelDir>/requests-k/` (swapped in only when complete). The single model stays as it was.
 *
 * @example
 * const report = await compileRequestBatch('build/spam', { k: 16 })
 */
export async function compileRequestBatch(modelDir: string, o: { k: number; prover?: BackendChoice; progress?: Progress }): Promise<RequestBatchReport> {
  const progress = o.progress ?? (() => {});
  if (!Number.isInteger(o.k) || o.k < 2 || o.k > MAX_REQUEST_BATCH) {
    throw new IncompatibleOptionsError({ options: [`--requests ${o.k}`], reason: `a request batch has 2 to ${MAX_REQUEST_BATCH} slots` });
  }
  const compiled = loadCompiled(modelDir);
  const { report, model } = compiled;
  if (report.weightEncoding === 'signals' || (report.layout.inputVisibility ?? 'committed') !== 'committed' || report.batch.size !== 1) {
    throw new IncompatibleOptionsError({ options: [`--requests ${o.k}`, `--weights ${report.weightEncoding}`, `--input ${report.layout.inputVisibility}`, `--batch ${report.batch.size}`], reason: 'request batches need pinned weights, committed inputs and one inference per request' });
  }
  const weights: R1csWeights = report.weightEncoding;
  const out = requestBatchDir(modelDir, o.k);
  const work = mkdtempSync(join(dirname(out), `.${basename(out)}.tmp-`));
  try {
    const t0 = performance.now();
    progress({ phase: `r1cs: writing the request-batch circuit (${o.k} slots)` });
    const { system, eliminated, shape } = buildRequestConstraints(model, o.k, weights);
    writeFileFully(join(work, ARTEFACT_FILES.r1cs), r1csFile(system.store, system.labels, eliminated, shape));
    writeFileSync(join(work, ARTEFACT_FILES.eliminated), JSON.stringify({ version: 1, labels: system.labels, eliminated } satisfies EliminatedFile));
    const compileSeconds = (performance.now() - t0) / 1000;
    const layout = requestBatchLayout(model, o.k);
    const constraints = system.store.count;
    const { power, ceremony } = ptauFor(constraints, layout.publicSignals);
    const ptau = ceremony ?? (await devPowersOfTau(power, progress));
    const t1 = performance.now();
    const { contributions, verifierBytecodeSize } = await groth16Setup(work, { ptau, insecure: !ceremony, prover: o.prover, progress, what: `${constraints} constraints, ${ceremony ? 'ceremony' : 'dev'} powers of tau 2^${power}` });
    const setupSeconds = (performance.now() - t1) / 1000;
    const batchReport: RequestBatchReport = {
      kind: 'request-batch',
      model: report.model,
      modelCommitment: report.modelCommitment,
      k: o.k,
      layout,
      constraints,
      weightEncoding: weights,
      setup: { system: 'groth16', ptauPower: power, ptau: ceremony ? 'ceremony' : 'dev', insecure: !ceremony, contributions },
      verifier: { bytecodeSize: verifierBytecodeSize, expectedVerifyGas: expectedVerifyGas(layout.publicSignals) },
      timings: { compileSeconds, setupSeconds },
    };
    writeFileSync(join(work, ARTEFACT_FILES.report), JSON.stringify(batchReport, null, 2));
    if (existsSync(out)) rmSync(out, { recursive: true, force: true });
    mkdirSync(dirname(out), { recursive: true });
    renameSync(work, out);
    return batchReport;
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
}

/** One request of a batch: its offset-encoded input and the input commitment the Coprocessor stores for it. */
export type RequestSlot = { u: readonly bigint[]; commitment: bigint };

/** A request batch's proof: the Groth16 proof, its public signals, the packed output words and each request's signed outputs. */
export type RequestBatchProof = { proof: Groth16Proof; publicSignals: string[]; words: bigint[]; outputs: bigint[][]; timings: { witnessMs: number; proveMs: number } };

/**
 * Proves up to K requests of one model in one proof, with the batch circuit's key loaded once.
 *
 * @example
 * const prover = await RequestBatchProver.load('build/spam', 16)
 * const { proof, words } = await prover.prove([{ u, commitment }, ...], binding)
 */
export class RequestBatchProver {
  private constructor(readonly compiled: CompiledModel, readonly report: RequestBatchReport, private readonly eliminated: EliminatedFile, readonly backend: Groth16Backend) {}

  /** Loads `<modelDir>/requests-k` (ArtefactError when the model was not compiled for request batches of `k`). */
  static async load(modelDir: string, k: number, options: { backend?: BackendChoice; threads?: number } = {}): Promise<RequestBatchProver> {
    const dir = requestBatchDir(modelDir, k);
    const path = (f: string) => join(dir, f);
    for (const f of [ARTEFACT_FILES.report, ARTEFACT_FILES.eliminated, ARTEFACT_FILES.zkey]) {
      if (!existsSync(path(f))) throw new ArtefactError({ dir, missing: `${f} (compile the model with --requests ${k})` });
    }
    const report = JSON.parse(readFileSync(path(ARTEFACT_FILES.report), 'utf8')) as RequestBatchReport;
    const compiled = loadCompiled(modelDir);
    if (report.modelCommitment !== compiled.report.modelCommitment) throw new ArtefactError({ dir, missing: `a batch circuit of this version of the model (compile it again with --requests ${k})` });
    const eliminated = JSON.parse(readFileSync(path(ARTEFACT_FILES.eliminated), 'utf8')) as EliminatedFile;
    return new RequestBatchProver(compiled, report, eliminated, await openBackend(path(ARTEFACT_FILES.zkey), options));
  }

  get k(): number { return this.report.k; }

  /**
   * Proves `slots` (1 to K requests, in the order of their ids in the transaction) bound to
   * `binding` (Coprocessor.requestsBinding). Empty slots repeat the first input with
   * commitment 0, which the Coprocessor passes for them.
   */
  async prove(slots: readonly RequestSlot[], binding: bigint): Promise<RequestBatchProof> {
    const { k, layout } = this.report;
    if (slots.length < 1 || slots.length > k) throw new RequestBatchSizeError({ k, got: slots.length });
    const filled = Array.from({ length: k }, (_, i) => slots[i] ?? { u: slots[0]!.u, commitment: 0n });
    const t0 = performance.now();
    const { values } = computeRequestValues(this.compiled.model, k, { us: filled.map((s) => s.u), commitments: filled.map((s) => s.commitment), binding }, this.report.weightEncoding);
    if (values.length !== this.eliminated.labels) throw new Error(`internal: the witness has ${values.length} labels, the circuit ${this.eliminated.labels}`);
    const wtns = wtnsFile(values, this.eliminated.eliminated);
    const t1 = performance.now();
    const { proof, publicSignals } = await this.backend.prove(wtns);
    const words = publicSignals.slice(0, layout.outputWords).map(BigInt);
    return { proof, publicSignals, words, outputs: slots.map((_, i) => requestSlotOutputs(layout, words, i)), timings: { witnessMs: t1 - t0, proveMs: performance.now() - t1 } };
  }

  async close(): Promise<void> { await this.backend.close(); }
}
