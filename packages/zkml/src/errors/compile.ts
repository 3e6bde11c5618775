import { BaseError } from '@verity/sdk/errors';

/** circom itself failed on generated code: a compiler bug, reported with circom's output. */
export class CircuitCompileError extends BaseError {
  override name = 'CircuitCompileError';
  constructor({ output }: { output: string }) {
    super('circom failed to compile the generated circuit', { details: output.slice(-4000) });
  }
}

/** Compile options that cannot go together, named with the way out. */
export class IncompatibleOptionsError extends BaseError {
  override name = 'IncompatibleOptionsError';
  constructor({ options, reason }: { options: string[]; reason: string }) {
    super(`${options.join(' with ')} is not supported: ${reason}`);
  }
}
