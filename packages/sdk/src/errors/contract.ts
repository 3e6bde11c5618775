import { BaseError as ViemBaseError, ContractFunctionRevertedError } from 'viem';
import { BaseError } from './base.js';

/** A contract call reverted with one of Verity's custom errors, decoded with its arguments. */
export class ContractRevertError extends BaseError {
  override name = 'ContractRevertError';
  readonly errorName: string;
  readonly args: readonly unknown[];
  constructor({ errorName, args, cause }: { errorName: string; args: readonly unknown[]; cause?: unknown }) {
    super(`${errorName}(${args.map((a) => (typeof a === 'bigint' ? a.toString() : JSON.stringify(a))).join(', ')})`, { cause });
    this.errorName = errorName;
    this.args = args;
  }
}

/**
 * Turns a viem error into a {@link ContractRevertError} when it carries a decoded custom
 * error; returns anything else unchanged. Callers show users `shortMessage`, never a raw blob.
 *
 * @example
 * try { await client.request(...) } catch (e) { throw decodeRevert(e) }
 */
export function decodeRevert(error: unknown): unknown {
  if (!(error instanceof ViemBaseError)) return error;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName) {
    return new ContractRevertError({ errorName: reverted.data.errorName, args: reverted.data.args ?? [], cause: error });
  }
  return error;
}
