import { BaseError } from '@verity/errors';

/**
 * circom's witness generator refused the circuit's inputs (one of its asserts failed): the input
 * is outside what the circuit takes, though it passed the input checks.
 *
 * @example
 * await assert.rejects(prover.prove({ encoded }), WitnessCalculationError)
 */
export class WitnessCalculationError extends BaseError {
  override name = 'WitnessCalculationError';
  /** circom_runtime's own words */
  readonly reason: string;
  constructor({ reason }: { reason: string }) {
    super(`the circuit's witness generator refused the input: ${reason}`);
    this.reason = reason;
  }
}

/** The witness worker thread ended (terminated, out of memory) with a witness pending. */
export class WitnessWorkerExitedError extends BaseError {
  override name = 'WitnessWorkerExitedError';
  readonly code: number;
  constructor({ code }: { code: number }) {
    super(`the witness worker exited with code ${code}`);
    this.code = code;
  }
}
