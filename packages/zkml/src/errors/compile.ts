import { BaseError } from '@verity/errors';

/** How a model too large to prove can still be served. */
export const AGREED_FALLBACK =
  'register it in agreed mode: validators run the ONNX file with onnxruntime-web and a staked committee agrees on the answer ' +
  '(registerAgreedModel in @verity/sdk with the file\'s sha256 as commitment; validators configure agreed[].provider ' +
  '{"type":"onnx","path":"<model.onnx>"}; README "Agreed mode")';

/**
 * circom itself failed on generated code: a compiler bug, reported with circom's output; or
 * it ran out of memory (circom2 runs in WebAssembly, at most 4 GiB): the message says how to
 * compile the model in smaller parts, or serve it in agreed mode instead.
 */
export class CircuitCompileError extends BaseError {
  override name = 'CircuitCompileError';
  readonly tooLarge: boolean;
  constructor({ output }: { output: string }) {
    // circom2's own words at its limit (BENCHMARKS.md, 491k constraints): `memory allocation of 24641536 bytes failed`.
    const tooLarge = /memory allocation of \d+ bytes failed|out of memory|Memory\.grow|Maximum memory size|Cannot allocate/i.test(output);
    super(
      tooLarge
        ? `the circuit is too large to compile here (circom2 ran out of its 4 GiB WebAssembly memory): with --weights constant, compile it in smaller parts (--shard N, e.g. 100000); otherwise ${AGREED_FALLBACK}`
        : 'circom failed to compile the generated circuit',
      { details: output.slice(-4000) },
    );
    this.tooLarge = tooLarge;
  }
}

/** Compile options that cannot go together, named with the way out. */
export class IncompatibleOptionsError extends BaseError {
  override name = 'IncompatibleOptionsError';
  constructor({ options, reason }: { options: string[]; reason: string }) {
    super(`${options.join(' with ')} is not supported: ${reason}`);
  }
}

/**
 * A witness value that does not fit the range its decomposition checks (the r1cs backend's
 * witness generator): the circuit would reject it, so no witness is written. The quantiser's
 * worst-case bounds make this unreachable for inputs in range; it names the step if it happens.
 */
export class RangeOverflowError extends BaseError {
  override name = 'RangeOverflowError';
  readonly where: string;
  readonly bits: number;
  readonly value: bigint;
  constructor({ where, bits, value }: { where: string; bits: number; value: bigint }) {
    super(`a value at ${where} does not fit its ${bits}-bit range check (${value})`, { details: 'The circuit would reject this witness; check the input against the model\'s input range.' });
    this.where = where;
    this.bits = bits;
    this.value = value;
  }
}

/** What the r1cs backend (the default, `--backend r1cs`) does not build: compile with `--backend circom`. */
export class UnsupportedBackendError extends BaseError {
  override name = 'UnsupportedBackendError';
  readonly backend: string;
  readonly feature: string;
  constructor({ backend, feature }: { backend: string; feature: string }) {
    super(`the ${backend} backend does not support ${feature}`, { details: 'Compile with --backend circom instead (kept for one release).' });
    this.backend = backend;
    this.feature = feature;
  }
}
