import { BaseError as ViemBaseError, ContractFunctionRevertedError, decodeErrorResult, type Abi, type Hex } from 'viem';
import {
  committeeAbi, coprocessorAbi, creditLineAbi, evolvingNFTAbi, fraudScreenAbi, moderationDAOAbi, modelRegistryAbi, nodeRegistryAbi, signalVaultAbi, spamGuardAbi, subjectiveMarketAbi,
} from '../generated/contracts.js';
import { BaseError } from '@verity/errors';

/** Every custom error of Verity's contracts: a revert can bubble up from a contract the caller did not call directly. */
const verityErrors = [
  ...coprocessorAbi, ...modelRegistryAbi, ...nodeRegistryAbi, ...committeeAbi,
  ...spamGuardAbi, ...moderationDAOAbi, ...creditLineAbi, ...fraudScreenAbi, ...signalVaultAbi, ...subjectiveMarketAbi, ...evolvingNFTAbi,
].filter((item) => item.type === 'error') as Abi;

/** An error argument as Solidity would print it: numbers and addresses bare, arrays bracketed. */
function formatArg(a: unknown): string {
  if (typeof a === 'bigint' || typeof a === 'number' || typeof a === 'boolean') return String(a);
  if (typeof a === 'string') return /^0x[0-9a-fA-F]*$/.test(a) ? a : JSON.stringify(a);
  if (Array.isArray(a)) return `[${a.map(formatArg).join(', ')}]`;
  return JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** A contract call reverted with one of Verity's custom errors, decoded with its arguments. */
export class ContractRevertError extends BaseError {
  override name = 'ContractRevertError';
  readonly errorName: string;
  readonly args: readonly unknown[];
  constructor({ errorName, args, cause }: { errorName: string; args: readonly unknown[]; cause?: unknown }) {
    super(`${errorName}(${args.map(formatArg).join(', ')})`, { cause });
    this.errorName = errorName;
    this.args = args;
  }
}

/**
 * Turns a viem error into a {@link ContractRevertError} when its revert data is one of
 * Verity's custom errors (whichever Verity contract raised it); returns anything else
 * unchanged. Callers show users `shortMessage`, never a raw blob.
 *
 * @example
 * try { await client.request(...) } catch (e) { throw decodeRevert(e) }
 */
export function decodeRevert(error: unknown): unknown {
  if (!(error instanceof ViemBaseError)) return error;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) {
    // A raw call (a contract creation, eth_call): the revert data is on the innermost error.
    const raw = error.walk((e) => typeof (e as { data?: unknown }).data === 'string' && /^0x[0-9a-fA-F]{8,}$/.test((e as { data: string }).data)) as { data?: Hex } | null;
    if (!raw?.data) return error;
    try {
      const decoded = decodeErrorResult({ abi: verityErrors, data: raw.data });
      return new ContractRevertError({ errorName: decoded.errorName, args: decoded.args ?? [], cause: error });
    } catch {
      return error;
    }
  }
  if (reverted.data?.errorName && reverted.data.errorName !== 'Error') {
    return new ContractRevertError({ errorName: reverted.data.errorName, args: reverted.data.args ?? [], cause: error });
  }
  const raw = (reverted as { raw?: Hex }).raw;
  if (!raw) return error;
  try {
    const decoded = decodeErrorResult({ abi: verityErrors, data: raw });
    return new ContractRevertError({ errorName: decoded.errorName, args: decoded.args ?? [], cause: error });
  } catch {
    return error;
  }
}
