// The Groth16 setup of a compiled circuit: a proving key from its .r1cs and a powers of tau, one
// contribution, and what the chain and verifiers read from the key (verification key, Solidity
// verifier and its build). compileModel runs it once; `verity setup contribute` rewrites the
// verifier after each later contribution.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { ARTEFACT_FILES } from '../artefacts.js';
import { resolveBackend, type BackendChoice } from '../prover/backend.js';
import { snarkjsLogger, type Progress } from '../progress.js';
import { exportVerifier } from '../verifier.js';
import { nativeContribute, nativeNewZkey } from './native.js';

/** A phase-2 contribution as report.json lists it: who, and the hash they publish. */
export type Contribution = { name: string; hash: string };

/**
 * Writes the verification key, the Solidity verifier and its build for the proving key in `dir`
 * (each file swapped in whole), and returns the verifier's deployed bytecode size.
 *
 * @example
 * const bytecodeSize = await writeVerifier('build/spam', report.setup.insecure)
 */
export async function writeVerifier(dir: string, insecure: boolean): Promise<number> {
  const { vk, source, build, bytecodeSize } = await exportVerifier(join(dir, ARTEFACT_FILES.zkey), insecure);
  writeWhole(join(dir, ARTEFACT_FILES.verificationKey), JSON.stringify(vk, null, 1));
  writeWhole(join(dir, ARTEFACT_FILES.verifier), source);
  writeWhole(join(dir, ARTEFACT_FILES.verifierBuild), JSON.stringify(build));
  return bytecodeSize;
}

/** Writes `data` beside `file` and renames it into place: a reader never sees half a file. */
export function writeWhole(file: string, data: string): void {
  writeFileSync(`${file}.partial`, data);
  renameSync(`${file}.partial`, file);
}

/**
 * Sets up the circuit in `dir` (its circuit.r1cs) over the prepared powers of tau `ptau`: the
 * initial key, one contribution from fresh entropy (named after this host), then the verifier
 * files ({@link writeVerifier}). The native core does both steps when it is the backend in use,
 * else snarkjs; the files are the same.
 *
 * @example
 * const { contributions, verifierBytecodeSize } = await groth16Setup('build/.spam.tmp', { ptau, insecure: true })
 */
export async function groth16Setup(dir: string, o: { ptau: string; insecure: boolean; prover?: BackendChoice; progress?: Progress; what?: string }): Promise<{ contributions: Contribution[]; verifierBytecodeSize: number }> {
  const progress = o.progress ?? (() => {});
  const engine = resolveBackend(o.prover);
  progress({ phase: `groth16 setup (${o.what ? `${o.what}, ` : ''}${engine})` });
  const [r1cs, initial, zkey] = [join(dir, ARTEFACT_FILES.r1cs), join(dir, 'circuit_0.zkey'), join(dir, ARTEFACT_FILES.zkey)];
  const name = `verity compile (${hostname()})`;
  const entropy = randomBytes(64).toString('hex');
  try {
    let hash: string;
    if (engine === 'native') {
      await nativeNewZkey(r1cs, o.ptau, initial, progress);
      hash = (await nativeContribute(initial, zkey, name, entropy, progress)).hash;
    } else {
      await snarkjs.zKey.newZKey(r1cs, o.ptau, initial, snarkjsLogger('groth16 setup', progress));
      hash = Buffer.from(await snarkjs.zKey.contribute(initial, zkey, name, entropy)).toString('hex');
    }
    return { contributions: [{ name, hash }], verifierBytecodeSize: await writeVerifier(dir, o.insecure) };
  } finally {
    rmSync(initial, { force: true });
  }
}
