// The one step a prover backend does: a Groth16 proof from a witness, with a key loaded once.
import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { UnknownProverBackendError } from '../errors/native.js';
import { NativeProver, nativeProverBuilt } from './native.js';
import type { Groth16Proof } from './prove.js';

/** The Groth16 engines: the native core (native/verity-prover) or snarkjs (WebAssembly). */
export type ProverBackendName = 'native' | 'snarkjs';
/** `auto`: native when it is built, else snarkjs. */
export type BackendChoice = ProverBackendName | 'auto';

export type Groth16Result = { proof: Groth16Proof; publicSignals: string[] };

/** A proving key, loaded, that proves witnesses (.wtns bytes). */
export interface Groth16Backend {
  readonly name: ProverBackendName;
  prove(witness: Uint8Array): Promise<Groth16Result>;
  close(): Promise<void>;
}

/**
 * The backend to use: the explicit choice, else VERITY_PROVER, else `auto` (native when it is
 * built). Throws {@link UnknownProverBackendError} on another name.
 *
 * @example
 * resolveBackend('auto') // 'native' after `npm install` with cargo present, else 'snarkjs'
 */
export function resolveBackend(choice: string | undefined = process.env.VERITY_PROVER || 'auto'): ProverBackendName {
  if (choice === 'native' || choice === 'snarkjs') return choice;
  if (choice === 'auto') return nativeProverBuilt() ? 'native' : 'snarkjs';
  throw new UnknownProverBackendError({ value: choice });
}

/**
 * Loads a proving key into the chosen backend. `threads` caps the native prover's threads
 * (default VERITY_PROVER_THREADS, else every core).
 *
 * @example
 * const backend = await openBackend('build/spam/circuit.zkey', { backend: 'snarkjs' })
 */
export async function openBackend(zkeyPath: string, options: { backend?: BackendChoice; threads?: number } = {}): Promise<Groth16Backend> {
  return resolveBackend(options.backend) === 'native'
    ? NativeProver.load(zkeyPath, { threads: options.threads ?? (Number(process.env.VERITY_PROVER_THREADS) || undefined) })
    : new SnarkjsBackend(readFileSync(zkeyPath));
}

/** snarkjs's prover on an in-memory key: what Verity ran before the native core. */
export class SnarkjsBackend implements Groth16Backend {
  readonly name = 'snarkjs' as const;
  constructor(private readonly zkey: Uint8Array) {}
  async prove(witness: Uint8Array): Promise<Groth16Result> {
    return snarkjs.groth16.prove({ type: 'mem', data: this.zkey }, { type: 'mem', data: witness }) as Promise<Groth16Result>;
  }
  async close(): Promise<void> {}
}
