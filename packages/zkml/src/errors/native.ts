import { BaseError } from '@verity/errors';

/**
 * A failure of the native prover (native/verity-prover). Each kind the Rust side reports
 * (`ProverError` in native/verity-prover/src/error.rs) has exactly one subclass here, listed in
 * {@link NATIVE_ERRORS}; the prover process keeps serving after any of them.
 */
export class NativeProverError extends BaseError {
  override name = 'NativeProverError';
}

/** The .zkey could not be read, or is not a snarkjs Groth16 key over BN254. */
export class ProvingKeyError extends NativeProverError {
  override name = 'ProvingKeyError';
  readonly path: string;
  readonly reason: string;
  constructor({ path, reason }: { path: string; reason: string }) {
    super(`Cannot read the proving key ${path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}

/** The witness bytes are not a .wtns file over BN254's scalar field. */
export class WitnessFormatError extends NativeProverError {
  override name = 'WitnessFormatError';
  readonly reason: string;
  constructor({ reason }: { reason: string }) {
    super(`Unreadable witness: ${reason}`);
    this.reason = reason;
  }
}

/** The witness has another number of wires than the proving key. */
export class WitnessSizeError extends NativeProverError {
  override name = 'WitnessSizeError';
  readonly expected: number;
  readonly got: number;
  constructor({ expected, got }: { expected: number; got: number }) {
    super(`The witness has ${got} wires, the proving key expects ${expected}`);
    this.expected = expected;
    this.got = got;
  }
}

/**
 * The witness does not satisfy the circuit: the native prover checks every proof against the
 * key's verification key before returning it, and this one did not verify. (snarkjs returns
 * such a proof, which then fails verification.)
 */
export class UnsatisfiedWitnessError extends NativeProverError {
  override name = 'UnsatisfiedWitnessError';
  constructor() {
    super('The witness does not satisfy the circuit: its proof does not verify', {
      details: 'A changed wire, or a witness computed for another circuit than the proving key.',
    });
  }
}

/** A request the native prover does not understand (a bug in packages/zkml). */
export class NativeProtocolError extends NativeProverError {
  override name = 'NativeProtocolError';
  readonly reason: string;
  constructor({ reason }: { reason: string }) {
    super(`Bad request to the native prover: ${reason}`);
    this.reason = reason;
  }
}

/** A failure inside the native prover (a panic, caught there). */
export class NativeInternalError extends NativeProverError {
  override name = 'NativeInternalError';
  readonly reason: string;
  constructor({ reason }: { reason: string }) {
    super(`Internal native prover failure: ${reason}`);
    this.reason = reason;
  }
}

/** The native setup (`verity-prover setup` or `contribute`) could not use one of its files. */
export class NativeSetupError extends NativeProverError {
  override name = 'NativeSetupError';
  readonly file: string;
  readonly reason: string;
  constructor({ file, reason }: { file: string; reason: string }) {
    super(`The native setup cannot use ${file}: ${reason}`);
    this.file = file;
    this.reason = reason;
  }
}

/** `backend: 'native'` was asked for, but the native prover was not built (no cargo at install). */
export class NativeProverUnavailableError extends NativeProverError {
  override name = 'NativeProverUnavailableError';
  readonly binary: string;
  constructor({ binary }: { binary: string }) {
    super(`The native prover is not built (${binary} is missing)`, {
      details: 'Install Rust (cargo) and run `npm install` again, or prove with --backend snarkjs (VERITY_PROVER=snarkjs).',
    });
    this.binary = binary;
  }
}

/** The native prover process ended (killed, out of memory): pending and later proofs fail with this. */
export class NativeProverExitedError extends NativeProverError {
  override name = 'NativeProverExitedError';
  readonly code: number | null;
  readonly signal: string | null;
  constructor({ code, signal, stderr }: { code: number | null; signal: string | null; stderr: string }) {
    super(`The native prover exited (${signal ?? `code ${code}`})`, { details: stderr.slice(-2000) || undefined });
    this.code = code;
    this.signal = signal;
  }
}

/** The error classes by the kind the Rust side reports, one to one. */
export const NATIVE_ERRORS = {
  ProvingKey: (f: { path: string; reason: string }) => new ProvingKeyError(f),
  WitnessFormat: (f: { reason: string }) => new WitnessFormatError(f),
  WitnessSize: (f: { expected: number; got: number }) => new WitnessSizeError(f),
  UnsatisfiedWitness: () => new UnsatisfiedWitnessError(),
  Protocol: (f: { reason: string }) => new NativeProtocolError(f),
  Internal: (f: { reason: string }) => new NativeInternalError(f),
  Setup: (f: { file: string; reason: string }) => new NativeSetupError(f),
} as const;

export type NativeErrorKind = keyof typeof NATIVE_ERRORS;

/** A prover backend name other than `native`, `snarkjs` or `auto` (option or VERITY_PROVER). */
export class UnknownProverBackendError extends BaseError {
  override name = 'UnknownProverBackendError';
  readonly value: string;
  constructor({ value }: { value: string }) {
    super(`Unknown prover backend "${value}": use native, snarkjs or auto`);
    this.value = value;
  }
}
